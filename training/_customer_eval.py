"""Labels, metrics and plots for the customer models (churn, purchase propensity, customer value).

Labels: ``read_labels`` reads a label column (0/1 or yes/no words, or revenue >= 0) and names
the first bad rows; ``check_unique_rows`` insists on one row per customer and cutoff.

Classifier metrics: ROC AUC, PR AUC (average precision), Brier score, expected calibration error,
log loss, lift and capture rate in the top decile. Value metrics: MAE, RMSE, Spearman correlation,
aggregate bias (sum of predictions / sum of actuals - 1) and the share of actual value captured
by the top decile of predictions.

Plots (matplotlib, Agg backend): ROC curve, reliability diagram, cumulative lift/gain chart,
feature importance (gain) and predicted-vs-actual value by decile.

References:
    Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
    Naeini, M. P., Cooper, G., Hauskrecht, M. (2015). Obtaining well calibrated probabilities
    using Bayesian binning (expected calibration error).
"""

from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ClassifierMetrics",
    "ValueMetrics",
    "check_unique_rows",
    "classifier_metrics",
    "expected_calibration_error",
    "plot_importance",
    "plot_lift",
    "plot_reliability",
    "plot_roc",
    "plot_value_deciles",
    "read_labels",
    "top_fraction_lift",
    "value_metrics",
]


