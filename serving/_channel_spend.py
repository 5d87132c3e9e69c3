"""Whether each channel's acquisitions followed its spend over the snapshot's history.

``POST /channel_value`` divides the value of the customers a channel acquired by the channel's
spend. That ratio says what more spend would buy only if the customers acquired moved with the
spend: true where spend is paid per sign-up (the generated world's default: each day's spend is
its sign-ups times a cost), not where it buys visits and the sign-ups come anyway (``brain data
generate --spend-lever``: the sign-ups are drawn from the season alone, whatever the spend).
``acquisitions_vs_spend`` reads it from the data, not from any generator's truth: per channel
with spend, the rank correlation of the customers first seen per week through it with its
spend over that week and the ``LAG_WEEKS`` weeks before, over the history the snapshot holds,
and an interval for it from the number of weeks.

First seen is not signed up: a customer's first event comes days or weeks after the sign-up
(generated worlds: 46% in the sign-up's week, 20% the week after, 11% the one after that, 16%
four weeks or more later), so a week's first-seen customers were bought by the spend of that
week and of the weeks before. Against the week's spend alone the default worlds' channels
ranked at 0.37-0.75 and the lever worlds' at -0.12-0.46 (channels with 8 customers a week or
more, eight worlds of each); with the two weeks before, 0.46-0.70 and -0.26-0.30
(docs/serving.md).

The first ``SKIP_DAYS`` days of the events are left out: customers there before the records
begin are first seen in them, acquired by no spend of those days (a third of a generated world's
customers). ``follows_spend`` is true when the correlation's 90% interval lies at or above
``MIN_RANK_CORRELATION``, false when it lies below, and null when it holds it (not weeks enough
to tell), on fewer than ``MIN_WEEKS`` weeks, or with fewer than ``MIN_PER_WEEK`` customers a
week on average: so few customers pull the correlation towards 0 whatever the spend did
(default-world channels of 0.26 a week ranked at 0.18, whose interval lay under 0.4).

The interval is Fisher's z of the rank correlation with Bonett and Wright's standard error,
over the weeks' effective number: weekly series that move slowly (monthly budgets, seasons)
hold fewer independent weeks than they have, n x (1 - r1 x r2) / (1 + r1 x r2) with r1 and r2
the two ranked series' lag-1 autocorrelations (when their product is above 0).

Tried and not kept (measured 2026-12-06, docs/serving.md): taking the season out first (the
partial correlation given the other channels' first-seen customers, or week-over-week
changes) took the default worlds' signal out with it (0.15-0.54 and 0.04-0.48 against the
lever worlds' -0.09-0.36 and -0.19-0.30): there the spend moves with the sign-ups, and the
sign-ups with the season.

References:
    Bonett, D. G. and Wright, T. A. (2000). Sample size requirements for estimating Pearson,
    Kendall and Spearman correlations. Psychometrika 65(1), 23-28.
    Bretherton, C. S. et al. (1999). The effective number of spatial degrees of freedom of a
    time-varying field. Journal of Climate 12(7), 1990-2009 (the AR(1) effective sample size).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MIN_RANK_CORRELATION", "acquisitions_vs_spend", "not_following_note",
           "rank_correlation_interval"]

SKIP_DAYS = 90
MIN_PER_WEEK = 1
MIN_WEEKS = 26
LAG_WEEKS = 2
"""A week's first-seen customers are ranked with the spend of that week and of this many
weeks before (read from before the compared weeks when the spend table has them)."""
CONFIDENCE = 0.90
_Z = 1.6448536269514722  # the standard normal's 95th percentile: a two-sided 90% interval
MIN_RANK_CORRELATION = 0.4
"""The rank correlation, of the weekly first-seen customers and the spend of the week and the
two before, that separates channels whose acquisitions followed their spend from those whose
did not. Measured 2026-12-06 (docs/serving.md) on channels with 8 customers a week or more:
0.46-0.70 on eight default worlds, -0.26-0.30 on eight spend-lever worlds."""


def _rank_correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None when either is constant."""
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def _lag1(v: np.ndarray) -> float:
    """Lag-1 autocorrelation of ``v`` (0 when either part is constant)."""
    a, b = v[:-1], v[1:]
    if len(v) < 3 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def rank_correlation_interval(x: np.ndarray, y: np.ndarray
                              ) -> tuple[float, float, float, float] | None:
    """Spearman's rank correlation of ``x`` and ``y`` (weekly series), its 90% interval and
    the effective number of weeks: ``(rho, low, high, effective_weeks)``; None when either is
    constant. The interval is ``tanh(atanh(rho) -+ z se)`` with ``se = sqrt((1 + rho^2 / 2)
    / (n_eff - 3))`` (Bonett and Wright 2000) and ``n_eff = n (1 - r1 r2) / (1 + r1 r2)``
    from the ranked series' lag-1 autocorrelations (Bretherton et al. 1999), n when their
    product is 0 or less; (-1, 1) when n_eff is 4 or less."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"rank_correlation_interval: x and y need the same length, got "
                         f"{len(x)} and {len(y)}")
    rho = _rank_correlation(x, y)
    if rho is None:
        return None
    rx, ry = pd.Series(x).rank().to_numpy(), pd.Series(y).rank().to_numpy()
    p = _lag1(rx) * _lag1(ry)
    n_eff = len(x) * (1 - p) / (1 + p) if p > 0 else float(len(x))
    if n_eff <= 4:
        return rho, -1.0, 1.0, n_eff
    se = np.sqrt((1 + rho**2 / 2) / (n_eff - 3))
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    return rho, float(np.tanh(z - _Z * se)), float(np.tanh(z + _Z * se)), n_eff


def acquisitions_vs_spend(features: pd.DataFrame, cutoff: pd.Timestamp,
                          spend: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Per channel with spend above 0 in the judged span: the check of ``ChannelSpendCheck``
    (``follows_spend``, ``weekly_rank_correlation`` and its interval, ...). ``features``: the
    snapshot's (``tenure_days``, ``acquisition_channel``); ``spend``: its spend table (date,
    channel, spend); channels without spend are left out (their rows carry null)."""
    if spend is None or not len(spend) or not len(features):
        return {}
    first = (cutoff - pd.to_timedelta(features["tenure_days"], unit="D")).dt.normalize()
    last = (cutoff - pd.Timedelta(1, "ns")).normalize()
    spend_start = pd.Timestamp(spend["date"].min())
    start = max(first.min() + pd.Timedelta(days=SKIP_DAYS), spend_start)
    end = min(last, pd.Timestamp(spend["date"].max()))
    n_weeks = ((end - start).days + 1) // 7
    # the weeks before the span whose spend bought its first weeks' customers: read from the
    # spend table when it has them, else the span's first weeks are left out
    before = (end - pd.Timedelta(days=7 * n_weeks - 1) - spend_start).days // 7
    n_weeks -= max(LAG_WEEKS - before, 0)
    if n_weeks < 1:
        return {}
    start = end - pd.Timedelta(days=7 * n_weeks - 1)  # whole weeks ending on the last day
    spend_from = start - pd.Timedelta(days=7 * LAG_WEEKS)
    days = pd.date_range(start, end, freq="D")
    in_span = spend.loc[(spend["date"] >= spend_from) & (spend["date"] <= end)]
    by_channel = in_span.groupby("channel")["spend"]
    acq = features["acquisition_channel"].astype(object)
    out: dict[str, dict[str, Any]] = {}
    for ch, s in by_channel:
        s_all = s.groupby(in_span.loc[s.index, "date"]).sum().reindex(
            pd.date_range(spend_from, end, freq="D"), fill_value=0.0)
        s_day = s_all.iloc[7 * LAG_WEEKS:]
        if not (s_day > 0).any():
            continue
        mask = (acq == ch).to_numpy() & (first >= start).to_numpy() & (first <= end).to_numpy()
        a_day = first[mask].value_counts().reindex(days, fill_value=0)
        s_week = s_all.to_numpy().reshape(n_weeks + LAG_WEEKS, 7).sum(axis=1)
        # each week's spend with the LAG_WEEKS weeks' before it
        s_lagged = np.convolve(s_week, np.ones(LAG_WEEKS + 1))[LAG_WEEKS:LAG_WEEKS + n_weeks]
        a_week = a_day.to_numpy().reshape(n_weeks, 7).sum(axis=1)
        ci = rank_correlation_interval(s_lagged, a_week)
        customers = int(a_day.sum())
        verdict = None
        if ci is not None and customers >= MIN_PER_WEEK * n_weeks and n_weeks >= MIN_WEEKS:
            verdict = (True if ci[1] >= MIN_RANK_CORRELATION
                       else False if ci[2] < MIN_RANK_CORRELATION else None)
        paused = (s_day <= 0).to_numpy()
        out[str(ch)] = {
            "follows_spend": verdict,
            "weekly_rank_correlation": None if ci is None else round(ci[0], 4),
            "rank_correlation_low": None if ci is None else round(ci[1], 4),
            "rank_correlation_high": None if ci is None else round(ci[2], 4),
            "effective_weeks": None if ci is None else round(ci[3], 1),
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
            f"the weekly acquisitions and the spend of the week and the {LAG_WEEKS} before "
            f"ranked together at {check['weekly_rank_correlation']:.2f} ({CONFIDENCE:.0%} "
            f"interval {check['rank_correlation_low']:.2f} .. "
            f"{check['rank_correlation_high']:.2f}, under {MIN_RANK_CORRELATION}){pause}; so "
            "value_to_cost (the value of the customers acquired per unit of spend) does not "
            "say what more spend would buy (the spend may buy visits, not customers)")
