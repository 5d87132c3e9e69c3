"""The event model's lift hierarchy: past occurrences' lifts pooled, a day's lift read back.

``EventEffects`` (``training._forecast_events``) measures each event day's lift against a local
baseline; this module pools those lifts per relative day of the event (``d0``, ``d1``, ...
``d6+``, ``pre1``, ``post1``...) through a hierarchy (all events -> kind -> name -> name in this
series) with precision-weighted shrinkage, per unit of intensity and with recent occurrences
weighted more (half-life ``halflife_days``). A name a series never had (each launch with its own
name) gets the name's or kind's lift plus that series' own offset from its kind, where the kind
was seen in several series (one series' launches at 10x, another's at 2x), as far as the
series' means differ beyond what single launches differ by; a name seen nowhere also carries
that spread of single launches in its variance. Kinds spread around
all events by their between-kind variance (method of moments, at least ``group_sd``²), and a
lift is never borrowed from another kind: a closure holiday cannot turn a promotion's first day
into a closure. A series' lift of a name spreads around the name's lift by the between-series
variance of the series' raw lifts (method of moments, per name and relative day, between
``_SERIES_SPREAD_FLOOR`` and ``group_sd``²), so series that agree within their noise share one
lift and series that differ keep their own; it is centred on the name's lift plus the series'
offset from its kind on the kind's other names (orders rise by more than visits in every sale,
so a sale seen once is not shrunk towards the visits' lift). On sub-daily series an event day
also gets its own shape within the day per kind and relative day (``hour_profile_``). An
occurrence's variance is the day-to-day noise plus the spread of one name's occurrences beyond it
(per key, method of moments), so a single unusual occurrence of a name is pulled towards its
kind where repeated events are known to vary.
``effect`` reads one event day's lift and its predictive variance back from what was learned.

References:
    Gelman et al., *Bayesian Data Analysis* (3rd ed.), ch. 5: hierarchical normal models
    (the precision-weighted shrinkage used here).
    DerSimonian and Laird (1986), "Meta-analysis in clinical trials": the between-series
    variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LiftHierarchy", "still_running"]

_LEVELS: tuple[tuple[str, ...], ...] = (
    ("key",), ("kind", "key"), ("name", "key"), ("series_id", "name", "key"))

_DISPERSION_PRIOR = 2.0
"""Pseudo-occurrences (recency weights) of the key's dispersion in a series' own."""

_SERIES_SPREAD_FLOOR = 0.05**2
"""Least variance of a series' lift around its name's lift (log scale: lifts 5% apart) where
the series agree within their noise: a spread estimated from a few series is itself noisy, and
at 0 the series' own occurrences would count for nothing."""


def still_running(obs: pd.DataFrame) -> np.ndarray:
    """The in-window rows of ``obs`` (the lift observations ``_pool`` reads) whose occurrence
    is still running at its series' last period."""
    inside = obs["in_window"].to_numpy(dtype=bool)
    date = pd.to_datetime(obs["date"])
    last = date + pd.to_timedelta(obs["age"].astype(float), unit="D")
    end = pd.to_datetime(obs["start"]) + pd.to_timedelta(
        pd.to_numeric(obs["span"], errors="coerce").fillna(1).astype(float) - 1, unit="D")
    return inside & (end > last).to_numpy()


def _lists(frame: pd.DataFrame, *cols: str) -> list[list[Any]]:
    """Columns of ``frame`` as Python lists, for loops over rows: iterating a pandas string
    column steps through its Arrow array one value at a time (2.8 million steps, 6.5 s of a
    200-store fit's profile), and pandas 3 turns an object array assigned back to a frame
    into such a column again."""
    return [frame[c].tolist() for c in cols]


def _moments(obs: pd.DataFrame, r: np.ndarray) -> dict[str, np.ndarray]:
    """Per row, the terms whose group sums give ``_raw``'s weighted least-squares lift of ``r``
    per unit of intensity and its variance (columns ``w``, ``i``, ``noise`` of ``obs``)."""
    w, i, s2 = obs["w"].to_numpy(), obs["i"].to_numpy(), obs["noise"].to_numpy()
    return {"_wir": w * i * r, "_wii": w * i * i, "_wwiis": w * w * i * i * s2}


def _lsq(wir: Any, wii: Any, wwiis: Any) -> tuple[Any, Any]:
    """Weighted least-squares lift per unit of intensity and its variance from ``_moments``
    sums (scalars for one group, arrays for many)."""
    return wir / wii, wwiis / wii**2


def _shrink(b: Any, var_b: Any, mu0: Any, tau2: Any) -> tuple[Any, Any]:
    """Posterior mean and variance of a lift ``b`` (variance ``var_b``) under N(mu0, tau2)."""
    post_var = 1.0 / (1.0 / var_b + 1.0 / tau2)
    return post_var * (b / var_b + mu0 / tau2), post_var


