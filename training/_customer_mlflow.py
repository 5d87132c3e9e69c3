"""MLflow for the customer models: runs, plots, the pyfunc scorer and registration.

Registered names: ``churn``, ``purchase_propensity`` and ``customer_value``. The logged model is an
MLflow pyfunc whose input is a feature frame (one row per customer: ``user_id`` plus the feature
columns the model was trained on; extra columns are ignored) and whose output is one row per
customer: ``user_id``, ``score`` (calibrated probability, or revenue for value), ``tier``,
``early_warning`` (visits fell by 50% or more, or orders for a customer with no visit
recorded; missing when the input cannot tell), ``early_warning_basis``,
``early_warning_spend`` (spend of the last 30 days at most half the customer's monthly average)
and ``reason_1`` .. ``reason_3``. A table model takes the table as read under its own id column
name (``train_and_register(..., id_col=...)``; cells typed as ``brain score --table`` types
them), and answers under that name. Param ``reasons`` (default true) switches the reasons off
for speed; ``reason_method`` is ``shap`` (LightGBM TreeSHAP, default) or ``path`` (decision
path, faster).

Whether a registered version becomes the champion (the evaluation it is compared on, the
champion re-scored on it, the checks that keep the champion): ``training._customer_champion``.
"""

from __future__ import annotations

import json
import logging
import pickle
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel, PythonModelContext

from ._customer_champion import (
    PRIMARY,
    _evaluation_key,
    _population_guard,
    _rescorer,
    _validation_rows,
    _veto,
)
from ._customer_dates import SNAPSHOT_COLUMNS, snapshot_date_warning
from ._customer_empty import check_empty_columns
from ._customer_eval import (
    plot_importance,
    plot_lift,
    plot_reliability,
    plot_roc,
    plot_value_deciles,
    save_figure,
)
from ._customer_labels import LabelDefinition, label_definition
from ._customer_levels import model_level_codes
from ._customer_models import CustomerFitReport, CustomerModel
from ._customer_reasons import (
    disengaged_sign,
    held_down_prefix,
    prior_directions,
    reasons_from_array,
)
from ._customer_tiers import (
    TIERS,
    TierRule,
    assign_tiers,
    early_warning_chance,
    early_warning_spend,
    early_warning_with_basis,
)
from ._examples import synthetic_example
from ._mlflow import (
    Promotion,
    check_registry_uri,
    get_or_create_experiment,
    promote_if_better,
    register_model,
)
from ._versions import KEPT_TAG

__all__ = [
    "EXPERIMENT",
    "REGISTERED_NAMES",
    "CustomerScorer",
    "CustomerTrainOutcome",
    "log_customer_model",
    "score_frame",
    "train_and_register",
]

_log = logging.getLogger("training._customer_models")  # the customer model's own logger

REGISTERED_NAMES: dict[str, str] = {
    "churn": "churn", "propensity": "purchase_propensity", "value": "customer_value"}
"""Task -> MLflow registered model name."""

MODEL_DESCRIPTIONS: dict[str, str] = {
    task: (f"{what} The label window and data of each version are on the version. 'brain "
           f"score {cmd}' and the API score with the version that has the alias `champion`; "
           f"it moves only when a new version has a lower validation {metric} on a fair "
           f"comparison (the version's `promotion` tag says why; 'brain models {name}' lists "
           "the moves).")
    for task, cmd, name, what, metric in (
        ("churn", "churn", "churn", "Churn: each customer's probability of no order in the "
         "label window after the scoring date, with a tier and reasons.", "Brier score"),
        ("propensity", "propensity", "purchase_propensity", "Purchase propensity: each "
         "customer's probability of an order in the label window after the scoring date, "
         "with a tier and reasons.", "Brier score"),
        ("value", "value", "customer_value", "Customer value: each customer's revenue in the "
         "label window after the scoring date, with a tier and reasons.", "RMSE"))}
"""The registered models' own descriptions in the MLflow UI (``register_model``)."""
EXPERIMENT = "customer_models"
"""MLflow experiment of the customer-model runs."""


