"""The caveats ``brain score`` prints beside a customer champion's scores, for the API's answers.

``snapshot_notes`` writes, for one champion and the feature snapshot, the notes
``brain score churn|propensity|value --asof <cutoff> --data DIR`` prints (default options, in its
order): the season is not read for a churn label of "no order and no visit"; the scores are
in-sample; long-gone customers crowd a tier; the season gap of the scored window (or that it
could not be checked); one tier holds 90% of the customers; the early warning can hardly fire,
or the whole base fell. The same functions write them in both places, so the texts are equal.
``Brain.warm`` computes them once per champion version and snapshot, with the snapshot's scores
(two of the notes read every customer's score); the answers by ``user_ids`` carry them.

``read_season`` reads the season part once per champion version and snapshot (no score needed):
the factor ``brain score --season-adjust`` applies, which ``season_answer`` gives the answers as
numbers, or why there is none; ``row_notes`` are the notes of it that apply to live ``rows``
(they depend on the champion and the window, not on the rows; the others describe the scored
population).

Not carried: the loaders' notes about the events file (the snapshot was written from it), the
warning that the model was trained on another input (it names the scored file), a label rule
assumed for a version registered before models recorded it, and the check against what happened
after the date (a snapshot is usually as of the end of its events).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

__all__ = ["NOTES_PENDING", "OLD_SNAPSHOT_NOTE", "SEASON_PENDING", "SeasonReading",
           "other_cutoff", "read_cutoff", "read_season", "row_notes", "season_answer",
           "snapshot_notes"]

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


SEASON_PENDING = (
    "the season of the scored window is read once per champion version and snapshot in the "
    "background, which has not finished for this version: ask again in a few seconds (GET "
    "/models lists the model under snapshot.scored_by once its notes are read too)")
SEASON_RULES = {"value": "score * applied", "propensity": "1 - (1 - score) ** applied",
                "churn": "score ** applied"}
"""What ``brain score --season-adjust`` does to each score (``SeasonFactor.applied``)."""


@dataclass(frozen=True)
class SeasonReading:
    """The season gap of a customer champion's window from the snapshot's cutoff, read once
    per champion version and snapshot (``read_season``).

    Attributes:
        factor: ``season_factor``'s reading, as ``brain score`` reads it; None when unknown.
        reason: why ``factor`` is None, a stable code (``season_answer``'s
            ``season_unknown_reason``); None with a factor.
        not_checked: the note that the season is not read for this label (churn of "no order
            and no visit"), else None.
        unknown: the note that the season could not be checked (too little history, or a
            snapshot without the events' purchases), else None.
        asof: the scored window's start (the snapshot's cutoff).
        horizon_days: the model's window in days (None when it has none).
        task: the model's task ('churn', 'propensity', 'value').
    """

    factor: Any
    reason: str | None
    not_checked: str | None
    unknown: str | None
    asof: pd.Timestamp
    horizon_days: int | None
    task: str

    @cached_property
    def numbers(self) -> dict[str, Any] | None:
        """The answers' ``season`` (written once: formatting its dates took 0.1 ms an
        answer), None without a factor."""
        from ._cli_customers_print import _applied_factor

        s = self.factor
        if s is None:
            return None
        year = pd.Timedelta(days=364)
        (scored, _), (ref, _) = s.scored, s.reference
        # what --season-adjust applies: a probability model's scores are left as they are
        # when nobody bought in last year's copy of the scored window (no hazard ratio)
        applied = (_applied_factor(s)[0] if s.task == "value" or s.factor > 0 else 1.0)
        return {
            "factor": float(s.factor), "applied": float(applied),
            "measure": "revenue_per_customer" if s.task == "value" else "purchase_hazard",
            "rule": SEASON_RULES.get(s.task, SEASON_RULES["value"]),
            "window_start": _day(self.asof), "window_days": self.horizon_days,
            "reference_start": _day(ref + year),
            "last_year_window_start": _day(scored), "last_year_reference_start": _day(ref),
            "last_year_per_customer": float(s.per_customer[0]),
            "last_year_reference_per_customer": float(s.per_customer[1]),
            "lookback_days": int(s.lookback_days),
            "returning": float(getattr(s, "returning", 1.0))}


def read_season(model: Any, label: str, purchases: pd.DataFrame | None,
                asof: pd.Timestamp) -> SeasonReading:
    """The season ``brain score churn|propensity|value --asof <asof>`` reads for ``model``
    (``label``: 'churn v1 (@champion)') from the events' ``purchases`` (None: a snapshot that
    did not keep them), with the notes that need no score."""
    from training._customer_season import (
        season_factor,
        season_unknown_note,
        season_unknown_reason,
    )

    from ._cli_customers_model import visit_rule_why

    task = str(getattr(model, "task", ""))
    h = getattr(model, "horizon_days", None)
    base = {"asof": pd.Timestamp(asof), "horizon_days": None if h is None else int(h),
            "task": task}
    if getattr(model, "id_col_", None):  # brain score --table reads no season either
        return SeasonReading(None, "customer_table", None, None, **base)
    why = visit_rule_why(model, label)
    if why is not None:
        return SeasonReading(None, "label_not_on_purchases",
                             f"the season of the scored window is not checked: {why}", None,
                             **base)
    if purchases is None:
        return SeasonReading(None, "snapshot_without_purchases", None, OLD_SNAPSHOT_NOTE, **base)
    season = season_factor(model, purchases, asof)
    if season is not None:
        return SeasonReading(season, None, None, None, **base)
    return SeasonReading(None, season_unknown_reason(model, purchases, asof), None,
                         season_unknown_note(model, purchases, asof), **base)


def _day(t: pd.Timestamp) -> str:
    return f"{pd.Timestamp(t):%Y-%m-%d}"


def season_answer(reading: SeasonReading | None) -> dict[str, Any]:
    """The answers' ``season`` (numbers, or None) and ``season_unknown_reason`` (a code, or
    None) for ``reading`` (None: not read yet, 'pending'); a fresh dict of the numbers
    ``SeasonReading.numbers`` wrote once."""
    if reading is None:
        return {"season": None, "season_unknown_reason": "pending"}
    numbers = reading.numbers
    return {"season": None if numbers is None else dict(numbers),
            "season_unknown_reason": reading.reason}


def row_notes(reading: SeasonReading | None, scores: pd.DataFrame) -> list[str]:
    """The notes for live ``rows`` scored ``scores`` (a frame with ``score``): those of the
    season, which depend on the champion and the window, not on the rows (the probability
    models' note gives the means of these scores, as ``brain score`` of these rows would);
    a note that the season is pending when ``reading`` is None."""
    from ._cli_customers_print import season_note

    if reading is None:
        return [SEASON_PENDING]
    said = [reading.not_checked,
            season_note(reading.factor, scores) if reading.factor is not None else None,
            reading.unknown]
    return [n for n in said if n]


_CUTOFF = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
                     r"(Z|[+-]\d{2}(:?\d{2})?)?)?")
"""A live row's ``cutoff``: an ISO date, optionally with a time of day and a UTC offset."""


def read_cutoff(value: Any) -> pd.Timestamp | None:
    """A live row's ``cutoff`` as a timestamp (with its UTC offset, if it carries one); None
    for a null. Anything but an ISO date (``YYYY-MM-DD``, optionally with a time and an
    offset) is a ``ValueError`` saying what was received: a number, a list, ``'abc'``, or
    ``'12/31/2025'`` (day or month first?), as ``brain score --asof`` refuses it."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = value.strip() if isinstance(value, str) else None
    if text is not None and _CUTOFF.fullmatch(text):
        try:
            return pd.Timestamp(text)
        except ValueError:
            pass
    shown = repr(value[:40]) if isinstance(value, str) else json.dumps(value, default=str)[:40]
    raise ValueError(f"{shown} is not a date: send the day the row's features were computed "
                     "as of as YYYY-MM-DD (a time of day and a UTC offset may follow: "
                     "2025-12-31T00:00:00+01:00), or leave it out")


def other_cutoff(frame: pd.DataFrame, cutoff: pd.Timestamp, tz: str = "UTC") -> str | None:
    """For live rows with a ``cutoff`` column: the first row whose cutoff is not the day of
    the snapshot's ``cutoff`` ("cutoff '2025-06-30' (rows[0])"), else None (no column, or
    every row on the snapshot's day).

    The snapshot's cutoff and its events' times are local times in ``tz`` without an offset
    (``Snapshot.tz``), so a cutoff with a UTC offset is read on that clock, as the forecaster
    reads a ``future`` row's ``ds`` with one: ``2025-12-31T00:00:00Z`` is 2025-12-31 in UTC,
    ``2025-12-31T00:00:00+01:00`` is 2025-12-31 in Europe/Berlin but 2025-12-30 23:00 in UTC
    (the note says so). Until 2026-12-06 any offset was another window. A time of day is read
    as its day, the season's unit. Values are checked by ``read_cutoff`` first."""
    if "cutoff" not in frame.columns:
        return None
    day = pd.Timestamp(cutoff).normalize()
    seen: set[str] = set()
    for i, v in enumerate(frame["cutoff"].tolist()):
        key = repr(v)  # a batch of one date: one parse
        if key in seen:
            continue
        seen.add(key)
        try:
            t = read_cutoff(v)
        except ValueError:
            return f"cutoff {str(v)[:40]!r} (rows[{i}])"
        if t is None:
            continue
        local = t.tz_convert(tz).tz_localize(None) if t.tzinfo is not None else t
        if local.normalize() != day:
            on_clock = (f", {local:%Y-%m-%d %H:%M} in the events' time zone {tz}"
                        if t.tzinfo is not None else "")
            return f"cutoff {str(v)[:40]!r} (rows[{i}]{on_clock})"
    return None


def snapshot_notes(model: Any, label: str, features: pd.DataFrame,
                   purchases: pd.DataFrame | None, asof: pd.Timestamp,
                   scores: pd.DataFrame, reading: SeasonReading | None = None) -> list[str]:
    """The notes ``brain score`` prints for ``model`` (``label``: 'churn v1 (@champion)')
    scoring ``features`` (the snapshot's, one row per customer) as of ``asof``, with
    ``scores`` (``score_features``' frame: ``score``, ``tier``, ...) and the events'
    ``purchases`` (None: a snapshot that did not keep them, said in a note); ``reading``:
    ``read_season``'s for the same (read here when None)."""
    from training._customer_scoring import in_sample_note

    from ._cli_customers import _base_fall_note
    from ._cli_customers_print import (
        _long_gone_note,
        crowded_tier_note,
        early_warning_reach_note,
        season_note,
    )

    if reading is None:
        reading = read_season(model, label, purchases, asof)
    task = str(getattr(model, "task", ""))
    notes: list[str | None] = [reading.not_checked]
    notes.append(in_sample_note(model, asof, features["user_id"]
                                if "user_id" in features.columns else None))
    notes.append(_long_gone_note(features, model, task))
    if reading.factor is not None:
        notes.append(season_note(reading.factor, scores))
    notes.append(reading.unknown)
    notes.append(crowded_tier_note(scores.assign(tier=scores["tier"].astype(str)), task))
    if "early_warning" in scores.columns:
        notes.append(early_warning_reach_note(features))
        notes.append(_base_fall_note(features))
    out: list[str] = []
    for note in notes:  # once each, as the CLI shows them
        if note and note not in out:
            out.append(note)
    return out
