"""What ``brain ab analyze`` prints: the comparison, always-valid, Bayesian and segment
tables, caps, guardrails and warnings (``_print_result``), the effects over time
(``print_time_view``), the CUPED and sample-ratio hints, and ``ab_summary``, the one-line
summary ``brain demo`` lists. ``console`` is the experiments commands' shared console.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from experiments import Comparison, ExperimentResult, Metric, TimeView
from experiments._report import _fmt, _p, _pct
from experiments._srm import stray_arms

__all__ = ["TIME_ROWS", "TIME_SEGMENTS", "ab_summary", "cap_lines", "console",
           "print_time_view"]

# Wide tables stay readable when output is piped or captured (no terminal width to honour).
console = Console(width=None if sys.stdout.isatty() else 160)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A rich table whose cells are plain text (brackets in intervals are not markup)."""
    table = Table(title=Text(title, style="italic"))
    for col in columns:
        table.add_column(Text(col, style="bold"))
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _p_cells(c: Comparison, guardrails: set[str]) -> tuple[str, str]:
    """(adjusted p, significant) cells; guardrails sit outside the family, so say unadjusted."""
    if c.metric in guardrails:
        return "– (guardrail)", ("yes" if c.significant else "no") + " (unadj.)"
    return _p(c.p_value_adjusted), "yes" if c.significant else "no"


def _seq_p_cells(c: Comparison, guardrails: set[str]) -> tuple[str, str]:
    """(adjusted, significant) cells of the always-valid p-value, corrected like the main
    table's (guardrails outside the family)."""
    s = c.sequential
    assert s is not None
    if c.metric in guardrails:
        return "– (guardrail)", ("yes" if s.significant else "no") + " (unadj.)"
    return _p(s.p_value_adjusted), "yes" if s.significant else "no"


def cap_lines(result: ExperimentResult) -> list[str]:
    """One line per capped metric: its cap, where it came from and how many units it touched
    (the values and effects above are of the capped values)."""
    out = []
    for m in result.metrics:
        if m.cap is None:
            continue
        origin = (f"the {100 * m.cap_quantile:g}th percentile of all units' {m.column!r}"
                  if m.cap_quantile is not None else "a fixed cap")
        # a ratio's numerator is capped, not the ratio: say which column
        what = f"each unit's {m.column!r}" if m.denominator else "each unit"
        out.append(f"capped: {m.name} counts {what} at most at {m.cap:,.6g} ({origin}); "
                   f"{m.capped_units:,} units were above it")
        if m.covariate_cap is not None:
            out.append(f"capped: {m.name}'s CUPED covariate {m.covariate!r} at "
                       f"{m.covariate_cap:,.6g} (the same percentile of its own values); "
                       f"{m.covariate_capped_units:,} units were above it")
    return out


