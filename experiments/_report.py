"""Readable reports of an ``ExperimentResult``: markdown or self-contained HTML, one interval
plot per metric (relative effect and its confidence interval for each variant and segment)."""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments._errors import ExperimentInputError
from experiments._results import Comparison, ExperimentResult

__all__ = ["interval_plot", "render_html", "render_markdown", "time_plot", "time_segment_plot",
           "write_report"]

_TIME_HEADING = ": effects over time"
ALL_UNITS = "(all units)"
"""The segment cell of a time view's rows over every unit."""


def _png(fig: Any, plt: Any, dpi: int) -> bytes:
    """The figure as PNG bytes (closed afterwards: a report draws one per metric)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}"


def _pct(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{100 * x:+.2f}%"


def _p(x: float) -> str:
    if not math.isfinite(x):
        return "–"
    return f"{x:.3g}" if x >= 1e-4 else f"{x:.2e}"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "metric"


def interval_plot(result: ExperimentResult, metric: str) -> bytes:
    """PNG bytes: relative effect with its interval per variant (and per segment) on ``metric``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows: list[tuple[str, Comparison]] = [
        (c.variant, c) for c in result.comparisons if c.metric == metric
    ]
    for s in result.segments:
        rows += [(f"{c.variant} | {s.segment_col}={s.segment}", c) for c in s.comparisons
                 if c.metric == metric]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.4))
    for i, (label, c) in enumerate(rows):
        y = len(rows) - 1 - i
        color = "tab:green" if c.significant and c.absolute_effect > 0 else (
            "tab:red" if c.significant else "tab:gray")
        lo, hi, mid = (100 * c.relative_ci_low, 100 * c.relative_ci_high,
                       100 * c.relative_effect)
        if all(math.isfinite(v) for v in (lo, hi, mid)):
            ax.errorbar(mid, y, xerr=[[mid - lo], [hi - mid]], fmt="o", color=color, capsize=3)
        ax.text(1.01, y, label, transform=ax.get_yaxis_transform(), va="center", fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks([])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(f"relative effect on {metric} vs {result.control} (%), "
                  f"{100 * (1 - result.alpha):.0f}% CI")
    guardrail = any(m.guardrail for m in result.metrics if m.name == metric)
    ax.set_title(f"{metric} (guardrail: colours use unadjusted p-values)" if guardrail
                 else f"{metric} (colours: significant after {result.correction} correction)")
    fig.tight_layout()
    return _png(fig, plt, dpi=110)


def time_plot(result: ExperimentResult, metric: str) -> bytes:
    """PNG bytes: ``metric``'s relative effect over time per variant: the cumulative effect with
    its interval band and the daily effects by calendar day (left), and with dated outcomes the
    effect by days since exposure with the novelty check's windows shaded (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    view = result.time
    assert view is not None
    variants = [v for v in result.variants[1:]
                if any(p.metric == metric and p.variant == v for p in view.points)]
    overall = [p for p in view.points if p.segment is None]
    cols = 2 if view.level == "event" else 1
    fig, axes = plt.subplots(max(len(variants), 1), cols, figsize=(6.5 * cols, 3.2 *
                                                                    max(len(variants), 1)),
                             squeeze=False)
    for row, v in enumerate(variants):
        pts = [p for p in overall if p.metric == metric and p.variant == v]
        ax = axes[row][0]
        cum = [p for p in pts if p.view == "cumulative"]
        daily = [p for p in pts if p.view == "daily"]
        if daily:
            x = pd.to_datetime([p.date for p in daily])
            mid = [100 * p.relative_effect for p in daily]
            err = [[100 * (p.relative_effect - p.relative_ci_low) for p in daily],
                   [100 * (p.relative_ci_high - p.relative_effect) for p in daily]]
            ax.errorbar(x, mid, yerr=err, fmt="o", ms=3, color="tab:gray", alpha=0.5, lw=0.8,
                        label="daily" if view.level == "event" else "exposed that day")
        if cum:
            x = pd.to_datetime([p.date for p in cum])
            ax.fill_between(x, [100 * p.relative_ci_low for p in cum],
                            [100 * p.relative_ci_high for p in cum], color="tab:blue", alpha=0.2)
            ax.plot(x, [100 * p.relative_effect for p in cum], color="tab:blue", lw=2,
                    label="cumulative")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel(f"{v} vs {result.control} (%)")
        ax.set_title(f"{metric}: relative effect by day ({100 * (1 - result.alpha):.0f}% CI)",
                     fontsize=9)
        ax.legend(fontsize=7)
        ax.tick_params(axis="x", labelsize=7, rotation=30)
        if cols == 2:
            ax = axes[row][1]
            exp = [p for p in pts if p.view == "exposure_day"]
            trend = next((t for t in view.trends if t.metric == metric and t.variant == v
                          and t.segment is None), None)
            if trend is not None:
                ax.axvspan(-0.5, trend.early_days - 0.5, color="tab:orange", alpha=0.12)
                ax.axvspan(trend.late_from - 0.5, max((p.exposure_day or 0) for p in exp) + 0.5,
                           color="tab:green", alpha=0.08)
            if exp:
                ks = [p.exposure_day for p in exp]
                mid = [100 * p.relative_effect for p in exp]
                err = [[100 * (p.relative_effect - p.relative_ci_low) for p in exp],
                       [100 * (p.relative_ci_high - p.relative_effect) for p in exp]]
                ax.errorbar(ks, mid, yerr=err, fmt="o", ms=3, color="tab:purple", lw=0.8)
            ax.axhline(0, color="black", lw=0.8)
            title = f"{metric}: by days since exposure"
            if trend is not None:
                title += (f" (first {trend.early_days} d {100 * trend.early_effect:+.1f}%, from "
                          f"day {trend.late_from} {100 * trend.late_effect:+.1f}%"
                          + (f": {trend.direction.upper()}" if trend.flagged else "") + ")")
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("days since the unit's first exposure")
    fig.tight_layout()
    return _png(fig, plt, dpi=100)


def time_segment_plot(result: ExperimentResult, metric: str) -> bytes:
    """PNG bytes: ``metric``'s relative effect over time per variant and segment of the time
    view's segment column, one line per segment beside all units' (dashed): the cumulative
    effect by calendar day (left) and, with dated outcomes, the effect by days since exposure
    (right). Intervals are left out to keep the lines readable; the tables hold them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    view = result.time
    assert view is not None
    assert view.segment_col is not None
    pts = [p for p in view.points if p.metric == metric]
    variants = [v for v in result.variants[1:] if any(p.variant == v for p in pts)]
    segments = list(dict.fromkeys(p.segment for p in pts))  # None (all units) first
    cols = 2 if view.level == "event" else 1
    rows = max(len(variants), 1)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.4 * rows), squeeze=False)
    for row, v in enumerate(variants):
        for col, kind in enumerate(("cumulative", "exposure_day")[:cols]):
            ax = axes[row][col]
            for seg in segments:
                line = [p for p in pts if p.variant == v and p.view == kind
                        and p.segment == seg]
                if not line:
                    continue
                x = (pd.to_datetime([p.date for p in line]) if kind == "cumulative"
                     else [p.exposure_day for p in line])
                y = [100 * p.relative_effect for p in line]
                if seg is None:
                    ax.plot(x, y, color="black", lw=1.5, ls="--", label="all units")
                else:
                    ax.plot(x, y, lw=1.2, marker="o" if kind == "exposure_day" else None,
                            ms=2.5, label=seg)
            ax.axhline(0, color="black", lw=0.6)
            ax.set_ylabel(f"{v} vs {result.control} (%)")
            what = ("cumulative effect by day" if kind == "cumulative"
                    else "effect by days since exposure")
            ax.set_title(f"{metric}: {what} by {view.segment_col}", fontsize=9)
            if kind == "exposure_day":
                ax.set_xlabel("days since the unit's first exposure")
            ax.tick_params(axis="x", labelsize=7, rotation=30 if kind == "cumulative" else 0)
            ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return _png(fig, plt, dpi=100)