def score_frame(model: CustomerModel, frame: pd.DataFrame, *, reasons: bool = True,
                top: int = 3, tiers: TierRule | None = None,
                reason_method: str = "shap",
                reference: np.ndarray | None = None,
                lowest: np.ndarray | None = None) -> pd.DataFrame:
    """Scores, tiers, early-warning flag and reasons for every row of a feature frame.

    ``reason_method``: ``"shap"`` ranks LightGBM's built-in TreeSHAP contributions
    (``pred_contrib``); ``"path"`` ranks decision-path contributions
    (``training._customer_paths``), computed in the same pass over the trees as the scores and
    about 10x faster: the batch default for millions of customers.

    ``reference``: scores of the population a rank-tiered (value) model's rows are tiered among
    (``assign_tiers``; default: the rows themselves). The lowest tier's reasons say what keeps
    the score low, so the tier must be the final one before the reasons are written.

    ``lowest``: which rows get the lowest tier's reasons (a boolean per row; default: the rows
    whose own score falls in the lowest tier). For scores moved after the model (a season
    adjustment, a longer horizon): the tier the moved score gets decides the reasons' direction.

    Returns columns ``user_id`` (when the input has it), ``score``, ``tier``, ``early_warning``,
    ``early_warning_basis``, ``early_warning_chance``, ``early_warning_spend`` and, with
    ``reasons``, ``reason_1`` .. ``reason_<top>``; same row order as ``frame``.
    """
    if reasons and reason_method not in ("shap", "path"):
        raise ValueError(f"score_frame: reason_method must be 'shap' or 'path'; received "
                         f"{reason_method!r}")
    contrib: np.ndarray | None = None
    shown = as_read(model, model.augment(frame)) if reasons else frame
    if reasons and reason_method == "path":
        score, contrib = model.path_score(shown, allow_empty_columns=True)  # its callers check
    else:
        score = model.score(shown, allow_empty_columns=True)  # its callers check
        if reasons:
            contrib = model.contributions(shown, allow_empty_columns=True).drop(
                columns="bias").to_numpy()
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    if "user_id" in frame.columns:
        out["user_id"] = frame["user_id"].to_numpy()
    out["score"] = score
    out["tier"] = assign_tiers(score, tiers or TIERS[model.task], reference=reference)
    warning, basis = early_warning_with_basis(frame)
    out["early_warning"] = warning.array  # nullable boolean: NA = cannot tell
    out["early_warning_basis"] = basis.array  # 'visits', 'orders' (no visit recorded) or NA
    # flagged rows: how often a customer whose rate did not change would fall this far
    out["early_warning_chance"] = early_warning_chance(frame, basis, warning).array
    # beside it, not instead: spend in the last 30 days at most half the own monthly average
    out["early_warning_spend"] = early_warning_spend(frame).array
    if contrib is not None:
        # the lowest tier (churn 'low', propensity 'cold', value 'low') is told what keeps its
        # score low; every other tier what pushes it up, or, when nothing does (a score below
        # the model's average customer's), what holds it down, said so in each sentence
        last = out["tier"].cat.categories[-1]
        text = reasons_from_array(contrib, model.features_, shown,
                                  model.typical_, top=top, index=out.index,
                                  down=(np.asarray(out["tier"] == last) if lowest is None
                                        else np.asarray(lowest, dtype=bool)),
                                  directions=_directions(model),
                                  same_as=getattr(model, "same_as_", None),
                                  disengaged=disengaged_sign(model.task),
                                  binary=getattr(model, "binary_", ()),
                                  percent=getattr(model, "percent_", None),
                                  held_down=held_down_prefix(model.task))
        for col in text.columns:
            out[col] = text[col]
    return out


def _directions(model: CustomerModel) -> dict[str, int] | None:
    """The model's feature directions with today's engagement meanings (``prior_directions``),
    so a model saved before a meaning was added gets it too."""
    learned = getattr(model, "directions_", None)
    return prior_directions(model.task, learned) if learned else None