def _print_result(result: ExperimentResult) -> None:
    style = "bold white on red" if result.srm.mismatch else "green"
    console.print(result.srm.message, style=style, markup=False)
    guards = {m.name for m in result.metrics if m.guardrail}
    rows = [[_metric_cell(c), c.variant, _fmt(c.control_mean, 6), _fmt(c.variant_mean, 6),
             f"{_fmt(c.absolute_effect)} [{_fmt(c.ci_low)}, {_fmt(c.ci_high)}]",
             f"{_pct(c.relative_effect)} [{_pct(c.relative_ci_low)}, "
             f"{_pct(c.relative_ci_high)}]", _p(c.p_value), *_p_cells(c, guards)]
            for c in result.comparisons]
    cuped = ("; effects of metrics marked CUPED are covariate-adjusted (arm values are "
             "unadjusted)" if any(c.covariate for c in result.comparisons) else "")
    console.print(_table(f"{result.variant_col}: variants vs {result.control!r} "
                         f"({result.test}, {result.correction}){cuped}",
                         ("metric", "variant", "control", "variant value", "abs effect [CI]",
                          "rel effect [CI]", "p", "p adj", "sig"), rows))
    for line in cap_lines(result):
        console.print(line, markup=False)
    seq = [c for c in result.comparisons if c.sequential]
    if seq:
        tuning = seq[0].sequential.tuning_n if seq[0].sequential else float("nan")
        console.print(_table(
            f"Always-valid results (confidence sequences tuned for n={tuning:g}; safe to peek)",
            ("metric", "variant", "always-valid p", f"p adj ({result.correction})", "sig",
             "abs effect [confidence sequence]"),
            [[c.metric, c.variant, _p(c.sequential.p_value),
              *_seq_p_cells(c, guards),
              f"{_fmt(c.absolute_effect)} [{_fmt(c.sequential.ci_low)}, "
              f"{_fmt(c.sequential.ci_high)}]"]
             for c in seq if c.sequential]))
    bayes = [c for c in result.comparisons if c.bayes]
    if bayes:
        console.print(_table(
            "Bayesian results", ("metric", "variant", "model", "P(beat control)",
                                 "expected loss (ship / keep)", "abs effect [credible]",
                                 "rel effect [credible]"),
            [[c.metric, c.variant, c.bayes.method, f"{100 * c.bayes.prob_beat_control:.1f}%",
              f"{_fmt(c.bayes.expected_loss, 3)} / {_fmt(c.bayes.expected_loss_control, 3)}",
              f"[{_fmt(c.bayes.ci_low)}, {_fmt(c.bayes.ci_high)}]",
              f"[{_pct(c.bayes.relative_ci_low)}, {_pct(c.bayes.relative_ci_high)}]"]
             for c in bayes if c.bayes]))
        missing = sorted({c.metric for c in result.comparisons if not c.bayes})
        if missing:
            console.print(f"no Bayesian result for {missing} (see warnings)", markup=False)
    if result.segments:
        seg_rows = []
        for sg in result.segments:
            flag = "MISMATCH" if sg.srm.mismatch else "ok"
            if not sg.comparisons:
                seg_rows.append([sg.segment, str(sg.n_units), "–", "–", "too few units", "–",
                                 "–", "–", flag])
            seg_rows.extend([sg.segment, str(sg.n_units), c.metric, c.variant,
                             f"{_pct(c.relative_effect)} [{_pct(c.relative_ci_low)}, "
                             f"{_pct(c.relative_ci_high)}]", _p(c.p_value),
                             *_p_cells(c, guards), flag] for c in sg.comparisons)
        console.print(_table(
            f"Segments by {result.segments[0].segment_col} (p adj over all segments x variants "
            f"x metrics, {result.correction})",
            ("segment", "units", "metric", "variant", "rel effect [CI]", "p", "p adj", "sig",
             "SRM"), seg_rows))
        for h in result.heterogeneity:
            console.print(
                f"does the {h.scale} effect differ across segments? {h.metric} ({h.variant}): "
                f"Cochran's Q "
                f"{h.statistic:.2f}, df {h.df}, p = {_p(h.p_value)} -> "
                + ("yes" if h.p_value < result.alpha else "not shown"), markup=False)
        if any(h.p_value >= result.alpha for h in result.heterogeneity):
            console.print("(not shown: one segment significant and another not is no evidence "
                          "that their effects differ)", markup=False)
    for g in result.guardrails:
        console.print(f"guardrail {g.status.upper()}: {g.message}", markup=False,
                      style={"pass": "green", "fail": "bold red"}.get(g.status, "yellow"))
    # the result's warnings repeat the failed guardrails and an SRM mismatch for API clients;
    # both are printed above already
    shown = {g.message for g in result.guardrails} | {result.srm.message}
    if result.time is not None:  # printed with the time view
        shown |= {t.message for t in result.time.trends}
    for w in result.warnings:
        if w not in shown:
            console.print(f"warning: {w}", style="yellow", markup=False)


TIME_ROWS = 15
"""At most this many days per time table on screen (the report, --json and --time-csv hold
every day)."""


def _thin(items: Sequence[Any], keep: int = TIME_ROWS) -> tuple[list[Any], bool]:
    """At most ``keep`` of ``items``, evenly spaced, always the first and the last."""
    if len(items) <= keep:
        return list(items), False
    idx = sorted({round(i * (len(items) - 1) / (keep - 1)) for i in range(keep)})
    return [items[i] for i in idx], True


def _rel_cell(p: Any) -> str:
    return f"{_pct(p.relative_effect)} [{_pct(p.relative_ci_low)}, {_pct(p.relative_ci_high)}]"


