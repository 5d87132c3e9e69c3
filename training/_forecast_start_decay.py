"""A series whose history is mostly its own start window (a page launched days ago): its launch's
own decay, estimated with a prior from the other series that started with that kind of event.

``young_shifts`` reads such a series' level against the other starters' at the same age: it
assumes the series still has as much of its launch left as they had. A launch that fades
faster (or slower) than theirs is then read too low (too high): a page whose launch decayed in
about 3.5 days, against 3-8 for the others, was forecast 46% low 12 days after its launch.

Here each starter's trajectory since its start (the modelling scale, its weekly shape taken
out, the days of its other events left out, its first ``_FIT_WEEKS``) is fitted with a level
and a launch that fades exponentially on top of it::

    z(t) = L + log(1 + A exp(-t / tau))

(A: the launch's excess over the level on its first period, tau: its time constant in
periods). Across the starters, log A and log tau give a prior: their mean and spread (partial
pooling, empirical Bayes; the spread times sqrt(1 + 1/n) for one more starter). The young
series' own periods (the starters' median weekly shape taken out, its other events left out)
then update it: the maximum a posteriori ``(L, log A, log tau)`` with a flat prior on L and
a Student-t prior (``_PRIOR_DOF``) on the others, so a launch far from the starters' is not
pulled back to them. The errors are AR(1), prewhitened (Prais-Winsten) with the starters' lag-1
autocorrelation and innovation noise around their own curves: a day's noise runs on into the
next, so 13 days hold fewer than 13 independent values. With few or noisy periods the decay
stays near the starters'; a launch that plainly fades faster moves it. Its forecast level is
the curve from its age on; its band is the larger of the curve's uncertainty (Laplace: the
inverse of the fit's curvature, carried to each horizon) and the error measured on the
starters themselves, each cut at the young series' age and fitted the same way
(``_held_out_sd``).

References:
    Efron, B. and Morris, C. (1975). Data analysis using Stein's estimator and its
    generalizations. JASA 70, 311-319 (empirical Bayes shrinkage).
    MacKay, D. J. C. (1992). A practical Bayesian framework for backpropagation networks.
    Neural Computation 4, 448-472 (Laplace approximation of a MAP fit's uncertainty).
    Prais, S. J. and Winsten, C. B. (1954). Trend estimators and serial correlation. Cowles
    Commission Discussion Paper 383 (regression with AR(1) errors).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import least_squares

from features._calendar import normalize_calendar, series_channel

from ._forecast_base import Panel
from ._forecast_starts import (
    MIN_STARTERS,
    StartProfile,
    _other_event_days,
    _phase_of,
    _weekly_shape,
)

__all__ = ["DECAY_WEEKS_PAST", "StartDecay", "start_decays"]

DECAY_WEEKS_PAST = 1
"""A series that started with a profiled event gets a decay of its own while it has fewer
than this many weeks of periods past its start event's window and shoulder days: its history
is then mostly its start's own, and a week past it is too little to read a level from."""
_FIT_WEEKS = 8
"""Weeks of a starter's trajectory its curve is fitted on (its settled level needs some after
the launch; beyond, slow trends of its own would bend the curve)."""
_SETTLED_WEEKS = 4
"""Weeks since its start a starter needs before its decay is read (before, no settled level)."""
_MIN_SPREAD = 0.1
"""Least prior spread of log A and log tau (starters that decayed alike still leave a new
one some room)."""
_HELD_OUT = 12
"""How many starters (the latest) are cut at a young series' age to measure its band (0:
the fit's own uncertainty only)."""
_Z80 = 1.2815515655446004


@dataclass(frozen=True)
class _Starter:
    """One settled starter: its curve's ``params``, the ``innovations`` of its residuals
    (AR(1) with lag-1 autocorrelation ``rho``; NaN where too few consecutive periods), its
    ages ``t`` and values ``z`` (weekly shape out, other events left out), its ``start``."""

    params: np.ndarray
    innovations: np.ndarray
    rho: float
    t: np.ndarray
    z: np.ndarray
    start: pd.Timestamp


