"""Calibration of the customer models' raw LightGBM output.

Classifiers: Platt scaling (``sigmoid``: a logistic regression on the raw margin) or isotonic
regression, fitted on a later cutoff than the booster was trained on. Value: ``scale``, one
multiplicative factor that makes the calibration rows' total prediction equal their total actual
revenue. ``none`` is the logistic link (classifiers) or the identity (value).

Isotonic regression pools the calibration rows into blocks and predicts each block's observed
rate, so a lowest block without a single positive predicts exactly 0 and a highest block without
a negative exactly 1: certainty that a finite sample cannot support (the tester saw 239 customers
at P(churn) = 1.0 whose observed rate was 0.967). The end blocks are therefore bounded by their
Laplace rule-of-succession estimate: a block of ``n`` rows with no positive gives
``1 / (n + 2)``, one with no negative ``(n + 1) / (n + 2)``. The bounds only bind on such
all-0 or all-1 end blocks (any other block's rate ``k / n`` already lies inside them), so
probabilities stay strictly inside (0, 1) and the ranking is unchanged.

Within a block isotonic regression gives every customer the same probability, which throws away
the booster's order of them: on a retail check (2,916 validation customers, 90-day churn) the
calibrated scores ranked at AUC 0.8517 where the booster's margins did at 0.8535 (the best single
feature: 0.8535), and top-decile buyers 0.845 against 0.856. ``TIE_BREAK`` keeps that order:
each probability moves a ``TIE_BREAK`` share of the way to a strictly increasing function of the
margin in (0, 1), so it stays within [0, 1]; the calibrated scores order customers exactly as
the booster does while no probability moves by more than 1e-9 (Brier, calibration and tiers
are unchanged).

Which calibrator (``choose_calibration``). With cutoffs, a calibrator fitted on the calibration
window learns that window's level as well as the booster's shape: the demo's propensity model,
calibrated on November (Double 11, Black Friday; 10.0% bought against 8.4% and 7.4% in the
training windows), predicted 0.101 on December where 0.072 bought (Brier 0.0560, uncalibrated
0.0536). Halving the one window (the two-fold score) cannot see that, since both halves share its
season. So when the training cutoffs leave room, the choice is checked in time, as the
validation itself is: one booster fitted on the cutoffs before the last ``CALIBRATION_WINDOWS``
labelled windows scores them all, and each method, and ``none``, is fitted on the earlier
windows and scored on the next one; the lowest mean loss wins. A level that lasts (everyone
buys less from some month on) carries over and keeps the calibrator; a sale month's does not.
Fitting the winner on the windows stacked (each scored by a booster of the cutoffs before it)
was tried and not kept: each booster's margins carry its own training level, and after a
lasting drop the stacked calibrator overshot (see ``docs/customers-reference.md``).

References:
    Platt, J. (1999). Probabilistic outputs for support vector machines and comparisons to
    regularized likelihood methods.
    Zadrozny, B., Elkan, C. (2002). Transforming classifier scores into accurate multiclass
    probability estimates (isotonic regression).
    Laplace, P.-S. (1814). Essai philosophique sur les probabilites (rule of succession).
"""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

__all__ = ["CALIBRATION_WINDOWS", "NONE_MARGIN", "TIE_BREAK", "Calibrator",
           "calibration_scores", "choose_calibration"]

TIE_BREAK = 1e-9
"""Most an isotonic probability moves to keep the booster's order within a block."""

NONE_MARGIN = 2.0
"""Standard errors by which no calibration must beat the best calibrator in the check in time
(``choose_calibration``) to be chosen."""

CALIBRATION_WINDOWS = 3
"""Most labelled windows the calibration method is chosen on in time (the latest before the
validation window; monthly cutoffs: a quarter)."""


class Calibrator:
    """Maps a raw LightGBM margin (or value) to a calibrated probability (or value)."""

    def __init__(self, method: str) -> None:
        """``method``: ``isotonic``, ``sigmoid``, ``scale`` or ``none``."""
        self.method = method
        self.model_: IsotonicRegression | LogisticRegression | None = None
        self.factor_ = 1.0
        self.bounds_ = (0.0, 1.0)

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        """Learn the mapping from raw outputs ``raw`` to labels ``y``; returns ``self``."""
        if self.method == "isotonic":
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
            self.model_ = iso
            fitted = np.asarray(iso.predict(raw), dtype=float)
            # rows in the lowest / highest block (isotonic output is constant on a block)
            n_low = int(np.sum(fitted == fitted.min()))
            n_high = int(np.sum(fitted == fitted.max()))
            self.bounds_ = (1.0 / (n_low + 2), (n_high + 1.0) / (n_high + 2))
        elif self.method == "sigmoid":
            self.model_ = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
        elif self.method == "scale":
            total = float(raw.sum())
            self.factor_ = float(y.sum()) / total if total > 0 else 1.0
        return self

    def transform(self, raw: np.ndarray, task_kind: str) -> np.ndarray:
        """Calibrated probabilities (``task_kind="classifier"``) or values of ``raw``."""
        if self.method == "isotonic":
            lo, hi = getattr(self, "bounds_", (0.0, 1.0))  # models pickled before the bounds
            fitted = self.model_.predict(raw)  # type: ignore[union-attr]
            # the booster's order inside a block (models pickled before: the same), as a step
            # of at most TIE_BREAK towards ``order`` in (0, 1): a probability stays within
            # [0, 1] (a model pickled before the bounds clips to 1.0, which a plain
            # ``+ TIE_BREAK * order`` had raised to 1.000000001)
            order = 0.5 + np.arctan(np.asarray(raw, dtype=np.float64)) / np.pi
            p = np.clip(np.asarray(fitted, dtype=np.float64), lo, hi)
            return p + TIE_BREAK * (order - p)
        if self.method == "sigmoid":
            return self.model_.predict_proba(raw.reshape(-1, 1))[:, 1]  # type: ignore[union-attr]
        if self.method == "scale":
            return raw * self.factor_
        return 1.0 / (1.0 + np.exp(-raw)) if task_kind == "classifier" else raw