@dataclass(frozen=True)
class ClassifierMetrics:
    """Quality of calibrated probabilities on one evaluation set.

    Attributes:
        n: number of customers scored.
        base_rate: share of positives (the label's prevalence).
        roc_auc: area under the ROC curve (0.5 = random ranking, 1 = perfect).
        pr_auc: average precision (area under the precision-recall curve).
        brier: mean squared error of the probabilities (lower is better).
        brier_skill: 1 - brier / brier of always predicting ``base_rate`` (higher is better).
        ece: expected calibration error over 10 equal-count bins (mean |observed - predicted|,
            weighted by bin size).
        log_loss: mean negative log-likelihood (probabilities clipped to [1e-6, 1 - 1e-6]).
        top_decile_lift: positive rate among the 10% highest scores divided by ``base_rate``.
        top_decile_capture: share of all positives found in the 10% highest scores.
        mean_prediction: average predicted probability (compare with ``base_rate``).
    """

    n: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    brier_skill: float
    ece: float
    log_loss: float
    top_decile_lift: float
    top_decile_capture: float
    mean_prediction: float

    def as_dict(self) -> dict[str, float]:
        """Plain ``{name: value}`` for logging."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ValueMetrics:
    """Quality of customer-value predictions (revenue in the horizon) on one evaluation set.

    Attributes:
        n: number of customers scored.
        total_actual: sum of actual revenue.
        total_predicted: sum of predicted revenue.
        aggregate_bias: total_predicted / total_actual - 1 (0 = unbiased in total).
        mae: mean absolute error per customer.
        rmse: root mean squared error per customer.
        spearman: Spearman rank correlation between predicted and actual revenue.
        top_decile_capture: share of actual revenue from the 10% highest predictions.
    """

    n: int
    total_actual: float
    total_predicted: float
    aggregate_bias: float
    mae: float
    rmse: float
    spearman: float
    top_decile_capture: float

    def as_dict(self) -> dict[str, float]:
        """Plain ``{name: value}`` for logging."""
        return {k: float(v) for k, v in asdict(self).items()}


_FLAG_WORDS = {"yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0, "true": 1.0, "false": 0.0,
               "t": 1.0, "f": 0.0,
               # European CRM exports (since 2026-12-07: a German 'Gekündigt' of Ja/Nein had
               # been refused): German, Dutch, Scandinavian, French, Spanish and Italian,
               # Portuguese; German and French Excel write TRUE/FALSE as WAHR/FALSCH, VRAI/FAUX
               "ja": 1.0, "nein": 0.0, "nee": 0.0, "nej": 0.0, "nei": 0.0, "oui": 1.0,
               "non": 0.0, "si": 1.0, "sí": 1.0, "sim": 1.0, "não": 0.0, "nao": 0.0,
               "wahr": 1.0, "falsch": 0.0, "vrai": 1.0, "faux": 0.0}


def _where(frame: pd.DataFrame, mask: np.ndarray, col: str, k: int = 3) -> str:
    """The first ``k`` rows of ``mask`` as ``row 17 (user_id 'C9', cutoff 2024-01-31): 'maybe'``.

    ``row`` is the row's position counted from 1, as the loaders' notes count data rows (a
    table read from a CSV: its line in the file is row + 1, the header being line 1)."""
    pos = np.flatnonzero(np.asarray(mask, dtype=bool))[:k]
    rows = frame.iloc[pos]
    parts = []
    for at, (_, r) in zip(pos + 1, rows.iterrows(), strict=True):
        who = [f"user_id {str(r['user_id'])!r}"] if "user_id" in rows.columns else []
        if "cutoff" in rows.columns:
            who.append(f"cutoff {pd.Timestamp(r['cutoff']).date()}")
        parts.append(f"row {at} ({', '.join(who)}): {r[col]!r}" if who else
                     f"row {at}: {r[col]!r}")
    return "; ".join(parts)


def check_unique_rows(frame: pd.DataFrame, task: str) -> None:
    """One row per customer (per cutoff when there is a ``cutoff`` column); else name a few."""
    if "user_id" not in frame.columns:
        return
    key = ["user_id", "cutoff"] if "cutoff" in frame.columns else ["user_id"]
    dup = frame.duplicated(key, keep=False).to_numpy()
    if dup.any():
        ids = pd.unique(frame.loc[dup, "user_id"].astype(str))
        raise ValueError(f"CustomerModel({task}): {int(dup.sum())} rows repeat {len(ids)} "
                         f"customers{' within a cutoff' * (len(key) == 2)} (first ids "
                         f"{list(ids[:5])}); the frame must hold one row per "
                         f"{' and '.join(key)}. Remove or merge the repeated rows.")


def read_labels(frame: pd.DataFrame, label_col: str, kind: str, task: str) -> pd.Series:
    """Labels of ``frame[label_col]`` as floats (missing stays NaN); unreadable ones are errors.

    Classifiers (``kind="classifier"``) take 0/1 or the words of ``_FLAG_WORDS`` (any case),
    value a number >= 0. An error counts the bad rows and names the first ones (``_where``).
    """
    raw = frame[label_col]
    if kind == "classifier" and not pd.api.types.is_numeric_dtype(raw.dtype):
        # CRM exports write flags as words: yes/no, true/false, y/n, t/f (any case)
        raw = pd.Series([_FLAG_WORDS.get(v.strip().lower(), v) if isinstance(v, str) else v
                         for v in raw.astype(object)], index=raw.index, dtype=object)
    y = pd.to_numeric(raw.astype(object), errors="coerce").astype("float64")
    text = frame[label_col].astype("string").str.strip()
    unreadable = y.isna() & text.notna() & (text != "")
    # one error counting every bad row, words and out-of-range numbers alike ('maybe', 'Yess'
    # and a 2 among yes/no labels had been reported as 2 rows, the 2 only once they were fixed)
    bad = unreadable | (y.notna() & ((y < 0) | (kind == "classifier") & ~y.isin([0.0, 1.0])))
    if bad.any():
        want = ("0/1 (or yes/no, true/false, ja/nein, oui/non, sí/no)" if kind == "classifier"
                else "a number >= 0 (revenue)")
        n_bad = int(bad.sum())
        rows = "1 row holds" if n_bad == 1 else f"{n_bad:,} rows hold"
        raise ValueError(f"CustomerModel({task}): label column {label_col!r} must hold "
                         f"{want}; {rows} something else (first: "
                         f"{_where(frame, bad.to_numpy(), label_col)}). Recode them, "
                         "or leave the cell empty when the label is unknown"
                         + _two_words_fix(text[unreadable], bad, label_col, task, kind))
    return y


_OUTCOME = {"churn": "the customer churned", "propensity": "the customer bought"}


def _two_words_fix(words: pd.Series, bad: pd.Series, label_col: str, task: str,
                   kind: str) -> str:
    """For a classifier label written as exactly two words and nothing else that is wrong
    ('Attrited Customer' / 'Existing Customer'): the two words with their counts and the line
    that recodes them, the rarer one as the outcome (to be checked: nothing is guessed);
    else ''."""
    if kind != "classifier" or len(words) != int(bad.sum()):
        return ""
    counts = words.value_counts()
    if len(counts) != 2:
        return ""
    (common, n_common), (rare, n_rare) = counts.items()
    return (f". The column holds two words, {common!r} ({n_common:,} rows) and {rare!r} "
            f"({n_rare:,} rows): write 1 for the outcome the model predicts "
            f"({_OUTCOME.get(task, 'the outcome happened')}) and 0 for the other, e.g. if it "
            f"is {rare!r}: df[{label_col!r}] = df[{label_col!r}].map({{{rare!r}: 1, "
            f"{common!r}: 0}})")


def _check_pair(y: np.ndarray, p: np.ndarray, what: str) -> None:
    if y.shape != p.shape:
        raise ValueError(f"{what}: labels and predictions must have the same length; "
                         f"received {y.shape[0]} labels and {p.shape[0]} predictions")
    if y.size == 0:
        raise ValueError(f"{what}: needs at least one row; received none")
    if np.isnan(p).any():
        raise ValueError(f"{what}: predictions contain {int(np.isnan(p).sum())} NaN values")


def top_fraction_lift(y: np.ndarray, score: np.ndarray,
                      fraction: float = 0.1) -> tuple[float, float]:
    """Lift and capture rate among the ``fraction`` highest scores.

    Returns ``(lift, capture)``: positive (or value) rate in the top group divided by the overall
    rate, and the share of the total found in the top group. Ties at the threshold are broken by
    a stable sort so exactly ``ceil(fraction * n)`` rows are taken.
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    n = y.size
    k = max(1, int(np.ceil(fraction * n)))
    order = np.argsort(-score, kind="stable")[:k]
    total = y.sum()
    if total <= 0:
        return float("nan"), float("nan")
    capture = float(y[order].sum() / total)
    lift = capture / (k / n)
    return float(lift), capture


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error over ``n_bins`` equal-count bins of the predictions."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    ece = 0.0
    for chunk in np.array_split(order, min(n_bins, p.size)):
        if chunk.size:
            ece += chunk.size * abs(y[chunk].mean() - p[chunk].mean())
    return float(ece / p.size)


