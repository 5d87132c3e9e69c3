"""Train, evaluate and register uplift models (MLflow through ``training._mlflow``).

``train_uplift`` splits a randomized experiment into train and holdout (stratified by arm and,
for 0/1 outcomes, by outcome), fits a T- or X-learner for every treatment against the control
(base model per treatment: LightGBM, linear, or by default the one with the higher
cross-validated Qini on the training rows only; the holdout never takes part in that choice),
scores the holdout with the Qini coefficient, AUUC, uplift@k and the top-k policy, logs
parameters, metrics, the Qini plot and the model (pyfunc with signature and input example) to
MLflow, registers a version and moves the ``champion`` alias only when the Qini coefficient of at
least one treatment is clearly above 0 (by ``CHAMPION_MIN_SE`` bootstrap standard errors: a model
whose rankings are not shown to beat random targeting is registered, not served) and the mean
Qini coefficient beats the champion's on the same holdout.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from experiments._errors import ExperimentInputError, Param
from experiments._results import _Record
from experiments._uplift import BASES, DEFAULT_CV_FOLDS, TLearner, XLearner
from experiments._uplift_metrics import (
    TargetingPolicy,
    auuc,
    qini_coefficient,
    qini_curve,
    top_k_policy,
    uplift_at_k,
)

__all__ = ["CHAMPION_MIN_SE", "UpliftEvaluation", "UpliftTrainingResult", "evaluate_uplift",
           "qini_standard_errors", "train_uplift"]

CHAMPION_MIN_SE = 2.0  # a champion's best holdout Qini: at least this many standard errors above 0
_BOOTSTRAP = 200


@dataclass(frozen=True)
class UpliftEvaluation(_Record):
    """Holdout evaluation of one treatment's uplift ranking.

    Attributes:
        treatment: treatment label (compared with control).
        n_holdout: holdout customers in this treatment or control.
        qini: Qini coefficient (0 random, 1 perfect; scikit-uplift's ``qini_auc_score``).
        auuc: normalised area under the uplift curve (``uplift_auc_score``).
        uplift_at_k: treated minus control mean outcome in the top ``k`` share.
        k: targeted share.
        policy: the "treat the top k" policy with its expected incremental outcome.
        base: base model of this treatment's learner ("lightgbm" or "linear").
        cv_qini: with ``base="auto"``, the mean out-of-fold Qini of each base on the training
            rows, which made the choice (empty otherwise).
        cv_qini_diff_se: with ``base="auto"``, the standard error of the fold-by-fold
            LightGBM minus linear Qini difference: LightGBM is chosen only when its mean beats
            the linear base's by more than this (NaN otherwise).
        cv_constant_folds: with ``base="auto"``, per base, the cross-validation folds where it
            gave every customer the same uplift (it ranks nobody there, so those folds have no
            Qini; a base without one in at least half of the folds is not chosen).
        qini_se: bootstrap standard error of ``qini`` (holdout rows resampled within each arm;
            NaN when not computed).
    """

    treatment: str
    n_holdout: int
    qini: float
    auuc: float
    uplift_at_k: float
    k: float
    policy: TargetingPolicy
    base: str = "lightgbm"
    cv_qini: dict[str, float] = field(default_factory=dict)
    cv_qini_diff_se: float = float("nan")
    cv_constant_folds: dict[str, int] = field(default_factory=dict)
    qini_se: float = float("nan")


@dataclass(frozen=True)
class UpliftTrainingResult(_Record):
    """What ``train_uplift`` did.

    Attributes:
        learner: "t" or "x".
        outcome: outcome column.
        control: control label.
        treatments: treatment labels.
        features: feature columns.
        n_train: training rows.
        n_holdout: holdout rows.
        test_size: holdout share.
        seed: split and model seed.
        evaluation_key: identifier of the data and split the metrics were computed on.
        evaluations: one holdout evaluation per treatment.
        run_id: MLflow run id (None when not logged).
        model_name: registered model name (None when not logged).
        model_version: registered version (None when not logged).
        promoted: whether the version became ``champion``.
        promotion_reason: why (or why not).
        base: base model requested: "lightgbm", "linear" or "auto" (each evaluation names the
            one used for its treatment).
        cv_folds: folds of the cross-validation that chose the base with ``base="auto"``.
    """

    learner: str
    outcome: str
    control: str
    treatments: tuple[str, ...]
    features: tuple[str, ...]
    n_train: int
    n_holdout: int
    test_size: float
    seed: int
    evaluation_key: str
    evaluations: tuple[UpliftEvaluation, ...]
    run_id: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    promoted: bool = False
    promotion_reason: str | None = None
    base: str = "auto"
    cv_folds: int = DEFAULT_CV_FOLDS


def evaluate_uplift(model: TLearner | XLearner, X: pd.DataFrame, treatment: Sequence[str],
                    y: Sequence[float], k: float = 0.3) -> tuple[UpliftEvaluation, ...]:
    """Evaluate every treatment of a fitted learner on holdout rows."""
    preds = model.predict(X)
    t = np.asarray(pd.Series(treatment).astype(str))
    ya = np.asarray(y, dtype=np.float64)
    out = []
    bases = getattr(model, "bases_", {})
    cv = getattr(model, "base_cv_", {})
    se = getattr(model, "base_cv_se_", {})
    constant = getattr(model, "base_cv_constant_", {})
    for a in model.treatments_:
        mask = np.isin(t, [a, model.control])
        yy, uu, tt = ya[mask], preds[a].to_numpy()[mask], (t[mask] == a).astype(int)
        out.append(UpliftEvaluation(a, int(mask.sum()), qini_coefficient(yy, uu, tt),
                                    auuc(yy, uu, tt), uplift_at_k(yy, uu, tt, k), k,
                                    top_k_policy(yy, uu, tt, k), str(bases.get(a, "lightgbm")),
                                    dict(cv.get(a, {})), float(se.get(a, float("nan"))),
                                    dict(constant.get(a, {}))))
    return tuple(out)


def qini_standard_errors(model: TLearner | XLearner, X: pd.DataFrame,
                         treatment: Sequence[str], y: Sequence[float], seed: int = 0,
                         n_boot: int = _BOOTSTRAP) -> dict[str, float]:
    """Bootstrap standard error of each treatment's Qini coefficient on holdout rows:
    ``n_boot`` resamples of the rows, drawn with replacement within each arm (so every arm
    keeps its size), ranked by the fitted model's uplift (Efron & Tibshirani 1993, ch. 6).
    NaN for a treatment when fewer than two resamples give a Qini."""
    preds = model.predict(X)
    t = np.asarray(pd.Series(treatment).astype(str))
    ya = np.asarray(y, dtype=np.float64)
    arms = [np.flatnonzero(t == a) for a in (model.control, *model.treatments_)]
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {a: [] for a in model.treatments_}
    for _ in range(n_boot):
        rows = np.concatenate([rng.choice(r, r.size) for r in arms])
        tb, yb = t[rows], ya[rows]
        for a in model.treatments_:
            mask = np.isin(tb, [a, model.control])
            with np.errstate(invalid="ignore", divide="ignore"):
                draws[a].append(qini_coefficient(yb[mask], preds[a].to_numpy()[rows][mask],
                                                 (tb[mask] == a).astype(int)))
    out = {}
    for a, v in draws.items():
        m = np.asarray(v, dtype=np.float64)
        m = m[np.isfinite(m)]
        out[a] = float(m.std(ddof=1)) if m.size > 1 else float("nan")
    return out


def _clearly_positive(e: UpliftEvaluation) -> bool:
    return e.qini > 0 and (not np.isfinite(e.qini_se) or e.qini >= CHAMPION_MIN_SE * e.qini_se)


def uplift_description(name: str, outcome: str, control: str) -> str:
    """The registered model's own description in the MLflow UI (``register_model``: only when
    it has none), as churn, purchase_propensity, customer_value and traffic_forecaster have:
    ``uplift_converted`` had none."""
    return (f"Uplift on {outcome!r}: for each customer, how much each treatment is expected to "
            f"change {outcome!r} against {control!r}, to choose whom a campaign reaches. The "
            "experiment table, learner and holdout of each version are on the version. 'brain "
            "uplift score' scores with the version that has the alias `champion`; it moves only "
            "when a new version has a higher holdout Qini (mean over the treatments) on the same "
            "holdout, and never to a version whose treatments' Qini is not clearly above 0 (the "
            f"version's `promotion` tag says why; 'brain models {name}' lists the moves).")


def champion_veto(result: UpliftTrainingResult) -> str | None:
    """Why a version must not become champion: no treatment's holdout Qini is clearly above 0
    (positive and at least ``CHAMPION_MIN_SE`` bootstrap standard errors), or None."""
    if any(_clearly_positive(e) for e in result.evaluations):
        return None
    scores = "; ".join(f"{e.treatment} {e.qini:.4f} (standard error {e.qini_se:.4f})"
                       for e in result.evaluations)
    return (f"no treatment's holdout Qini is clearly above 0 ({scores}; a champion needs one "
            f"positive by at least {CHAMPION_MIN_SE:g} bootstrap standard errors): its ranking "
            "is not shown to beat random targeting, so it is registered but not served; collect "
            "more data or other features, or make it the champion by hand with brain promote "
            f"{result.model_name or 'NAME'} {result.model_version or 'VERSION'}")


def _qini_figure(model: TLearner | XLearner, X: pd.DataFrame, t: np.ndarray, y: np.ndarray
                 ) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    preds = model.predict(X)
    fig, ax = plt.subplots(figsize=(6, 4))
    for a in model.treatments_:
        mask = np.isin(t, [a, model.control])
        xs, qs = qini_curve(y[mask], preds[a].to_numpy()[mask], (t[mask] == a).astype(int))
        ax.plot(xs / xs[-1], qs, label=f"{a} (model)")
        ax.plot([0, 1], [0, qs[-1]], ls="--", color=ax.lines[-1].get_color(), lw=0.8)
    ax.set_xlabel("share of customers targeted (by predicted uplift)")
    ax.set_ylabel("incremental outcomes (Qini)")
    ax.set_title("Qini curves on the holdout (dashed: random targeting)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _evaluation_key(frame: pd.DataFrame, outcome: str, test_size: float, seed: int) -> str:
    digest = hashlib.sha1(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return f"uplift-holdout:{digest.hexdigest()[:12]}:{outcome}:test{test_size}:seed{seed}"


_MIN_TRAIN_ROWS = 50  # per arm, as required by the learners


def _rows(mask: np.ndarray) -> tuple[int, list[int]]:
    """Count and the first three rows where ``mask`` holds, as 1-based data rows."""
    rows = np.flatnonzero(mask)
    return int(rows.size), (rows[:3] + 1).tolist()


def _outcome_values(frame: pd.DataFrame, outcome: str, treatment_col: str,
                    source: str) -> np.ndarray:
    """The outcome as float64; raises naming the rows that are missing or not numbers."""
    s = frame[outcome]
    if s.dtype == bool:
        s = s.astype(np.int8)
    values = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    text = np.isnan(values) & s.notna().to_numpy()
    missing = ~np.isfinite(values) & ~text
    if text.any():
        n, first = _rows(text)
        shown = [str(x) for x in s.to_numpy()[np.flatnonzero(text)[:3]]]
        labels = {str(x).strip().lower() for x in s.dropna().unique()}
        hint = ("map the labels to numbers first (e.g. yes -> 1, no -> 0)"
                if labels <= {"yes", "no", "true", "false", "y", "n"} else
                "convert them to numbers (a decimal point, not a comma: '12.50') or filter "
                "those rows explicitly")
        raise ExperimentInputError(
            f"uplift training ({source}): outcome column {outcome!r} has {n} values that are not "
            f"numbers (first rows {first}: {shown}); the outcome must be 0/1 or numeric. "
            f"Fix: {hint}."
        )
    if missing.any():
        n, first = _rows(missing)
        by_arm = pd.Series(frame[treatment_col].to_numpy()[missing]).astype(str).value_counts()
        arms = ", ".join(f"{k!r}: {v}" for k, v in by_arm.items())
        raise ExperimentInputError(
            f"uplift training ({source}): outcome column {outcome!r} has {n} missing or "
            f"non-finite values ({arms}; first rows {first}). Rows are never dropped silently. "
            "Fix: fill them (e.g. 0 for no purchase) or filter the rows explicitly."
        )
    return values


def _validate_input(frame: pd.DataFrame, treatment_col: str, control: str, outcome: str,
                    features: Sequence[str] | None, learner: str, test_size: float,
                    source: str, base: str = "auto", cv_folds: int = DEFAULT_CV_FOLDS
                    ) -> list[str]:
    """Check the whole input before the split; return the feature columns."""
    for col in (treatment_col, outcome):
        if col not in frame.columns:
            raise ExperimentInputError(
                f"uplift training ({source}): column {col!r} is missing; received "
                f"{list(frame.columns)}. Fix: pass the right ", Param("treatment_col"), "/",
                Param("outcome"), "."
            )
    feats = list(features) if features else [c for c in frame.columns
                                              if c not in (treatment_col, outcome)]
    missing = [c for c in feats if c not in frame.columns]
    if missing or not feats:
        raise ExperimentInputError(
            f"uplift training ({source}): feature columns {missing or feats} unusable; received "
            f"columns {list(frame.columns)}. Fix: pass existing pre-treatment columns as ",
            Param("features"), "."
        )
    leaked = [c for c in feats if c in (treatment_col, outcome)]
    if leaked:
        raise ExperimentInputError(
            f"uplift training ({source}): features {leaked} include the treatment or outcome "
            "column. Fix: use pre-treatment columns only."
        )
    if learner not in ("t", "x"):
        raise ExperimentInputError(
            f"uplift training: learner must be 't' or 'x'; received {learner!r}.")
    if base not in (*BASES, "auto"):
        raise ExperimentInputError(
            f"uplift training: base must be 'lightgbm', 'linear' or 'auto'; received {base!r}.")
    if base == "auto" and (isinstance(cv_folds, bool) or not isinstance(cv_folds, int)
                           or cv_folds < 2):
        raise ExperimentInputError(
            f"uplift training: cv_folds must be an integer of at least 2; received {cv_folds!r}.")
    if not 0 < test_size < 1:
        raise ExperimentInputError(
            f"uplift training: test_size must be in (0, 1); received {test_size}.")
    arm_na = frame[treatment_col].isna().to_numpy()
    if arm_na.any():
        n, first = _rows(arm_na)
        raise ExperimentInputError(
            f"uplift training ({source}): treatment column {treatment_col!r} has {n} missing "
            f"values (first rows {first}); every unit needs an arm. Fix: drop or label those "
            "rows explicitly."
        )
    y = _outcome_values(frame, outcome, treatment_col, source)
    t = frame[treatment_col].astype(str)
    counts = t.value_counts()
    arms = sorted(counts.index.tolist())
    if control not in counts.index or len(arms) < 2:
        raise ExperimentInputError(
            f"uplift training ({source}): need control {control!r} and at least one treatment "
            f"in column {treatment_col!r}; received arms {arms}. Fix: pass ", Param("control"),
            " with one of those labels (matching is exact and case-sensitive)."
        )
    # with base='auto' every cross-validation fold must leave the learner its 50 rows per arm
    fit_share = (1 - test_size) * ((cv_folds - 1) / cv_folds if base == "auto" else 1.0)
    need = math.ceil(_MIN_TRAIN_ROWS / fit_share) + 2
    small = {a: int(n) for a, n in counts.items() if n < need}
    if small:
        raise ExperimentInputError(
            f"uplift training ({source}): arms {small} in column {treatment_col!r} have too few "
            f"rows; each arm needs at least {need} ({_MIN_TRAIN_ROWS} for training after "
            f"holding out {test_size:.0%}"
            + (f" and a {cv_folds}-fold cross-validation choosing the base model"
               if base == "auto" else "")
            + "). Fix: drop those arms' rows, merge them, or collect more data"
            + (" (or pass a fixed base, e.g. base='linear')." if base == "auto" else ".")
        )
    if np.unique(y).size < 2:
        raise ExperimentInputError(
            f"uplift training ({source}): outcome column {outcome!r} is {y[0]:g} in every one of "
            f"the {y.size} rows, so every uplift would be 0 and the evaluation meaningless. "
            "Fix: choose an outcome that varies (check the column and the export)."
        )
    for a in arms:
        ya = y[(t == a).to_numpy()]
        if np.unique(ya).size < 2:
            raise ExperimentInputError(
                f"uplift training ({source}): outcome column {outcome!r} is {ya[0]:g} for all "
                f"{ya.size} rows of arm {a!r}, so that arm's outcome model cannot learn "
                "anything. Fix: check the arm's data, or drop the arm."
            )
    return feats


def train_uplift(frame: pd.DataFrame, *, treatment_col: str, control: str, outcome: str,
                 features: Sequence[str] | None = None, learner: Literal["t", "x"] = "t",
                 base: Literal["lightgbm", "linear", "auto"] = "auto",
                 cv_folds: int = DEFAULT_CV_FOLDS, test_size: float = 0.3, k: float = 0.3,
                 seed: int = 0,
                 params: Mapping[str, Any] | None = None, log_to_mlflow: bool = True,
                 model_name: str | None = None, experiment: str = "uplift",
                 source: str = "uplift data",
                 ) -> tuple[TLearner | XLearner, UpliftTrainingResult]:
    """Fit, evaluate and (optionally) log and register an uplift model; see module docstring.

    ``features`` defaults to every column except the treatment and outcome columns. The whole
    input is validated before the split (``ExperimentInputError`` naming ``source``, the column,
    the first offending rows and the fix): arm labels and outcomes must be present, outcomes
    numeric (0/1 or numbers, ``bool`` accepted) and not constant, and every arm large enough for
    the holdout split and the learner's minimum of 50 training rows.

    ``base`` is the learner's base model: "lightgbm", "linear" (logistic or ridge regression)
    or "auto" (default): per treatment, by the Qini over ``cv_folds`` cross-validation folds of
    the training rows, LightGBM when it beats linear by more than the standard error of the
    fold-by-fold difference, else linear (the holdout is only used to evaluate).
    """
    if log_to_mlflow:  # a registry that cannot take the model: said before the fit
        from training._mlflow import check_registry_uri

        check_registry_uri(f"register {model_name or f'uplift_{outcome}'}")
    feats = _validate_input(frame, treatment_col, control, outcome, features, learner,
                            test_size, source, base, cv_folds)
    t_all = frame[treatment_col].astype(str)
    y_all = _outcome_values(frame, outcome, treatment_col, source)
    strata = t_all + "|" + (pd.Series(y_all, index=frame.index).astype(str)
                            if np.isin(y_all, (0.0, 1.0)).all() else "")
    if strata.value_counts().min() < 2:  # a rare outcome in one arm: stratify by arm alone
        strata = t_all
    train, hold = train_test_split(frame, test_size=test_size, random_state=seed,
                                   stratify=strata)
    cls = TLearner if learner == "t" else XLearner
    model = cls(control, params=params, random_state=seed, base=base, cv_folds=cv_folds).fit(
        train[feats], train[treatment_col].astype(str), train[outcome])
    evals = evaluate_uplift(model, hold[feats], hold[treatment_col].astype(str).tolist(),
                            hold[outcome].to_numpy(), k)
    key = _evaluation_key(frame[[*feats, treatment_col, outcome]], outcome, test_size, seed)
    ses = qini_standard_errors(model, hold[feats], hold[treatment_col].astype(str).tolist(),
                               hold[outcome].to_numpy(), seed)
    evals = tuple(replace(e, qini_se=ses[e.treatment]) for e in evals)
    result = UpliftTrainingResult(learner, outcome, control, model.treatments_, tuple(feats),
                                  len(train), len(hold), test_size, seed, key, evals,
                                  base=base, cv_folds=cv_folds)
    if not log_to_mlflow:
        return model, result
    return model, _log(model, result, hold, treatment_col, params, model_name, experiment)


def _slug(treatment: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in treatment).strip("_").lower()


def _log(model: TLearner | XLearner, result: UpliftTrainingResult, hold: pd.DataFrame,
         treatment_col: str, params: Mapping[str, Any] | None, model_name: str | None,
         experiment: str) -> UpliftTrainingResult:
    import mlflow
    from mlflow.models import infer_signature

    from experiments._uplift_pyfunc import UpliftPyfunc
    from training._examples import synthetic_example
    from training._mlflow import get_or_create_experiment, register_model
    from training._mlflow_champion import promote_if_better

    name = model_name or f"uplift_{result.outcome}"
    exp_id = get_or_create_experiment(experiment)
    metrics: dict[str, float] = {}
    for e in result.evaluations:
        slug = _slug(e.treatment)
        metrics.update({f"qini_{slug}": e.qini, f"auuc_{slug}": e.auuc,
                        f"uplift_at_k_{slug}": e.uplift_at_k,
                        f"policy_incremental_{slug}": e.policy.incremental_outcome})
        metrics.update({f"cv_qini_{b}_{slug}": q for b, q in e.cv_qini.items()})
        metrics[f"cv_qini_diff_se_{slug}"] = e.cv_qini_diff_se
        metrics[f"qini_se_{slug}"] = e.qini_se
    metrics["qini_mean"] = float(np.mean([e.qini for e in result.evaluations]))
    X_hold = hold[list(result.features)]
    with mlflow.start_run(experiment_id=exp_id, run_name=f"{name}-{result.learner}") as run:
        mlflow.log_params({"learner": result.learner, "outcome": result.outcome,
                           "control": result.control, "treatment_col": treatment_col,
                           "treatments": ",".join(result.treatments),
                           "features": ",".join(result.features), "test_size": result.test_size,
                           "seed": result.seed, "k": result.evaluations[0].k,
                           "evaluation_key": result.evaluation_key, "base": result.base,
                           **({"cv_folds": result.cv_folds} if result.base == "auto" else {}),
                           **{f"base_{_slug(e.treatment)}": e.base
                              for e in result.evaluations},
                           **{f"lgbm_{k}": v for k, v in (params or {}).items()}})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
        fig = _qini_figure(model, X_hold, hold[treatment_col].astype(str).to_numpy(),
                           hold[result.outcome].to_numpy(dtype=np.float64))
        mlflow.log_figure(fig, "qini_curves.png")
        import matplotlib.pyplot as plt

        plt.close(fig)
        mlflow.log_text(result.to_json(), "uplift_evaluation.json")
        # column medians, quantiles and frequent levels, not the holdout's first customers
        # (MLflow copies the example to the artifact store with every version)
        example = synthetic_example(X_hold, list(result.features))
        signature = infer_signature(example, model.predict(example))
        info = mlflow.pyfunc.log_model(
            name="model", python_model=UpliftPyfunc(model), signature=signature,
            input_example=example, pip_requirements=["lightgbm", "pandas", "numpy",
                                                     "scikit-learn"])
        run_id = run.info.run_id
    # version_data: units of the experiment it learned from (training and holdout rows); an
    # experiment table has no dates, so no data_cutoff
    version = register_model(run_id, "model", name, metrics, result.evaluation_key,
                             model_uri=info.model_uri,
                             extra_tags={"data.n_customers": str(result.n_train
                                                                 + result.n_holdout)},
                             description=uplift_description(name, result.outcome,
                                                            result.control))
    veto = champion_veto(replace(result, model_name=name, model_version=str(version.version)))
    promo = promote_if_better(name, version.version, "qini_mean", metrics["qini_mean"], True,
                              result.evaluation_key, veto=veto)
    return replace(result, run_id=run_id, model_name=name, model_version=str(version.version),
                   promoted=promo.promoted, promotion_reason=promo.reason)
