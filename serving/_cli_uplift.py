"""``brain uplift train`` and ``brain uplift score``: fit and evaluate uplift learners
(``experiments.train_uplift``), score customers with a registered one, and the notes that
follow the tables (base choice, a ranking no better than random, rare outcomes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from experiments import ExperimentInputError, TargetingPolicy

from ._cli_ab_inputs import _fail, _read
from ._cli_ab_print import console
from ._cli_common import friendly_errors

if TYPE_CHECKING:
    from experiments._uplift_train import UpliftTrainingResult

__all__ = ["RARE_OUTCOME_EVENTS", "uplift_app", "uplift_base_lines", "uplift_policy_notes"]

uplift_app = typer.Typer(help="Uplift models: which customers a campaign actually moves.",
                         no_args_is_help=True)


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
        if mlflow_log:  # before the data is read
            from training._mlflow import check_registry_uri

            check_registry_uri(f"register {model_name or f'uplift_{outcome}'}")
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
    if result.run_id:
        _describe_uplift_run(result, data)
    if result.model_name:
        console.print(f"registered {result.model_name} v{result.model_version}: "
                      f"{result.promotion_reason}")
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(result.to_json(), encoding="utf-8")


def _describe_uplift_run(result: Any, data: Path) -> None:
    """The run's and the registered version's description in the MLflow UI, and the input
    file (``source.input``), as ``brain train`` and ``brain forecast train`` give theirs: an
    uplift run named neither its file nor its result, and its version had no description."""
    from mlflow import MlflowClient

    scores = "; ".join(f"{e.treatment}: Qini {e.qini:.4f}, uplift@{e.k:.0%} {e.uplift_at_k:.4f} "
                       f"({e.base})" for e in result.evaluations)
    text = (f"{result.learner.upper()}-learner uplift model of {result.outcome} from {data} "
            f"({result.n_train + result.n_holdout:,} units: {result.n_train:,} training, "
            f"{result.n_holdout:,} holdout; control {result.control!r}; features "
            f"{', '.join(result.features)}); holdout {scores}. "
            + (f"Champion: {result.promotion_reason}" if result.model_version
               else "Not registered."))
    client = MlflowClient()
    client.set_tag(result.run_id, "mlflow.note.content", text)
    client.set_tag(result.run_id, "source.input", str(Path(data).resolve()))
    if result.model_name and result.model_version:
        client.update_model_version(result.model_name, result.model_version, description=text)


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
        configure_mlflow()  # a registry that cannot be read: said before the data is
        frame = _read(data)
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
        constant = getattr(e, "cv_constant_folds", {})
        scores = ", ".join(
            f"{b} {q:.4f}" + (f" (the same uplift for everyone in {constant[b]} of "
                              f"{result.cv_folds} folds: no Qini there, it ranks nobody)"
                              if constant.get(b) and math.isfinite(q) else "")
            if math.isfinite(q) else
            f"{b}: the same uplift for everyone in {constant.get(b, 0)} of {result.cv_folds} "
            "folds (it ranks nobody)"
            for b, q in sorted(e.cv_qini.items()))
        lines.append(f"base for {e.treatment}: {e.base} (mean Qini over {result.cv_folds} "
                     f"cross-validation folds of the training rows: {scores}; LightGBM is "
                     "chosen only when it leads by more than the folds' standard error of the "
                     + (f"difference, {e.cv_qini_diff_se:.4f}" if math.isfinite(e.cv_qini_diff_se)
                        else "difference, which needs two folds where both bases rank")
                     + "; the holdout above took no part in the choice)")
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
