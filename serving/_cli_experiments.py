"""CLI for experiments: ``brain ab analyze``, ``brain ab plan`` and ``brain uplift train``.

Thin wrappers over ``experiments``; the lead mounts ``ab_app`` and ``uplift_app`` on ``brain``.
``demo_step`` analyses the generated world's experiment for ``brain demo``.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from experiments import (
    AnalysisOptions,
    Comparison,
    ExperimentInputError,
    ExperimentResult,
    Metric,
    Param,
    TargetingPolicy,
    TimeView,
    analyze,
    minimum_detectable_effect,
    parse_metrics,
    power,
    sample_size,
    write_report,
)
from experiments._report import _fmt, _p, _pct
from experiments._srm import stray_arms

from ._cli_common import friendly_errors

if TYPE_CHECKING:
    from experiments._uplift_train import UpliftTrainingResult

__all__ = ["CLI_NAMES", "ab_app", "ab_summary", "build_metrics", "demo_step", "guardrail_margin",
           "uplift_app"]

ab_app = typer.Typer(help="Analyse and plan A/B tests.", no_args_is_help=True)
uplift_app = typer.Typer(help="Uplift models: which customers a campaign actually moves.",
                         no_args_is_help=True)
# Wide tables stay readable when output is piped or captured (no terminal width to honour).
console = Console(width=None if sys.stdout.isatty() else 160)


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ExperimentInputError(f"data file {str(path)!r} does not exist. Fix: check the path.")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    from features._read import _encoding_problem, _other_separator

    try:
        # a German or Excel export separated by ';' (or tabs) read as one column named
        # 'user_id;variant;...', and a Windows-1252 file stopped at the codec's 'position 11'
        header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
        sep = _other_separator(header, ",")
        frame = pd.read_csv(path, sep=sep or ",")
    except UnicodeDecodeError:
        raise ExperimentInputError(_encoding_problem(path).render(path.name)) from None
    if sep:
        frame.attrs["separator"] = sep
        shown = {";": "';'", "\t": "tabs"}[sep]
        console.print(f"note: {path.name}: the file is separated by {shown}, not commas: read "
                      f"with {shown} ({len(frame.columns)} columns)", style="yellow",
                      markup=False)
    if sep == ";":
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
        frame = _decimal_commas(frame, path.name, raw)
    return frame


def _decimal_commas(frame: pd.DataFrame, source: str,
                    raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """A ';'-separated file's text columns whose every cell is a number with ',' as the
    decimal mark ('12,5', '1.234,50') as numbers, with a note: an uplift feature 'pre_revenue'
    had become a category of 900 levels without a word.

    Once such a column shows the file's convention, a column pandas read as decimals from
    ``raw`` (the file as text) cells with '.' between thousands ('1.250', whole euros in
    Excel's '#.##0') is read the same way: it had been 1.25 beside the note "'1.234,5' is
    1234.5"."""
    from features._parse import _COMMA_DECIMAL_ANY, _numbers

    read = []
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        text = frame[col].astype("string").str.strip()
        present = text.notna() & (text != "")
        if not present.any() or not text[present].str.contains(",").any():
            continue
        num, _ = _numbers(text[present], decimal_comma=True)
        if num.notna().all():
            frame[col] = pd.to_numeric(num.reindex(frame.index), errors="coerce")
            read.append(str(col))
    if read and raw is not None:
        for col in frame.columns:
            if col in read or not pd.api.types.is_float_dtype(frame[col].dtype):
                continue
            text = raw[col].astype("string").str.strip()
            present = text.notna() & (text != "")
            cells = text[present]
            if not cells.str.contains(".", regex=False).any() or not cells.str.match(
                    _COMMA_DECIMAL_ANY).all():
                continue  # no thousands dots, or a '1.25' that is not one
            frame[col] = pd.to_numeric(cells.str.replace(".", "", regex=False).reindex(
                frame.index), errors="coerce")
            read.append(str(col))
    if read:
        console.print(f"note: {source}: {', '.join(map(repr, read))} read with ',' as the decimal "
                      "mark, as ';'-separated files write numbers ('1.234,5' is 1234.5)",
                      style="yellow", markup=False)
    return frame


def _read_money(frame: pd.DataFrame, metrics: Sequence[Metric], source: str
                ) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with text amounts such as ``$1.85`` or ``1,234.50`` in metric columns read as
    numbers (as the event loaders read revenue: ``features._parse._money_column``), and the notes
    saying so. Cells it cannot read unambiguously stay as written, for the engine to name."""
    from features._contracts import LoadReport
    from features._parse import _money_column

    report = LoadReport(source)
    cols = dict.fromkeys(c for m in metrics for c in (m.column, m.denominator, m.covariate) if c)
    for col in cols:
        frame = _money_column(frame, col, report)
    return frame, report.notes


def _pairs(text: str | None, what: Param) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ExperimentInputError(
                what, f": expected 'name=value' pairs separated by commas; received {item!r}."
            )
        out[key.strip()] = value.strip()
    return out


def _shares(text: str | None) -> dict[str, float]:
    """Designed traffic shares from ``--expected-split`` ('arm=share' pairs, comma-separated)."""
    fmt = ("expected 'arm=share' pairs separated by commas, e.g. "
           "'control=0.5,treatment=0.5' (arm labels exactly as in the data)")
    out: dict[str, float] = {}
    split = Param("expected_shares")
    for key, value in _pairs(text, split).items():
        try:
            share = float(value)
        except ValueError as exc:
            raise ExperimentInputError(
                split, f": the share of arm {key!r} must be a number; received {value!r}. "
                f"Fix: {fmt}."
            ) from exc
        if not share > 0:
            raise ExperimentInputError(
                split, f": the share of arm {key!r} must be > 0; received {value!r}. Fix: {fmt}."
            )
        out[key] = share
    return out


CLI_NAMES = {
    "variant_col": "--variant-col", "control": "--control", "metrics": "--metrics",
    "cuped": "--cuped", "guardrails": "--guardrail", "lower_is_better": "--lower-is-better",
    "caps": "--cap",
    "segment_col": "--segment-col", "unit_col": "--unit-col", "expected_shares": "--expected-split",
    "time_col": "--time-col",
    "baseline": "--baseline", "mde": "--mde", "relative=False": "--absolute",
    "n_control": "--n-control", "sd": "--sd", "variance_reduction": "--cuped-r2",
    "treatment_col": "--treatment-col", "outcome": "--outcome", "features": "--features",
    "k": "--k", "id_col": "--id-col", "alpha": "--alpha"}
"""The command line's name for each input an ``ExperimentInputError`` names (``Param``, keyed by
the engine's spelling): its messages are printed with these (``ExperimentInputError.phrase``)."""
_MARGIN_FORMAT = ("a number like 0.02 (relative: must not get worse by more than 2% of "
                  "control's mean) or abs:0.5 (in metric units: by more than 0.5)")


def guardrail_margin(spec: str | float, metric: str) -> tuple[float, bool]:
    """``(margin, relative)`` of ``metric``'s guardrail: ``0.02`` (or ``"0.02"``) is relative to
    control's mean, ``"abs:0.5"`` is in metric units. Error messages name the input as
    ``Param("guardrails")`` and the metric (``--guardrail 'visits'`` on the command line,
    ``guardrails 'visits'`` in the API).

    Raises ``ExperimentInputError`` for anything else, or a margin that is negative or not
    finite."""
    where = (Param("guardrails"), f" {metric!r}")
    text = spec.strip() if isinstance(spec, str) else spec
    relative = not (isinstance(text, str) and text.startswith("abs:"))
    try:
        margin = float(text.removeprefix("abs:") if isinstance(text, str) else text)
    except ValueError as exc:
        raise ExperimentInputError(
            *where, f": margin must be {_MARGIN_FORMAT}; received {spec!r}. Fix: write the "
            "margin in one of these two forms."
        ) from exc
    if not (math.isfinite(margin) and margin >= 0):
        raise ExperimentInputError(
            *where, f": margin must be a finite number >= 0; received {spec!r}. Fix: give the "
            f"largest deterioration you accept, {_MARGIN_FORMAT}."
        )
    return margin, relative


_CAP_FORMAT = ("'p99' (the 99th percentile of all units' values; 'p99.9' and the like too) "
               "or a number (a fixed cap in metric units, e.g. 500)")


def cap_spec(spec: str | float, metric: str) -> tuple[float | None, float | None]:
    """``(quantile, cap)`` of ``metric``'s cap: ``"p99"`` is the 99th percentile of all units'
    values (quantile 0.99), a number (or its text) a fixed cap in metric units. Raises
    ``ExperimentInputError`` (naming ``Param("caps")`` and the metric) for anything else."""
    where = (Param("caps"), f" {metric!r}")
    text = spec.strip().lower() if isinstance(spec, str) else spec
    try:
        if isinstance(text, str) and text.startswith("p"):
            pct = float(text[1:])
            if not 0 < pct < 100:
                raise ValueError(text)
            return pct / 100, None
        value = float(text)
    except ValueError as exc:
        raise ExperimentInputError(
            *where, f": a cap must be {_CAP_FORMAT}; received {spec!r}. Fix: write it in one of "
            "these two forms."
        ) from exc
    if not math.isfinite(value):
        raise ExperimentInputError(*where, f": a cap must be finite; received {spec!r}.")
    return None, value


def build_metrics(metrics: str | Sequence[str],
                  cuped: str | Mapping[str, str] | None = None,
                  guardrails: str | Mapping[str, str | float] | None = None,
                  lower_is_better: str | Sequence[str] | None = None,
                  caps: str | Mapping[str, str | float] | None = None) -> list[Metric]:
    """Metric definitions from the CLI's option strings (see ``brain ab analyze --help``) or
    the API's fields (lists and mappings). Error messages name the inputs by ``Param``, for
    each front end to phrase (``CLI_NAMES`` here, the field names in the API).
    """
    base = parse_metrics(metrics)
    cov = _pairs(cuped, Param("cuped")) if isinstance(cuped, str | None) else dict(cuped)
    guards = (_pairs(guardrails, Param("guardrails")) if isinstance(guardrails, str | None)
              else dict(guardrails))
    lower = {m.strip() for m in ((lower_is_better or "").split(",")
                                 if isinstance(lower_is_better, str | None) else lower_is_better)
             if m.strip()}
    capped = _pairs(caps, Param("caps")) if isinstance(caps, str | None) else dict(caps)
    known = {m.name for m in base}
    base += parse_metrics([g for g in guards if g not in known]) if set(guards) - known else []
    names = {m.name for m in base}
    unknown = (set(cov) | lower | set(capped)) - names
    if unknown:
        # name only the inputs holding an unknown metric, so the API's 'field' is the right one
        given = [p for p, keys in ((Param("cuped"), set(cov)),
                                   (Param("lower_is_better"), lower), (Param("caps"), set(capped)))
                 if keys - names]
        where = [part for i, p in enumerate(given) for part in ((p,) if i == 0 else ("/", p))]
        raise ExperimentInputError(
            *where, f" name{'s' if len(given) == 1 else ''} metrics {sorted(unknown)} that are "
            "not in ", Param("metrics"), f" {sorted(names)}."
        )
    out = []
    for m in base:
        margin, relative = None, True
        if m.name in guards:
            margin, relative = guardrail_margin(guards[m.name], m.name)
        quantile, cap = cap_spec(capped[m.name], m.name) if m.name in capped else (None, None)
        out.append(Metric(m.name, m.column, m.kind, m.denominator, cov.get(m.name),
                          m.name not in lower, margin, relative, quantile, cap))
    return out


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
        console.print(f"time view by {view.segment_col}: {len(segments)} segments, more than the "
                      f"{TIME_SEGMENTS} shown on screen; each segment's effects over time and "
                      "novelty checks are in --report, --json and --time-csv (column "
                      "'segment'); flagged checks are warnings below", markup=False)
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


def _fail(exc: Exception) -> typer.Exit:
    """Print ``exc`` (inputs named by their options) and exit with code 2."""
    msg = exc.phrase(CLI_NAMES) if isinstance(exc, ExperimentInputError) else str(exc)
    console.print(f"error: {msg}", style="bold red", markup=False)
    return typer.Exit(code=2)


@ab_app.command("analyze")
def analyze_command(
    data: Annotated[Path, typer.Option(help="CSV or Parquet file with one row per unit.")],
    metrics: Annotated[str, typer.Option(
        help="Comma-separated metric columns; 'num/den' makes a ratio metric (e.g. spend/visit). "
             "0/1 columns are analysed as proportions.")],
    variant_col: Annotated[str, typer.Option(help="Column holding the arm label.")] = "variant",
    control: Annotated[str, typer.Option(
        help="Label of the control arm (case and surrounding spaces ignored).")]
    = "control",
    cuped: Annotated[str | None, typer.Option(
        help="CUPED covariates as metric=pre_period_column pairs, e.g. 'visits=pre_visits'.")]
    = None,
    guardrail: Annotated[str | None, typer.Option(
        help="Guardrails as metric=margin pairs: 'conversion=0.02' must not drop by more than "
             "2% (relative); 'spend=abs:0.5' by more than 0.5 units.")] = None,
    lower_is_better: Annotated[str | None, typer.Option(
        help="Comma-separated metrics where lower is better (e.g. churn).")] = None,
    cap: Annotated[str | None, typer.Option(
        help="Caps for heavy-tailed metrics as metric=cap pairs: 'revenue=p99' counts each "
             "unit at most at the 99th percentile of all units' revenue, 'revenue=500' at "
             "500.")] = None,
    segment_col: Annotated[str | None, typer.Option(
        help="Pre-period attribute to break results down by (multiplicity-corrected).")] = None,
    unit_col: Annotated[str | None, typer.Option(
        help="Randomisation unit id column (e.g. user_id): rows are summed to one per unit; a "
             "unit in several arms is an error. Without it every row is a unit.")] = None,
    time_col: Annotated[str | None, typer.Option(
        help="Date column for the effects over time: each unit's exposure date (one row per "
             "unit), or with --unit-col the date of each outcome row (a unit's first date is "
             "its exposure): cumulative and daily effects, effects by days since exposure and "
             "a check for an effect that fades (novelty) or grows.")] = None,
    time_csv: Annotated[Path | None, typer.Option(
        help="With --time-col: write the effects over time as CSV (one row per metric x "
             "variant x view x day).")] = None,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    test: Annotated[str, typer.Option(help="'welch' (t-test) or 'z'.")] = "welch",
    correction: Annotated[str, typer.Option(
        help="Multiplicity correction across variants x metrics: holm, bh or none.")] = "holm",
    expected_split: Annotated[str | None, typer.Option(
        help="Designed traffic split for the SRM check, e.g. 'control=0.5,treatment=0.5' "
             "(default: equal).")] = None,
    sequential: Annotated[bool, typer.Option(
        help="Add always-valid p-values and confidence sequences (safe with daily peeking).")]
    = False,
    tuning_n: Annotated[float, typer.Option(
        help="Total units at which the confidence sequence is tightest (planned size).")]
    = 5000.0,
    bayesian: Annotated[bool, typer.Option(
        help="Add P(beat control), expected loss and credible intervals.")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Write a report: .md (with PNG plots beside it), .html or .json.")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the full result record as JSON.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for Monte Carlo credible intervals.")] = 0,
) -> None:
    """Analyse an A/B(/n) test: effects with intervals, SRM check, corrections, guardrails."""
    try:
        ms = build_metrics(metrics, cuped, guardrail, lower_is_better, cap)
        frame, money_notes = _read_money(_read(data), ms, data.name)
        shares = _shares(expected_split)
        if test not in ("welch", "z") or correction not in ("holm", "bh", "none"):
            raise ExperimentInputError(
                f"--test must be welch or z and --correction holm, bh or none; received "
                f"{test!r}, {correction!r}."
            )
        opts = AnalysisOptions(alpha=alpha, test=test, correction=correction,  # type: ignore[arg-type]
                               expected_shares=shares or None, sequential=sequential,
                               tuning_n=tuning_n, bayesian=bayesian, seed=seed)
        if time_csv is not None and time_col is None:
            raise ExperimentInputError(
                "--time-csv writes the effects over time, which need a date column. Fix: pass ",
                Param("time_col"), " too (e.g. --time-col date), or drop --time-csv."
            )
        result = analyze(frame, variant_col, control, ms, options=opts, segment_col=segment_col,
                         source=data.name, unit_col=unit_col, time_col=time_col)
    except (ExperimentInputError, ValueError) as exc:
        raise _fail(exc) from exc
    for note in money_notes:
        console.print(f"note: {note}", style="yellow", markup=False)
    hint = _cuped_hint(frame, ms)
    if hint:
        console.print(hint, style="yellow", markup=False)
    _print_result(result)
    print_time_view(result)
    hint = _srm_hint(result) if result.srm.mismatch and not shares else None
    if hint:
        console.print(hint, style="yellow", markup=False)
    if report:
        console.print(f"report: {write_report(result, report)}")
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(result.to_json(), encoding="utf-8")
        console.print(f"json: {json_out}")
    if time_csv and result.time is not None:
        from experiments import time_table

        time_csv.parent.mkdir(parents=True, exist_ok=True)
        time_table(result.time).to_csv(time_csv, index=False)
        console.print(f"time table: {time_csv}")