def classifier_metrics(y: np.ndarray, p: np.ndarray) -> ClassifierMetrics:
    """All classifier metrics for binary labels ``y`` and probabilities ``p``."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    _check_pair(y, p, "classifier_metrics")
    base = float(y.mean())
    both = 0.0 < base < 1.0
    brier = float(np.mean((p - y) ** 2))
    ref = base * (1 - base)
    pc = np.clip(p, 1e-6, 1 - 1e-6)
    lift, capture = top_fraction_lift(y, p, 0.1)
    return ClassifierMetrics(
        n=int(y.size),
        base_rate=base,
        roc_auc=float(skm.roc_auc_score(y, p)) if both else float("nan"),
        pr_auc=float(skm.average_precision_score(y, p)) if both else float("nan"),
        brier=brier,
        brier_skill=float(1 - brier / ref) if ref > 0 else float("nan"),
        ece=expected_calibration_error(y, p),
        log_loss=float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))),
        top_decile_lift=lift,
        top_decile_capture=capture,
        mean_prediction=float(p.mean()),
    )


def value_metrics(y: np.ndarray, pred: np.ndarray) -> ValueMetrics:
    """All value metrics for actual revenue ``y`` and predicted revenue ``pred``."""
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    _check_pair(y, pred, "value_metrics")
    total_y, total_p = float(y.sum()), float(pred.sum())
    rho = stats.spearmanr(pred, y).statistic if np.ptp(y) > 0 and np.ptp(pred) > 0 else np.nan
    _, capture = top_fraction_lift(y, pred, 0.1)
    return ValueMetrics(
        n=int(y.size),
        total_actual=total_y,
        total_predicted=total_p,
        aggregate_bias=total_p / total_y - 1 if total_y != 0 else float("nan"),
        mae=float(np.mean(np.abs(pred - y))),
        rmse=float(np.sqrt(np.mean((pred - y) ** 2))),
        spearman=float(rho),
        top_decile_capture=capture,
    )


# --------------------------------------------------------------------------------------- plots


def _figure(title: str) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig, ax


def plot_roc(y: np.ndarray, curves: dict[str, np.ndarray], title: str = "ROC curve") -> Figure:
    """ROC curves of one or more score vectors against the same labels."""
    fig, ax = _figure(title)
    for name, p in curves.items():
        fpr, tpr, _ = skm.roc_curve(y, p)
        ax.plot(fpr, tpr, label=f"{name} (AUC {skm.roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="random")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    return fig


def plot_reliability(y: np.ndarray, curves: dict[str, np.ndarray], n_bins: int = 10,
                     title: str = "Reliability diagram") -> Figure:
    """Observed rate against mean predicted probability in equal-count bins, per score vector,
    over the spread of the first vector's probabilities (grey bars, right axis: where the
    customers are, so points piled near 0 or 1 read as what they are)."""
    fig, ax = _figure(title)
    y = np.asarray(y, dtype=float)
    per_bin = 0
    for k, (name, p) in enumerate(curves.items()):
        p = np.asarray(p, dtype=float)
        order = np.argsort(p, kind="stable")
        bins = [c for c in np.array_split(order, min(n_bins, p.size)) if c.size]
        xs = [p[c].mean() for c in bins]
        ys = [y[c].mean() for c in bins]
        brier = float(np.mean((p - y) ** 2))
        ax.plot(xs, ys, marker="o", label=f"{name} (Brier {brier:.4f})", zorder=3)
        if k == 0:
            per_bin = min(len(c) for c in bins) if bins else 0
            spread = ax.twinx()
            spread.hist(p, bins=20, range=(0.0, 1.0), color="0.6", alpha=0.25, zorder=0)
            spread.set_ylabel("customers per probability band", color="0.4")
            spread.tick_params(axis="y", colors="0.4")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set_xlabel(f"mean predicted probability ({n_bins} bins of about {per_bin:,} customers "
                  "each)")
    ax.set_ylabel("observed rate")
    ax.set_zorder(2)
    ax.patch.set_visible(False)  # the bars behind, the curves on top
    ax.legend(loc="upper left")
    return fig


def plot_lift(y: np.ndarray, curves: dict[str, np.ndarray],
              title: str = "Cumulative gain", captured: str = "positives") -> Figure:
    """Cumulative share of positives (or value) captured against share of customers contacted;
    ``captured`` names what is captured on the y axis ('revenue' for value).

    The best possible curve (customers ordered by their actual outcome) is drawn beside the
    model's: where most customers are positives (churn with a base rate of 82%) no ranking can
    rise far above the diagonal, and a model at that ceiling had read as barely random."""
    fig, ax = _figure(title)
    y = np.asarray(y, dtype=float)
    total = y.sum() if y.sum() > 0 else 1.0

    def gain_of(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
        gain = np.concatenate([[0.0], np.cumsum(y[order]) / total])
        return np.linspace(0, 1, gain.size), gain

    for name, p in curves.items():
        lift, _ = top_fraction_lift(y, p, 0.1)
        ax.plot(*gain_of(p), label=f"{name} (top-decile lift {lift:.2f})")
    best, _ = top_fraction_lift(y, y, 0.1)
    ax.plot(*gain_of(y), color="0.3", lw=1, ls="-.",
            label=f"best possible (top-decile lift {best:.2f})")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="random")
    ax.axvline(0.1, color="grey", lw=0.8, ls=":", label="top 10%")
    ax.set_xlabel("share of customers, highest score first")
    ax.set_ylabel(f"share of {captured} captured")
    ax.legend(loc="lower right")
    return fig


def _plain_name(column: str) -> str:
    """The feature's reader-facing name (as in reasons), with the column after it."""
    from ._customer_meanings import reason_label

    label = reason_label(column)
    text = label if label == column.replace("_", " ") else f"{label} ({column})"
    return textwrap.fill(text, 44)