@dataclass(frozen=True)
class StartDecay:
    """One young series' own launch decay (modelling scale, periods), from its last period on.

    Attributes:
        path: per horizon 1..max, the curve's level (weekly shape out), net of the lift the
            calendar adds on its start event's periods still to come (so it is not counted
            twice).
        sd: per horizon, the 80% half-band of that level (the fit's uncertainty, or the
            error measured on the starters where larger).
        phase: the starters' median weekly shape (``StartProfile.phase``), by which the
            trees' P50 is read as a level (``shift``).
        level: the settled level L (MAP).
        log_amp: log A, the launch's excess on its first period (MAP).
        log_tau: log tau, the decay's time constant in periods (MAP).
        prior: the starters' mean and spread of log A, then of log tau.
        noise: the sd of the noise's AR(1) innovations used.
        starters: how many starters gave the prior.
    """

    path: np.ndarray
    sd: np.ndarray
    phase: np.ndarray
    level: float
    log_amp: float
    log_tau: float
    prior: tuple[float, float, float, float]
    noise: float
    starters: int

    def shift(self, p50: np.ndarray, index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        """``(shift, sd)`` for the trees' no-event ``p50`` on ``index``, as ``young_shifts``
        answers: the curve's level minus the trees' (their P50 with the weekly shape taken
        out, a week's centred mean), so the trees keep their weekly shape around the curve."""
        m = len(self.phase)
        own = pd.Series(np.asarray(p50, dtype=float) - self.phase[_phase_of(index, m)]).rolling(
            m, center=True, min_periods=1).mean().to_numpy()
        h = len(own)
        return self.path[:h] - own, self.sd[:h]


def _curve(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[0] + np.logaddexp(0.0, p[1] - t / np.exp(p[2]))


def _grad(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """d curve / d (L, log A, log tau) per period of ``t``."""
    e = p[1] - t / np.exp(p[2])
    s = 1.0 / (1.0 + np.exp(-e))  # d log(1 + exp(e)) / de
    return np.column_stack([np.ones(len(t)), s, s * t / np.exp(p[2])])


_PRIOR_DOF: float | None = 4.0
"""Degrees of freedom of the Student-t prior on log A and log tau (None: normal)."""


def _whiten(t: np.ndarray, rho: float) -> np.ndarray:
    """The matrix that turns AR(1) errors (lag-1 autocorrelation ``rho``) at the sorted ages
    ``t`` into independent ones of the innovations' scale (Prais-Winsten: a period right
    after a kept one minus ``rho`` times it, the first of each run scaled by
    sqrt(1 - rho^2))."""
    n = len(t)
    w = np.eye(n)
    after = np.flatnonzero(np.diff(t) == 1) + 1
    w[after, after - 1] = -rho
    runs = np.setdiff1d(np.arange(n), after)
    w[runs, runs] = np.sqrt(1 - rho**2)
    return w


def _t_res(u: np.ndarray, dof: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Residual whose square is twice a Student-t (``dof``; None: normal) prior's negative
    log density at the standardized ``u``, and its derivative."""
    if dof is None:
        return u, np.ones(len(u))
    r = np.sign(u) * np.sqrt((dof + 1) * np.log1p(u**2 / dof))
    small = np.abs(u) < 1e-8
    d = np.where(small, np.sqrt((dof + 1) / dof),
                 (dof + 1) * u / ((dof + u**2) * np.where(small, 1.0, r)))
    return r, d


def _fit(t: np.ndarray, z: np.ndarray, max_tau: float,
         prior: tuple[float, float, float, float] | None = None, noise: float = 1.0,
         rho: float = 0.0) -> tuple[np.ndarray, np.ndarray] | None:
    """MAP ``(L, log A, log tau)`` of ``z`` at the sorted ages ``t`` and its covariance
    (Laplace); errors AR(1) with ``rho`` and innovations of sd ``noise``; without ``prior``,
    least squares (several starting decays, the best kept)."""
    if len(t) < 3:
        return None
    w = _whiten(t, rho) / noise
    mu = np.zeros(2) if prior is None else np.array([prior[0], prior[2]])
    sc = np.ones(2) if prior is None else np.array([prior[1], prior[3]])

    def res(p: np.ndarray) -> np.ndarray:
        r = w @ (z - _curve(t, p))
        if prior is None:
            return r
        return np.concatenate([r, _t_res((p[1:] - mu) / sc, _PRIOR_DOF)[0]])

    def jac(p: np.ndarray) -> np.ndarray:
        j = -w @ _grad(t, p)
        if prior is None:
            return j
        d = _t_res((p[1:] - mu) / sc, _PRIOR_DOF)[1] / sc
        return np.vstack([j, [0.0, d[0], 0.0], [0.0, 0.0, d[1]]])

    low = np.array([-np.inf, -5.0, np.log(0.5)])
    high = np.array([np.inf, 8.0, np.log(max_tau)])
    tail = float(np.mean(z[-max(3, len(z) // 4):]))
    first = float(np.log(max(np.expm1(max(z[0] - tail, 0.0)), 0.05)))
    starts = [np.array([tail, first, np.log(tau)]) for tau in (2.0, 5.0, 15.0)]
    if prior is not None:
        starts.append(np.array([tail - 0.2, prior[0], prior[2]]))
    best = None
    for x0 in starts:
        r = least_squares(res, np.clip(x0, low + 1e-6, high - 1e-6), jac=jac,
                          bounds=(low, high), method="trf")
        if r.success and (best is None or r.cost < best.cost):
            best = r
    if best is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cov = np.linalg.pinv(best.jac.T @ best.jac)
    return best.x, cov


def _trajectory(panel: Panel, cal: pd.DataFrame, sid: str, at: pd.Timestamp, kind: str,
                values: np.ndarray, shape: np.ndarray | None, m: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Ages (periods since ``at``) and values (weekly shape out) of ``sid`` outside its other
    events; ``shape``: a weekly shape by phase (None: its own, ``_weekly_shape``)."""
    g = panel.series[sid]
    z = np.asarray(values, dtype=float)
    phase = _phase_of(g.ds, m)
    own = _weekly_shape(z, phase, m) if shape is None else shape
    d = np.arange(len(z)) - round((at - g.ds[0]) / panel.step)
    keep = (d >= 0) & np.isfinite(z) & ~_other_event_days(cal, sid, kind, g.ds)
    return d[keep].astype(float), (z - own[phase])[keep]


def _start_lift(effects: object, cal: pd.DataFrame, sid: str, kind: str, at: pd.Timestamp,
                index: pd.DatetimeIndex) -> np.ndarray:
    """The lift ``effects`` adds on ``index`` for ``sid``'s own start event (its channel's
    event of ``kind`` that began on ``at``'s day): 0 past its window and shoulders."""
    own = cal[(cal["kind"].astype(str) == kind).to_numpy(dtype=bool)
              & (cal["channel"] == series_channel(sid)).fillna(value=False).to_numpy(dtype=bool)
              & (cal["start"].dt.normalize() == at.normalize()).to_numpy(dtype=bool)]
    if own.empty or not hasattr(effects, "lift_many"):
        return np.zeros(len(index))
    return np.asarray(effects.lift_many({sid: index}, own)[sid][0], dtype=float)


def _starter_fits(panel: Panel, cal: pd.DataFrame, prof: StartProfile,
                  began: dict[str, pd.Timestamp], raw: dict[str, np.ndarray], m: int
                  ) -> dict[str, _Starter]:
    """Per starter settled for ``_SETTLED_WEEKS``, its own curve (``_Starter``)."""
    out = {}
    for sid, at in began.items():
        if round((panel.series[sid].ds[-1] - at) / panel.step) < _SETTLED_WEEKS * m:
            continue
        t, z = _trajectory(panel, cal, sid, at, prof.kind, raw[sid], None, m)
        keep = t < _FIT_WEEKS * m
        got = _fit(t[keep], z[keep], 2.0 * _FIT_WEEKS * m)
        if got is None:
            continue
        r = z[keep] - _curve(t[keep], got[0])
        full = np.full(int(t[keep].max()) + 1, np.nan)
        full[t[keep].astype(int)] = r
        a, b = full[:-1], full[1:]
        ok = np.isfinite(a) & np.isfinite(b)
        rho = float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 5 else np.nan
        out[sid] = _Starter(got[0], (b - np.nan_to_num(rho) * a)[ok], rho, t, z, at)
    return out


def _own_decay(peers: list[_Starter], t: np.ndarray, z: np.ndarray, ahead: np.ndarray,
               m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, ...], float
                                ] | None:
    """The MAP curve of ``z`` at ages ``t`` with the prior of ``peers``: its parameters, its
    level at the ages ``ahead``, that level's sd (Laplace), the prior and the noise."""
    n = len(peers)
    amp = np.array([f.params[1] for f in peers])
    tau = np.array([f.params[2] for f in peers])
    inflate = np.sqrt(1 + 1 / n)  # the prior for one more starter
    prior = (float(amp.mean()), max(float(amp.std(ddof=1)), _MIN_SPREAD) * inflate,
             float(tau.mean()), max(float(tau.std(ddof=1)), _MIN_SPREAD) * inflate)
    rhos = [f.rho for f in peers if np.isfinite(f.rho)]
    rho = float(np.clip(np.median(rhos), 0.0, 0.9)) if rhos else 0.0
    resid = np.concatenate([f.innovations for f in peers])
    noise = max(1.4826 * float(np.median(np.abs(resid - np.median(resid)))), 1e-3)
    got = _fit(t, z, 2.0 * _FIT_WEEKS * m, prior, noise, rho)
    if got is None:
        return None
    p, cov = got
    gr = _grad(ahead, p)
    var = np.einsum("ij,jk,ik->i", gr, cov, gr)
    return p, _curve(ahead, p), np.sqrt(np.maximum(var, 0.0)), prior, noise


def _held_out_sd(peers: list[_Starter], age: int, horizon: int, m: int) -> np.ndarray:
    """Per horizon, the 80% half-band of the level that ``_own_decay`` reads at ``age``,
    measured on the starters: each of the last ``_HELD_OUT`` starters cut at that age and
    fitted with the others' prior, its error a week's rolling mean of its values from there
    on minus the curve; Student's t (n degrees of freedom) times their root mean square
    (NaN where under two starters reached the horizon)."""
    errs = np.full((0, horizon), np.nan)
    ahead = age + np.arange(1, horizon + 1, dtype=float)
    for s in peers[-_HELD_OUT:]:
        rest = [f for f in peers if f is not s]
        seen = s.t <= age
        if len(rest) < MIN_STARTERS or seen.sum() < 3:
            continue
        got = _own_decay(rest, s.t[seen], s.z[seen], ahead, m)
        if got is None:
            continue
        actual = np.full(horizon, np.nan)
        at = s.t[~seen].astype(int) - age - 1
        on = at < horizon
        actual[at[on]] = s.z[~seen][on]
        e = pd.Series(actual - got[1]).rolling(m, center=True, min_periods=1).mean()
        errs = np.vstack([errs, np.where(np.isfinite(actual), e.to_numpy(), np.nan)])
    n = np.isfinite(errs).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rms = np.sqrt(np.nanmean(errs**2, axis=0))
    out = np.where(n >= MIN_STARTERS, stats.t.ppf(0.9, np.maximum(n, 1)) * rms, np.nan)
    ok = np.flatnonzero(np.isfinite(out))
    if len(ok):
        out[ok[-1] + 1:] = out[ok[-1]]
    return out


def start_decays(panel: Panel, calendar: pd.DataFrame | None,
                 profiles: dict[str, StartProfile], found: pd.DataFrame, effects: object,
                 raw: dict[str, np.ndarray], max_periods: int) -> dict[str, StartDecay]:
    """Per series whose history is mostly its own start window (``DECAY_WEEKS_PAST``), its
    own launch decay over horizons 1..``max_periods`` (``StartDecay``; module docstring),
    with the other starters' decays as the prior; series with fewer than ``MIN_STARTERS``
    settled other starters get none.

    ``found``: ``find_starts``' answer (each starter's event, its first and last day);
    ``effects``: the fitted ``EventEffects`` (the start event's lift still to come is taken
    off the path); ``raw``: the modelling-scale values before cleaning."""
    out: dict[str, StartDecay] = {}
    if not profiles or found.empty:
        return out
    cal = normalize_calendar(calendar)
    m = 7 * (24 if panel.freq == "h" else 1)
    ends = dict(zip(found["series_id"].astype(str), found["end"], strict=True))
    post = int(getattr(effects, "post_days", 3))
    for prof in profiles.values():
        if prof.starts is None:
            continue
        began = dict(zip(prof.series, (pd.Timestamp(s) for s in prof.starts), strict=True))
        young = []
        for sid, at in began.items():
            g = panel.series[sid]
            age = round((g.ds[-1] - at) / panel.step)
            # its start's window and shoulder days end here; under a week past them, its
            # history is mostly the start's own
            over = pd.Timestamp(ends[sid]).normalize() + pd.Timedelta(days=1 + post)
            if age >= 2 and int(np.sum(np.asarray(g.ds >= over))) < DECAY_WEEKS_PAST * m:
                young.append((sid, at, age))
        if not young:
            continue
        fits = _starter_fits(panel, cal, prof, began, raw, m)
        for sid, at, age in young:
            peers = sorted((f for s, f in fits.items() if s != sid), key=lambda f: f.start)
            if len(peers) < MIN_STARTERS:
                continue
            t, z = _trajectory(panel, cal, sid, at, prof.kind, raw[sid], prof.phase, m)
            ahead = age + np.arange(1, max_periods + 1, dtype=float)
            got = _own_decay(peers, t, z, ahead, m)
            if got is None:
                continue
            p, path, sd, prior, noise = got
            band = _Z80 * sd
            if _HELD_OUT:
                band = np.fmax(band, _held_out_sd(peers, age, max_periods, m))
            lift = _start_lift(effects, cal, sid, prof.kind, at,
                               panel.future_index(sid, max_periods))
            out[sid] = StartDecay(path=path - lift, sd=band,
                                  phase=np.asarray(prof.phase, dtype=float), level=float(p[0]),
                                  log_amp=float(p[1]), log_tau=float(p[2]),
                                  prior=(prior[0], prior[1], prior[2], prior[3]), noise=noise,
                                  starters=len(peers))
    return out