@ab_app.command("plan")
def plan_command(
    baseline: Annotated[float, typer.Option(help="Control's expected rate (0-1) or mean.")],
    mde: Annotated[float | None, typer.Option(
        help="Effect to detect, relative to baseline (0.05 = +5%) unless --absolute.")] = None,
    n_control: Annotated[int | None, typer.Option(
        help="Units available for control: with --mde gives power, without gives the MDE.")]
    = None,
    kind: Annotated[str, typer.Option(help="'proportion' or 'mean'.")] = "proportion",
    sd: Annotated[float | None, typer.Option(help="Per-unit standard deviation (means).")] = None,
    absolute: Annotated[bool, typer.Option(help="--mde is in metric units.")] = False,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    target_power: Annotated[float, typer.Option("--power", help="Desired power.")] = 0.8,
    ratio: Annotated[float, typer.Option(help="Treatment units per control unit.")] = 1.0,
    variants: Annotated[int, typer.Option(help="Treatment variants (Bonferroni split).")] = 1,
    metrics: Annotated[int, typer.Option(
        "--metrics", help="Primary metrics the analysis will correct over (brain ab analyze "
                          "corrects over variants x primary metrics): alpha is split over "
                          "variants x metrics.")] = 1,
    cuped_r2: Annotated[float, typer.Option(
        help="Variance reduction expected from CUPED: squared correlation with the pre-period "
             "covariate (0 = none).")] = 0.0,
    one_sided: Annotated[bool, typer.Option(help="Plan a one-sided test.")] = False,
    units_per_day: Annotated[float | None, typer.Option(
        help="Units entering the test per day, all arms together: adds the duration.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the plan as JSON.")]
    = None,
) -> None:
    """Plan a test: sample size (give --mde), MDE (give --n-control) or power (give both)."""
    if units_per_day is not None and not (math.isfinite(units_per_day) and units_per_day > 0):
        raise _fail(ValueError(f"--units-per-day must be a positive number of units a day "
                               f"(all arms together); received {units_per_day}"))
    common = {"baseline": baseline, "kind": kind, "sd": sd, "alpha": alpha, "ratio": ratio,
              "alternative": "one-sided" if one_sided else "two-sided",
              "variance_reduction": cuped_r2, "variants": variants, "metrics": metrics}
    try:
        if n_control is not None and mde is not None:
            plan = power(n_control=n_control, mde=mde, relative=not absolute, **common)  # type: ignore[arg-type]
        elif n_control is not None:
            plan = minimum_detectable_effect(n_control=n_control, power=target_power, **common)  # type: ignore[arg-type]
        elif mde is not None:
            plan = sample_size(mde=mde, relative=not absolute, power=target_power, **common)  # type: ignore[arg-type]
        else:
            raise ExperimentInputError("ab plan: give --mde, --n-control, or both.")
    except (ExperimentInputError, ValueError) as exc:
        raise _fail(exc) from exc
    table = Table(title="Experiment plan")
    table.add_column("quantity")
    table.add_column("value")
    rows = [("metric kind", plan.kind), ("baseline", f"{plan.baseline:.6g}"),
            ("effect (absolute)", f"{plan.mde_absolute:.6g}"),
            ("effect (relative)", f"{plan.mde_relative:+.3%}"),
            ("test", plan.alternative + (
                f", {plan.variants} variant{'s' if plan.variants > 1 else ''} x {plan.metrics} "
                "primary metrics (Bonferroni)" if plan.metrics > 1 else
                f", {plan.variants} variants (Bonferroni)" if plan.variants > 1 else "")),
            ("treatment units per control unit", f"{plan.ratio:g}"),
            ("alpha (per comparison)", f"{plan.alpha} ({plan.alpha_per_comparison:.4g})"),
            ("power", f"{plan.power:.4f}"),
            ("CUPED variance reduction", f"{plan.variance_reduction}"),
            ("units in control", str(plan.n_control)),
            ("units per variant", str(plan.n_per_variant)), ("units in total", str(plan.n_total))]
    days = None
    if units_per_day is not None:
        days = math.ceil(plan.n_total / units_per_day)
        weeks = math.ceil(days / 7)
        # 1,000,000 a day, not '1e+06' (',.6g' turns a whole million into exponent form)
        per_day = (f"{units_per_day:,.0f}" if units_per_day.is_integer()
                   else f"{units_per_day:,.6g}")
        rows.append((f"days at {per_day} units a day",
                     f"{days:,} (run {weeks:,} whole week{'s' if weeks != 1 else ''}: "
                     f"{7 * weeks:,} days)"))
    for r in rows:
        table.add_row(*r)
    console.print(table)
    if days is not None and days < 7:
        console.print("note: under a week of traffic: run at least one whole week anyway, so "
                      "every weekday is in the test (weekend visitors often behave differently)",
                      markup=False)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(plan.to_json(), encoding="utf-8")


