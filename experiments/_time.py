"""Effects over time: cumulative and daily effects by calendar day, effects by days since each
unit's first exposure, and a check for an effect that fades (novelty) or grows (learning).

Two shapes of input carry a date (``time_col``):

* one row per unit (``level`` "unit"): the date is the unit's exposure (assignment) day and
  its outcomes are not dated. The cumulative effect on day d takes the units exposed on or
  before d; the daily effect the units exposed on d (an entry cohort). There is no view by
  days since exposure: that needs dated outcomes.
* dated outcome rows of units named by ``unit_col`` (one row per unit and day, or per event;
  ``level`` "event"): a unit's first date is its exposure. The cumulative effect on day d sums
  each unit's rows up to d, over the units exposed by then (on the last day it is the
  headline); the daily effect takes the rows of d alone over the same units (a unit without a
  row that day counts 0: dropping it would condition on an outcome of the treatment); the
  exposure-day view takes the rows on day k since each unit's exposure, over the units
  observed for k days.

Every point is analysed with the headline's own estimator (``analyze_summary`` on the slice's
per-unit values: CUPED, ratio metrics, caps, Welch or z, Fisher for a flat 0/1 arm), without
multiplicity correction. The novelty check compares the first ``EARLY_DAYS`` days of exposure
with the days from ``LATE_FROM`` on, within the same units (see ``TimeTrend``).

References: Deng, Knoblich & Lu (2018), "Applying the delta method in metric analytics" (KDD),
for the delta method on ratios and log lifts; Kohavi, Tang & Xu (2020), "Trustworthy online
controlled experiments" (Cambridge University Press), for novelty and primacy effects and
reading them by days since exposure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param, first_rows
from experiments._metrics import Metric, _numeric
from experiments._multiple import adjust_p_values
from experiments._results import Comparison, TimePoint, TimeTrend, TimeView
from experiments._units import _ID_LIKE

if TYPE_CHECKING:
    from experiments._analysis import AnalysisOptions
    from experiments._exposure import Exposure

__all__ = ["EARLY_DAYS", "LATE_FROM", "MAX_DAYS", "TREND_ALPHA", "check_time_input", "parse_days",
           "time_table", "time_view"]

EARLY_DAYS = 3
"""The novelty check's early window: days 0, 1 and 2 of each unit's exposure."""
LATE_FROM = 7
"""The novelty check's late window: from day 7 of each unit's exposure to the last date."""
TREND_ALPHA = 0.01
"""The change between the windows is flagged below this p-value (and only when the early or
the late effect is itself significant at the analysis' alpha): a time view is looked at for
every metric and variant of every test, so its warning must be rare when nothing changes
(measured false-alarm rates in docs/experiments.md)."""
MIN_TREND_UNITS = 20
"""Units per arm observed in both windows below which the check is not run (a note says so)."""
MAX_DAYS = 370
"""More calendar days than this between the first and last date is an error: a time view is
read by day, and a timestamp column of seconds over years is more likely a wrong column."""


def parse_days(frame: pd.DataFrame, time_col: str, source: str) -> pd.Series:
    """``time_col`` as calendar days (datetime64, midnight), or ``ExperimentInputError`` naming
    the values that are missing or not dates and their rows (nothing is dropped)."""
    days = parse_times(frame, time_col, source).dt.normalize()
    span = int((days.max() - days.min()).days) + 1
    if span > MAX_DAYS:
        raise ExperimentInputError(
            f"{source}: time column {time_col!r} spans {span:,} days ({days.min().date()} to "
            f"{days.max().date()}), more than {MAX_DAYS}; a time view is read by day. Fix: "
            "check the column (a birth date? a first-seen date from years ago?) or pass the "
            "experiment's own rows only."
        )
    return days


def parse_times(frame: pd.DataFrame, time_col: str, source: str,
                param: Literal["time_col", "exposure_col"] = "time_col",
                allow_missing: bool = False) -> pd.Series:
    """``time_col`` as timestamps (datetime64; a UTC offset dropped, keeping each timestamp's
    own local time), or ``ExperimentInputError`` naming the values that are missing (unless
    ``allow_missing``: they are then NaT) or not dates and their rows. ``param`` is the input
    that named the column (``time_col`` or ``exposure_col``)."""
    label = "time column" if param == "time_col" else "exposure column"
    named = Param("time_col") if param == "time_col" else Param("exposure_col")
    if time_col not in frame.columns:
        raise ExperimentInputError(
            f"{source}: {label} {time_col!r} is missing; received columns "
            f"{list(frame.columns)}. Fix: pass ", named,
            " with the column holding each row's date or timestamp (e.g. exposure_date)."
        )
    raw = frame[time_col]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype) \
            and not (allow_missing and raw.isna().all()):
        shown = [str(v) for v in raw.head(3).tolist()]
        raise ExperimentInputError(
            f"{source}: {label} {time_col!r} holds numbers ({shown}), not dates; a number "
            "could be a day index, a Unix time in seconds or milliseconds, or 20261105. Fix: "
            "write dates (e.g. 2026-11-05) or pass ", named, " with a date column."
        )
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        parsed = raw
    else:
        # a UTC offset after a time is dropped, keeping each timestamp's own calendar day
        # (offsets that differ between rows had stopped pandas with "Mixed timezones"), as is
        # a 'UTC' or 'GMT' word (BigQuery's '2026-11-05 10:00:00 UTC' was not ISO for pandas,
        # and read day first '2026-11-05' is 11 May)
        text = raw.astype("string").str.strip().str.replace(
            r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$",
            r"\1", regex=True, case=False)
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if parsed.isna().all() and text.notna().any():
            # not ISO: one format for the column (see _other_format); a column with ISO dates
            # keeps its other cells as errors ('2026-13-01' is no 13 January)
            parsed = _other_format(text, time_col, source)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)  # the local calendar day of each timestamp
    parsed = pd.to_datetime(parsed, errors="coerce")
    missing = (raw.isna() | (raw.astype("string").str.strip() == "")).to_numpy(dtype=bool)
    bad = np.flatnonzero(parsed.isna().to_numpy() & ~(missing if allow_missing else False))
    if bad.size:
        shown = ["(missing)" if pd.isna(v) or not str(v).strip() else str(v)
                 for v in raw.iloc[bad[:3]].tolist()]
        what = "not dates" if allow_missing else "missing or not dates"
        raise ExperimentInputError(
            f"{source}: {label} {time_col!r} has {bad.size:,} values that are {what} (first "
            f"{first_rows(source, bad)}: {shown}). Rows are never dropped silently. Fix: write "
            "them as dates (e.g. 2026-11-05) or remove those rows explicitly."
        )
    return parsed.reset_index(drop=True)


def _other_format(text: pd.Series, time_col: str, source: str) -> pd.Series:
    """Dates that are not ISO, read with one format inferred for the column, month first or
    day first: the one that reads every cell, or raise when both do and disagree ('05/11/2026'
    is 11 May or 5 November; read cell by cell, '05/11' and '13/11' had become May and
    November in one column)."""
    import warnings

    with warnings.catch_warnings():  # "could not infer format": the cells are then NaT
        warnings.simplefilter("ignore", UserWarning)
        month = pd.to_datetime(text, errors="coerce", dayfirst=False)
        day = pd.to_datetime(text, errors="coerce", dayfirst=True)
    present = text.notna() & (text != "")
    if month[present].notna().all() and day[present].notna().all() and not month.equals(day):
        differ = np.flatnonzero(((month != day) & present).to_numpy())
        example = str(text.iloc[differ[0]])
        raise ExperimentInputError(
            f"{source}: time column {time_col!r} has dates such as {example!r} that read as "
            f"{month.iloc[differ[0]].date()} (month first) or {day.iloc[differ[0]].date()} (day "
            f"first), and every date of the column reads both ways. Fix: write the dates as "
            "ISO (2026-11-05), or day-first dates with a day over 12 among them."
        )
    return day if day.notna().sum() > month.notna().sum() else month


def _unit_level_repeats(frame: pd.DataFrame, days: pd.Series, time_col: str,
                        skip: Sequence[str | None], source: str) -> None:
    """Raise when a column named like a unit id repeats with different dates in a file read as
    one row per unit: with a date per row, each row would be one unit exposed on its day."""
    for col in frame.columns:
        if col in skip or not _ID_LIKE.match(str(col)):
            continue
        ids = frame[col].reset_index(drop=True)
        if ids.nunique() < max(20, 0.01 * len(frame)):
            continue
        per_id = days.groupby(ids.to_numpy()).nunique()
        several = per_id.index[per_id.to_numpy() > 1]
        if not len(several):
            continue
        shown = []
        for uid in several[:3]:
            ds = sorted({str(d.date()) for d in days[(ids == uid).to_numpy()]})
            shown.append(f"{uid!r}: {', '.join(ds[:3])}{', ...' if len(ds) > 3 else ''}")
        raise ExperimentInputError(
            f"{source}: column {col!r} looks like a unit id and {len(several):,} of its ids have "
            f"rows on several dates of {time_col!r} (e.g. {'; '.join(shown)}). Read as one row "
            "per unit, each row would be a unit exposed on its own date, so those units would "
            "count once per date. Fix: pass ",
            Param("unit_col"), f" {col} (rows are then dated outcomes of units, whose first date "
            "is their exposure), or give one row per unit with its first exposure date."
        )


def check_time_input(frame: pd.DataFrame, time_col: str, variant_col: str,
                     unit_col: str | None, segment_col: str | None, source: str) -> pd.Series:
    """The calendar days of ``time_col`` (see ``parse_days``), after checking that without
    ``unit_col`` no id-like column has rows on several dates."""
    days = parse_days(frame, time_col, source)
    if unit_col is None:
        _unit_level_repeats(frame.reset_index(drop=True), days, time_col,
                            (variant_col, segment_col, time_col), source)
    return days


def _slice_comparisons(u: _Units, units: np.ndarray, cells: np.ndarray, control: str,
                       metrics: Sequence[Metric], opts: AnalysisOptions, variant_col: str,
                       source: str) -> list[Comparison]:
    """The headline's comparisons on one slice: the ``units`` (a mask), each with the sums of
    its ``cells`` (a mask); none when control has fewer than 2 units there (arms with fewer
    are left out)."""
    from experiments._analysis import analyze_summary

    summary = u.summary(units, cells, metrics)
    counts = summary.drop_duplicates("variant").set_index("variant")["n"]
    if counts.get(control, 0) < 2 or len(counts) < 2:
        return []
    try:
        res = analyze_summary(summary, control, metrics, options=opts, variant_col=variant_col,
                              source=source, on_undefined="warn", caps_applied=True,
                              nonnegative=u.nonnegative)
    except ExperimentInputError:
        return []
    return list(res.comparisons)


def _point(c: Comparison, view: Literal["cumulative", "daily", "exposure_day"],
           date: str | None, k: int | None, segment: str | None = None) -> TimePoint:
    return TimePoint(c.metric, c.variant, view, date, k, c.n_control, c.n_variant,
                     c.control_mean, c.variant_mean, c.absolute_effect, c.ci_low, c.ci_high,
                     c.relative_effect, c.relative_ci_low, c.relative_ci_high, c.p_value,
                     segment)


class _Units:
    """Per-unit attributes and per-(unit, day) sums of the summed columns."""

    def __init__(self, frame: pd.DataFrame, days: pd.Series, variant_col: str,
                 metrics: Sequence[Metric], unit_col: str | None, source: str,
                 segment_col: str | None = None, exposure: Exposure | None = None) -> None:
        keep = np.ones(len(frame), dtype=bool) if exposure is None else ~exposure.before
        starts = days if exposure is None else exposure.at.dt.normalize()
        day0 = min(days[keep].min() if keep.any() else starts.min(), starts.min())
        self.day0 = day0
        day_index = ((days - day0).dt.days).to_numpy(dtype=np.int64)
        if unit_col is None:
            codes = np.arange(len(frame))
        else:
            codes = pd.factorize(frame[unit_col].reset_index(drop=True))[0]
        self.n = int(codes.max()) + 1 if len(codes) else 0
        self.first = np.full(self.n, np.iinfo(np.int64).max)
        # a unit's exposure: its first dated row, or the day of its exposure timestamp
        np.minimum.at(self.first, codes, ((starts - day0).dt.days).to_numpy(dtype=np.int64))
        if exposure is not None:
            # a row kept at or after its unit's exposure instant whose own calendar day is
            # earlier (zones apart: 23:30Z after 01:00+02:00 the next day) counts on the
            # exposure day, or it would be in the headline but in no exposure-day window
            day_index = np.where(keep, np.maximum(day_index, self.first[codes]), day_index)
        firsts = np.unique(codes, return_index=True)[1]
        self.variant = frame[variant_col].astype(str).to_numpy()[firsts]
        self.arm_names, self.arm = np.unique(self.variant, return_inverse=True)
        # a unit's segment (one per unit: aggregate_units checks it), as text like the
        # segment breakdown's
        self.segment = (frame[segment_col].astype(str).to_numpy()[firsts]
                        if segment_col is not None else None)
        self.summed = list(dict.fromkeys(c for m in metrics for c in (m.column, m.denominator)
                                         if c))
        self.covariates = {c: _numeric(frame, c, variant_col, source)[firsts]
                           for c in dict.fromkeys(m.covariate for m in metrics if m.covariate)}
        cells = pd.DataFrame({"unit": codes, "day": day_index})
        for col in self.summed:
            cells[col] = _numeric(frame, col, variant_col, source)
        cells = cells[keep]  # rows before their unit's exposure are no outcome of it
        grouped = cells.groupby(["unit", "day"], sort=True).sum().reset_index()
        self.cell_unit = grouped["unit"].to_numpy()
        self.cell_day = grouped["day"].to_numpy()
        self.cell_values = {c: grouped[c].to_numpy(dtype=float) for c in self.summed}
        self.nonnegative = frozenset(
            m.name for m in metrics if all((self.cell_values[c] >= 0).all()
                                           for c in (m.column, m.denominator) if c))
        self.last = int(day_index[keep].max()) if keep.any() else int(self.first.max())
        self.event = bool(unit_col is not None
                          and (self.cell_day != self.first[self.cell_unit]).any())

    def summary(self, units: np.ndarray, cells: np.ndarray, metrics: Sequence[Metric]
                ) -> pd.DataFrame:
        """The aggregate table (``experiments._metrics.summarize``'s) of the ``units`` (a
        mask), each unit's metric columns summed over the ``cells`` (a mask) and capped as the
        headline caps them; arms with fewer than 2 units are left out."""
        arm = self.arm[units]
        k = len(self.arm_names)
        n = np.bincount(arm, minlength=k)
        sums: dict[str, np.ndarray] = {}
        for col in self.summed:
            sums[col] = np.bincount(self.cell_unit[cells], weights=self.cell_values[col][cells],
                                    minlength=self.n)[units]
        rows = []
        for m in metrics:
            x = sums[m.column] if m.cap is None else np.minimum(sums[m.column], m.cap)
            y = None
            if m.denominator:
                y = sums[m.denominator]
            elif m.covariate:
                y = self.covariates[m.covariate][units]
                if m.covariate_cap is not None:
                    y = np.minimum(y, m.covariate_cap)
            stats = {"sum": x, "sum_sq": x * x}
            if y is not None:
                stats |= {"y_sum": y, "y_sum_sq": y * y, "xy_sum": x * y}
            totals = {key: np.bincount(arm, weights=v, minlength=k) for key, v in stats.items()}
            for i, name in enumerate(self.arm_names):
                if n[i] < 2:
                    continue
                rows.append({"variant": str(name), "metric": m.name, "n": int(n[i]),
                             **{key: float(totals[key][i]) if key in totals else np.nan
                                for key in ("sum", "sum_sq", "y_sum", "y_sum_sq", "xy_sum")}})
        out = pd.DataFrame(rows, columns=["variant", "metric", "n", "sum", "sum_sq", "y_sum",
                                          "y_sum_sq", "xy_sum"])
        return out.astype({"n": "int64"})

    def date(self, d: int) -> str:
        return str((self.day0 + pd.Timedelta(days=d)).date())


def _window(u: _Units, m: Metric, kind: str, lo: int, hi: int | None, eligible: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per eligible unit, the window's numerator and denominator sums (days of the window for
    a metric that is not a ratio) over days ``lo`` .. ``hi - 1`` of its exposure."""
    since = u.cell_day - u.first[u.cell_unit]
    mask = (since >= lo) if hi is None else ((since >= lo) & (since < hi))
    num = np.bincount(u.cell_unit[mask], weights=u.cell_values[m.column][mask],
                      minlength=u.n)[eligible]
    if kind == "ratio" and m.denominator:
        den = np.bincount(u.cell_unit[mask], weights=u.cell_values[m.denominator][mask],
                          minlength=u.n)[eligible]
    else:
        end = u.last + 1 - u.first[eligible]
        den = (np.minimum(end, hi) if hi is not None else end) - lo
        den = den.astype(float)
    return num, den


def _direction(log_early: float, log_late: float, early_sig: bool, late_sig: bool
               ) -> Literal["fades", "grows", "reverses"]:
    """How a flagged effect changed, read from the window(s) whose effect is significant:
    only the early one, "fades"; only the late one, "grows"; both, by their sizes, or
    "reverses" when their signs differ (a noisy early -5% beside a late +3% had read "fades"
    for a growing effect when the sizes alone decided)."""
    if early_sig and late_sig:
        if np.sign(log_early) != np.sign(log_late):
            return "reverses"
        return "fades" if abs(log_early) > abs(log_late) else "grows"
    return "fades" if early_sig else "grows"


def _trend(u: _Units, m: Metric, kind: str, control: str, variant: str, alpha: float,
           within: np.ndarray | None = None, segment: str | None = None,
           segment_col: str | None = None) -> TimeTrend | str:
    """The novelty / learning check of one metric and variant among the units ``within`` (a
    mask: a segment's; None for all units), or a note saying why it could not be run."""
    from scipy import stats

    head = _head(m.name, variant, segment, segment_col)
    observed = u.first <= u.last - LATE_FROM
    eligible = np.flatnonzero(observed if within is None else observed & within)
    arms = u.variant[eligible]
    ne, de = _window(u, m, kind, 0, EARLY_DAYS, eligible)
    nl, dl = _window(u, m, kind, LATE_FROM, None, eligible)
    parts = {}
    for arm in (control, variant):
        sel = arms == arm
        n = int(sel.sum())
        if n < MIN_TREND_UNITS:
            return (f"{head}no novelty check: {n} units of arm "
                    f"{arm!r} were observed to day {LATE_FROM} of exposure or beyond (at least "
                    f"{MIN_TREND_UNITS} per arm needed)")
        means = [float(v[sel].mean()) for v in (ne, de, nl, dl)]
        if min(means) <= 0:
            return (f"{head}no novelty check: arm {arm!r} has no "
                    "positive value in the first days or the later days of exposure (the check "
                    "compares lifts, on the log scale)")
        early = ne[sel] / means[0] - de[sel] / means[1]
        late = nl[sel] / means[2] - dl[sel] / means[3]
        parts[arm] = (n, np.log(means[0] / means[1]), np.log(means[2] / means[3]),
                      early.var(ddof=1) / n, late.var(ddof=1) / n, (early - late).var(ddof=1) / n)
    a, b = parts[control], parts[variant]
    log_early, log_late = b[1] - a[1], b[2] - a[2]
    se_early, se_late = np.sqrt(a[3] + b[3]), np.sqrt(a[4] + b[4])
    se = float(np.sqrt(a[5] + b[5]))
    z_stat = (log_early - log_late) / se if se > 0 else float("nan")
    p = float(2 * stats.norm.sf(abs(z_stat))) if np.isfinite(z_stat) else float("nan")
    q = float(stats.norm.ppf(1 - alpha / 2))
    early_ci = (np.expm1(log_early - q * se_early), np.expm1(log_early + q * se_early))
    late_ci = (np.expm1(log_late - q * se_late), np.expm1(log_late + q * se_late))
    n_units = a[0] + b[0]
    trend = TimeTrend(m.name, variant, EARLY_DAYS, LATE_FROM, n_units,
                      float(np.expm1(log_early)), float(early_ci[0]), float(early_ci[1]),
                      float(np.expm1(log_late)), float(late_ci[0]), float(late_ci[1]),
                      float(z_stat), p, p, TREND_ALPHA, False, "none", "", segment)
    return judge(trend, p, segment_col)


def _head(metric: str, variant: str, segment: str | None, segment_col: str | None) -> str:
    """The start of a check's message: the segment (as the segment warnings name it), the
    metric and the variant."""
    where = f"segment {segment_col}={segment!r}: " if segment is not None else ""
    return f"{where}metric {metric!r} ({variant}): "


def judge(t: TimeTrend, p_adjusted: float, segment_col: str | None = None) -> TimeTrend:
    """``t`` with ``p_value_adjusted``, and flagged, its direction and message set from it:
    flagged when ``p_adjusted < TREND_ALPHA`` and the early or the late effect is itself
    significant (its interval excludes 0). ``segment_col`` names a segment's check's column
    in its message."""
    early_sig, late_sig = (bool(lo > 0 or hi < 0) for lo, hi in ((t.early_ci_low,
                                                                  t.early_ci_high),
                                                                 (t.late_ci_low,
                                                                  t.late_ci_high)))
    flagged = bool(np.isfinite(p_adjusted) and p_adjusted < TREND_ALPHA
                   and (early_sig or late_sig))
    direction: Literal["fades", "grows", "reverses", "none"] = (
        _direction(np.log1p(t.early_effect), np.log1p(t.late_effect), early_sig, late_sig)
        if flagged else "none")
    early_text = (f"{t.early_effect:+.1%} [{t.early_ci_low:+.1%}, {t.early_ci_high:+.1%}] in "
                  f"the first {t.early_days} days of exposure")
    late_text = (f"{t.late_effect:+.1%} [{t.late_ci_low:+.1%}, {t.late_ci_high:+.1%}] from day "
                 f"{t.late_from} on")
    adj = "" if p_adjusted == t.p_value else f", adjusted {p_adjusted:.2g}"
    among = (f"change p = {t.p_value:.2g}{adj}, among the {t.n_units:,} units observed to day "
             f"{t.late_from} of exposure or beyond")
    head = _head(t.metric, t.variant, t.segment, segment_col)
    if direction == "fades":
        message = (f"{head}the effect fades: {early_text}, {late_text} ({among}); a novelty "
                   "effect? Run longer before deciding: the lasting effect is nearer the later "
                   "figure, and the headline mixes both")
    elif direction == "reverses":
        message = (f"{head}the effect reverses: {early_text}, {late_text} ({among}); a novelty "
                   "effect hiding a lasting opposite one? Run longer before deciding: the "
                   "headline mixes both")
    elif direction == "grows":
        message = (f"{head}the effect grows: {early_text}, {late_text} ({among}); a learning "
                   "effect (or change aversion at first)? Run longer before deciding: the "
                   "lasting effect is nearer the later figure, and the headline mixes both")
    else:
        message = f"{head}no change with exposure time shown: {early_text}, {late_text} ({among})"
    return replace(t, p_value_adjusted=float(p_adjusted), flagged=flagged, direction=direction,
                   message=message)


def _scope_points(u: _Units, within: np.ndarray, segment: str | None, control: str,
                  ms: Sequence[Metric], opts: AnalysisOptions, variant_col: str, source: str
                  ) -> list[TimePoint]:
    """The cumulative, daily and (dated rows) exposure-day points of the units ``within`` (a
    mask: all units, or one segment's)."""
    all_cells = np.ones(len(u.cell_unit), dtype=bool)
    points: dict[str, list[TimePoint]] = {"cumulative": [], "daily": [], "exposure_day": []}

    def at(units: np.ndarray, cells: np.ndarray) -> list[Comparison]:
        return _slice_comparisons(u, units & within, cells, control, ms, opts, variant_col,
                                  source)

    for d in range(u.last + 1):
        if not (u.cell_day == d).any():
            continue  # no row on this day (no exposure, no outcome): nothing to show
        exposed = u.first <= d
        cum = at(exposed, u.cell_day <= d)
        points["cumulative"] += [_point(c, "cumulative", u.date(d), None, segment) for c in cum]
        daily = (at(exposed, u.cell_day == d) if u.event else at(u.first == d, all_cells))
        points["daily"] += [_point(c, "daily", u.date(d), None, segment) for c in daily]
    if u.event:
        since = u.cell_day - u.first[u.cell_unit]
        for k in range(u.last + 1):
            found = at(u.first + k <= u.last, since == k)
            if not found:
                break
            points["exposure_day"] += [_point(c, "exposure_day", None, k, segment)
                                       for c in found]
    return [p for view in ("cumulative", "daily", "exposure_day") for p in points[view]]


def time_view(frame: pd.DataFrame, variant_col: str, control: str, metrics: Sequence[Metric],
              time_col: str, *, kinds: dict[str, str], options: AnalysisOptions,
              unit_col: str | None = None, segment_col: str | None = None,
              source: str = "experiment data", exposure: Exposure | None = None) -> TimeView:
    """Effects over time of ``frame`` (the rows as given, arm labels already merged).

    ``metrics`` are the analysis' resolved metrics (caps resolved) and ``kinds`` the headline's
    kind per metric, which every slice keeps (a day's 0/1 values are not re-detected).
    With ``segment_col`` every point and novelty check is given for all units and for each
    segment's units (``segment`` of the point); the segments' checks are corrected as one
    family over segments x metrics x variants, apart from the overall checks (as the segment
    breakdown's comparisons are).
    ``exposure`` (``experiments._exposure.resolve_exposure``) gives each unit's exposure: days
    since exposure count from it, and rows dated before it are left out; a row kept as at or
    after the exposure instant whose calendar day is earlier than the exposure's (the two
    columns in different zones) counts on the exposure day.
    Raises ``ExperimentInputError`` for dates that are missing or unreadable (naming the rows),
    a span over ``MAX_DAYS``, or (without ``unit_col``) an id-like column whose ids have rows
    on several dates.
    """
    days = check_time_input(frame, time_col, variant_col, unit_col, segment_col, source)
    frame = frame.reset_index(drop=True)
    ms = [m if m.denominator or kinds.get(m.name) not in ("proportion", "mean")
          else replace(m, kind="proportion" if kinds[m.name] == "proportion" else "mean")
          for m in metrics]
    opts = replace(options, correction="none", sequential=False, bayesian=False)
    u = _Units(frame, days, variant_col, ms, unit_col, source, segment_col, exposure)
    everyone = np.ones(u.n, dtype=bool)
    scopes: list[tuple[str | None, np.ndarray]] = [(None, everyone)]
    if u.segment is not None:
        scopes += [(str(s), u.segment == s) for s in sorted(set(u.segment.tolist()))]
    points: list[TimePoint] = []
    for segment, within in scopes:
        points += _scope_points(u, within, segment, control, ms, opts, variant_col, source)
    notes: list[str] = []
    trends: list[TimeTrend] = []
    if u.event and u.last < LATE_FROM:
        notes.append(f"no novelty check: the data span {u.last + 1} days, and comparing the "
                     f"first {EARLY_DAYS} days of exposure with the days from day "
                     f"{LATE_FROM} on needs units observed to day {LATE_FROM} of their "
                     "exposure: run longer")
    elif u.event:
        variants = sorted({str(v) for v in u.variant} - {control})
        for family in ([scopes[0]], scopes[1:]):
            found: list[TimeTrend] = []
            for segment, within in family:
                for m in ms:
                    for v in variants:
                        got = _trend(u, m, kinds.get(m.name, "mean"), control, v,
                                     options.alpha, within, segment, segment_col)
                        if isinstance(got, str):
                            notes.append(got)
                        else:
                            found.append(got)
            # every metric x variant (x segment) is checked: corrected like the headline's
            # family (a flag in one of ten checks is otherwise ten times as likely as in one)
            adjusted = adjust_p_values([t.p_value for t in found], options.correction)
            trends += [judge(t, float(p), segment_col)
                       for t, p in zip(found, adjusted, strict=True)]
    else:
        notes.append("one date per unit: the daily effects are those of the units exposed that "
                     "day (entry cohorts); effects by days since exposure and the novelty check "
                     "need dated outcomes (one row per unit and day, or per event, with the "
                     "unit id column)")
    rank = {m.name: i for i, m in enumerate(ms)}
    seg_rank = {segment: i for i, (segment, _) in enumerate(scopes)}
    views = ("cumulative", "daily", "exposure_day")
    points.sort(key=lambda p: (rank.get(p.metric, 0), p.variant, seg_rank[p.segment],
                               views.index(p.view)))
    trends.sort(key=lambda t: (seg_rank[t.segment], rank.get(t.metric, 0), t.variant))
    return TimeView(time_col, "event" if u.event else "unit", u.date(0), u.date(u.last),
                    u.last + 1, tuple(points), tuple(trends), tuple(notes), segment_col)


TIME_TABLE_COLUMNS = ("metric", "variant", "view", "date", "exposure_day", "n_control",
                      "n_variant", "control_mean", "variant_mean", "absolute_effect", "ci_low",
                      "ci_high", "relative_effect", "relative_ci_low", "relative_ci_high",
                      "p_value")


def time_table(view: TimeView) -> pd.DataFrame:
    """The view's points as one frame, one row per metric x variant x view x day (the columns
    of ``TimePoint``; ``exposure_day`` as a nullable integer). With a segment column, a
    ``segment`` column follows ``variant``: empty for all units, else the segment's value."""
    columns = list(TIME_TABLE_COLUMNS)
    if view.segment_col is not None:
        columns.insert(columns.index("variant") + 1, "segment")
    rows = [p.to_dict() for p in view.points]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"exposure_day": "Int64", "n_control": "int64", "n_variant": "int64"})
