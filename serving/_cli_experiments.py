"""``brain demo``'s experiments step: the generated world's A/B test and uplift targets.

The experiments commands themselves live in ``_cli_ab`` (``brain ab analyze``, ``brain ab
plan``) and ``_cli_uplift`` (``brain uplift train``, ``brain uplift score``); reading and
parsing their inputs in ``_cli_ab_inputs``; what ``brain ab analyze`` prints in
``_cli_ab_print``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments import AnalysisOptions, ExperimentInputError, Metric, analyze, write_report

from ._cli_ab_print import ab_summary

__all__ = ["demo_step"]


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
        # the champion's URI only when this version is it: a version the champion rule kept
        # back (no treatment's Qini clearly above 0) had been shown as '@champion', and the
        # suggested 'brain uplift score' then found no champion to score with
        uri = (f"models:/{up.model_name}@champion" if up.promoted
               else f"models:/{up.model_name}/{up.model_version}")
        lines["uplift model"] = f"{uri} ({qini}; {up.promotion_reason})"
        # whom the next campaign should reach, as `brain uplift score` writes it
        from experiments._uplift_score import score_uplift

        ident = "user_id" if "user_id" in frame.columns else None
        targets = score_uplift(learner, frame, k=0.3, id_col=ident, source=path.name)
        where = brain_home() / "scores" / "uplift_targets.csv"
        where.parent.mkdir(parents=True, exist_ok=True)
        targets.scores.to_csv(where, index=False)
        lines["uplift targets"] = (f"{where} ({targets.n_targeted:,} of {len(frame):,} "
                                   "customers to target, top 30% by predicted uplift; "
                                   f"brain uplift score --data {path} --out FILE"
                                   + ("" if up.promoted else f" --model {uri}") + ")")
    lines["A/B summary"] = ab_summary(result)
    return lines