@uplift_app.command("train")
@friendly_errors
def uplift_train_command(
    data: Annotated[Path, typer.Option(help="CSV or Parquet file of a randomized experiment.")],
    outcome: Annotated[str, typer.Option(help="Outcome column (0/1 or numeric).")],
    features: Annotated[str, typer.Option(
        help="Comma-separated pre-treatment feature columns (never outcomes).")],
    treatment_col: Annotated[str, typer.Option(help="Column holding the arm label.")]
    = "variant",
    control: Annotated[str, typer.Option(help="Label of the control arm.")] = "control",
    learner: Annotated[str, typer.Option(help="'t' (T-learner) or 'x' (X-learner).")] = "t",
    base: Annotated[str, typer.Option(
        help="Base model: 'lightgbm', 'linear' (logistic/ridge regression) or 'auto': per "
             "treatment, the one with the higher cross-validated Qini on the training rows.")]
    = "auto",
    test_size: Annotated[float, typer.Option(help="Holdout share for evaluation.")] = 0.3,
    k: Annotated[float, typer.Option(help="Share targeted by the top-k policy and uplift@k.")]
    = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the split and the models.")] = 0,
    model_name: Annotated[str | None, typer.Option(
        help="Registered model name (default uplift_<outcome>).")] = None,
    mlflow_log: Annotated[bool, typer.Option(
        "--mlflow/--no-mlflow", help="Log, register and promote in MLflow.")] = True,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result as JSON.")]
    = None,
) -> None:
    """Train a T- or X-learner for every treatment vs control and evaluate it on a holdout.

    The base model (--base) defaults to 'auto': per treatment, LightGBM or a linear model,
    whichever ranks better in cross-validation on the training rows."""
    from experiments import train_uplift

    try:
        frame = _read(data)
        _, result = train_uplift(frame, treatment_col=treatment_col, control=control,
                                 outcome=outcome, features=[f.strip() for f in features.split(",")
                                                            if f.strip()],
                                 learner=learner, base=base,  # type: ignore[arg-type]
                                 test_size=test_size, k=k, seed=seed,
                                 log_to_mlflow=mlflow_log, model_name=model_name,
                                 source=data.name)
    except (ExperimentInputError, ValueError) as exc:
        raise _fail(exc) from exc
    table = Table(title=f"Uplift on {outcome} ({learner}-learner, base {base}, holdout "
                        f"{result.n_holdout})")
    for col in ("treatment", "base", "Qini coef.", "AUUC", f"uplift@{k:.0%} [CI]",
                f"random {k:.0%} (avg effect)", "policy incremental [CI]", "predicted"):
        table.add_column(col)
    for e in result.evaluations:
        p = e.policy
        table.add_row(e.treatment, e.base, f"{e.qini:.4f}", f"{e.auuc:.4f}",
                      f"{e.uplift_at_k:.4f} [{p.ci_low:.4f}, {p.ci_high:.4f}]",
                      f"{_average_effect(p):.4f}",
                      f"{p.incremental_outcome:.1f} [{p.incremental_ci_low:.1f}, "
                      f"{p.incremental_ci_high:.1f}]", f"{p.predicted_incremental:.1f}")
    console.print(table)
    for line in uplift_base_lines(result):
        console.print(line, markup=False)
    for note in uplift_policy_notes(result):
        console.print(note, markup=False)
    for note in _rare_outcome_notes(frame, treatment_col, outcome, test_size):
        console.print(note)
    if result.model_name:
        console.print(f"registered {result.model_name} v{result.model_version}: "
                      f"{result.promotion_reason}")
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(result.to_json(), encoding="utf-8")


