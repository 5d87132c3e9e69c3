"""Labels for a window after the cutoff, and training sets stacked over several cutoffs.

The label window is ``[cutoff, cutoff + horizon_days)``. The population is every user with an
event before the cutoff (the rows ``user_features`` returns), so features and labels join 1:1.

- ``label_purchase``: 1 if the user places at least one order in the window;
- ``label_churn``: 1 if the user places no order in the window (with ``churn_needs_no_visit``:
  and does not visit either);
- ``label_value``: purchase revenue minus refunds in the window, floored at 0 (refunds of orders
  placed before the cutoff can make a window's net negative; the value a customer will bring
  is not below zero, and the value model's target must not be).

A window that runs past the last event in the data would mislabel everyone as churned, so it is
an error that names the last usable cutoff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ._users import Vocabulary, _type_mask, user_features

__all__ = ["build_training_set", "cutoff_schedule", "make_labels"]

LABELS = ("label_churn", "label_purchase", "label_value")


def _check_window(events: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int) -> None:
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    last = events["ts"].max()
    end = cutoff + pd.Timedelta(days=horizon_days)
    if pd.isna(last) or end > last.normalize() + pd.Timedelta(days=1):
        latest = (last.normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=horizon_days)
                  if not pd.isna(last) else None)
        raise ValueError(
            f"label window {cutoff.date()} + {horizon_days} days ends after the last event "
            f"({last}); labels would be incomplete. Use a cutoff on or before "
            f"{latest.date() if latest is not None else '-'} or a shorter horizon")


def make_labels(events: pd.DataFrame, cutoff: str | pd.Timestamp, horizon_days: int = 90, *,
                churn_needs_no_visit: bool = False, users: Sequence | None = None
                ) -> pd.DataFrame:
    """Labels per user for the ``horizon_days`` after ``cutoff``.

    ``users`` sets the population (default: users with an event before the cutoff).
    """
    cutoff = pd.Timestamp(cutoff)
    _check_window(events, cutoff, horizon_days)
    ts = events["ts"].to_numpy()
    c64 = cutoff.to_datetime64()
    if users is None:
        users = pd.unique(events.loc[ts < c64, "user_id"])
    users_idx = pd.Index(users)
    win = (ts >= c64) & (ts < (cutoff + pd.Timedelta(days=horizon_days)).to_datetime64())
    ev = events.loc[win]
    pos = users_idx.get_indexer(ev["user_id"])
    known = pos >= 0
    n = len(users_idx)
    et = ev["event_type"]
    buy = _type_mask(et, ("purchase",)) & known
    refund = _type_mask(et, ("refund",)) & known
    visit = _type_mask(et, ("visit", "page_view")) & known
    rev = ev["revenue"].to_numpy(dtype=np.float64)
    orders = np.bincount(pos[buy], minlength=n)
    value = np.maximum(np.bincount(pos[buy], weights=rev[buy], minlength=n)
                       + np.bincount(pos[refund], weights=rev[refund], minlength=n), 0.0)
    churn = orders == 0
    if churn_needs_no_visit:
        churn &= np.bincount(pos[visit], minlength=n) == 0
    return pd.DataFrame({
        "user_id": users_idx.to_numpy(),
        "cutoff": np.repeat(c64, n),
        "label_churn": churn.astype(np.int8),
        "label_purchase": (orders > 0).astype(np.int8),
        "label_value": value,
    })


def cutoff_schedule(events: pd.DataFrame, horizon_days: int, n_cutoffs: int = 4,
                    step_days: int = 30, last: str | pd.Timestamp | None = None
                    ) -> list[pd.Timestamp]:
    """``n_cutoffs`` cutoffs ``step_days`` apart ending at ``last`` (default: the latest cutoff
    whose label window fits in the data), oldest first."""
    if last is None:
        end = events["ts"].max().normalize() + pd.Timedelta(days=1)
        last = end - pd.Timedelta(days=horizon_days)
    latest = pd.Timestamp(last).normalize()
    cutoffs = [latest - pd.Timedelta(days=step_days * i) for i in range(n_cutoffs)][::-1]
    first_event = events["ts"].min()
    if cutoffs[0] <= first_event:
        first_day = first_event.normalize()
        end = events["ts"].max().normalize() + pd.Timedelta(days=1)
        span = (end - first_day).days
        raise ValueError(
            f"the earliest of {n_cutoffs} cutoffs {step_days} days apart ({cutoffs[0].date()}) "
            f"is not after the first event ({first_event.date()}): the events cover {span} "
            f"days ({first_day.date()} to {(end - pd.Timedelta(days=1)).date()}), and "
            f"{horizon_days}-day label windows leave {(latest - first_day).days} days before "
            f"the latest cutoff ({latest.date()}); "
            + _fitting_schedule(span, (latest - first_day).days, horizon_days, n_cutoffs))
    return cutoffs


MIN_HISTORY_DAYS = 28
"""History a suggested cutoff schedule keeps before its first cutoff (``cutoff_schedule``'s
error)."""


def _fitting_schedule(span: int, before_last: int, horizon: int, n_cutoffs: int) -> str:
    """The advice of ``cutoff_schedule``'s error: a step, fewer cutoffs or a 30-day window
    that fit the data with ``MIN_HISTORY_DAYS`` before the first cutoff. It had said only
    'use fewer cutoffs or a smaller step', which four months of data and a 90-day churn
    window cannot follow (two cutoffs 30 days apart still start on the first event)."""
    keep = f"(keeping {MIN_HISTORY_DAYS} days of history before the first cutoff)"
    for n in dict.fromkeys((n_cutoffs, 3)):
        if n < 2 or n > n_cutoffs:
            continue
        step = (before_last - MIN_HISTORY_DAYS) // (n - 1)
        if step >= 7:
            more = f"--cutoffs {n} " if n != n_cutoffs else ""
            return f"use {more}--step-days {step} {keep}"
    short = 30
    if horizon > short and n_cutoffs > 1:
        step = (span - short - MIN_HISTORY_DAYS) // (n_cutoffs - 1)
        if step >= 7:
            return (f"use a shorter window, e.g. --horizon {short} --step-days {step} {keep}, "
                    "or fewer cutoffs or a smaller step (--cutoffs, --step-days)")
    return ("use fewer cutoffs, a smaller step or a shorter window (--cutoffs, --step-days, "
            f"--horizon): the data are short for {n_cutoffs} cutoffs of {horizon}-day windows")


def build_training_set(events: pd.DataFrame, cutoffs: Sequence[str | pd.Timestamp],
                       horizon_days: int = 90, *, calendar: pd.DataFrame | None = None,
                       churn_needs_no_visit: bool = False,
                       vocabulary: Vocabulary | None = None,
                       progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Features and labels stacked over ``cutoffs``: one row per (user_id, cutoff).

    One vocabulary is used for every cutoff so the columns line up: ``vocabulary``, or by
    default the one of the events before the latest cutoff (``Vocabulary.from_events``, its
    category and channel caps). Validate on later cutoffs than you train on.

    ``attrs["point_in_time_features"]`` lists the feature columns, all computed from events
    before each row's cutoff: ``training``'s leakage guard does not suspect them (a recency
    column that nearly determines 90-day churn of weekly shoppers is real signal, not a leak).
    The mark is lost when the frame is written to a file and read back as a table.
    """
    cuts = sorted(pd.Timestamp(c) for c in cutoffs)
    if not cuts:
        raise ValueError("build_training_set needs at least one cutoff")
    for c in cuts:
        _check_window(events, c, horizon_days)
    vocab = vocabulary or Vocabulary.from_events(events, cuts[-1])
    frames = []
    for i, c in enumerate(cuts):
        feats = user_features(events, c, vocabulary=vocab, calendar=calendar)
        labels = make_labels(events, c, horizon_days, users=feats["user_id"],
                             churn_needs_no_visit=churn_needs_no_visit)
        frames.append(feats.merge(labels, on=["user_id", "cutoff"], validate="1:1"))
        if progress is not None:
            progress(i + 1, len(cuts))
    out = pd.concat(frames, ignore_index=True)
    for col in ("top_category", "top_purchase_category", "top_channel", "acquisition_channel"):
        out[col] = out[col].astype("category")
    # what the labels mean, recorded by the model fitted on them (CustomerModel.labels_)
    out.attrs["labels"] = {"horizon_days": int(horizon_days),
                           "churn_needs_no_visit": bool(churn_needs_no_visit)}
    out.attrs["point_in_time_features"] = tuple(
        c for c in out.columns if c not in ("user_id", "cutoff") and not c.startswith("label_"))
    return out
