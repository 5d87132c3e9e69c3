"""``brain ab analyze`` and ``brain ab plan``: thin wrappers over ``experiments.analyze`` and
the planning functions; inputs are read and parsed by ``serving._cli_ab_inputs``, results
printed by ``serving._cli_ab_print``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from experiments import (
    AnalysisOptions,
    ExperimentInputError,
    Param,
    analyze,
    minimum_detectable_effect,
    power,
    sample_size,
    write_report,
)

from ._cli_ab_inputs import _fail, _read, _read_money, _shares, build_metrics
from ._cli_ab_print import _cuped_hint, _print_result, _srm_hint, console, print_time_view

__all__ = ["ab_app"]

ab_app = typer.Typer(help="Analyse and plan A/B tests.", no_args_is_help=True)


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
    exposure_col: Annotated[str | None, typer.Option(
        help="With --unit-col and --time-col: column with each unit's exposure timestamp (on "
             "every row of the unit, or on some; the earliest counts). Rows dated before their "
             "unit's exposure (pre-period events) are left out of the outcome sums, with a "
             "note counting them, and days since exposure count from it.")] = None,
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
                         source=data.name, unit_col=unit_col, time_col=time_col,
                         exposure_col=exposure_col)
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