def _uplift_model_uri(model_uri: str | None, outcome: str | None) -> str:
    """The URI to score with: ``--model``, else ``uplift_<outcome>@champion``, else the one
    registered uplift model with a champion (an error naming them when there are several)."""
    if model_uri:
        return model_uri
    if outcome:
        return f"models:/uplift_{outcome}@champion"
    from mlflow import MlflowClient

    client = MlflowClient()
    names = sorted(m.name for m in client.search_registered_models()
                   if "champion" in (m.aliases or {}))

    def is_uplift(name: str) -> bool:
        # 'brain uplift train' tags every version with its mean Qini, whatever its name
        # ('--model-name mens_visits' had been answered "no uplift model has a champion")
        try:
            champion = client.get_model_version_by_alias(name, "champion")
        except Exception:  # unreadable: judged by its name, as before
            return name.startswith("uplift")
        return "eval.qini_mean" in (champion.tags or {})

    uplift = [n for n in names if is_uplift(n)]
    if len(uplift) == 1:
        return f"models:/{uplift[0]}@champion"
    if not uplift:
        raise ExperimentInputError(
            "uplift scoring: no uplift model has a champion in the registry "
            f"(registered with one: {names or 'none'}). Fix: train one with 'brain uplift "
            "train', or pass --model URI.")
    raise ExperimentInputError(
        f"uplift scoring: several uplift models have a champion ({', '.join(uplift)}). Fix: "
        "pass --outcome (models:/uplift_<outcome>@champion) or --model URI.")