def _posterior(sums: pd.DataFrame, mu0: np.ndarray, tau2: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and variance of each group's lift (rows of ``_moments`` sums) under the
    priors N(``mu0``, ``tau2``), as ``EventEffects._fit_group`` for one group."""
    b, var_b = _lsq(sums["_wir"].to_numpy(), sums["_wii"].to_numpy(),
                    sums["_wwiis"].to_numpy())
    return _shrink(b, var_b, mu0, tau2)


_FLAT_MIN_DOF = 3
"""Fewest degrees of freedom (in-window days less one, summed over a name's series) from which
the spread between an event's days is read: from a two-day event's pair of days (a game and
the day after) the estimate is too noisy, and shrinking by it had halved a real difference
(Peyton Manning's playoff days: MASE 1.278 -> 1.348, peak error 24.5% -> 32.0%)."""


def _flat_profile(sums: pd.DataFrame, first: pd.DataFrame, mean: np.ndarray, var: np.ndarray,
                  centre: np.ndarray, by: list[str]) -> np.ndarray:
    """Posterior lifts (``mean``, variances ``var``) of one level's groups, each group's
    in-window days (``d0``, ``d1``, ... ``d6+``) shrunk towards their flat mean by how much the
    days differ.

    A group (rows of ``sums``, ``_moments`` sums; ``first``, each group's first observation)
    is one kind, name, or name in a series; its deviations from ``centre`` (0 for a kind or
    name; for a name in a series, the name's lift, so the series' offset from it, its offset
    from the kind on the kind's other names included, is one part common to the days) over
    its in-window days are split into their precision-weighted mean and each day's part. The
    days' part is shrunk with its own spread: the between-day variance of the raw deviations
    beyond their sampling variances (method of moments, DerSimonian and Laird), pooled over
    the groups of one ``by`` (one name's series share it), where it rests on
    ``_FLAT_MIN_DOF`` degrees of freedom or more (else the days keep their lifts). A lift that
    rises to a peak day keeps its shape; a flat lift seen on two occurrences no longer lifts
    one day of its window above another by their noise (a Black Week at x1.8 on every day had
    been forecast to peak on its Tuesday or Wednesday, where the weekday shape puts the Monday
    highest). The
    variances are left as they were: the days' spread is read from a few days (seven for a
    week's sale), and the band is not narrowed on the strength of it.
    """
    inside = first["in_window"].to_numpy(dtype=bool)
    b, var_b = _lsq(sums["_wir"].to_numpy(), sums["_wii"].to_numpy(),
                    sums["_wwiis"].to_numpy())
    x = b - centre
    ok = inside & np.isfinite(x) & np.isfinite(var_b) & (var_b > 0) & (var > 0)
    if ok.sum() < 2:
        return mean
    idx = sums.index
    names = [idx.names.index(c) for c in by]
    group_cols = [c for c in idx.names if c != "key"]
    frame = pd.DataFrame({
        "by": pd.Series(list(zip(*[idx.get_level_values(i) for i in names], strict=True)),
                        dtype=object).astype(str).to_numpy(),
        "g": pd.Series(list(zip(*[idx.get_level_values(c) for c in group_cols],
                                strict=True)), dtype=object).astype(str).to_numpy(),
        "x": x, "w": 1.0 / np.where(ok, var_b, 1.0),
        "e": mean - centre, "p": 1.0 / np.where(ok, var, 1.0)})[ok]
    frame["wx"], frame["ww"], frame["pe"] = frame["w"] * frame["x"], frame["w"] ** 2, (
        frame["p"] * frame["e"])
    per = frame.groupby("g", sort=False).agg(by=("by", "first"), k=("x", "size"),
                                             w=("w", "sum"), wx=("wx", "sum"),
                                             ww=("ww", "sum"), p=("p", "sum"),
                                             pe=("pe", "sum"))
    xbar = frame["g"].map(per["wx"] / per["w"]).to_numpy()
    frame["q"] = frame["w"] * (frame["x"] - xbar) ** 2
    per["q"] = frame.groupby("g", sort=False)["q"].sum()
    per["c"] = per["w"] - per["ww"] / per["w"]
    per = per[per["k"] >= 2]
    if per.empty:
        return mean
    pooled = per.groupby("by", sort=False)[["q", "k", "c"]].sum()
    dof = pooled["k"] - per.groupby("by", sort=False)["k"].size()
    tau2 = ((pooled["q"] - dof) / pooled["c"].where(pooled["c"] > 0)).clip(lower=0.0)
    tau2 = tau2.where(dof >= _FLAT_MIN_DOF)
    t2 = frame["g"].map(per["by"].map(tau2)).to_numpy(dtype=float)
    flat = frame["g"].map(per["pe"] / per["p"]).to_numpy(dtype=float)
    use = np.isfinite(t2) & np.isfinite(flat)
    keep = np.where(use, t2 / (t2 + 1.0 / frame["p"].to_numpy()), 1.0)
    e = frame["e"].to_numpy()
    mean = mean.copy()
    rows = np.flatnonzero(ok)
    mean[rows] = np.where(use, centre[rows] + flat + keep * (e - flat), mean[rows])
    return mean


@dataclass(frozen=True)
class _Estimate:
    mean: float  # lift per unit of intensity, modelling scale
    var: float  # posterior variance of ``mean``


# pickled models (``EventEffects`` state) name the class where it was defined before this module
# was split from ``training._forecast_events``, which imports it: kept there, models pickled
# before and after the split load with either code
_Estimate.__module__ = "training._forecast_events"


def _series_offsets(g: pd.DataFrame, tau2_max: float
                    ) -> tuple[dict[str, tuple[float, float]], float]:
    """Per series, the posterior mean and variance of its offset from its kind on one key,
    from its occurrences' raw offsets (``g``: ``sid``, ``name``, ``b`` and its sampling
    variance ``v``, one row per occurrence).

    A name seen in two or more series is read against its own mean over them (its common
    size is the name's, not the series'), with its day noise only; a name one series alone
    had (a launch) against the kind, with its day noise plus ``occ``, the spread of such
    occurrences around their series' mean beyond their noise (method of moments over the
    series with two or more of them; 0 where none has). Each series' mean then spreads
    around 0 by the between-series variance of those means beyond their variances
    (DerSimonian and Laird), between ``_SERIES_SPREAD_FLOOR`` and ``tau2_max``; a kind seen
    in two series or more with one value each keeps ``tau2_max``. Also returns ``occ``.
    """
    g = g.copy()
    seen = g.groupby("name")["sid"].transform("nunique").to_numpy() >= 2
    if seen.any():
        w = 1.0 / g["v"].to_numpy()
        num = pd.Series(w * g["b"].to_numpy()).groupby(g["name"].to_numpy()).transform("sum")
        den = pd.Series(w).groupby(g["name"].to_numpy()).transform("sum")
        g.loc[seen, "b"] = g["b"].to_numpy()[seen] - (num / den).to_numpy()[seen]
    own = g[~seen]
    occ = 0.0
    if len(own):
        size = own.groupby("sid")["b"].transform("size").to_numpy()
        many = own[size >= 2]
        if len(many):
            dof = len(many) - many["sid"].nunique()
            ss = float(((many["b"] - many.groupby("sid")["b"].transform("mean")) ** 2).sum())
            occ = max(0.0, ss / dof - float(many["v"].mean()))
    g["v"] = g["v"].to_numpy() + np.where(seen, 0.0, occ)
    w = 1.0 / g["v"].to_numpy()
    per = pd.DataFrame({"sid": g["sid"].to_numpy(), "wb": w * g["b"].to_numpy(), "w": w}
                       ).groupby("sid", sort=False).sum()
    mean, var = (per["wb"] / per["w"]).to_numpy(), (1.0 / per["w"]).to_numpy()
    tau2 = tau2_max
    if len(per) >= 2:
        wi = 1.0 / var
        q = float(np.sum(wi * (mean - np.sum(wi * mean) / np.sum(wi)) ** 2))
        c = float(np.sum(wi) - np.sum(wi * wi) / np.sum(wi))
        tau2 = (q - (len(per) - 1)) / c if c > 0 else tau2_max
        tau2 = float(min(tau2_max, max(_SERIES_SPREAD_FLOOR, tau2)))
    post = 1.0 / (1.0 / var + 1.0 / tau2)
    return {str(s): (float(pm), float(pv)) for s, pm, pv in
            zip(per.index, post * mean / var, post, strict=True)}, occ


class LiftHierarchy:
    """What ``EventEffects`` learns from event days' lifts and how a day's lift is read back.

    ``_pool`` (through ``_pool_with_backgrounds``) fills the learned state from the measured
    lifts; ``effect`` reads it. The settings are ``EventEffects``' (``prior_sd``, ``group_sd``,
    ``halflife_days``).
    """

    prior_sd: float
    group_sd: float
    halflife_days: float

    def _reset(self) -> None:
        """Empty learned state (``_pool`` fills it)."""
        self.estimates_: dict[tuple[str, ...], dict[tuple[object, ...], _Estimate]] = {
            lvl: {} for lvl in _LEVELS}
        self.dispersion_: dict[str, float] = {}
        self.series_dispersion_: dict[tuple[str, str], float] = {}
        self.shifts_: dict[str, _Estimate] = {}
        self.running_: dict[tuple[str, str, pd.Timestamp], tuple[float, int]] = {}
        self.kind_spread_: dict[str, float] = {}
        self.series_spread_: dict[tuple[str, str], float] = {}
        self.kind_window_: dict[str, _Estimate] = {}
        self.series_kind_: dict[tuple[str, str, str], _Estimate] = {}
        self.name_spread_: dict[tuple[str, str], float] = {}
        self.max_intensity_: dict[str, float] = {}
        self.hour_profile_: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def _pool_with_backgrounds(self, obs: pd.DataFrame) -> None:
        """``_pool``, with a day several events share counted for the one it is attributed to
        net of the others' lifts: a background event's (a long window under a shorter event)
        and other short events' whose windows cover the day (Christmas on a newsletter
        Thursday). The others are learned first from the days they do not share, then taken
        out of the shared days, then everything is pooled again; prediction adds the lifts."""
        under = (obs["bg_name"].notna().to_numpy() if "bg_name" in obs
                 else np.zeros(len(obs), bool))
        shared = (obs["co"].notna().to_numpy() if "co" in obs
                  else np.zeros(len(obs), bool))
        self._reset()
        if not (under | shared).any() or (under | shared).all():
            # nothing shared, or no day of its own to learn from
            self._pool(obs)
            return
        self._pool(obs[~(under | shared)])
        known: dict[tuple[str, str, str, str, float], float] = {}

        def lift(sid: str, name: str, kind: str, key: str, i: float) -> float:
            k = (sid, name, kind, key, i)
            if k not in known:
                known[k] = self.effect(sid, name, kind, key, i)[0]
            return known[k]

        def others(sid: str, co: tuple[tuple[str, str, str, float], ...]) -> float:
            """The lifts of the other kinds on a day: the largest |lift| of each kind, added
            (as ``lift_many`` does)."""
            per_kind: dict[str, float] = {}
            for name, kind, key, i in co:
                v = lift(sid, name, kind, key, i)
                if abs(v) > abs(per_kind.get(kind, 0.0)) or kind not in per_kind:
                    per_kind[kind] = v
            return sum(per_kind.values())

        take = np.zeros(len(obs))
        take[shared] = [others(str(sid), co) for sid, co in
                        zip(obs["series_id"][shared], obs["co"][shared], strict=True)]
        if under.any():
            rows = obs[under]
            take[under] += np.array([lift(str(r.series_id), str(r.bg_name), str(r.bg_kind),
                                          str(r.bg_key), float(r.bg_intensity))
                                     for r in rows.itertuples()])
        obs = obs.assign(r=obs["r"].to_numpy(dtype=float) - take)
        self._reset()
        self._pool(obs)

    @staticmethod
    def _hour_deviations(ds: pd.DatetimeIndex, days: pd.DatetimeIndex, resid: np.ndarray,
                         day_resid: pd.Series, affected: np.ndarray,
                         occ: pd.DataFrame) -> pd.DataFrame:
        """Sub-daily series: each event day's period residuals minus the day's mean residual
        (its shape within the day), with kind, key and period of the day; ``noise`` is the
        spread of the same deviation on days no event touches."""
        dev = resid - day_resid.reindex(days).to_numpy()
        slot = np.asarray((ds - days) / (ds[1] - ds[0]) if len(ds) > 1 else np.zeros(len(ds)),
                          dtype=float).round().astype(int)
        quiet = dev[~affected & np.isfinite(dev)]
        noise = (float((1.4826 * np.median(np.abs(quiet - np.median(quiet)))) ** 2)
                 if len(quiet) >= 10 else 1.0)
        frame = pd.DataFrame({"date": np.asarray(days), "slot": slot, "dev": dev})
        first = occ.drop_duplicates("date")[["date", "kind", "key"]]
        out = frame.merge(first, on="date", how="inner")
        out = out[np.isfinite(out["dev"])]
        return out.assign(noise=max(noise, 1e-4))

    def _pool_hours(self, obs: pd.DataFrame, spd: int) -> None:
        """Per (kind, key), the shape of an event day within the day: a mean deviation per
        period of the day, shrunk towards 0 (the ordinary day's shape) with prior sd
        ``group_sd`` (a holiday's hours run like a Sunday's, not like a scaled-down weekday)."""
        prior = 1.0 / self.group_sd**2
        for (kind, key), g in obs.groupby(["kind", "key"], sort=False):
            prec = np.zeros(spd)
            tot = np.zeros(spd)
            np.add.at(prec, g["slot"].to_numpy(), 1.0 / g["noise"].to_numpy())
            np.add.at(tot, g["slot"].to_numpy(), g["dev"].to_numpy() / g["noise"].to_numpy())
            var = 1.0 / (prec + prior)
            self.hour_profile_[(str(kind), str(key))] = (tot * var, var)

    @staticmethod
    def _occurrence_spread(obs: pd.DataFrame) -> dict[tuple[str, str], float]:
        """Per series and key, the spread of single occurrences of one name beyond day-to-day
        noise.

        Method of moments: the within-name variance of a series' lifts per unit of intensity,
        minus that series' mean noise variance, floored at 0, shrunk towards the key's figure
        (the median over the series where a name was seen twice) with ``_DISPERSION_PRIOR``
        pseudo-degrees of freedom; keys where no name was seen twice use the figure pooled over
        all keys and series. Per series, so a small noisy series (0-5 orders a day) does not
        widen a big series' event days.
        """
        # one value per occurrence and key: the days of one occurrence past d5 share the key
        # d6+, and their spread within the occurrence (a closure's open and shut weekdays: 0
        # and -9 on the log scale) is not a spread between occurrences; counted as such it had
        # given every key of every series a spread of 13.5, and a 6-day closure's neighbours a
        # P90 60x the usual
        obs = obs.groupby(["series_id", "name", "key", "start"], sort=False, dropna=False).agg(
            i=("i", "mean"), r=("r", "mean"), noise=("noise", "mean")).reset_index()
        i, r = obs["i"].to_numpy(dtype=float), obs["r"].to_numpy(dtype=float)
        groups = obs.groupby(["series_id", "name", "key"], sort=False).ngroup().to_numpy()
        size = np.bincount(groups)[groups]
        b = (np.bincount(groups, weights=i * r) / np.bincount(groups, weights=i * i))[groups]
        rows = pd.DataFrame({"sid": obs["series_id"].astype(str).to_numpy(),
                             "key": obs["key"].astype(str).to_numpy(),
                             "sq": (r - b * i) ** 2, "group": groups})[size >= 2]
        per = rows.groupby(["sid", "key"], sort=False).agg(
            sq=("sq", "sum"), n=("sq", "size"), groups=("group", "nunique"))
        ss = {k: float(v) for k, v in per["sq"].items()}
        dof = {k: int(v) for k, v in (per["n"] - per["groups"]).items()}
        noise = obs.groupby(obs["series_id"].astype(str))["noise"].mean()
        total_dof = sum(dof.values())
        overall = (max(0.0, sum(ss.values()) / total_dof - float(obs["noise"].mean()))
                   if total_dof >= 2 else 0.0)
        own = {k: max(0.0, ss[k] / d - float(noise[k[0]])) for k, d in dof.items() if d >= 2}
        by_key: dict[str, list[float]] = {}
        for (_, key), v in own.items():
            by_key.setdefault(key, []).append(v)
        key_level = {key: float(np.median(v)) for key, v in by_key.items()}
        out = {}
        pairs = obs[["series_id", "key"]].astype(str).drop_duplicates()
        for sid, key in pairs.itertuples(index=False, name=None):
            prior = key_level.get(key, overall)
            k, d = (sid, key), dof.get((sid, key), 0)
            out[k] = ((d * own[k] + _DISPERSION_PRIOR * prior) / (d + _DISPERSION_PRIOR)
                      if k in own else prior)
        return out

    def _pool(self, obs: pd.DataFrame) -> None:
        obs = obs.copy()
        for col in ("series_id", "name", "kind", "key"):  # one string dtype for the groupbys
            obs[col] = obs[col].to_numpy(dtype=object)  # (the loops below read ``_lists``)
        obs["i"] = obs["intensity"].astype(float).where(obs["intensity"].astype(float) != 0, 1.0)
        # an occurrence's lift varies around its name's lift by more than the day-to-day
        # noise (a game won or lost, a sale with a stronger offer); its variance is
        # noise + spread, so a name seen once with an unusual lift is pulled towards its kind
        self.spread_ = self._occurrence_spread(obs)
        obs["day_noise"] = obs["noise"].astype(float)
        pair = pd.MultiIndex.from_arrays([obs["series_id"].astype(str), obs["key"].astype(str)])
        obs["noise"] = obs["noise"] + pd.Series(self.spread_, dtype=float).reindex(
            pair).fillna(0.0).to_numpy()
        obs["w"] = 0.5 ** (obs["age"].astype(float) / self.halflife_days)
        # kinds differ by more than group_sd where their lifts are of another order (a closure
        # and a promotion): a kind then keeps its own lift rather than the all-events average
        self.kind_spread_ = self._kind_spread(obs)
        # lifts are per unit of intensity; beyond the largest intensity a kind was seen with
        # the log lift would be extrapolated linearly (a sale seen at 30-50% off, asked at the
        # default intensity 1.0, came out at +1,900%): predictions cap the mean there
        self.max_intensity_ = {str(k): float(v) for k, v in
                               obs.groupby("kind")["i"].max().items() if np.isfinite(v)}
        self.kind_window_ = {str(kind): self._fit_group(g, 0.0, self.prior_sd**2)
                             for kind, g in obs[obs["in_window"].astype(bool)].groupby("kind")}
        obs = obs.assign(**_moments(obs, obs["r"].to_numpy()))
        for depth, level in enumerate(_LEVELS):
            cols = list(level)
            sums = obs.groupby(cols, sort=False)[["_wir", "_wii", "_wwiis"]].sum()
            first = obs.drop_duplicates(cols)  # each group's first row, in the groups' order
            keys = [k if isinstance(k, tuple) else (k,) for k in sums.index]
            if depth == 0:
                mu0 = np.zeros(len(keys))
                tau2 = np.full(len(keys), self.prior_sd**2)
            else:
                up = self.estimates_[_LEVELS[depth - 1]]
                parents = [up[tuple(row)] for row in
                           first[list(_LEVELS[depth - 1])].itertuples(index=False, name=None)]
                mu0 = np.array([e.mean for e in parents])
                parent = mu0
                tau2 = np.array([e.var for e in parents])
                if depth == 1:
                    tau2 = tau2 + np.array([self.kind_spread_.get(str(k[-1]), self.group_sd**2)
                                            for k in keys])
                elif depth == 3:
                    # a series' lift of a name is expected where its lifts of the kind's other
                    # names ran against the kind's (orders rise by more than visits in a sale);
                    # series of one name differ beyond that by what their raw lifts show
                    # beyond their noise (a store's own promotion effect), not by a fixed
                    # group_sd
                    off_mean, off_var = self._kind_offsets(obs, first)
                    mu0 = mu0 + off_mean
                    tau2 = tau2 + off_var
                    self.series_spread_ = self._series_spread(sums, off_mean)
                    tau2 = tau2 + np.array([self.series_spread_.get((str(k[1]), str(k[2])),
                                                                    self.group_sd**2)
                                            for k in keys])
                else:
                    tau2 = tau2 + self.group_sd**2
                if level == ("name", "key"):
                    # a name's common offset from its kind, on its event days
                    inside = first["in_window"].to_numpy(dtype=bool)
                    shifts = [self.shifts_.get(str(n)) if ok else None
                              for n, ok in zip(first["name"].tolist(), inside, strict=True)]
                    mu0 = mu0 + np.array([0.0 if e is None else e.mean for e in shifts])
                    tau2 = tau2 + np.array([0.0 if e is None else e.var for e in shifts])
            mean, var = _posterior(sums, mu0, tau2)
            if depth >= 1:
                # the days of an event differ by what their lifts show beyond their noise: a
                # flat lift seen twice is not a day-by-day profile (the trees' weekday shape
                # then places the peak)
                mean = _flat_profile(sums, first, mean, var,
                                     parent if depth == 3 else np.zeros(len(keys)),
                                     ["kind"] if depth == 1 else ["name"])
            est = {k: _Estimate(float(m), float(v)) for k, m, v in zip(keys, mean, var,
                                                                        strict=True)}
            self.estimates_[level] = est
            if level == ("kind", "key"):
                self.shifts_ = self._name_shifts(obs, est)
                self.series_kind_ = self._series_kind(obs, est)
        # spread of single occurrences around the most specific estimate, per key
        fitted = np.array([
            self.estimates_[_LEVELS[-1]][(s, n, k)].mean * i
            for s, n, k, i in zip(*_lists(obs, "series_id", "name", "key", "i"), strict=True)])
        sq = (obs["r"].to_numpy() - fitted) ** 2
        self._fit_dispersion(obs, sq)
        self._fit_running(obs, obs["r"].to_numpy() - fitted)

    def _fit_running(self, obs: pd.DataFrame, resid: np.ndarray) -> None:
        """Per (series, name, start) of an occurrence still running at the series' last
        period, how far its days so far ran from the learned lift: their mean residual,
        shrunk towards 0 as a random effect of the occurrence (occurrence spread against
        day-to-day noise over the days seen). ``lift_many`` adds it to the occurrence's
        remaining days: a sale whose first three days ran 17% below its learned lift is not
        forecast at that lift for the rest of its window, as an occurrence's lift differs
        from its name's by the spread its history shows."""
        self.running_ = {}
        live = still_running(obs) & np.isfinite(resid)
        if not live.any():
            return
        spread = pd.Series(self.spread_, dtype=float)
        pair = pd.MultiIndex.from_arrays([obs["series_id"].astype(str),
                                          obs["key"].astype(str)])
        tau2 = spread.reindex(pair).fillna(0.0).to_numpy()
        noise = np.maximum(obs["noise"].to_numpy(dtype=float) - tau2, 1e-6)
        frame = pd.DataFrame({"sid": obs["series_id"].astype(str).to_numpy(),
                              "name": obs["name"].astype(str).to_numpy(),
                              "start": pd.to_datetime(obs["start"]).to_numpy(),
                              "e": resid, "tau2": tau2, "noise": noise})[live]
        for (sid, name, start), g in frame.groupby(["sid", "name", "start"], sort=False):
            n, t2, s2 = len(g), float(g["tau2"].mean()), float(g["noise"].mean())
            if t2 <= 0:
                continue
            share = t2 / (t2 + s2 / n)
            self.running_[(sid, name, pd.Timestamp(start))] = (
                share * float(g["e"].mean()), n)

    def _fit_dispersion(self, obs: pd.DataFrame, sq: np.ndarray) -> None:
        """Per series and key, the spread of single occurrences around their estimate beyond
        the day-to-day noise.

        Each series' own (recency-weighted mean of squared residuals: day-to-day noise plus
        occurrence spread, on the modelling scale), shrunk with ``_DISPERSION_PRIOR``
        pseudo-occurrences towards what the series' noise and occurrence spread imply (the mean
        of ``obs["noise"]``), on an event's own days less the series' day-to-day noise
        (``obs["day_noise"]``), floored at 0. ``dispersion_`` per key, the median over series,
        serves a series without that key. Pooled over series, one noisy small series (orders of
        0-5 a day) had widened a big series' event-day band 3x (log(P90/P10) 0.30 -> 0.92).

        The day's own noise is left out (since 2026-12-07) because the band an event day's
        lift spread is added to, the trees' no-event band, holds it already. Counted twice, it
        was hidden while each relative day's lift followed its two occurrences (their
        residuals about half the noise); once a flat event's days were shrunk to their flat
        mean (``_flat_profile``) the residuals carried the whole noise, and generated
        6-channel worlds held 89.5% of a held-back Black Week's days in the 80% band (82.9%
        before the profile). Shoulder days (``pre1``, ``post1`` ...) keep the noise in it:
        left out there too, a generated stores test's hold-out ordinary open days (whose
        promotions have no shoulder effect) held 66.1% where they held 75.9%, the shoulders'
        band having covered for the other ordinary days (Tuesday to Friday 56-81% with or
        without it).
        """
        frame = pd.DataFrame({"series_id": obs["series_id"].astype(str).to_numpy(),
                              "key": obs["key"].astype(str).to_numpy(),
                              "wsq": obs["w"].to_numpy() * sq, "w": obs["w"].to_numpy(),
                              "noise": obs["noise"].to_numpy(dtype=float),
                              "day": obs["day_noise"].to_numpy(dtype=float)})
        per = frame.groupby(["series_id", "key"], sort=False).agg(
            wsq=("wsq", "sum"), w=("w", "sum"), noise=("noise", "mean"), day=("day", "mean"))
        k = _DISPERSION_PRIOR
        # the day's noise is left out on an event's own days (keys d0, d1, ...), not on its
        # shoulders (see the docstring)
        inside = per.index.get_level_values("key").astype(str).str.startswith("d")
        own = ((per["wsq"] + k * per["noise"]) / (per["w"] + k)
               - np.where(inside, per["day"], 0.0)).clip(lower=0.0)
        self.series_dispersion_ = {(str(sid), str(key)): float(v)
                                   for (sid, key), v in own.items()}
        self.dispersion_ = {str(key): float(v) for key, v in
                            own.groupby(level="key", sort=False).median().items()}

    @staticmethod
    def _raw(g: pd.DataFrame) -> tuple[float, float]:
        """Weighted least-squares lift per unit of intensity of a group, and its variance."""
        m = _moments(g, g["r"].to_numpy())
        b, var_b = _lsq(float(np.sum(m["_wir"])), float(np.sum(m["_wii"])),
                        float(np.sum(m["_wwiis"])))
        return float(b), float(var_b)

    def _fit_group(self, g: pd.DataFrame, mu0: float, tau2: float) -> _Estimate:
        """Posterior of a group's lift under the prior N(``mu0``, ``tau2``)."""
        mean, var = _shrink(*self._raw(g), mu0, tau2)
        return _Estimate(float(mean), float(var))

    def _kind_spread(self, obs: pd.DataFrame) -> dict[str, float]:
        """Per key, the variance of kinds' lifts around all events, floored at ``group_sd``².

        Method of moments, as for occurrences: the variance of the kinds' raw lifts minus their
        mean sampling variance. Kinds of opposite sign or another order (closures at -8, a
        promotion at +0.5) get a wide prior, so each keeps its own lift; with one kind, or
        kinds that agree, the spread is ``group_sd``² as for the other levels.
        """
        out: dict[str, float] = {}
        for key, g in obs.groupby("key", sort=False):
            raw = [self._raw(k) for _, k in g.groupby("kind", sort=False)]
            spread = 0.0
            if len(raw) >= 2:
                b = np.array([r[0] for r in raw])
                spread = float(np.var(b, ddof=1) - np.mean([r[1] for r in raw]))
            out[str(key)] = max(self.group_sd**2, spread)
        return out

    def _kind_offsets(self, obs: pd.DataFrame, first: pd.DataFrame
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Per row of ``first`` (one per series, name and key), the series' offset on the
        kind's other names, each read against that name's own lift (pooled over series),
        shrunk towards 0 with ``group_sd``, and its posterior variance (0 and 0 without other
        names, or for a kind seen in one series).

        Orders rise by more than visits in every sale, so a sale seen once (Black Week) is
        expected in the orders series where their other sales ran against those sales' lifts.
        The name's own days are left out: read from them too, a series' prior would repeat
        its own raw lift, and series of a single name would no longer share it. Read against
        the kind's lift (until 2026-12-07), a kind whose names differ (season sales at x1.35,
        Black Week at x1.8) put every series under it on its smaller sales, and every series'
        Black Week was pulled down by that offset (about 3% on its window).
        """
        mean, var = np.zeros(len(first)), np.zeros(len(first))
        kinds = self.estimates_[_LEVELS[1]]
        n_series = obs.groupby("kind")["series_id"].nunique()
        multi = obs[obs["kind"].map(n_series).to_numpy() >= 2]
        if multi.empty:
            return mean, var
        names = self.estimates_[_LEVELS[2]]
        base = np.array([names[(n, key)].mean if (n, key) in names else kinds[(k, key)].mean
                         for k, n, key in zip(*_lists(multi, "kind", "name", "key"),
                                              strict=True)])
        multi = multi.assign(**_moments(multi, multi["r"].to_numpy() - multi["i"].to_numpy()
                                        * base))
        cols, mom = ["series_id", "kind", "key"], ["_wir", "_wii", "_wwiis"]
        own = multi.groupby([*cols, "name"], sort=False)[mom].sum()
        tot = multi.groupby(cols, sort=False)[mom].sum()
        rest = pd.DataFrame(tot.reindex(own.index.droplevel("name")).to_numpy()
                            - own.to_numpy(), index=own.index, columns=mom)
        rest = rest[rest["_wii"] > 1e-9 * tot["_wii"].max()]
        if rest.empty:
            return mean, var
        m, v = _posterior(rest, np.zeros(len(rest)), np.full(len(rest), self.group_sd**2))
        found = pd.DataFrame({"m": m, "v": v}, index=rest.index).reindex(
            pd.MultiIndex.from_arrays([first[c].to_numpy() for c in [*cols, "name"]]))
        ok = found["m"].notna().to_numpy()
        mean[ok], var[ok] = found["m"].to_numpy()[ok], found["v"].to_numpy()[ok]
        return mean, var

    def _series_spread(self, sums: pd.DataFrame, offsets: np.ndarray | None = None
                       ) -> dict[tuple[str, str], float]:
        """Per (name, key) seen in two or more series, the variance of the series' lifts around
        the name's lift, between ``_SERIES_SPREAD_FLOOR`` and ``group_sd``².

        Method of moments for random effects (DerSimonian and Laird): the precision-weighted
        sum of squares of the series' raw lifts (``sums``: ``_moments`` sums per series, name
        and key; less ``offsets``, each series' offset from its kind on the kind's other names)
        around their
        weighted mean, less what their sampling variances explain. Series
        whose lifts differ by their noise only (three devices, one Black Friday) share the
        name's lift; series that really differ (each store's own promotion effect, a newsletter
        that lifts e-mail only) keep their own.

        References:
            DerSimonian, R. and Laird, N. (1986), "Meta-analysis in clinical trials",
            *Controlled Clinical Trials* 7(3): 177-188.
        """
        b, var_b = _lsq(sums["_wir"].to_numpy(), sums["_wii"].to_numpy(),
                        sums["_wwiis"].to_numpy())
        if offsets is not None:
            b = b - offsets
        idx = sums.index
        frame = pd.DataFrame({"name": idx.get_level_values("name").astype(str),
                              "key": idx.get_level_values("key").astype(str),
                              "b": b, "w": 1.0 / np.maximum(var_b, 1e-12)})
        frame = frame[np.isfinite(frame["b"]) & np.isfinite(frame["w"])]
        out: dict[tuple[str, str], float] = {}
        for (name, key), g in frame.groupby(["name", "key"], sort=False):
            if len(g) < 2:
                continue
            w, x = g["w"].to_numpy(), g["b"].to_numpy()
            q = float(np.sum(w * (x - np.sum(w * x) / np.sum(w)) ** 2))
            c = float(np.sum(w) - np.sum(w * w) / np.sum(w))
            tau2 = (q - (len(g) - 1)) / c if c > 0 else self.group_sd**2
            out[(str(name), str(key))] = float(
                min(self.group_sd**2, max(_SERIES_SPREAD_FLOOR, tau2)))
        return out

    def _name_shifts(self, obs: pd.DataFrame,
                     kind_key: dict[tuple[object, ...], _Estimate]) -> dict[str, _Estimate]:
        """Each name's common offset from its kind over its event days (shrunk towards 0).

        A name larger than its kind on the event days it was observed is expected to be larger
        on its unobserved event days too (a final whose day-after was never recorded). Shoulder
        days carry weaker effects and neither inform nor receive the offset.
        """
        obs = obs[obs["in_window"].astype(bool)]
        base = np.array([kind_key[(k, key)].mean
                         for k, key in zip(*_lists(obs, "kind", "key"), strict=True)])
        dev = obs["r"].to_numpy() - obs["i"].to_numpy() * base
        sums = obs.assign(**_moments(obs, dev)).groupby("name", sort=False)[
            ["_wir", "_wii", "_wwiis"]].sum()
        mean, var = _posterior(sums, np.zeros(len(sums)), np.full(len(sums), self.group_sd**2))
        return {str(n): _Estimate(float(m), float(v))
                for n, m, v in zip(sums.index, mean, var, strict=True)}

    def _series_kind(self, obs: pd.DataFrame,
                     kind_key: dict[tuple[object, ...], _Estimate]
                     ) -> dict[tuple[str, str, str], _Estimate]:
        """Per (series, kind, key), the series' offset from its kind's lift (shrunk towards 0).

        Names and series are crossed: one series' launches can run at 10x while another's run
        at 2x, and a launch with a new name (every launch has its own name) would otherwise get
        the kind's lift pooled over all series. For a name not seen in a series, ``effect``
        adds this offset to the name's (or kind's) lift. Only kinds seen in two or more series
        get offsets: with one series, the kind's lift already is the series' own.

        A random-effects mean of the series' occurrences (``_series_offsets``): each
        occurrence of a name the series alone had counts with its day noise plus the spread
        of such occurrences around their series' mean beyond that noise (launches of one page
        differ from each other), and the series differ by what their means show beyond that
        (DerSimonian-Laird), at most ``group_sd``². Until 2026-12-07 each occurrence counted
        with its day noise only and the series spread was ``group_sd``² always: a generated
        page whose two earlier launches ran at 11x (the kind's at 5x, every launch drawn
        alike) was forecast its next launch at 13.8x against an actual 3x.
        """
        n_series = obs.groupby("kind")["series_id"].nunique()
        multi = obs.assign(multi=obs["kind"].map(n_series).to_numpy() >= 2)
        bases = [kind_key[(k, key)] for k, key in zip(*_lists(multi, "kind", "key"), strict=True)]
        dev = multi["r"].to_numpy() - multi["i"].to_numpy() * np.array([b.mean for b in bases])
        occ = multi.assign(**_moments(multi, dev)).groupby(
            ["series_id", "kind", "key", "name", "start"], sort=False, dropna=False).agg(
            _wir=("_wir", "sum"), _wii=("_wii", "sum"), _wwiis=("_wwiis", "sum"),
            multi=("multi", "first"))
        b, var_b = _lsq(occ["_wir"].to_numpy(), occ["_wii"].to_numpy(),
                        occ["_wwiis"].to_numpy())
        idx = occ.index
        frame = pd.DataFrame({"sid": idx.get_level_values("series_id").astype(str),
                              "kind": idx.get_level_values("kind").astype(str),
                              "key": idx.get_level_values("key").astype(str),
                              "name": idx.get_level_values("name").astype(str),
                              "b": b, "v": var_b, "multi": occ["multi"].to_numpy(dtype=bool)})
        frame = frame[np.isfinite(frame["b"]) & np.isfinite(frame["v"])
                      & (frame["v"] > 0)].reset_index(drop=True)
        out: dict[tuple[str, str, str], _Estimate] = {}
        self.name_spread_ = {}
        for (kind, key), g in frame.groupby(["kind", "key"], sort=False):
            offsets, spread = _series_offsets(g, self.group_sd**2)
            if spread > 0.0:
                self.name_spread_[(str(kind), str(key))] = spread
            if not g["multi"].iloc[0]:
                continue  # one series: the kind's lift already is the series' own
            for sid, (m, v) in offsets.items():
                out[(sid, str(kind), str(key))] = _Estimate(
                    m, v + kind_key[(kind, key)].var)
        return out

    def effect(self, series_id: str, name: str, kind: str, key: str,
               intensity: float) -> tuple[float, float, float]:
        """Lift and its predictive variance below and above it for one event day.

        From the most specific estimate (name in this series, name, kind) for this relative
        day; a day offset the kind never had (day 2 of a closure seen only as single days) uses
        the kind's lift pooled over its event days. Lifts are never borrowed from other kinds:
        an unknown kind (or a shoulder day its kind never had) gets no lift, with the prior
        spread (``prior_sd`` on event days, ``group_sd`` on shoulders) as its variance.
        An intensity beyond the largest seen for the kind keeps the lift of the largest one and
        widens only the side the lift points to: a 90%-off sale is not forecast below a
        30%-off one (the check that found this saw P10 at 13% of the no-event baseline).
        """
        i = float(intensity) if intensity else 1.0  # 1.0 = not given (the calendar default)
        candidates = (
            (_LEVELS[3], (series_id, name, key)),
            (_LEVELS[2], (name, key)),
            (_LEVELS[1], (kind, key)),
        )
        disp = getattr(self, "series_dispersion_", {}).get(  # absent in older models
            (series_id, key), self.dispersion_.get(key, 0.0))
        on_event = key.startswith("d")
        for depth, (level, k) in enumerate(candidates):
            est = self.estimates_[level].get(k)
            pooled = getattr(self, "kind_window_", {}).get(kind)  # absent in older models
            if est is None and depth == 2 and on_event and pooled is not None:
                est = _Estimate(pooled.mean, pooled.var + self.group_sd**2)
            if est is not None and depth >= 2 and name in self.shifts_ and on_event:
                # a known name on a day offset it was never observed on: its kind's profile
                # moved by the name's common offset
                shift = self.shifts_[name]
                est = _Estimate(est.mean + shift.mean, est.var + shift.var + self.group_sd**2)
            if est is not None and depth >= 1:
                # a name this series never had on this day: the series' own offset from the
                # kind (its launches run larger or smaller than other series')
                off = getattr(self, "series_kind_", {}).get((series_id, kind, key))
                if off is not None:
                    est = _Estimate(est.mean + off.mean, est.var + off.var)
            if est is not None and depth == 2 and name not in self.shifts_:
                # a name seen nowhere: one more occurrence of its kind, which differ from each
                # other by the spread of names one series alone had (absent in older models)
                spread = getattr(self, "name_spread_", {}).get((kind, key), 0.0)
                est = _Estimate(est.mean, est.var + spread)
            if est is not None:
                cap = getattr(self, "max_intensity_", {}).get(kind)  # absent in older models
                if cap is not None and i > cap:
                    # beyond the intensities seen: the mean stays at the largest one seen, the
                    # interval keeps the full spread of the intensity asked for on the side
                    # the lift points to
                    # the side away from the lift keeps the spread of the largest intensity
                    # seen (a shoulder day's small dip must not open the band downward 3x)
                    base = est.var * cap * cap + disp
                    more = est.var * i * i + disp + (est.mean * (i - cap)) ** 2
                    return (est.mean * cap, *((base, more) if est.mean >= 0 else (more, base)))
                return est.mean * i, est.var * i * i + disp, est.var * i * i + disp
        prior = self.prior_sd if on_event else self.group_sd
        return 0.0, prior**2 * i * i, prior**2 * i * i

    def table(self) -> pd.DataFrame:
        """Learned lifts per (name, key) on the modelling scale, for reports."""
        rows = [{"name": k[0], "key": k[1], "lift": e.mean, "sd": float(np.sqrt(e.var))}
                for k, e in self.estimates_.get(_LEVELS[2], {}).items()]
        return pd.DataFrame(rows, columns=["name", "key", "lift", "sd"])