def _loss(pred: np.ndarray, y: np.ndarray, kind: str) -> float:
    """Brier score (classifiers) or |aggregate bias| (value) of ``pred`` against ``y``."""
    if kind == "classifier":
        return float(np.mean((pred - y) ** 2))
    return abs(float(pred.sum() / max(float(y.sum()), 1e-12) - 1))


def calibration_scores(methods: list[str], raw: np.ndarray, y: np.ndarray,
                       kind: str) -> dict[str, float]:
    """Per calibration method, its two-fold cross-fitted loss on one window's rows: Brier
    score (classifiers) or |aggregate bias| (value), each half scored by a calibrator fitted on
    the other half (alternate rows). One method: no choice, no score needed (0)."""
    if len(methods) == 1:
        return {methods[0]: 0.0}
    halves = (np.arange(len(y)) % 2).astype(bool)
    split = [halves, ~halves]
    if kind == "classifier" and any(len(np.unique(y[h])) < 2 for h in split):
        split = [np.ones(len(y), bool)]  # too few of a class to halve: fitted and scored on all
    out: dict[str, float] = {}
    for m in methods:
        pred = np.empty(len(y))
        for fit_on in split:
            score_on = ~fit_on if len(split) == 2 else fit_on
            pred[score_on] = Calibrator(m).fit(raw[fit_on], y[fit_on]).transform(
                raw[score_on], kind)
        out[m] = _loss(pred, y, kind)
    return out


def choose_calibration(methods: list[str], windows: list[tuple[np.ndarray, np.ndarray]],
                       kind: str) -> tuple[str, dict[str, float]]:
    """The calibration method for ``windows`` (``(raw, y)`` of each labelled window, oldest
    first, all scored by one booster that saw none of them) and every candidate's loss (see
    the module docstring).

    The calibrator's shape is chosen as with one window: ``methods`` scored two-fold on the
    last window, the calibration rows (``calibration_scores``; one method, named by the
    caller: kept). With several windows, that method and ``none`` are then each fitted on
    the windows before each later one (stacked) and scored on it, the losses averaged
    (``in_time_<method>``, ``in_time_none`` in the scores): the method is kept unless
    ``none`` does better by more than ``NONE_MARGIN`` standard errors of the per-row
    difference (classifiers: squared errors; value: the |aggregate bias|, which has no
    per-row terms, by any margin), so a difference within noise keeps the calibrator as
    before. The check in time decides only whether a window's level carries over: choosing
    the shape there too (isotonic against Platt on one window fitted, the next scored) had
    changed the shape on noise (a generated BG/NBD log: isotonic by 6e-6, validation Brier
    0.06908 against Platt's 0.06890).
    """
    shape = calibration_scores(methods, *windows[-1], kind)
    best = min(shape, key=shape.__getitem__)
    if len(windows) == 1 or len(methods) == 1 or best == "none":
        return best, shape
    cands = [best, "none"]
    losses: dict[str, list[float]] = {m: [] for m in cands}
    rows: dict[str, list[np.ndarray]] = {m: [] for m in cands}
    for j in range(1, len(windows)):
        raw = np.concatenate([w[0] for w in windows[:j]])
        y = np.concatenate([w[1] for w in windows[:j]])
        if kind == "classifier" and len(np.unique(y)) < 2:
            continue  # one class only: no calibrator to fit yet
        for m in cands:
            pred = Calibrator(m).fit(raw, y).transform(windows[j][0], kind)
            losses[m].append(_loss(pred, windows[j][1], kind))
            rows[m].append((pred - windows[j][1]) ** 2)
    if not losses[best]:
        return best, shape
    in_time = {m: float(np.mean(v)) for m, v in losses.items()}
    scores = {**shape, **{f"in_time_{m}": v for m, v in in_time.items()}}
    if in_time["none"] >= in_time[best]:
        return best, scores
    if kind != "classifier":
        return "none", scores
    diff = np.concatenate(rows[best]) - np.concatenate(rows["none"])
    se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else np.inf
    return ("none" if float(np.mean(diff)) > NONE_MARGIN * se else best), scores