def _load_uplift_learner(uri: str) -> Any:
    import mlflow

    from ._cli_common import model_label

    try:
        loaded = mlflow.pyfunc.load_model(uri)
    except Exception as exc:
        raise ExperimentInputError(
            f"uplift scoring: could not load model {uri!r} ({str(exc).splitlines()[0]}). Fix: "
            "train one with 'brain uplift train', or pass --model with a registered uplift "
            "model (models:/NAME@champion or models:/NAME/VERSION).") from None
    learner = getattr(loaded.unwrap_python_model(), "learner", None)
    if learner is None or not hasattr(learner, "treatments_"):
        kind = type(loaded.unwrap_python_model()).__name__
        raise ExperimentInputError(
            f"uplift scoring: model {uri!r} is not an uplift model (it holds a {kind}). Fix: "
            "pass an uplift model, e.g. --model models:/uplift_<outcome>@champion.")
    console.print(f"scoring with {model_label(uri)}", highlight=False)
    return learner


def _holdout_line(uri: str, treatments: Sequence[str]) -> str | None:
    """What the registered version showed on its training holdout (Qini, uplift@k per
    treatment), read from its MLflow run; None for a URI outside the registry."""
    from mlflow import MlflowClient

    from ._cli_common import registered_ref

    reg = registered_ref(uri)
    if reg is None:
        return None
    client = MlflowClient()
    try:
        run_id = client.get_model_version(reg[0], reg[1]).run_id
        run = client.get_run(run_id) if run_id else None
    except Exception:  # the label only; scoring does not need it
        return None
    if run is None:
        return None
    m = run.data.metrics
    try:
        k = f"{float(run.data.params.get('k', 'nan')):.0%}"
    except ValueError:
        k = "k"
    parts = []
    for t in treatments:
        slug = "".join(ch if ch.isalnum() else "_" for ch in t).strip("_").lower()
        base = run.data.params.get(f"base_{slug}")
        if f"qini_{slug}" in m:
            parts.append(f"{t}{f' ({base} base)' if base else ''}: Qini "
                         f"{m[f'qini_{slug}']:.4f}, uplift@{k} "
                         f"{m.get(f'uplift_at_k_{slug}', float('nan')):.4f}")
    if not parts:
        return None
    return (f"on its training holdout: {'; '.join(parts)} (Qini 0 is random targeting; "
            "'brain uplift train' printed whether the top k beat random)")


