"""Each series' own response to its known-in-advance columns (a spend, a price, a flag).

A global model shares its trees across series, and a column often means something different
in each: paid visits follow the paid spend (elasticity 0.75), organic visits have no spend, a
total moves a tenth as much as the paid channel for the same spend. Trees shared by all of them
learned a spend response far too weak for the one series it drives (doubling next month's paid
spend: +40% against +68% in an independent check). So the forecaster measures, per series, a
linear response on the modelling scale to each column on a log scale,

    effect_t = sum_c beta_c * (g_c(x_t) - center_c),   g_c(x) = log(x + floor_c),

(``g_c(x) = x`` for a column with negative values; ``floor_c`` is ``FLOOR_SHARE`` of the
column's median positive value in the series, so a paused week (spend 0) has a finite value),
takes it off the series before the event lifts and the trees see it, and adds it back for the
planned values. This is regression with time-series errors (Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., ch. 10): the trees model the rest, and still
read the columns, for what the log-linear response misses.

The slopes are estimated on same-phase differences a season apart (a week for daily data), so
the weekly shape and slow trends cancel, on days no calendar event covers, outside unmarked
drops and site-wide outages (an outage's differences, visits at 3% beside the usual spend, got
no weight but had swayed the choice of the recency half-life), by robust regression (Huber,
then Tukey's bisquare: a tracking outage or a paused week far off the line gets no weight)
with a weak normal prior on each slope (a flag and a price cut that always moved together are
not told apart by the data; without it they ran off to -690 and -15.5), and shrunk jointly
towards the mean slopes of the columns over the series that have them (method of moments;
precision-weighted, as the event lifts are): 200 items with similar price elasticities borrow
from each other; a paid channel and a total keep their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FLOOR_SHARE", "ColumnResponse", "fit_responses"]

FLOOR_SHARE = 0.01
"""Share of a column's median positive value added before the log (log(x + floor))."""

_HUBER = 1.345
"""Huber's tuning constant, in robust standard deviations (95% efficiency under normal errors)."""

_BISQUARE = 4.685
"""Tukey's bisquare tuning constant (95% efficiency): beyond it a difference gets no weight."""

_MIN_PAIRS = 28
"""Fewest usable season-apart differences a series needs for slopes of its own."""

_MIN_TAU = 0.1
"""Least spread of a column's slopes across series assumed when they are pooled."""

_PRIOR_SD = 1.0
"""Prior spread of a slope around 0 where only one series has the column moving; and, per
typical move of a column (its root mean square difference), of its effect in each series' own
fit (a ridge: columns that always moved together share their effect instead of running off)."""

_HOLDOUT = 0.25
"""Later share of the differences on which the recency half-life is checked."""

_DRIFT_STEPS = (1.0, 0.5, 0.25, 0.125)
"""Half-lives tried, as shares of the one given (``_drift_halflife``)."""

_ZERO = "@0"
"""Suffix of the term for a column at 0 (``ColumnResponse.zero``)."""


@dataclass(frozen=True)
class ColumnResponse:
    """One series' response to one known-in-advance column.

    Attributes:
        beta: change on the modelling scale per unit of ``g(x)`` (after shrinkage).
        log: whether ``g(x) = log(x + floor)`` (else ``g(x) = x``).
        floor: added before the log.
        center: mean of ``g(x)`` over the series' history (the effect is 0 there).
        zero: extra change where the column is 0 (a paused spend: an 'off' that the log-linear
            slope of the 'on' values does not describe), for a log column with zeros and more
            than one positive value in the series' history (else 0).
        zero_center: share of the history's periods with the column at 0.
    """

    beta: float
    log: bool
    floor: float
    center: float
    zero: float = 0.0
    zero_center: float = 0.0

    def g(self, x: np.ndarray) -> np.ndarray:
        """The column on the scale the response is linear in."""
        v = np.asarray(x, dtype=float)
        return np.log(np.maximum(v, 0.0) + self.floor) if self.log else v

    def effect(self, x: np.ndarray) -> np.ndarray:
        """Effect of values ``x`` on the modelling scale (0 where ``x`` is missing)."""
        v = np.asarray(x, dtype=float)
        out = self.beta * (self.g(v) - self.center)
        if self.zero:
            out = out + self.zero * ((v <= 0).astype(float) - self.zero_center)
        return np.where(np.isfinite(out), out, 0.0)