def plot_importance(names: list[str], gains: np.ndarray, top: int = 20,
                    title: str = "Feature importance (total gain)") -> Figure:
    """Horizontal bar chart of the ``top`` features by total split gain."""
    from matplotlib.figure import Figure

    gains = np.asarray(gains, dtype=float)
    order = np.argsort(gains)[::-1][:top][::-1]
    labels = [_plain_name(names[i]) for i in order]
    per_bar = 0.3 + 0.17 * max((t.count("\n") for t in labels), default=0)
    fig = Figure(figsize=(8, max(3.0, per_bar * len(order) + 1)), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(labels, gains[order] / max(gains.sum(), 1e-12))
    ax.set_xlabel("share of total gain")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_value_deciles(y: np.ndarray, pred: np.ndarray,
                       title: str = "Predicted vs actual value by decile") -> Figure:
    """Mean predicted and mean actual revenue in each decile of the predictions."""
    fig, ax = _figure(title)
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    order = np.argsort(pred, kind="stable")
    bins = [c for c in np.array_split(order, min(10, pred.size)) if c.size]
    xs = np.arange(1, len(bins) + 1)
    means = [[pred[c].mean() for c in bins], [y[c].mean() for c in bins]]
    ax.bar(xs - 0.2, means[0], width=0.4, label="predicted")
    ax.bar(xs + 0.2, means[1], width=0.4, label="actual")
    # a decile whose customers spent nothing has no bar to see: say 0 where it would be
    for shift, vals in ((-0.2, means[0]), (0.2, means[1])):
        for x, v in zip(xs, vals, strict=True):
            if v == 0:
                ax.text(x + shift, 0, "0", ha="center", va="bottom", fontsize=8, color="0.3")
    ax.set_xlabel("decile of predicted value (10 = highest)")
    ax.set_ylabel("mean revenue per customer (data's currency)")
    # revenue is heavy-tailed: on a linear axis the top decile hides the other nine
    positive = [v for v in (*means[0], *means[1]) if v > 0]
    if positive and max(positive) > 20 * min(positive):
        ax.set_yscale("symlog", linthresh=min(positive))
        ax.set_ylim(bottom=0)
        ax.set_ylabel("mean revenue per customer\n(data's currency; log scale above "
                      f"{min(positive):,.2g})")
    ax.legend(loc="upper left")
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    return path