def _time_tables(result: ExperimentResult) -> list[tuple[str, list[str], list[list[str]]]]:
    """One table per metric of its effects over time, then the novelty checks."""
    view = result.time
    if view is None:
        return []
    out: list[tuple[str, list[str], list[list[str]]]] = []
    names = {"cumulative": "cumulative", "daily": "daily" if view.level == "event"
             else "exposed that day", "exposure_day": "day of exposure"}
    by_seg = view.segment_col is not None
    seg_head = [f"segment ({view.segment_col})"] if by_seg else []

    def seg_cell(segment: str | None) -> list[str]:
        return ([ALL_UNITS if segment is None else segment] if by_seg else [])

    for m in result.metrics:
        rows = [[p.variant, *seg_cell(p.segment), names[p.view],
                 p.date if p.date is not None else str(p.exposure_day),
                 str(p.n_control), str(p.n_variant),
                 f"{_pct(p.relative_effect)} [{_pct(p.relative_ci_low)}, "
                 f"{_pct(p.relative_ci_high)}]",
                 f"{_fmt(p.absolute_effect)} [{_fmt(p.ci_low)}, {_fmt(p.ci_high)}]",
                 _p(p.p_value)] for p in view.points if p.metric == m.name]
        if rows:
            out.append((f"{m.name}{_TIME_HEADING} ({view.time_col})",
                        ["variant", *seg_head, "view", "date / day of exposure", "n control",
                         "n variant", "relative effect [CI]", "absolute effect [CI]",
                         "p (unadjusted)"], rows))
    if view.trends:
        t0 = view.trends[0]
        family = (f"p adj ({result.correction}; segments' checks over segments x metrics x "
                  "variants)" if by_seg else f"p adj ({result.correction})")
        out.append((f"Does the effect change with exposure time? (first {t0.early_days} days "
                    f"of exposure against day {t0.late_from} on; flagged at adjusted p < "
                    f"{t0.threshold} with one window's effect significant)",
                    ["metric", "variant", *seg_head, f"first {t0.early_days} days [CI]",
                     f"from day {t0.late_from} [CI]", "units", "p", family, "flag"],
                    [[t.metric, t.variant, *seg_cell(t.segment),
                      f"{_pct(t.early_effect)} [{_pct(t.early_ci_low)}, {_pct(t.early_ci_high)}]",
                      f"{_pct(t.late_effect)} [{_pct(t.late_ci_low)}, {_pct(t.late_ci_high)}]",
                      str(t.n_units), _p(t.p_value), _p(t.p_value_adjusted),
                      t.direction.upper() if t.flagged else "no"]
                     for t in view.trends]))
    return out