@uplift_app.command("score")
@friendly_errors
def uplift_score_command(
    data: Annotated[Path, typer.Option(
        help="CSV or Parquet file, one row per customer with the model's feature columns.")],
    out: Annotated[Path, typer.Option(help="Output file (.csv or .parquet).")],
    outcome: Annotated[str | None, typer.Option(
        help="Score with models:/uplift_<outcome>@champion.")] = None,
    model_uri: Annotated[str | None, typer.Option(
        "--model", help="Model URI (default: the uplift model with a champion; with several, "
                        "give --outcome or this).")] = None,
    k: Annotated[float, typer.Option(help="Share of customers to target at most.")] = 0.3,
    id_col: Annotated[str | None, typer.Option(
        help="Customer id column copied to the output (default: user_id when present, else "
             "the 1-based data row as 'row').")] = None,
) -> None:
    """Score customers with a registered uplift model and mark the top k to target."""
    from experiments._uplift_score import score_uplift
    from training._mlflow import configure_mlflow

    from ._cli_common import write_frame

    try:
        frame = _read(data)
        configure_mlflow()
        uri = _uplift_model_uri(model_uri, outcome)
        learner = _load_uplift_learner(uri)
        ident = id_col or ("user_id" if "user_id" in frame.columns else None)
        res = score_uplift(learner, frame, k=k, id_col=ident, source=data.name)
    except (ExperimentInputError, ValueError) as exc:
        raise _fail(exc) from exc
    scores = res.scores
    if ident is None:
        scores.insert(0, "row", range(1, len(scores) + 1))
    for note in res.notes:
        console.print(f"note: {note}", markup=False)
    line = _holdout_line(uri, [str(t) for t in learner.treatments_])
    table = Table(title=f"Targeting the top {k:.0%} of {len(scores):,} customers by predicted "
                        "uplift")
    for col in ("treatment", "best for", "targeted", "mean uplift (targeted)",
                "mean uplift (all)", "predicted incremental (targeted)"):
        table.add_column(col)
    for t in learner.treatments_:
        best = scores["best_treatment"] == t
        tgt = best & scores["target"]
        u = scores[f"uplift_{t}"]
        table.add_row(str(t), f"{int(best.sum()):,}", f"{int(tgt.sum()):,}",
                      f"{u[tgt].mean():.4g}" if tgt.any() else "-", f"{u.mean():.4g}",
                      f"{u[tgt].sum():,.1f}")
    console.print(table)
    if line:
        console.print(line, markup=False)
    console.print("The uplift columns rank customers; their sums are the model's estimate, not "
                  "a measured gain: hold out a random control among the targeted to measure it.",
                  markup=False)
    try:
        write_frame(scores, out)
    except ValueError as exc:
        raise _fail(exc) from exc
    console.print(f"wrote {len(scores):,} rows ({res.n_targeted:,} to target) to {out}",
                  highlight=False)