def print_time_view(result: ExperimentResult) -> None:
    """The time view on screen: per metric and variant the cumulative and daily effects by
    date, the effects by days since exposure (dated rows), the novelty checks and notes."""
    view = result.time
    if view is None:
        return
    daily_name = "daily" if view.level == "event" else "exposed that day"
    thinned = False
    for m in result.metrics:
        for v in result.variants[1:]:
            pts = [p for p in view.points if p.metric == m.name and p.variant == v
                   and p.segment is None]
            if not pts:
                continue
            dates = list(dict.fromkeys(p.date for p in pts if p.date is not None))
            cum = {p.date: p for p in pts if p.view == "cumulative"}
            daily = {p.date: p for p in pts if p.view == "daily"}
            shown, cut = _thin(dates)
            thinned |= cut
            rows = [[d, str(cum[d].n_control + cum[d].n_variant) if d in cum else "–",
                     _rel_cell(cum[d]) if d in cum else "–",
                     str(daily[d].n_control + daily[d].n_variant) if d in daily else "–",
                     _rel_cell(daily[d]) if d in daily else "–"] for d in shown]
            console.print(_table(
                f"{m.name} ({v} vs {result.control!r}) by {view.time_col}: relative effect "
                f"[{100 * (1 - result.alpha):.0f}% CI], unadjusted",
                ("date", "units", "cumulative", "units", daily_name), rows))
            exp = [p for p in pts if p.view == "exposure_day"]
            if exp:
                shown_exp, cut = _thin(exp)
                thinned |= cut
                console.print(_table(
                    f"{m.name} ({v}) by days since each unit's first exposure",
                    ("day of exposure", "units", "relative effect [CI]", "absolute effect [CI]"),
                    [[str(p.exposure_day), str(p.n_control + p.n_variant), _rel_cell(p),
                      f"{_fmt(p.absolute_effect)} [{_fmt(p.ci_low)}, {_fmt(p.ci_high)}]"]
                     for p in shown_exp]))
    thinned |= _print_time_segments(result)
    for t in view.trends:  # a flagged one is a warning of the result, printed here (after the
        # tables that show it) rather than with the other warnings
        if t.flagged:
            console.print(f"warning: {t.message}", style="bold yellow", markup=False)
        elif t.segment is None or _segments_shown(view):
            console.print(f"novelty check: {t.message}", markup=False)
    for note in view.notes:
        if _segments_shown(view) or not note.startswith(f"segment {view.segment_col}="):
            console.print(f"note: time view: {note}", style="yellow", markup=False)
    if thinned:
        console.print(f"(at most {TIME_ROWS} days per table shown; every day is in --report, "
                      "--json and --time-csv)", markup=False)


TIME_SEGMENTS = 6
"""At most this many segments get time tables on screen (a column each); with more, the screen
says where they are (--report, --json, --time-csv)."""


def _segments_shown(view: TimeView) -> bool:
    return len({p.segment for p in view.points} - {None}) <= TIME_SEGMENTS


def _print_time_segments(result: ExperimentResult) -> bool:
    """With a segment column: per metric and variant, the cumulative effect by date (and, with
    dated rows, the effect by days since exposure) with one column per segment; with more than
    ``TIME_SEGMENTS`` segments a line saying where they are. True when days were thinned."""
    view = result.time
    if view is None or view.segment_col is None:
        return False
    segments = list(dict.fromkeys(p.segment for p in view.points if p.segment is not None))
    if not _segments_shown(view):
        hidden = sum(n.startswith(f"segment {view.segment_col}=") for n in view.notes)
        notes = (f" ({hidden} note{'s' if hidden > 1 else ''} on segments the check could not "
                 "judge in --json)") if hidden else ""
        console.print(f"time view by {view.segment_col}: {len(segments)} segments, more than the "
                      f"{TIME_SEGMENTS} shown on screen; each segment's effects over time and "
                      "novelty checks are in --report, --json and --time-csv (column "
                      f"'segment'){notes}; flagged checks are warnings below", markup=False)
        return False
    thinned = False
    for m in result.metrics:
        for v in result.variants[1:]:
            pts = [p for p in view.points if p.metric == m.name and p.variant == v
                   and p.segment is not None]
            for kind, key, title, first in (
                    ("cumulative", "date", f"cumulative, by {view.time_col}", view.time_col),
                    ("exposure_day", "exposure_day", "by days since each unit's first exposure",
                     "day of exposure")):
                cells = {(p.segment, getattr(p, key)): p for p in pts if p.view == kind}
                keys = list(dict.fromkeys(k for _, k in cells))
                if not keys:
                    continue
                shown, cut = _thin(keys)
                thinned |= cut
                rows = [[str(k)] + [_rel_cell(cells[(s, k)]) if (s, k) in cells else "–"
                                    for s in segments] for k in shown]
                console.print(_table(
                    f"{m.name} ({v} vs {result.control!r}) {title}, by {view.segment_col}: "
                    f"relative effect [{100 * (1 - result.alpha):.0f}% CI], unadjusted",
                    (first, *segments), rows))
    return thinned


