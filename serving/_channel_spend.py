"""Whether each channel's acquisitions followed its spend over the snapshot's history.

``POST /channel_value`` divides the value of the customers a channel acquired by the channel's
spend. That ratio says what more spend would buy only if the customers acquired moved with the
spend: true where spend is paid per sign-up (the generated world's default: each day's spend is
its sign-ups times a cost), not where it buys visits and the sign-ups come anyway (``brain data
generate --spend-lever``). ``acquisitions_vs_spend`` reads it from the data, not from any
generator's truth: per channel with spend, the rank correlation of its weekly spend with the
customers first seen per week through it, over the history the snapshot holds.

The first ``SKIP_DAYS`` days of the events are left out: customers there before the records
begin are first seen in them, acquired by no spend of those days (a third of a generated world's
customers). A channel is judged on ``MIN_WEEKS`` weeks or more with ``MIN_PER_WEEK`` customers a
week or more on average; below that ``follows_spend`` is null: fewer give a correlation too
noisy to tell (channels of 1,000-5,000 user worlds whose spend follows the sign-ups measured
0.13-0.56 with 1-5 customers a week, so a threshold there would note some of them).

First seen is not signed up: a customer's first event comes days or weeks after the sign-up,
and where paid visits follow the spend, a pause delays first visits too (on the 5,000 x 500
lever world, seed 11, 0.10-1.08 customers a day were first seen on paused days against
0.65-2.47 on days with spend), so a pause alone does not tell the worlds apart; the weekly
ranks over the whole history do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MIN_RANK_CORRELATION", "acquisitions_vs_spend", "not_following_note"]

SKIP_DAYS = 90
MIN_PER_WEEK = 8
MIN_WEEKS = 26
MIN_RANK_CORRELATION = 0.4
"""Below this rank correlation of weekly spend and weekly acquisitions a channel's
acquisitions did not follow its spend. Measured 2026-12-06 on the channels judged
(docs/serving.md): 0.50-0.68 on four default worlds (20,000 x 730 seeds 7 and 3, 10,000 x 500
seed 13, 5,000 x 500 seed 11), -0.12-0.32 on four spend-lever worlds of the same sizes."""


def _rank_correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None when either is constant."""
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def acquisitions_vs_spend(features: pd.DataFrame, cutoff: pd.Timestamp,
                          spend: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Per channel with spend above 0 in the judged span: the check of ``ChannelSpendCheck``
    (``follows_spend``, ``weekly_rank_correlation``, ...). ``features``: the snapshot's
    (``tenure_days``, ``acquisition_channel``); ``spend``: its spend table (date, channel,
    spend); channels without spend are left out (their rows carry null)."""
    if spend is None or not len(spend) or not len(features):
        return {}
    first = (cutoff - pd.to_timedelta(features["tenure_days"], unit="D")).dt.normalize()
    last = (cutoff - pd.Timedelta(1, "ns")).normalize()
    start = max(first.min() + pd.Timedelta(days=SKIP_DAYS), pd.Timestamp(spend["date"].min()))
    end = min(last, pd.Timestamp(spend["date"].max()))
    n_weeks = ((end - start).days + 1) // 7
    if n_weeks < 1:
        return {}
    start = end - pd.Timedelta(days=7 * n_weeks - 1)  # whole weeks ending on the last day
    days = pd.date_range(start, end, freq="D")
    in_span = spend.loc[(spend["date"] >= start) & (spend["date"] <= end)]
    by_channel = in_span.groupby("channel")["spend"]
    acq = features["acquisition_channel"].astype(object)
    out: dict[str, dict[str, Any]] = {}
    for ch, s in by_channel:
        s_day = s.groupby(in_span.loc[s.index, "date"]).sum().reindex(days, fill_value=0.0)
        if not (s_day > 0).any():
            continue
        mask = (acq == ch).to_numpy() & (first >= start).to_numpy() & (first <= end).to_numpy()
        a_day = first[mask].value_counts().reindex(days, fill_value=0)
        s_week = s_day.to_numpy().reshape(n_weeks, 7).sum(axis=1)
        a_week = a_day.to_numpy().reshape(n_weeks, 7).sum(axis=1)
        rho = _rank_correlation(s_week, a_week)
        customers = int(a_day.sum())
        judged = (customers >= MIN_PER_WEEK * n_weeks and n_weeks >= MIN_WEEKS
                  and rho is not None)
        paused = (s_day <= 0).to_numpy()
        out[str(ch)] = {
            "follows_spend": (rho >= MIN_RANK_CORRELATION) if judged and rho is not None
            else None,
            "weekly_rank_correlation": None if rho is None else round(rho, 4),
            "weeks": n_weeks, "customers": customers,
            "start": str(start.date()), "end": str(end.date()),
            "days_without_spend": int(paused.sum()),
            "acquired_per_day_without_spend": (float(a_day.to_numpy()[paused].mean())
                                               if paused.any() else None),
            "acquired_per_day_with_spend": (float(a_day.to_numpy()[~paused].mean())
                                            if (~paused).any() else None)}
    return out


def not_following_note(check: dict[str, Any]) -> str:
    """The channel row's note when its acquisitions did not follow its spend."""
    pause = ""
    if check["days_without_spend"] and check["acquired_per_day_without_spend"] is not None:
        pause = (f"; on its {check['days_without_spend']} days without spend "
                 f"{check['acquired_per_day_without_spend']:.2f} customers a day were first "
                 f"seen, against {check['acquired_per_day_with_spend']:.2f} on days with spend")
    return (f"the customers acquired did not follow the spend: over the {check['weeks']} weeks "
            f"{check['start']} .. {check['end']} ({check['customers']:,} customers first seen), "
            f"weekly spend and weekly acquisitions ranked together at "
            f"{check['weekly_rank_correlation']:.2f} (under {MIN_RANK_CORRELATION}){pause}; so "
            "value_to_cost (the value of the customers acquired per unit of spend) does not "
            "say what more spend would buy (the spend may buy visits, not customers)")