def _average_effect(p: TargetingPolicy) -> float:
    """Observed average effect per unit on the holdout: what k% picked at random would gain."""
    return p.treat_all_incremental / p.n_scored if p.n_scored else float("nan")


def uplift_base_lines(result: UpliftTrainingResult) -> list[str]:
    """With ``--base auto``: per treatment, the base chosen, the cross-validated Qini of each
    base on the training rows that chose it and the standard error of their difference."""
    lines = []
    for e in result.evaluations:
        if not e.cv_qini:
            continue
        scores = ", ".join(f"{b} {q:.4f}" for b, q in sorted(e.cv_qini.items()))
        lines.append(f"base for {e.treatment}: {e.base} (mean Qini over {result.cv_folds} "
                     f"cross-validation folds of the training rows: {scores}; LightGBM is "
                     "chosen only when it leads by more than the folds' standard error of the "
                     f"difference, {e.cv_qini_diff_se:.4f}; the holdout above took no part in "
                     "the choice)")
    return lines


def uplift_policy_notes(result: UpliftTrainingResult) -> list[str]:
    """Notes after ``brain uplift train``'s table: a top-k% whose observed uplift is not
    distinguishable from the average effect (what k% picked at random gains), and a model whose
    predicted incremental outcome lies outside the observed interval. On Hillstrom's visits the
    Mens e-mail model's top 30% gained 0.0839 [0.0600, 0.1076] per customer against an average
    effect of 0.0765 (Qini 0.005): the table alone read as a targeting win."""
    notes = []
    for e in result.evaluations:
        p = e.policy
        ate = _average_effect(p)
        share = f"{p.k:.0%}"
        if p.ci_low <= ate <= p.ci_high:
            notes.append(
                f"note: {e.treatment}: the top {share} by predicted uplift gained "
                f"{p.uplift_per_targeted:.4g} [{p.ci_low:.4g}, {p.ci_high:.4g}] per targeted "
                f"unit; {share} picked at random would gain about the average effect, "
                f"{ate:.4g}, which lies inside that interval: on this holdout the model's "
                f"ranking is not shown to beat random targeting (Qini {e.qini:.3g}; 0 is "
                "random).")
        elif ate > p.ci_high:  # worse than random: the check above had stayed silent on it
            notes.append(
                f"note: {e.treatment}: the top {share} by predicted uplift gained "
                f"{p.uplift_per_targeted:.4g} [{p.ci_low:.4g}, {p.ci_high:.4g}] per targeted "
                f"unit, less than the average effect, {ate:.4g}, that {share} picked at random "
                f"would gain: on this holdout the model's ranking does worse than random "
                f"targeting (Qini {e.qini:.3g}); do not target with it.")
        if not p.incremental_ci_low <= p.predicted_incremental <= p.incremental_ci_high:
            notes.append(
                f"note: {e.treatment}: the model predicted {p.predicted_incremental:.1f} "
                f"incremental for its top {share}, the holdout shows "
                f"{p.incremental_outcome:.1f} [{p.incremental_ci_low:.1f}, "
                f"{p.incremental_ci_high:.1f}]: use its scores to rank customers, not as "
                "forecasts of the gain.")
    return notes