def _metric_cell(c: Comparison) -> str:
    """The metric's name, marked when its effect is CUPED-adjusted (covariate, variance cut)."""
    if not c.covariate:
        return c.metric
    vr = c.variance_reduction
    # one decimal, as the report: a 0.08% cut had read "-0%" on screen and "0.1%" there
    cut = f", -{100 * vr:.1f}% var" if vr is not None and math.isfinite(vr) else ""
    return f"{c.metric} (CUPED {c.covariate}{cut})"


_PRE_PERIOD = re.compile(r"^(pre|prior|baseline)[_ -](.+)$|^(.+?)[_ -](pre|before)$",
                         re.IGNORECASE)
"""A pre-period covariate's name: the prefix or suffix stands apart ('pre_visits', 'visits_pre';
never 'premium' or 'predicted_ltv', which may be recorded after assignment and would bias the
effect)."""


def _cuped_hint(frame: pd.DataFrame, metrics: Sequence[Metric]) -> str | None:
    """A note naming numeric pre-period columns (pre_*, prior_*, *_pre, baseline_*) when no
    metric uses CUPED: a covariate correlated with the metric narrows the intervals."""
    if any(m.covariate for m in metrics):
        return None
    used = {c for m in metrics for c in (m.column, m.denominator) if c}
    found: dict[str, str] = {}
    for col in frame.columns:
        match = _PRE_PERIOD.match(str(col))
        if not match or col in used or not pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        stem = (match.group(2) or match.group(3) or "").casefold()
        found[str(col)] = next((m.name for m in metrics if m.denominator is None
                                and m.column.casefold() == stem), "")
    if not found:
        return None
    pairs = [f"{m}={col}" for col, m in found.items() if m]
    example = ",".join(pairs) if pairs else f"metric={next(iter(found))}"
    return (f"note: pre-period column(s) {sorted(found)} found but CUPED is off: a covariate "
            "measured before assignment and correlated with the metric narrows the intervals "
            f"(variance shrinks by its squared correlation). Try --cuped {example}.")


def _srm_hint(result: ExperimentResult) -> str | None:
    """What to check after a sample-ratio mismatch: an unequal design that was not given as
    --expected-split; None when the check's own message already names stray labels (a few units
    under a label of their own: ``experiments._srm.stray_arms``)."""
    arms = result.srm.arms
    if stray_arms({a.variant: a.observed for a in arms}):
        return None
    split = ",".join(f"{a.variant}={a.expected_share:.2g}" for a in arms)
    return (f"hint: if the design was unequal, pass it as --expected-split with its shares "
            f"(checked here against '{split}').")


def ab_summary(result: ExperimentResult) -> str:
    """One line per comparison for the demo's list: the relative effect and the adjusted p, or,
    for a guardrail (outside the correction's family, like the report's '– (guardrail)'), the
    unadjusted p."""
    guards = {m.name for m in result.metrics if m.guardrail}
    return "; ".join(
        f"{c.metric} {c.relative_effect:+.2%} (guardrail, unadjusted p {c.p_value:.2g})"
        if c.metric in guards else
        f"{c.metric} {c.relative_effect:+.2%} (adj. p {c.p_value_adjusted:.2g})"
        for c in result.comparisons)
