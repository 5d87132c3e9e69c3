"""Whether a log re-exported since a customer model's training still holds what it learned from.

``brain train`` compares the events it reads with the counts the newest earlier version of the
model recorded in its run (tags ``data.start``, ``data.end``, ``data.n_events`` and
``data.n_events_by_type``, written by ``serving._cli_customers``) and prints the note this
module words: rows that arrived late or were edited or deleted, or a purchase-only export read
beside a version trained on a log with visits.
"""

from __future__ import annotations

import json

import pandas as pd

from ._mlflow import configure_mlflow

__all__ = ["rows_changed_since_last_training"]


def rows_changed_since_last_training(name: str, events: pd.DataFrame) -> str | None:
    """A note when ``events`` hold another number of events up to the end of the data the
    newest earlier version of ``name`` learned from (its run's ``data.end`` and
    ``data.n_events`` tags) than that version read, for an export that starts on the same day
    (the same log, re-exported): rows that arrived late or were edited or deleted since. The
    labels of the windows ending by then are recomputed from this file, so earlier results
    (that version's validation figures among them) no longer match it. None otherwise.

    A file without visit rows (a purchase-only order export, a normal input) read beside a
    version trained on a log with visits is said to be that, with what it means for the
    model, not counted as lost rows: the counts are compared per kind of event the file
    holds (``data.n_events_by_type``; a version recorded before it has only the total, and
    the note says the two cannot be told apart). It had read "this file holds 40,573 fewer
    events ... rows that arrived late, or were edited or deleted".
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if events.empty or "ts" not in events.columns:
        return None
    configure_mlflow()
    client = MlflowClient()
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except MlflowException:
        return None
    ts = pd.to_datetime(events["ts"])
    start = str(ts.min().date())
    for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
        try:
            tags = client.get_run(str(mv.run_id)).data.tags
        except MlflowException:
            continue
        if not {"data.start", "data.end", "data.n_events"} <= set(tags):
            continue
        if tags["data.start"] != start:
            return None  # another log (or a cut one): nothing to compare
        end = pd.Timestamp(tags["data.end"])
        if ts.max() < end:
            return None  # an older or shorter export: not a grown one
        within = (ts < end + pd.Timedelta(days=1)).to_numpy()
        then = int(tags["data.n_events"])
        now = int(within.sum())
        kinds = (events["event_type"].astype(str)[within].value_counts()
                 if "event_type" in events.columns else pd.Series(dtype=int))
        visits = bool(kinds.index.isin(_VISIT_KINDS).any())
        then_kinds = _kind_counts(tags.get("data.n_events_by_type"))
        if visits or "event_type" not in events.columns:
            return None if now == then else _changed_text(name, mv.version, start, end,
                                                          then, now)
        # a file without visit rows
        if then_kinds is None:
            if now == then:
                return None
            return (f"this file holds no visit rows and {abs(now - then):,} "
                    f"{'more' if now > then else 'fewer'} events dated {start} .. "
                    f"{end.date()} than {name} v{mv.version} was trained on ({then:,}; now "
                    f"{now:,}); v{mv.version} recorded no counts per kind of event, so whether "
                    "its file held visits (then they are the difference) or rows changed "
                    "since cannot be told here. " + _PURCHASE_ONLY)
        then_visits = sum(v for k, v in then_kinds.items() if k in _VISIT_KINDS)
        same = {k: then_kinds.get(k, 0) for k in kinds.index}
        diff = int(kinds.sum()) - sum(same.values())
        if then_visits == 0:  # both without visits: an ordinary comparison
            return None if now == then else _changed_text(name, mv.version, start, end,
                                                          then, now)
        gone = {k: v for k, v in then_kinds.items() if k not in kinds.index}
        lacks = " and ".join(f"{v:,} {k}" for k, v in sorted(gone.items(), key=lambda kv:
                                                            (-kv[1], kv[0])))
        text = (f"this file holds no visit rows; {name} v{mv.version} was trained on a log "
                f"with them (it held {lacks} rows this file lacks, dated {start} .. "
                f"{end.date()}). " + _PURCHASE_ONLY + ".")
        if diff:
            text += (f" Besides, the kinds both hold differ: this file has {abs(diff):,} "
                     f"{'more' if diff > 0 else 'fewer'} "
                     + ", ".join(f"{k} ({same[k]:,} then, {int(kinds[k]):,} now)"
                                 for k in kinds.index if same[k] != int(kinds[k]))
                     + " rows: rows that arrived late, or were edited or deleted, since that "
                     "training")
        else:
            held = ", ".join(f"{int(v):,} {k}" for k, v in kinds.items())
            text += f" The kinds both hold match: {held} rows, as then"
        return text
    return None


_VISIT_KINDS = ("visit", "page_view")
"""Event types that are visits (``features._users``)."""

_PURCHASE_ONLY = (
    "A log without visits (a purchase-only order export) is a normal input: the visit "
    "features (visits, conversion rate, days since last visit, visit shares) are 0 or empty "
    "for every customer (reasons read 'no visit recorded'), so the model learns from orders "
    "alone, without what visits tell (a customer browsing without buying); churn means no "
    "order in the window and the early warning is judged on orders")


def _kind_counts(text: str | None) -> dict[str, int] | None:
    """``data.n_events_by_type`` as read back from a run's tag; None when absent or unread."""
    if not text:
        return None
    try:
        got = json.loads(text)
    except ValueError:
        return None
    return {str(k): int(v) for k, v in got.items()} if isinstance(got, dict) else None


def _changed_text(name: str, version: str, start: str, end: pd.Timestamp, then: int,
                  now: int) -> str:
    diff = now - then
    return (f"this file holds {abs(diff):,} {'more' if diff > 0 else 'fewer'} events dated "
            f"{start} .. {end.date()} than {name} v{version} was trained on "
            f"({then:,}; now {now:,}): rows that arrived late, or were edited or deleted, "
            f"since that training. Labels of windows ending by {end.date()} are recomputed "
            f"from this file, so v{version}'s validation figures no longer describe exactly "
            "these data")