RARE_OUTCOME_EVENTS = 100
"""An arm with fewer outcome events (or non-events) than this gets a note after ``brain uplift
train``: its holdout share is the handful the Qini, AUUC and uplift@k rest on."""


def _rare_outcome_notes(frame: pd.DataFrame, treatment_col: str, outcome: str,
                        test_size: float) -> list[str]:
    """Notes for arms whose 0/1 outcome is rare (e.g. Criteo's conversions: 0.2% of a 15%
    control arm), which the evaluation table does not show: its figures carried no warning."""
    y = pd.to_numeric(frame[outcome], errors="coerce")
    if not y.dropna().isin((0, 1)).all():
        return []
    arms = frame[treatment_col].astype(str)
    notes = []
    for arm, ya in y.groupby(arms):
        events = int(ya.sum())
        rare = min(events, int(ya.notna().sum()) - events)
        if rare < RARE_OUTCOME_EVENTS:
            kind = "1" if rare == events else "0"
            notes.append(
                f"note: arm {arm!r} has only {rare} rows with {outcome} = {kind} "
                f"({rare / max(len(ya), 1):.2%} of {len(ya):,}), about {rare * test_size:.0f} "
                f"of them in the {test_size:.0%} holdout: the Qini coefficient, AUUC and "
                "uplift@k rest on that handful of outcomes and can change a lot with the seed or "
                "the split. Collect more data or evaluate a more frequent outcome "
                "(e.g. visits) before targeting on it.")
    return notes


def demo_step(data_dir: Path) -> dict[str, str]:
    """Analyse the generated world's ``experiment.csv`` and train an uplift model on it.

    Metrics: converted, orders, revenue (CUPED on their pre-period columns) and visits as a
    guardrail (must not drop by more than 2%).

    Writes ``<brain_home>/reports/experiment_report.{md,html,json}`` and registers
    ``uplift_converted`` in MLflow. Raises ``FileNotFoundError`` when the file is absent.
    """
    from experiments import train_uplift
    from training._mlflow import brain_home

    path = Path(data_dir) / "experiment.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"experiments demo: {path} does not exist; the generated world must contain "
            "experiment.csv (columns user_id, variant, pre_visits, pre_revenue, visits, "
            "converted, revenue). Fix: run `brain data generate` first."
        )
    frame = pd.read_csv(path)
    wanted = [c for c in ("converted", "orders", "revenue", "visits") if c in frame.columns]
    if not wanted or "variant" not in frame.columns:
        raise ExperimentInputError(
            f"experiments demo: {path.name} needs a 'variant' column and at least one of "
            f"visits, converted, orders, revenue; received {list(frame.columns)}."
        )
    covariates = {"visits": "pre_visits", "orders": "pre_orders", "converted": "pre_orders",
                  "revenue": "pre_revenue"}
    # visits are a guardrail: the checkout change must not cost more than 2% of visits
    ms = [Metric(m, m, covariate=covariates[m] if covariates[m] in frame.columns else None,
                 guardrail_margin=0.02 if m == "visits" else None) for m in wanted]
    control = "control" if "control" in set(frame["variant"].astype(str)) else sorted(
        frame["variant"].astype(str).unique())[0]
    result = analyze(frame, "variant", control, ms,
                     options=AnalysisOptions(sequential=True, bayesian=True), source=path.name)
    out_dir = brain_home() / "reports"
    md = write_report(result, out_dir / "experiment_report.md")
    html = write_report(result, out_dir / "experiment_report.html")
    write_report(result, out_dir / "experiment_report.json")
    lines = {"A/B report (markdown)": str(md), "A/B report (HTML)": str(html)}
    feats = [c for c in ("pre_visits", "pre_orders", "pre_revenue") if c in frame.columns]
    if feats and "converted" in frame.columns:
        learner, up = train_uplift(frame, treatment_col="variant", control=control,
                                   outcome="converted", features=feats, learner="t", seed=0)
        qini = ", ".join(f"{e.treatment} Qini {e.qini:.3f}" for e in up.evaluations)
        lines["uplift model"] = (f"models:/{up.model_name}@champion ({qini}; "
                                 f"{up.promotion_reason})")
        # whom the next campaign should reach, as `brain uplift score` writes it
        from experiments._uplift_score import score_uplift

        ident = "user_id" if "user_id" in frame.columns else None
        targets = score_uplift(learner, frame, k=0.3, id_col=ident, source=path.name)
        where = brain_home() / "scores" / "uplift_targets.csv"
        where.parent.mkdir(parents=True, exist_ok=True)
        targets.scores.to_csv(where, index=False)
        lines["uplift targets"] = (f"{where} ({targets.n_targeted:,} of {len(frame):,} "
                                   "customers to target, top 30% by predicted uplift; "
                                   f"brain uplift score --data {path} --out FILE)")
    lines["A/B summary"] = ab_summary(result)
    return lines


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