def _scale(v: np.ndarray) -> tuple[bool, float]:
    """Whether a column's values are taken on a log scale, and the floor added before it."""
    v = v[np.isfinite(v)]
    if not len(v) or (v < 0).any():
        return False, 0.0
    pos = v[v > 0]
    return True, (FLOOR_SHARE * float(np.median(pos)) if len(pos) else 1.0)


def _robust(x: np.ndarray, y: np.ndarray, iters: int = 20,
            prior: np.ndarray | None = None, full: bool = False,
            sd: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Robust regression of ``y`` on ``x`` (with an intercept as its last column) by
    iteratively reweighted least squares, Huber weights then Tukey's bisquare from there (an
    M-estimator with a redescending weight: a paused week's differences, far off the line
    and far out on the column's axis, get no weight; Huber's bounded weight still let their
    leverage pull a paid channel's elasticity from 0.75 to 1.09); the coefficients and their
    variances (from the robust residual scale; ``full``: their whole covariance matrix).
    ``prior``: weights the robust ones multiply (recency). ``sd``: a normal prior's standard
    deviation around 0 per coefficient (``inf``: none), a ridge penalty of ``scale^2 / sd^2``:
    the coefficients of columns that moved together, which the data do not tell apart, are
    shared out by it instead of running off in opposite directions."""
    base = np.ones(len(y)) if prior is None else np.asarray(prior, dtype=float)
    pen = np.zeros(x.shape[1]) if sd is None else 1.0 / np.asarray(sd, dtype=float) ** 2
    w = base.copy()
    coef = np.zeros(x.shape[1])
    scale = 1.0
    for it in range(iters):
        sw = np.sqrt(w)
        if it and pen.any():
            coef = np.linalg.solve((x * w[:, None]).T @ x + np.diag(pen * scale**2),
                                   (x * w[:, None]).T @ y)
        else:
            coef, *_ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
        r = y - x @ coef
        scale = max(1.4826 * float(np.median(np.abs(r - np.median(r)))), 1e-6)
        if it < iters // 2:
            u = np.abs(r) / (_HUBER * scale)
            w = base * np.where(u <= 1, 1.0, 1.0 / np.maximum(u, 1e-12))
        else:
            u = r / (_BISQUARE * scale)
            w = base * np.where(np.abs(u) < 1, (1 - u**2) ** 2, 0.0)
    # A^-1 X'(W base)X A^-1 with A = X'WX: the robust fit's (X'WX)^-1 when every period
    # counts alike, larger when recency weights leave fewer effective observations
    xtwx = (x * w[:, None]).T @ x + np.diag(pen * scale**2)
    meat = (x * (w * base)[:, None]).T @ x
    try:
        inv = np.linalg.inv(xtwx)
        cov = inv @ meat @ inv * scale**2
    except np.linalg.LinAlgError:
        cov = np.diag(np.full(x.shape[1], np.inf))
    return coef, (cov if full else np.diag(cov).copy())


def _drift_halflife(x: np.ndarray, dy: np.ndarray, t: np.ndarray, halflife: float,
                    sd: np.ndarray | None = None) -> float:
    """The recency half-life the slopes are fitted with: ``halflife`` or a shorter one
    (``_DRIFT_STEPS``), whichever predicts the later ``_HOLDOUT`` of the differences best when
    fitted on the earlier part (Huber loss at the earlier fit's robust scale). A response that
    drifts gets the shorter memory: a total's response to its summed spend falls as the
    channels without spend grow (its slope per year of history 0.23, 0.19, 0.10), and the
    slope a 730-day half-life gave (0.20) overstated a month with social paused by half."""
    if not np.isfinite(halflife):
        return halflife
    cut = t[int(len(t) * (1 - _HOLDOUT))]
    early, late = t < cut, t >= cut
    best, best_loss = halflife, np.inf
    for step in _DRIFT_STEPS:
        hl = halflife * step
        prior = 0.5 ** ((cut - 1 - t[early]) / hl)
        # too few effective differences left for slopes of their own
        if prior.sum() ** 2 / (prior**2).sum() < 2 * _MIN_PAIRS or late.sum() < _MIN_PAIRS:
            break
        coef, _ = _robust(x[early], dy[early], prior=prior, sd=sd)
        r0 = dy[early] - x[early] @ coef
        c = _HUBER * max(1.4826 * float(np.median(np.abs(r0 - np.median(r0)))), 1e-6)
        r = np.abs(dy[late] - x[late] @ coef)
        loss = float(np.mean(np.where(r <= c, 0.5 * r**2, c * r - 0.5 * c**2)))
        if loss < best_loss:
            best, best_loss = hl, loss
    return best


def _own_slopes(z: np.ndarray, cols: dict[str, np.ndarray], skip: np.ndarray, m: int,
                halflife: float) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The columns that move, their slopes and the slopes' covariance matrix, from same-phase
    differences ``m`` periods apart with neither period skipped (columns whose slope or
    variance is not finite are left out)."""
    none: tuple[list[str], np.ndarray, np.ndarray] = ([], np.zeros(0), np.zeros((0, 0)))
    n = len(z)
    if n <= m:
        return none
    ok = np.isfinite(z) & ~skip
    for v in cols.values():
        ok &= np.isfinite(v)
    pair = ok[m:] & ok[:-m]
    if pair.sum() < _MIN_PAIRS:
        return none
    dy = (z[m:] - z[:-m])[pair]
    names, dx = [], []
    for name, v in cols.items():
        d = (v[m:] - v[:-m])[pair]
        if np.abs(d).max() > 1e-9:
            names.append(name)
            dx.append(d)
    if not names:
        return none
    x = np.column_stack([*dx, np.ones(len(dy))])
    t = np.arange(m, n)[pair]
    # a typical move of a column moves the series by about a unit on the modelling scale at
    # most, a priori (``_PRIOR_SD`` over the column's root mean square difference): only
    # columns that moved together feel it (a promotion flag and its price cut, always alike)
    sd = np.r_[_PRIOR_SD / np.sqrt(np.mean(np.square(dx), axis=1)), np.inf]
    halflife = _drift_halflife(x, dy, t, halflife, sd)
    coef, cov = _robust(x, dy, prior=0.5 ** ((n - 1 - t) / halflife), full=True, sd=sd)
    var = np.diag(cov)
    keep = [j for j in range(len(names))
            if np.isfinite(coef[j]) and np.isfinite(var[j]) and var[j] > 0]
    sub = cov[np.ix_(keep, keep)]
    if not np.isfinite(sub).all():  # an infinite covariance: each slope on its own
        sub = np.diag(var[keep])
    return [names[j] for j in keep], coef[keep], sub


def fit_responses(z: dict[str, np.ndarray], reg: dict[str, dict[str, np.ndarray]],
                  skip: dict[str, np.ndarray], m: int, halflife: float = np.inf
                  ) -> dict[str, dict[str, ColumnResponse]]:
    """Per series and known-in-advance column, its ``ColumnResponse``.

    Args:
        z: per series, values on the modelling scale.
        reg: per series, known-in-advance columns (name -> values on the same grid).
        skip: per series, periods left out (event days, unmarked drops).
        m: periods in a season (7 for daily data): differences are taken this far apart.
        halflife: the longest recency half-life tried, in periods (a difference that old
            counts half); ``_drift_halflife`` keeps it or a shorter one per series (a response
            drifts: a channel's share of a total shrinks as the other channels grow).

    A series whose column never moves (outside skipped days) gets no response to it. The
    slopes of one column are shrunk towards their precision-weighted mean over the series
    (between-series spread by the method of moments, at least ``_MIN_TAU``); with a single
    series, towards 0 with ``_PRIOR_SD``.
    """
    scales: dict[str, dict[str, tuple[bool, float]]] = {}
    raw: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
    gv: dict[str, dict[str, np.ndarray]] = {}
    for sid, cols in reg.items():
        scales[sid], gv[sid] = {}, {}
        terms: dict[str, np.ndarray] = {}
        for name, vals in cols.items():
            v = np.asarray(vals, dtype=float)
            log, floor = _scale(v)
            scales[sid][name] = (log, floor)
            gv[sid][name] = terms[name] = np.log(np.maximum(v, 0.0) + floor) if log else v
            fin = v[np.isfinite(v)]
            if log and (fin <= 0).any() and len(np.unique(fin[fin > 0])) > 1:
                terms[name + _ZERO] = np.where(np.isfinite(v), (v <= 0).astype(float), np.nan)
        raw[sid] = _own_slopes(np.asarray(z[sid], dtype=float), terms,
                               np.asarray(skip.get(sid, np.zeros(len(z[sid]), bool)), bool), m,
                               halflife)
    # slopes are pooled among the series that take the column on the same scale: an
    # elasticity (log) and a slope per unit (a series whose column has a negative value) are
    # different quantities (one such series' price, pooled with 30 elasticities of -1.5, had
    # pulled them to -1.1)
    keys = {sid: [_scaled(t, scales[sid][t.removesuffix(_ZERO)][0]) for t in r[0]]
            for sid, r in raw.items()}
    pool: dict[str, dict[str, tuple[float, float]]] = {
        sid: {k: (float(r[1][j]), float(r[2][j, j])) for j, k in enumerate(keys[sid])}
        for sid, r in raw.items()}
    prior = {term: _prior(pool, term) for term in sorted({t for r in pool.values() for t in r})}
    post = {sid: _posterior(r[1], r[2], keys[sid], prior) for sid, r in raw.items()}
    out: dict[str, dict[str, ColumnResponse]] = {sid: {} for sid in reg}
    for sid in reg:
        for name, g in gv[sid].items():
            log, floor = scales[sid][name]
            beta = post.get(sid, {}).get(_scaled(name, log))
            zero = post.get(sid, {}).get(_scaled(name + _ZERO, log))
            if beta is None and zero is None:
                continue
            v = np.asarray(reg[sid][name], dtype=float)
            fin = np.isfinite(v)
            out[sid][name] = ColumnResponse(
                beta or 0.0, log, floor, float(np.mean(g[fin])) if fin.any() else 0.0,
                zero or 0.0, float(np.mean(v[fin] <= 0)) if fin.any() else 0.0)
    return out


def _scaled(term: str, log: bool) -> str:
    """The pooling key of ``term``: its name, and the scale the series takes its column on."""
    return term if log else term + "@linear"


def _prior(raw: dict[str, dict[str, tuple[float, float]]], term: str) -> tuple[float, float]:
    """The mean and spread (variance) the slopes of ``term`` are shrunk towards: their
    precision-weighted mean over the series, the spread between series by the method of
    moments (at least ``_MIN_TAU``); with one series, 0 and ``_PRIOR_SD``."""
    have = [r[term] for r in raw.values() if term in r]
    b = np.array([h[0] for h in have])
    v = np.array([h[1] for h in have])
    if len(have) > 1:
        w = 1 / v
        return (float((w * b).sum() / w.sum()),
                max(_MIN_TAU**2, float(np.var(b, ddof=1) - np.mean(v))))
    return 0.0, _PRIOR_SD**2


def _posterior(b: np.ndarray, cov: np.ndarray, keys: list[str],
               prior: dict[str, tuple[float, float]]) -> dict[str, float]:
    """One series' slopes shrunk jointly towards the columns' means: ``b + S (S + T)^-1
    (mu - b)``, with ``S`` the slopes' covariance and ``T`` the priors' (diagonal) spread,
    the normal posterior mean.

    Jointly, because two columns that moved together in a series (a promotion flag and its
    price cut, every week alike) have slopes that are not told apart one by one, only their
    sum over a move: each alone is far off with a huge variance (an elasticity of -690 and a
    flag's -15.5 on a retail check's store_37, summing to +0.3 over a promotion week). Shrunk
    one by one, the flag went to its pooled 0 and the price kept -108: a promotion week was
    forecast at e^11 times the usual orders. The joint posterior moves the slopes only along
    what the data leave open, so a move seen in the history keeps its measured effect. With
    one column it is the one-by-one formula."""
    if not keys:
        return {}
    mu = np.array([prior[k][0] for k in keys])
    tau2 = np.array([prior[k][1] for k in keys])
    try:
        post = b + cov @ np.linalg.solve(cov + np.diag(tau2), mu - b)
    except np.linalg.LinAlgError:
        post = (b / np.diag(cov) + mu / tau2) / (1 / np.diag(cov) + 1 / tau2)
    return {k: float(p) for k, p in zip(keys, post, strict=True)}