def as_read(model: CustomerModel, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each category cell as the model reads it: its own level (a cell that
    differs only in case or spaces takes the level's spelling) or missing (a level never seen),
    so a reason never quotes a value the model did not use."""
    levels = getattr(model, "levels_", None) or {}
    cols = [c for c in levels if c in frame.columns]
    if not cols:
        return frame
    frame = frame.copy()
    for col in cols:
        known = np.asarray(levels[col], dtype=object)
        codes = model_level_codes(model, col, frame[col])
        read = np.where(codes >= 0, known[np.maximum(codes, 0)] if len(known) else None, None)
        frame[col] = pd.array(read, dtype="string")
    return frame


class CustomerScorer(PythonModel):
    """Pyfunc wrapper: feature frame in, scores + tier + early warning + reasons out."""

    def load_context(self, context: PythonModelContext) -> None:
        """Unpickle the fitted ``CustomerModel`` from the model's artifacts."""
        path = Path(context.artifacts["customer_model"])
        with path.open("rb") as fh:
            self.model = pickle.load(fh)
        self.takes_allow_ = _signature_takes(path.parent.parent, "allow_empty_columns")

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Score every row (see module docstring). A table model takes the table as read
        (``pd.read_csv``): its own id column, and cells typed as ``brain score --table``
        types them (``features.infer_table_types`` with the model's columns). A table of 20
        rows or more whose number column the model learned from has no readable number in any
        row raises ``EmptyColumnsError`` (``training._customer_empty``), as ``brain score
        --table`` stops on it, unless ``params={"allow_empty_columns": True}``."""
        params = params or {}
        frame = pd.DataFrame(model_input)
        id_col = getattr(self.model, "id_col_", None)
        if id_col is not None:
            raw = frame
            frame = _as_table(self.model, frame, id_col)
            if not params.get("allow_empty_columns", False):  # as brain score --table
                check_empty_columns(
                    self.model, frame, name="the table",
                    option=("pass params={'allow_empty_columns': True}"
                            if getattr(self, "takes_allow_", True) else _OLD_SIGNATURE),
                    written={c: raw[c] for c in self.model.numeric_ if c in raw.columns})
            # as brain score --table and the API warn: an asof years off scores days since
            # that the model never learned, in silence until 2026-12-08
            wrong = snapshot_date_warning(self.model, frame, "pyfunc")
            if wrong:
                _log.warning("CustomerModel(%s): %s", self.model.task, wrong)
        out = score_frame(self.model, frame,
                          reasons=bool(params.get("reasons", True)),
                          reason_method=str(params.get("reason_method", "shap")))
        if id_col is not None and id_col != "user_id" and "user_id" in out.columns:
            out = out.rename(columns={"user_id": id_col})
        out["tier"] = out["tier"].astype(str)
        # 1 = visits halved, 0 = not, NaN = unknown (the input could not tell).
        for c in ("early_warning", "early_warning_chance", "early_warning_spend"):
            out[c] = out[c].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        for c in out.columns:
            if c.startswith("reason_") or c in ("user_id", id_col):
                out[c] = out[c].astype(object).where(out[c].notna(), "")
        return out


# a version logged before the param: MLflow drops params its signature lacks ("Unrecognized
# params ... are ignored"), so the usual way to score anyway does nothing there
_OLD_SIGNATURE = ("this model version was logged before its signature took "
                  "'allow_empty_columns', and MLflow drops a param the signature lacks: fill "
                  "the column, retrain (brain train registers a version that takes it), or call "
                  "unwrap_python_model().predict(None, table, {'allow_empty_columns': True})")


def _signature_takes(model_dir: Path, name: str) -> bool:
    """Whether the pyfunc in ``model_dir`` (its MLmodel file) declares the param ``name``
    (not without a signature); True when the file cannot be read (the message then gives the
    usual way)."""
    from mlflow.models import Model

    try:
        signature = Model.load(str(model_dir)).signature
    except Exception:  # no MLmodel beside the artifact (a copied pickle): assume a current one
        return True
    if signature is None:  # MLflow drops every param of a model logged without one
        return False
    params = getattr(signature, "params", None)
    return params is not None and any(p.name == name for p in params.params)


def _as_table(model: CustomerModel, frame: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """A customer table as ``brain score --table`` reads it: the id column as ``user_id``
    (text; 16270.0 from a float column, or written as text, is 16270) and the model's numeric
    and category columns typed by ``features.infer_table_types`` (text in a number column
    becomes missing)."""
    from features import infer_table_types, table_ids

    if id_col in frame.columns and id_col != "user_id":
        frame = frame.rename(columns={id_col: "user_id"})
    label = getattr(model, "label_col_", None)
    # a date column read as days since stays text for ``parse_table_dates``: a cell that is
    # no date is an error naming it, not a guess
    keep = ("user_id", *((label,) if label else ()), *getattr(model, "date_days_", ()))
    frame = infer_table_types(frame, keep_text=keep, numeric=model.numeric_,
                              categorical=model.categorical_,
                              decimal_comma=getattr(model, "decimal_comma_", ()))
    if "user_id" in frame.columns:
        frame["user_id"] = table_ids(frame["user_id"]).astype(str)
    return frame


def _requirements() -> list[str]:
    import importlib.metadata as md

    out = []
    for p in ("pandas", "numpy", "lightgbm", "scikit-learn", "mlflow"):
        try:
            out.append(f"{p}=={md.version(p)}")
        except md.PackageNotFoundError:
            continue
    return out


def log_customer_model(model: CustomerModel, example: pd.DataFrame,
                       artifact_path: str = "model") -> Any:
    """Log a fitted model as a pyfunc with signature and input example (inside an active run).

    The input example is synthetic (``training._examples.synthetic_example``): column
    medians and quantiles, frequent levels and placeholder ids built from ``example`` (the
    training frame), never its rows: MLflow copies the example to the artifact store with the
    version, and real rows there are customers' personal data.

    A table model (``model.id_col_`` set by ``train_and_register(..., id_col=...)``) takes the
    table under its own id column name, and every input column is declared ``Any``: MLflow 3
    would reject int64 cells against ``double`` and text in a number column, which
    ``brain score --table`` reads (the model types the cells itself, see ``_as_table``).
    """
    id_col = getattr(model, "id_col_", None)
    cols = (["user_id", *model.input_features_] if "user_id" in example.columns
            else list(model.input_features_))
    if getattr(model, "date_days_", ()):  # the snapshot its date columns count days from
        cols += [next(c for c in SNAPSHOT_COLUMNS if c in example.columns)]
    example = synthetic_example(example, cols,
                                id_col="user_id" if "user_id" in cols else None)
    for c in model.categorical_:
        if c in example.columns:  # the signature takes text; levels are re-applied inside
            example[c] = example[c].astype(str).where(example[c].notna(), "")
    if id_col is not None and id_col != "user_id" and "user_id" in example.columns:
        example = example.rename(columns={"user_id": id_col})
    scorer = CustomerScorer()
    scorer.model = model
    params = {"reasons": True, "reason_method": "shap", "allow_empty_columns": False}
    out = scorer.predict(None, example, params)
    signature = infer_signature(example, out, params=params)
    if id_col is not None:
        from mlflow.types.schema import AnyType, ColSpec, Schema

        signature.inputs = Schema([ColSpec(AnyType(), str(c)) for c in example.columns])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customer_model.pkl"
        with path.open("wb") as fh:
            pickle.dump(model, fh)
        return mlflow.pyfunc.log_model(
            name=artifact_path, python_model=CustomerScorer(),
            artifacts={"customer_model": str(path)}, signature=signature,
            input_example=example, pip_requirements=_requirements())


@dataclass(frozen=True)
class CustomerTrainOutcome:
    """What ``train_and_register`` produced.

    Attributes:
        task: churn, propensity or value.
        run_id: MLflow run id.
        model_uri: URI of the logged pyfunc model.
        registered_name: registry name (``churn``, ``purchase_propensity``, ``customer_value``).
        version: registered version (None when ``register=False``).
        evaluation: evaluation key the metrics belong to.
        metrics: validation metrics logged to the run.
        promotion: what ``promote_if_better`` decided (None when not registered).
        report: the model's fit report.
        plots: paths of the plots written (also logged as run artifacts).
    """

    task: str
    run_id: str
    model_uri: str
    registered_name: str
    version: str | None
    evaluation: str
    metrics: dict[str, float]
    promotion: Promotion | None
    report: CustomerFitReport
    plots: tuple[str, ...]


def _plots(model: CustomerModel, out_dir: Path) -> list[Path]:
    vf = model.validation_frame_
    y, p, p0 = vf["y"].to_numpy(), vf["pred"].to_numpy(), vf["pred_uncalibrated"].to_numpy()
    imp = model.importance()
    paths = [save_figure(plot_importance(list(imp.index), imp.to_numpy(),
                                         title=f"{model.task}: feature importance (gain)"),
                         out_dir / "importance.png")]
    if model.kind == "classifier":
        label = model.report_.calibration_method
        paths += [
            save_figure(plot_roc(y, {"model": p}, title=f"{model.task}: ROC (validation)"),
                        out_dir / "roc.png"),
            save_figure(plot_reliability(y, {f"calibrated ({label})": p, "uncalibrated": p0},
                                         title=f"{model.task}: reliability (validation)"),
                        out_dir / "reliability.png"),
            save_figure(plot_lift(y, {"model": p}, title=f"{model.task}: cumulative gain"),
                        out_dir / "lift.png"),
        ]
    else:
        paths += [
            save_figure(plot_value_deciles(y, p, title="value: predicted vs actual by decile"),
                        out_dir / "value_deciles.png"),
            save_figure(plot_lift(y, {"model": p}, title="value: cumulative share of revenue",
                                  captured="revenue"),
                        out_dir / "lift.png"),
        ]
    return paths


def _label_tags(labels: LabelDefinition) -> dict[str, str]:
    """MLflow params / tags of a model's label definition (``label`` in words)."""
    return {"label": labels.describe(), "label.task": labels.task,
            "label.column": str(labels.label_col),
            "label.horizon_days": "" if labels.horizon_days is None else str(labels.horizon_days),
            "label.churn_rule": labels.churn_rule or ""}


def _last_label_day(frame: pd.DataFrame, horizon_days: int | None) -> str | None:
    """The last day of data the model learned from: the end of its latest cutoff's label window
    (``cutoff + horizon_days - 1``), or None for a table without cutoffs or a horizon."""
    if "cutoff" not in frame.columns or not horizon_days:
        return None
    cut = pd.to_datetime(frame["cutoff"], errors="coerce").max()
    if pd.isna(cut):
        return None
    return str((cut + pd.Timedelta(int(horizon_days) - 1, "D")).date())


def _data_tags(frame: pd.DataFrame, horizon_days: int | None, id_col: str | None
               ) -> dict[str, str]:
    """``DATA_TAGS`` of a customer model: its last label day (``data_cutoff``, None for a
    table without cutoffs), the first day of its events (``data.start``, known for events
    only) and the customers in its training frame (every split)."""
    out = {}
    last_label_day = _last_label_day(frame, horizon_days)
    if last_label_day is not None:  # GET /models' data_cutoff
        out["data_cutoff"] = last_label_day
    if "data.start" in frame.attrs:
        out["data.start"] = str(frame.attrs["data.start"])
    ids = next((c for c in ("user_id", id_col) if c is not None and c in frame.columns), None)
    if ids is not None:
        out["data.n_customers"] = str(int(frame[ids].nunique()))
    return out


def train_and_register(
    task: str,
    frame: pd.DataFrame,
    *,
    model: CustomerModel | None = None,
    evaluation_tag: str = "",
    params: dict[str, Any] | None = None,
    register: bool = True,
    plot_dir: Path | None = None,
    allow_suspected_leakage: bool = False,
    id_col: str | None = None,
) -> CustomerTrainOutcome:
    """Fit, log (params, metrics, plots, reasons sample, pyfunc), register and maybe promote.

    Args:
        task: churn, propensity or value.
        frame: stacked feature+label frame (see ``CustomerModel``).
        model: an unfitted ``CustomerModel`` with custom settings (default ``CustomerModel(task)``).
        evaluation_tag: extra text in the evaluation key (e.g. ``horizon=90``), so models
            validated under different label definitions are never compared.
        params: extra parameters to log (data path, horizon, cutoffs...).
        register: register the model and run the champion promotion.
        plot_dir: where to keep the plots (default: a temporary folder; always logged).
        id_col: for a customer table, its own id column name (``user_id`` in ``frame``):
            the logged pyfunc then takes the table as read, under that name (``_as_table``).
        allow_suspected_leakage: let a model whose single feature nearly determines the label
            (``CustomerFitReport.suspected_leakage``) become champion. A model with no skill
            (``CustomerFitReport.no_skill``) never does.
    """
    est = model if model is not None else CustomerModel(task)  # type: ignore[arg-type]
    if est.task != task:
        raise ValueError(f"train_and_register: model task {est.task!r} does not match task "
                         f"{task!r}")
    name = REGISTERED_NAMES[task]
    if register:  # a registry that cannot take the model: said before the fit
        check_registry_uri(f"register {name}")
    exp = get_or_create_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{name}") as run, \
            tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tag("kind", "train")
        mlflow.set_tag("task", task)
        est.fit(frame)
        rep = est.report_
        if params and "keep_columns" in params:  # the kept columns the model reads (fit)
            kept = getattr(est, "kept_columns_", ())
            params = {k: v for k, v in params.items() if k != "keep_columns"} | (
                {"keep_columns": ",".join(kept)} if kept else {})
        # labels as the model read them (yes/no -> 1/0) for the evaluation key and metrics
        frame = frame.assign(**{rep.label_col: est._labels(frame, rep.label_col)})
        evaluation, rows_key = _evaluation_key(est, frame, evaluation_tag)
        if rep.warnings:  # also logged at WARNING by fit and kept in fit_report.json
            mlflow.set_tag("warnings", " | ".join(rep.warnings)[:5000])
        if rep.suspected_leakage:
            mlflow.set_tag("suspected_leakage", ",".join(rep.suspected_leakage)[:5000])
        # constructor settings only (not fitted state, not private caches); a setting left to
        # the automatic choice is logged with the value chosen
        chosen = getattr(est, "settings_", {}) or {}
        settings = {k: (f"{chosen[k]} (chosen)" if v is None and k in chosen else v)
                    for k, v in vars(est).items()
                    if not k.endswith("_") and not k.startswith("_")}
        mlflow.log_params({**{f"model.{k}": str(v)[:500] for k, v in settings.items()},
                           **{k: str(v)[:500] for k, v in (params or {}).items()},
                           "label_col": rep.label_col, "split_scheme": rep.split.scheme,
                           "train_cutoffs": ",".join(rep.split.train_cutoffs)[:500],
                           "calibration_cutoffs": ",".join(rep.split.calibration_cutoffs),
                           "validation_cutoffs": ",".join(rep.split.validation_cutoffs),
                           "calibration_method": rep.calibration_method,
                           "calibration_windows": ",".join(
                               getattr(rep, "calibration_windows", ())) or "none",
                           "best_iteration": rep.best_iteration, "n_features": len(rep.features),
                           "settings": json.dumps(getattr(est, "settings_", {}), sort_keys=True),
                           "settings_losses": ",".join(
                               f"{v:.6g}" for v in getattr(est, "settings_losses_", [])),
                           "evaluation": evaluation[:500]})
        # what the label means (window, churn rule), on the run and the version: a churn
        # model of "no order and no visit" had been judged and compared as one of "no order"
        label_tags = _label_tags(label_definition(est))
        mlflow.log_params({k: v or "none" for k, v in label_tags.items() if k != "label"})
        mlflow.set_tags(label_tags)
        # what it learned from (version_data), on the run and on the version alike
        data_tags = _data_tags(frame, est.horizon_days, id_col)
        mlflow.set_tags(data_tags)
        for key in ("data.end", "data.n_events", "data.n_events_by_type", "data.changed"):
            if key in frame.attrs:
                mlflow.set_tag(key, str(frame.attrs[key]))
        metrics = {k: v for k, v in rep.validation.as_dict().items() if np.isfinite(v)}
        mlflow.log_metrics({f"valid_{k}": v for k, v in metrics.items()})
        mlflow.log_metrics({f"valid_uncalibrated_{k}": v for k, v in
                            rep.validation_uncalibrated.as_dict().items() if np.isfinite(v)})
        mlflow.log_metrics({f"calibration_score_{k}": v
                            for k, v in rep.calibration_scores.items()})
        if rep.validation_active is not None:
            mlflow.log_metrics({f"valid_active_{k}": v for k, v in
                                rep.validation_active.as_dict().items() if np.isfinite(v)})
        best_single = getattr(rep, "best_single_feature", None)
        if best_single is not None:
            mlflow.log_metric("valid_best_single_feature_strength", best_single[1])
            mlflow.set_tag("best_single_feature", best_single[0])
            served = metrics.get("roc_auc", metrics.get("spearman", np.nan))
            if np.isfinite(served) and served <= best_single[1]:
                raw = rep.validation_uncalibrated.as_dict().get(
                    "roc_auc" if est.kind == "classifier" else "spearman", np.nan)
                capture = getattr(rep, "best_single_capture", None)
                mlflow.set_tag("best_single_feature_wins", (
                    f"{best_single[0]} alone {best_single[1]:.4f} against the model's "
                    f"{served:.4f} as served" + (f" (uncalibrated scores: {raw:.4f})"
                                                 if np.isfinite(raw) else "")
                    + (f"; top-decile revenue capture: the model "
                       f"{metrics['top_decile_capture']:.3f}, {best_single[0]} {capture:.3f}"
                       if capture is not None and "top_decile_capture" in metrics else "")))
        mlflow.log_metrics({"n_train": rep.split.n_train, "n_calibration": rep.split.n_calibration,
                            "n_validation": rep.split.n_validation,
                            "n_missing_label": rep.n_missing_label})
        out_dir = plot_dir or Path(tmp) / "plots"
        plots = _plots(est, out_dir)
        for p in plots:
            mlflow.log_artifact(str(p), "plots")
        sample = _validation_rows(est, frame).head(25)
        reasons = score_frame(est, sample)
        reasons["actual"] = sample[rep.label_col].to_numpy()
        if "user_id" in reasons.columns:  # a shared artifact store: no customer's id
            reasons["user_id"] = [f"validation-{i + 1}" for i in range(len(reasons))]
        sample_path = Path(tmp) / "reasons_sample.csv"
        reasons.to_csv(sample_path, index=False)
        mlflow.log_artifact(str(sample_path), "reasons")
        report_path = Path(tmp) / "fit_report.json"
        report_path.write_text(json.dumps(asdict(rep), indent=2, default=str))
        mlflow.log_artifact(str(report_path))
        if id_col is not None:
            est.id_col_ = id_col
        info = log_customer_model(est, frame)
    version, promotion = None, None
    if register:
        source = str((params or {}).get("input") or "") or None
        tags = {"eval.rows": rows_key, **label_tags,
                **({"source.input": source} if source else {}), **data_tags,
                # the columns the user kept (--keep-column): brain models and GET /models
                # show them (the run's keep_columns param alone was not shown anywhere)
                **({KEPT_TAG: json.dumps(list(est.kept_columns_))}
                   if getattr(est, "kept_columns_", ()) else {})}
        mv = register_model(run.info.run_id, "model", name, metrics, evaluation,
                            model_uri=info.model_uri, extra_tags=tags,
                            description=MODEL_DESCRIPTIONS.get(task))
        version = str(mv.version)
        metric, higher = PRIMARY[task]
        valid = _validation_rows(est, frame)
        veto = _veto(est, allow_suspected_leakage)
        cache: dict[str, Any] = {}
        promotion = None if veto else _population_guard(
            name, version, est, valid, source, metric, metrics[metric], cache)
        if promotion is None:
            rescore = _rescorer(name, est, valid, metric, higher, cache)
            promotion = promote_if_better(name, version, metric, metrics[metric], higher,
                                          evaluation, rescore_champion=rescore,
                                          rows_key=rows_key, veto=veto)
    return CustomerTrainOutcome(task, run.info.run_id, info.model_uri, name, version, evaluation,
                                metrics, promotion, rep, tuple(str(p) for p in plots))