def _time_metric(heading: str) -> str | None:
    """The metric of a time table's heading, else None."""
    if _TIME_HEADING not in heading:
        return None
    return heading.rsplit(_TIME_HEADING, 1)[0]


def _adjusted_cells(c: Comparison, guardrail: bool) -> list[str]:
    """Adjusted p and significance cells; guardrails are outside the family: say so."""
    if guardrail:
        return ["– (guardrail)", ("yes" if c.significant else "no") + " (unadjusted p)"]
    return [_p(c.p_value_adjusted), "yes" if c.significant else "no"]


def _tables(result: ExperimentResult) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, header, rows) for every table of the report, in order."""
    out: list[tuple[str, list[str], list[list[str]]]] = []
    srm_rows = [[a.variant, str(a.observed), f"{a.expected:.1f}", f"{100 * a.expected_share:.1f}%"]
                for a in result.srm.arms]
    out.append(("Sample ratio check", ["arm", "units", "expected", "designed share"], srm_rows))
    for m in result.metrics:
        arm_rows = [[a.variant, str(a.n), _fmt(a.mean, 6), _fmt(a.std, 4),
                     _fmt(a.adjusted_mean, 6)] for a in m.arms]
        # a ratio metric's kind is 'ratio': said once ("ratio revenue/sessions")
        desc = (f"ratio {m.column}/{m.denominator}" if m.denominator else f"{m.kind}") + (
            f", CUPED on {m.covariate}" if m.covariate else "") + (
            ", guardrail" if m.guardrail else "") + (
            f", capped at {m.cap:,.6g}" + (f" (P{100 * m.cap_quantile:g})" if m.cap_quantile
                                           is not None else "")
            + f": {m.capped_units:,} units above" if m.cap is not None else "") + (
            f"; covariate capped at {m.covariate_cap:,.6g}: {m.covariate_capped_units:,} units "
            "above" if m.covariate_cap is not None else "")
        out.append((f"{m.name} ({desc})", ["arm", "n", "value", "sd per unit",
                                           "CUPED-adjusted"], arm_rows))
        comp_rows = []
        for c in result.comparisons:
            if c.metric != m.name:
                continue
            row = [c.variant, f"{_fmt(c.absolute_effect)} [{_fmt(c.ci_low)}, {_fmt(c.ci_high)}]",
                   f"{_pct(c.relative_effect)} [{_pct(c.relative_ci_low)}, "
                   f"{_pct(c.relative_ci_high)}]", _p(c.p_value), *_adjusted_cells(c, m.guardrail)]
            vr = c.variance_reduction
            row.append(f"{100 * vr:.1f}%" if vr is not None and math.isfinite(vr) else "–")
            if c.sequential:
                adj = ("" if m.guardrail else
                       f", adj {_p(c.sequential.p_value_adjusted)}")
                row.append(f"p={_p(c.sequential.p_value)}{adj} [{_fmt(c.sequential.ci_low)}, "
                           f"{_fmt(c.sequential.ci_high)}], "
                           + ("yes" if c.sequential.significant else "no"))
            if c.bayes:
                row.append(f"{100 * c.bayes.prob_beat_control:.1f}% / "
                           f"{_fmt(c.bayes.expected_loss, 3)}")
            comp_rows.append(row)
        adj_head = ("p adj (none: guardrail, outside the family)" if m.guardrail
                    else f"p adj ({result.correction})")
        header = ["variant vs control", "absolute effect [CI]", "relative effect [CI]", "p",
                  adj_head, "significant", "CUPED variance reduction"]
        if any(c.sequential for c in result.comparisons):
            header.append(f"always-valid p, adj ({result.correction}) [confidence sequence], "
                          "significant")
        if any(c.bayes for c in result.comparisons):
            header.append("P(beat control) / expected loss")
        out.append((f"{m.name}: effects", header, comp_rows))
    if result.guardrails:
        out.append(("Guardrails", ["metric", "variant", "status", "detail"],
                    [[g.metric, g.variant, g.status.upper(), g.message]
                     for g in result.guardrails]))
    if result.segments:
        guards = {m.name for m in result.metrics if m.guardrail}
        seg_rows = []
        for s in result.segments:
            flag = "MISMATCH" if s.srm.mismatch else "ok"
            if not s.comparisons:
                seg_rows.append([s.segment, "–", "–", "too few units", "–", "–", "–", flag])
            seg_rows.extend([s.segment, c.metric, c.variant,
                             f"{_pct(c.relative_effect)} [{_pct(c.relative_ci_low)}, "
                             f"{_pct(c.relative_ci_high)}]", _p(c.p_value),
                             *_adjusted_cells(c, c.metric in guards), flag]
                            for c in s.comparisons)
        col = result.segments[0].segment_col
        out.append((f"Segments by {col}", [
            "segment", "metric", "variant", "relative effect [CI]", "p",
            f"p adj ({result.correction} over segments x variants x metrics; guardrails "
            "unadjusted)", "significant", "SRM"], seg_rows))
    if result.heterogeneity:
        # one metric's test may be on relative effects and another's on absolute ones: the
        # title had named the first row's scale for all of them
        scales = sorted({h.scale for h in result.heterogeneity}, reverse=True)
        scale = (scales[0] if len(scales) == 1 else
                 " or ".join(scales) + " (column 'effects')")
        out.append((f"Does the effect differ across {result.heterogeneity[0].segment_col}? "
                    f"(Cochran's Q on the segments' {scale} effects)",
                    ["metric", "variant", "effects", "segments", "Q", "df", "p"],
                    [[h.metric, h.variant, h.scale, str(h.segments), f"{h.statistic:.3g}",
                      str(h.df), _p(h.p_value)] for h in result.heterogeneity]))
    return out + _time_tables(result)


def _methods(result: ExperimentResult) -> str:
    test = ("Welch's t-test (Welch-Satterthwaite df)" if result.test == "welch" else "z-test")
    return (f"Effects are variant minus control with {100 * (1 - result.alpha):.0f}% intervals "
            f"from {test}; relative effects use the delta method"
            + ("" if all(c.relative_interval == "delta" for c in result.comparisons) else
               " (on the log scale where marked 'log-ratio' or 'katz' in the warnings: few "
               "events)")
            + ". p-values are two-sided and "
            f"adjusted with {result.correction} across variants x metrics. Guardrails are "
            "one-sided non-inferiority checks outside that family. Units are the assigned "
            "population (no rows dropped).")


def _header_lines(result: ExperimentResult) -> list[str]:
    return [
        f"variant column `{result.variant_col}`, control `{result.control}`, variants "
        + ", ".join(f"`{v}`" for v in result.variants[1:]),
        f"{result.n_units} units, alpha {result.alpha}, test {result.test}, "
        f"correction {result.correction}",
    ]


def render_markdown(result: ExperimentResult, plot_dir: str | Path | None = None,
                    prefix: str = "interval") -> str:
    """Markdown report; with ``plot_dir`` also writes one PNG per metric there and links it."""
    lines = ["# Experiment report", ""]
    if result.srm.mismatch:
        lines += [f"> **WARNING — {result.srm.message}**", ""]
    else:
        lines += [f"> {result.srm.message}", ""]
    lines += [f"- {h}" for h in _header_lines(result)] + [""]
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    for heading, header, rows in _tables(result):
        lines += [f"## {heading}", "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r.replace("|", "\\|") for r in row) + " |" for row in rows]
        lines.append("")
        name = heading.removesuffix(": effects")
        if plot_dir is not None and heading.endswith(": effects"):
            path = Path(plot_dir) / f"{prefix}_{_slug(name)}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(interval_plot(result, name))
            lines += [f"![{name} interval plot]({path.name})", ""]
        metric = _time_metric(heading)
        if plot_dir is not None and metric is not None:
            path = Path(plot_dir) / f"{prefix}_time_{_slug(metric)}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(time_plot(result, metric))
            lines += [f"![{metric} effect over time]({path.name})", ""]
            seg_col = result.time.segment_col if result.time is not None else None
            if seg_col is not None:
                path = Path(plot_dir) / f"{prefix}_time_{_slug(metric)}_by_{_slug(seg_col)}.png"
                path.write_bytes(time_segment_plot(result, metric))
                lines += [f"![{metric} effect over time by {seg_col}]({path.name})", ""]
    lines += ["## Methods", "", _methods(result), ""]
    return "\n".join(lines)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(result: ExperimentResult) -> str:
    """Self-contained HTML report with the interval plots embedded as PNG data URIs."""
    css = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
           "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;"
           "padding:3px 8px;font-size:13px}.srm-bad{background:#fdd;border:2px solid #c00;"
           "padding:1em;font-weight:bold}.srm-ok{background:#efe;padding:.5em}")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style>"
             "<title>Experiment report</title></head><body><h1>Experiment report</h1>"]
    cls = "srm-bad" if result.srm.mismatch else "srm-ok"
    parts.append(f"<div class='{cls}'>{html.escape(result.srm.message)}</div><ul>")
    parts += [f"<li>{html.escape(h)}</li>" for h in _header_lines(result)] + ["</ul>"]
    if result.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(
            f"<li>{html.escape(w)}</li>" for w in result.warnings) + "</ul>")
    for heading, header, rows in _tables(result):
        parts.append(f"<h2>{html.escape(heading)}</h2>" + _html_table(header, rows))
        if heading.endswith(": effects"):
            name = heading.removesuffix(": effects")
            data = base64.b64encode(interval_plot(result, name)).decode()
            parts.append(f"<img alt='{html.escape(name)} interval plot' "
                         f"src='data:image/png;base64,{data}'>")
        metric = _time_metric(heading)
        if metric is not None:
            data = base64.b64encode(time_plot(result, metric)).decode()
            parts.append(f"<img alt='{html.escape(metric)} effect over time' "
                         f"src='data:image/png;base64,{data}'>")
            seg_col = result.time.segment_col if result.time is not None else None
            if seg_col is not None:
                data = base64.b64encode(time_segment_plot(result, metric)).decode()
                parts.append(f"<img alt='{html.escape(metric)} effect over time by "
                             f"{html.escape(seg_col)}' src='data:image/png;base64,{data}'>")
    parts.append(f"<h2>Methods</h2><p>{html.escape(_methods(result))}</p></body></html>")
    return "".join(parts)


def write_report(result: ExperimentResult, path: str | Path) -> Path:
    """Write ``path`` (.md with PNGs beside it, .html self-contained, .json the record)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix in (".md", ".markdown"):
        text = render_markdown(result, plot_dir=out.parent, prefix=out.stem)
        out.write_text(text, encoding="utf-8")
    elif suffix in (".html", ".htm"):
        out.write_text(render_html(result), encoding="utf-8")
    elif suffix == ".json":
        out.write_text(result.to_json(), encoding="utf-8")
    else:
        raise ExperimentInputError(
            f"report path {str(out)!r}: the suffix must be .md, .html or .json; received "
            f"{out.suffix!r}."
        )
    return out
