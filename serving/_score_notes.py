"""The caveats ``brain score`` prints beside a customer champion's scores, for the API's answers.

``snapshot_notes`` writes, for one champion and the feature snapshot, the notes
``brain score churn|propensity|value --asof <cutoff> --data DIR`` prints (default options, in its
order): the season is not read for a churn label of "no order and no visit"; the scores are
in-sample; long-gone customers crowd a tier; the season gap of the scored window (or that it
could not be checked); one tier holds 90% of the customers; the early warning can hardly fire,
or the whole base fell. The same functions write them in both places, so the texts are equal.
``Brain.warm`` computes them once per champion version and snapshot, with the snapshot's scores
(two of the notes read every customer's score); the answers by ``user_ids`` carry them.

Not carried: the loaders' notes about the events file (the snapshot was written from it), the
warning that the model was trained on another input (it names the scored file), a label rule
assumed for a version registered before models recorded it, and the check against what happened
after the date (a snapshot is usually as of the end of its events).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["NOTES_PENDING", "OLD_SNAPSHOT_NOTE", "snapshot_notes"]

OLD_SNAPSHOT_NOTE = (
    "the season of the scored window was not checked: the feature snapshot was written before "
    "snapshots kept the events' purchases (2026-12-06), which brain score reads it from; "
    "rebuild it from the same events with brain snapshot --data DIR (or --events FILE), then "
    "POST /reload")
NOTES_PENDING = (
    "the caveats on this model's scores of the snapshot (the season of the scored window, a "
    "tier holding most customers, ...) are read once the snapshot is scored in the background, "
    "which has not finished for this version: ask again when GET /models lists the model under "
    "snapshot.scored_by")


def snapshot_notes(model: Any, label: str, features: pd.DataFrame,
                   purchases: pd.DataFrame | None, asof: pd.Timestamp,
                   scores: pd.DataFrame) -> list[str]:
    """The notes ``brain score`` prints for ``model`` (``label``: 'churn v1 (@champion)')
    scoring ``features`` (the snapshot's, one row per customer) as of ``asof``, with
    ``scores`` (``score_features``' frame: ``score``, ``tier``, ...) and the events'
    ``purchases`` (None: a snapshot that did not keep them, said in a note)."""
    from training._customer_scoring import in_sample_note
    from training._customer_season import season_factor, season_unknown_note

    from ._cli_customers import _base_fall_note
    from ._cli_customers_model import visit_rule_why
    from ._cli_customers_print import (
        _long_gone_note,
        crowded_tier_note,
        early_warning_reach_note,
        season_note,
    )

    task = str(getattr(model, "task", ""))
    notes: list[str | None] = []
    why = visit_rule_why(model, label)
    on_purchases = why is None
    if why is not None:
        notes.append(f"the season of the scored window is not checked: {why}")
    notes.append(in_sample_note(model, asof, features["user_id"]
                                if "user_id" in features.columns else None))
    notes.append(_long_gone_note(features, model, task))
    if on_purchases and purchases is None:
        notes.append(OLD_SNAPSHOT_NOTE)
    elif on_purchases and purchases is not None:
        season = season_factor(model, purchases, asof)
        notes.append(season_note(season, scores))
        if season is None:
            notes.append(season_unknown_note(model, purchases, asof))
    notes.append(crowded_tier_note(scores.assign(tier=scores["tier"].astype(str)), task))
    if "early_warning" in scores.columns:
        notes.append(early_warning_reach_note(features))
        notes.append(_base_fall_note(features))
    out: list[str] = []
    for note in notes:  # once each, as the CLI shows them
        if note and note not in out:
            out.append(note)
    return out
