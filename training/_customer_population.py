"""Which customers a model learned: the population guard of the champion comparison and of scoring.

A registry name (``churn``...) holds one business's models. A version trained on another
business's data (another input file, other customers) is no candidate to replace that champion:
re-scoring the champion on customers it never saw would be "fair" by the row rule of
``training._customer_champion._rescorer`` and yet compare two models of different populations (a
check's grocery model beat the retail champion on grocery households and then scored the
retailer's customers). ``population_gap`` tells such a pair apart; ``score_population_warning``
says so at scoring time.

A model keeps the (customer, cutoff) hashes of the rows it was fitted or calibrated on
(``CustomerModel.fitted_rows_``) and its cutoffs, so which of any customers it knows can be told
without the training data.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._customer_fit import seen_rows

__all__ = [
    "FAR_APART_DAYS",
    "MIN_SHARED_SHARE",
    "PopulationGap",
    "champion_command",
    "known_customers",
    "learned_span",
    "population_gap",
    "score_population_warning",
    "table_version_for",
    "version_source",
    "versions_by_source",
]

MIN_SHARED_SHARE = 0.5
"""Below this share of evaluation (or scored) customers known to the model, it learned others."""
FAR_APART_DAYS = 365
"""Label windows further apart than this (days) belong to another data set, whatever the ids."""


def _cutoffs(model: Any) -> list[pd.Timestamp]:
    rep = getattr(model, "report_", None)
    return [] if rep is None else rep.split.cutoffs()


def known_customers(model: Any, user_ids: pd.Series | np.ndarray) -> np.ndarray | None:
    """Per customer id, whether ``model`` was fitted or calibrated on that customer (at any of
    its cutoffs); None for a model that does not record its rows."""
    seen = getattr(model, "fitted_rows_", None)
    if seen is None:
        return None
    ids = pd.Series(np.asarray(user_ids)).astype(str).to_numpy()
    cuts = _cutoffs(model)
    if not cuts:  # a table without cutoffs: the customer is the row
        return seen_rows(pd.DataFrame({"user_id": ids}), seen)
    known = np.zeros(len(ids), dtype=bool)
    for c in cuts:
        known |= seen_rows(pd.DataFrame({"user_id": ids, "cutoff": c}), seen)
    return known


def learned_span(model: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """From the model's first cutoff to the end of its last label window; None without
    cutoffs or a horizon (a table snapshot)."""
    cuts, h = _cutoffs(model), getattr(model, "horizon_days", None)
    if not cuts or not h:
        return None
    return cuts[0], cuts[-1] + pd.Timedelta(days=int(h))


def _days_apart(a: tuple[pd.Timestamp, pd.Timestamp] | None,
                b: tuple[pd.Timestamp, pd.Timestamp] | None) -> int | None:
    """Days between two spans (0 when they overlap); None when either is unknown."""
    if a is None or b is None:
        return None
    return max(0, (max(a[0], b[0]) - min(a[1], b[1])).days)


@dataclass(frozen=True)
class PopulationGap:
    """Why a candidate and the champion were trained on different populations.

    Attributes:
        shared: evaluation customers of the candidate the champion was fitted on.
        n: evaluation customers of the candidate.
        ours: the candidate's input (``source.input``).
        theirs: the champion's input.
        days_apart: days between the two models' label windows (0: they overlap; None: unknown).
    """

    shared: int
    n: int
    ours: str
    theirs: str
    days_apart: int | None

    def describe(self) -> str:
        """'trained on other customers (0 of 2,452 in common; source a vs b)'."""
        apart = (f"; their label windows lie {self.days_apart:,} days apart"
                 if self.days_apart and self.days_apart > FAR_APART_DAYS else "")
        what = ("other customers" if self.shared < MIN_SHARED_SHARE * self.n
                else "data from another time")
        return (f"trained on {what} ({self.shared:,} of {self.n:,} in common{apart}; source "
                f"{self.ours} vs {self.theirs})")


def population_gap(champion: Any, candidate: Any, user_ids: pd.Series | np.ndarray,
                   ours: str | None, theirs: str | None) -> PopulationGap | None:
    """The gap between the candidate (validated on ``user_ids``, trained on input ``ours``)
    and the champion (input ``theirs``) when they were trained on different populations, else
    None.

    Different (both inputs known): fewer than half of the candidate's evaluation customers are
    customers the champion was fitted on, or the inputs differ and their label windows lie
    more than a year apart. The same file grown by a month (or a renamed export of the same
    customers) is compared as before; two shops' files of one name are not.
    """
    if not ours or not theirs:
        return None
    ids = pd.Series(np.asarray(user_ids)).astype(str).drop_duplicates()
    known = known_customers(champion, ids)
    apart = _days_apart(learned_span(candidate), learned_span(champion))
    shared = int(known.sum()) if known is not None else len(ids)
    few = known is not None and shared < MIN_SHARED_SHARE * len(ids)
    # one input read again (a year later) is one business; two names can still be two
    # businesses (each shop's 'events.csv'): the customers decide, never the name alone
    far = ours != theirs and apart is not None and apart > FAR_APART_DAYS
    if not (few or far):
        return None
    return PopulationGap(shared, len(ids), ours, theirs, apart)


def champion_command(name: str, version: str, why: str) -> str:
    """The command that moves ``name@champion`` to ``version`` by hand."""
    return f"brain promote {name} {version} --reason {shlex.quote(why)}"


def version_source(name: str, version: str) -> str | None:
    """The input a registered version was trained on (its ``source.input`` tag, or its run's
    ``input`` param or ``source.input`` tag); None when unknown."""
    from mlflow import MlflowClient

    try:
        client = MlflowClient()
        mv = client.get_model_version(name, str(version))
        if mv.tags.get("source.input"):
            return str(mv.tags["source.input"])
        run_id = mv.run_id or mv.tags.get("run_id")
        if not run_id:
            return None
        run = client.get_run(run_id)
    except Exception:  # a label only: a registry that cannot tell says nothing
        return None
    return run.data.tags.get("source.input") or run.data.params.get("input") or None


def versions_by_source(name: str, source: str) -> list[str]:
    """Registered versions of ``name`` trained on ``source``, newest first."""
    from mlflow import MlflowClient

    try:
        versions = MlflowClient().search_model_versions(f"name = '{name}'")
    except Exception:
        return []
    newest = sorted((str(v.version) for v in versions), key=int, reverse=True)
    return [v for v in newest if version_source(name, v) == source]


SCORE_SAMPLE = 50_000
"""Customers ``score_population_warning`` checks at most (evenly spaced over those scored)."""


def score_population_warning(model: Any, name: str, label: str, version: str | None,
                             scored_input: str, user_ids: pd.Series) -> str | None:
    """The warning for scoring customers the model (registered ``name`` v``version``, shown as
    ``label``) mostly never learned, from an input other than the one it was trained on; None
    otherwise.

    Not for a model of one table snapshot (no label window, no cutoffs): it scores whoever has
    a row with its columns, and a file of new sign-ups shares no id with its training table by
    design (a check's 800 new CRM customers were told to "train a model on this data", a file
    without labels). A model of stacked cutoffs is judged, with or without a horizon."""
    snapshot = getattr(model, "horizon_days", None) is None and not _cutoffs(model)
    if version is None or not len(user_ids) or snapshot:
        return None
    theirs = version_source(name, version)
    if not theirs:  # (one name can be two shops' files: the customers decide)
        return None
    n_all = len(user_ids)
    ids = pd.Series(np.asarray(user_ids))
    if n_all > SCORE_SAMPLE:  # a share is all it decides: 0.8 s per cutoff per 1M ids spared
        ids = ids.iloc[np.linspace(0, n_all - 1, SCORE_SAMPLE).astype(int)]
    known = known_customers(model, ids)
    if known is None or known.sum() >= MIN_SHARED_SHARE * len(known):
        return None
    of = (f"{int(known.sum()):,} of the {len(known):,}" if len(known) == n_all else
          f"{int(known.sum()):,} of a sample of {len(known):,} of the {n_all:,}")
    other = [v for v in versions_by_source(name, scored_input) if v != version]
    fix = (f"score with the newest version trained on {scored_input}: --model models:/{name}/"
           f"{other[0]}" if other else
           f"train a model on this data (brain train ... on {scored_input}; a registry per "
           "business keeps champions apart: set BRAIN_HOME)")
    return (f"{label} was trained on {theirs}, and {of} customers scored here from "
            f"{scored_input} are customers it was "
            f"fitted on: it learned another customer base, so its scores and tiers may not fit "
            f"these customers. Fix: {fix}")


def table_version_for(name: str, columns: list[str], skip: str | None = None,
                      limit: int = 10) -> tuple[str, str | None] | None:
    """(version, source) of the newest registered version of ``name`` trained on a table whose
    feature columns ``columns`` all hold (at most ``limit`` table versions are opened); None
    when there is none. Event-trained versions (a ``horizon_days`` param) are passed over
    without opening them."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except Exception:
        return None
    have = set(columns)
    opened = 0
    for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
        version = str(mv.version)
        if version == skip or opened >= limit:
            continue
        try:
            run_id = mv.run_id or mv.tags.get("run_id")
            if run_id and "horizon_days" in client.get_run(run_id).data.params:
                continue
            opened += 1
            model = mlflow.pyfunc.load_model(f"models:/{name}/{version}") \
                .unwrap_python_model().model
        except Exception:  # an unreadable version is no answer
            continue
        need = list(getattr(model, "input_features_", None) or [])
        if need and set(need) <= have:
            return version, version_source(name, version)
    return None
