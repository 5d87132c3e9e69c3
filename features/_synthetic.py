"""A seeded synthetic marketing world: users, visits, carts, orders, a promotion calendar, channel
spend and one randomized experiment, with the ground truth written beside the data.

The world (documented in docs/synthetic-world.md):

- users differ in visit rate (log-normal), purchase probability per visit (beta), basket value
  (log-normal), category and channel preferences (Dirichlet) and acquisition channel; the
  acquisition channel scales long-term value and churn hazard;
- traffic has weekly and yearly seasonality; calendar events multiply traffic and conversion:
  one big annual sale ("Double 11", Nov 11, with a presale week), a mid-year sale, Black Friday,
  monthly payday promos, a spring sale, a product launch, e-mail newsletters on the e-mail channel
  only, and holidays that damp traffic;
- each user has a churn day drawn from an exponential hazard; over the 21-60 days before it the
  visit rate falls linearly to a quarter (the visible decline), after it the user is gone;
- one randomized experiment (a checkout redesign) raises the per-visit purchase probability of the
  treatment arm by a known 10% during its window;
- spend per paid channel is an outcome (the day's sign-ups times an acquisition cost), or, with
  ``spend_lever=True``, a planned daily spend (monthly budgets, a paused spell) that each paid
  channel's visits follow: expected visits = a x spend^b x the day's season and calendar
  multiplier, with a and b per channel recorded in the truth.

Same seed, same world. Memory is about 40 bytes per event (1M users and 25M events fit in a few GB).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CATEGORIES", "CHANNELS", "SCENES", "World", "generate_world", "write_world"]

CHANNELS = ("organic", "paid_search", "social", "email", "affiliate", "display")
_ACQ_P = np.array([0.30, 0.25, 0.18, 0.10, 0.10, 0.07])
_VALUE_MULT = np.array([1.25, 1.0, 0.7, 1.15, 0.85, 0.6])
_CHURN_MULT = np.array([0.7, 1.0, 1.5, 0.8, 1.2, 1.6])
_CAC = {"paid_search": 35.0, "social": 22.0, "email": 8.0, "affiliate": 28.0, "display": 18.0}
_LEVER = {"paid_search": (150.0, 180.0, 0.75), "social": (70.0, 140.0, 0.65),
          "email": (15.0, 130.0, 0.6), "affiliate": (50.0, 120.0, 0.7),
          "display": (25.0, 100.0, 0.8)}
"""With the spend lever, per paid channel: the usual daily budget for 20,000 users, the expected
visits at that budget (before season and calendar) and the elasticity b (visits = a x spend^b)."""
CATEGORIES = ("electronics", "office", "books", "home", "kids", "grocery", "beauty", "fashion",
              "sports")
SCENES = {"electronics": "office", "office": "office", "books": "office", "home": "family",
          "kids": "family", "grocery": "family", "beauty": "style", "fashion": "style",
          "sports": "outdoor"}
_EVENT_TYPES = ("visit", "add_to_cart", "purchase")
_HOUR_P = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4.5, 5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6,
                    7, 7.5, 6.5, 4.5, 2.5])
_HOUR_P = _HOUR_P / _HOUR_P.sum()
_WEEKLY = np.array([0.95, 0.95, 1.0, 1.0, 1.05, 1.15, 1.1])  # Monday .. Sunday


@dataclass(frozen=True)
class World:
    """A generated world. Frames follow the data contracts; truth frames are the generator's own.

    Attributes:
        events: events contract frame (user_id int64, ts, event_type, channel, revenue, category,
            order_id, acquisition_channel), sorted by ts.
        calendar: calendar contract frame.
        spend: channel spend contract frame.
        experiment: one row per participant: user_id, variant, pre_visits, pre_orders,
            pre_revenue, visits, orders, converted, revenue.
        users: ground truth per user (rates, churn day, decline start, scene, variant).
        calendar_effects: true traffic and conversion multipliers of each calendar event.
        daily_truth: expected visits and orders per day (before Poisson noise).
        effects: the experiment's true effects.
        meta: seed, sizes, channel economics.
    """

    events: pd.DataFrame
    calendar: pd.DataFrame
    spend: pd.DataFrame
    experiment: pd.DataFrame
    users: pd.DataFrame
    calendar_effects: pd.DataFrame
    daily_truth: pd.DataFrame
    effects: dict
    meta: dict


def _calendar(start: pd.Timestamp, n_days: int) -> pd.DataFrame:
    """Events with their hidden multipliers (traffic, conversion) for the covered years."""
    end = start + pd.Timedelta(days=n_days - 1)
    rows: list[tuple] = []

    def add(name: str, s: str | pd.Timestamp, e: str | pd.Timestamp, kind: str, intensity: float,
            traffic: float, conv: float, channel: str | None = None) -> None:
        s, e = pd.Timestamp(s), pd.Timestamp(e)
        if e >= start and s <= end:
            rows.append((name, s, e, kind, channel, intensity, traffic, conv))

    for y in range(start.year, end.year + 1):
        add("New Year", f"{y}-01-01", f"{y}-01-01", "holiday", 0.0, 0.8, 0.9)
        add("Spring sale", f"{y}-03-20", f"{y}-03-22", "promotion", 0.2, 1.6, 1.4)
        add("Spring collection launch", f"{y}-04-10", f"{y}-04-10", "launch", 0.0, 1.4, 1.1)
        add("618 mid-year sale", f"{y}-06-16", f"{y}-06-18", "sale", 0.3, 2.2, 1.8)
        add("Double 11 presale", f"{y}-11-04", f"{y}-11-10", "presale", 0.1, 1.3, 0.8)
        add("Double 11", f"{y}-11-11", f"{y}-11-11", "sale", 0.5, 5.0, 2.5)
        thanksgiving = pd.Timestamp(f"{y}-11-01") + pd.offsets.WeekOfMonth(week=3, weekday=3)
        bf = thanksgiving + pd.Timedelta(days=1)
        add("Black Friday", bf, bf + pd.Timedelta(days=3), "sale", 0.3, 1.9, 1.6)
        add("Christmas", f"{y}-12-24", f"{y}-12-26", "holiday", 0.0, 0.75, 0.8)
        for m in range(1, 13):
            if m not in (6, 11):
                d = pd.Timestamp(f"{y}-{m:02d}-25")
                add("Payday promo", d, d, "promotion", 0.1, 1.3, 1.3)
    first_tue = start + pd.Timedelta(days=(1 - start.day_of_week) % 7)
    for d in pd.date_range(first_tue, end, freq="14D"):
        add("Newsletter", d, d, "newsletter", 0.05, 3.0, 1.1, channel="email")
    cal = pd.DataFrame(rows, columns=["name", "start", "end", "kind", "channel", "intensity",
                                      "traffic_mult", "conversion_mult"])
    cal["channel"] = cal["channel"].astype("string")
    return cal.sort_values(["start", "name"]).reset_index(drop=True)


def _daily_multipliers(cal: pd.DataFrame, start: pd.Timestamp, n_days: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: traffic multiplier per channel (n_days x C), conversion multiplier, intensity."""
    traffic = np.ones((n_days, len(CHANNELS)))
    conv = np.ones(n_days)
    intensity = np.zeros(n_days)
    for ev in cal.itertuples():
        a = max(0, (ev.start - start).days)
        b = min(n_days - 1, (ev.end - start).days)
        if pd.isna(ev.channel):
            traffic[a:b + 1, :] *= ev.traffic_mult
            conv[a:b + 1] *= ev.conversion_mult
        else:
            traffic[a:b + 1, CHANNELS.index(ev.channel)] *= ev.traffic_mult
        intensity[a:b + 1] = np.maximum(intensity[a:b + 1], ev.intensity)
    days = pd.date_range(start, periods=n_days, freq="D")
    season = _WEEKLY[days.day_of_week.to_numpy()]
    doy = days.day_of_year.to_numpy()
    season = season * (1 + 0.12 * np.sin(2 * np.pi * (doy - 80) / 365.25))
    season = season * np.where((days.month == 12) & (days.day <= 22), 1.15, 1.0)
    return traffic * season[:, None], conv, intensity


def _pick(cum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row-wise categorical draw from cumulative weights (rows need not be normalised)."""
    r = rng.random(cum.shape[0]) * cum[:, -1]
    return (r[:, None] > cum).sum(axis=1).astype(np.int8)


def generate_world(n_users: int = 20_000, n_days: int = 730, seed: int = 0,
                   start: str = "2024-01-01",
                   progress: Callable[[int, int], None] | None = None,
                   spend_lever: bool = False) -> World:
    """Generate a world of ``n_users`` users over ``n_days`` days from ``start``.

    ``progress(done_days, n_days)`` is called as days are simulated. ``spend_lever``: each
    paid channel's visits follow a planned daily spend (``_planned_spend``) instead of the spend
    following the sign-ups; the same seed gives the same world without it as before.
    """
    if n_users < 1 or n_days < 60:
        raise ValueError(f"need n_users >= 1 and n_days >= 60, got {n_users} and {n_days}")
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start).normalize()
    n, C, K = n_users, len(CHANNELS), len(CATEGORIES)

    acq = rng.choice(C, size=n, p=_ACQ_P).astype(np.int8)
    vmult = _VALUE_MULT[acq]
    visit_rate = np.exp(rng.normal(np.log(0.07), 0.8, n))
    purchase_p = np.minimum(rng.beta(2.0, 30.0, n) * vmult, 0.5)
    cart_p = np.clip(3 * purchase_p, 0.15, 0.95)
    aov = np.exp(rng.normal(np.log(45.0), 0.5, n)) * vmult
    cat_pref = rng.dirichlet(np.full(K, 0.4), n)
    ch_alpha = np.full((n, C), 0.5)
    ch_alpha[np.arange(n), acq] += 3.0
    ch_pref = rng.gamma(ch_alpha)
    ch_pref /= ch_pref.sum(axis=1, keepdims=True)

    cal = _calendar(t0, n_days)
    traffic, conv, _intensity = _daily_multipliers(cal, t0, n_days)
    lever = _planned_spend(n, t0, n_days, seed) if spend_lever else None
    # Sign-ups: 35% present from day 0, the rest spread over the period, more on busy days.
    w = traffic.mean(axis=1)[: int(n_days * 0.9)]
    later = rng.random(n) >= 0.35
    signup = np.zeros(n, dtype=np.int32)
    signup[later] = rng.choice(len(w), size=int(later.sum()), p=w / w.sum())
    hazard = (1 / 540) * _CHURN_MULT[acq] * np.exp(rng.normal(0, 0.5, n))
    churn_day = signup + rng.exponential(1 / hazard).astype(np.int64) + 30
    churn_day = np.where(churn_day < n_days, churn_day, -1)
    decline_len = rng.integers(21, 61, n)
    decline_start = np.where(churn_day >= 0, np.maximum(churn_day - decline_len, signup), -1)
    end_day = np.where(churn_day >= 0, churn_day, n_days)

    exp_start = int(n_days * 0.75)
    exp_len = 28
    in_exp = (signup < exp_start - 28) & (end_day > exp_start)
    variant = np.full(n, -1, dtype=np.int8)
    variant[in_exp] = rng.integers(0, 2, int(in_exp.sum()))
    lift = 0.10
    exp_m_ctrl = np.zeros(n)
    exp_rev = np.zeros(n)

    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("u", "sec", "typ", "ch", "cat", "rev", "oid")}
    cat_cum = np.cumsum(cat_pref, axis=1)
    order_seq = 0
    daily_rows = []
    for d in range(n_days):
        idx = np.flatnonzero((signup <= d) & (d < end_day))
        decl = np.ones(len(idx))
        ds_ = decline_start[idx]
        m = ds_ >= 0
        if m.any():
            frac = np.clip((d - ds_[m]) / np.maximum(churn_day[idx][m] - ds_[m], 1), 0, 1)
            decl[m] = 1 - 0.75 * frac
        chw = ch_pref[idx] * traffic[d]
        if lever is not None:  # paid visits: a x spend^b x the day's multiplier, shared out
            chw = chw * (visit_rate[idx] * decl)[:, None]
            for c, want in lever.expected(d, traffic[d]).items():
                chw[:, c] *= want / max(chw[:, c].sum(), 1e-12)
            lam = chw.sum(axis=1)
        else:
            lam = visit_rate[idx] * chw.sum(axis=1) * decl
        p = purchase_p[idx] * conv[d] * (0.5 + 0.5 * decl)
        is_exp = (variant[idx] >= 0) & (exp_start <= d < exp_start + exp_len)
        if is_exp.any():
            e = idx[is_exp]
            exp_m_ctrl[e] += lam[is_exp] * np.minimum(p[is_exp], 1)
            exp_rev[e] += lam[is_exp] * np.minimum(p[is_exp], 1) * aov[e]
            p = np.where(is_exp & (variant[idx] == 1), p * (1 + lift), p)
        p = np.minimum(p, 0.95)
        daily_rows.append((d, float(lam.sum()), float((lam * p).sum())))
        k = rng.poisson(lam)
        has = k > 0
        v_local = np.repeat(np.flatnonzero(has), k[has])
        V = idx[v_local]
        nv = len(V)
        if nv:
            ch = _pick(np.cumsum(chw[v_local], axis=1), rng)
            cat = _pick(cat_cum[V], rng)
            sec = (d * 86400 + rng.choice(24, nv, p=_HOUR_P) * 3600
                   + rng.integers(0, 3600, nv)).astype(np.int64)
            u1, u2 = rng.random(nv), rng.random(nv)
            cp = cart_p[V]
            cart = u1 < cp
            buy = cart & (u2 < p[v_local] / cp)
            cs = sec[cart] + rng.integers(30, 600, int(cart.sum()))
            nb = int(buy.sum())
            bsec = sec[buy] + rng.integers(700, 1800, nb)
            rev = np.round(aov[V[buy]] * np.exp(rng.normal(0, 0.35, nb)), 2)
            oids = np.arange(order_seq, order_seq + nb)
            order_seq += nb
            nc = int(cart.sum())
            parts["u"] += [V, V[cart], V[buy]]
            parts["sec"] += [sec, cs, bsec]
            parts["typ"] += [np.zeros(nv, np.int8), np.ones(nc, np.int8), np.full(nb, 2, np.int8)]
            parts["ch"] += [ch, ch[cart], ch[buy]]
            parts["cat"] += [cat, cat[cart], cat[buy]]
            parts["rev"] += [np.zeros(nv), np.zeros(nc), rev]
            parts["oid"] += [np.full(nv, -1), np.full(nc, -1), oids]
        if progress is not None and (d % 30 == 29 or d == n_days - 1):
            progress(d + 1, n_days)

    cols = {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}
    # a cart or purchase of the last evening can fall after midnight: the world (an export of
    # its n_days) ends at the end of its last day (a purchase at 00:12 the day after had made a
    # partial last day of every traffic series and moved the demo's as-of date)
    if len(cols["sec"]):
        inside = cols["sec"] < n_days * 86400
        cols = {k: v[inside] for k, v in cols.items()}
    order = np.argsort(cols["sec"], kind="stable")
    u = cols["u"][order]
    oid = cols["oid"][order]
    events = pd.DataFrame({
        "user_id": u.astype(np.int64) + 1,
        "ts": t0 + pd.to_timedelta(cols["sec"][order], unit="s"),
        "event_type": pd.Categorical.from_codes(cols["typ"][order], _EVENT_TYPES),
        "channel": pd.Categorical.from_codes(cols["ch"][order], CHANNELS),
        "revenue": cols["rev"][order].astype(np.float64),
        "category": pd.Categorical.from_codes(cols["cat"][order], CATEGORIES),
        "order_id": pd.array(np.where(oid >= 0, oid + 1, 0), dtype="Int64"),
        "acquisition_channel": pd.Categorical.from_codes(acq[u], CHANNELS),
    })
    events.loc[oid < 0, "order_id"] = pd.NA
    events["ts"] = events["ts"].astype("datetime64[ns]")
    del cols, parts

    day = lambda x: pd.NaT if x < 0 else t0 + pd.Timedelta(days=int(x))  # noqa: E731
    top_cat = np.argmax(cat_pref, axis=1)
    users = pd.DataFrame({
        "user_id": np.arange(1, n + 1, dtype=np.int64),
        "signup_date": t0 + pd.to_timedelta(signup, unit="D"),
        "acquisition_channel": pd.Categorical.from_codes(acq, CHANNELS),
        "visit_rate": visit_rate, "purchase_prob": purchase_p, "cart_prob": cart_p,
        "aov": aov, "churn_hazard": hazard,
        "churned": churn_day >= 0,
        "churn_date": [day(x) for x in churn_day],
        "decline_start": [day(x) for x in decline_start],
        "top_category": [CATEGORIES[i] for i in top_cat],
        "scene": [SCENES[CATEGORIES[i]] for i in top_cat],
        "experiment_variant": pd.Categorical.from_codes(variant.astype(np.int8) + 1,
                                                        ["none", "control", "treatment"]),
    })
    spend = (_spend(signup, acq, later, t0, n_days, rng) if lever is None
             else lever.spend)
    experiment, effects = _experiment(events, variant, exp_m_ctrl, exp_rev, lift, t0,
                                      exp_start, exp_len)
    daily = pd.DataFrame(daily_rows, columns=["day", "expected_visits", "expected_orders"])
    daily.insert(0, "date", t0 + pd.to_timedelta(daily.pop("day"), unit="D"))
    meta = {
        "seed": seed, "n_users": n, "n_days": n_days, "start": str(t0.date()),
        "n_events": len(events), "channels": list(CHANNELS), "categories": list(CATEGORIES),
        "value_multiplier": dict(zip(CHANNELS, _VALUE_MULT.tolist(), strict=True)),
        "churn_multiplier": dict(zip(CHANNELS, _CHURN_MULT.tolist(), strict=True)),
        "cac": _CAC, "scenes": SCENES,
    }
    if lever is not None:
        meta["spend_lever"] = True
        meta["spend_response"] = lever.truth
    calendar = cal.drop(columns=["traffic_mult", "conversion_mult"])
    return World(events, calendar, spend, experiment, users, cal, daily, effects, meta)


@dataclass(frozen=True)
class _Lever:
    """A planned daily spend per paid channel and the visits it buys.

    Attributes:
        spend: channel spend contract frame (date, channel, spend), the plan.
        daily: per paid channel index, the day's spend (n_days values).
        truth: per paid channel, ``a`` and ``b`` of expected visits = a x spend^b x the day's
            season and calendar multiplier, plus the usual daily budget.
    """

    spend: pd.DataFrame
    daily: dict[int, np.ndarray]
    truth: dict[str, dict[str, float]]

    def expected(self, d: int, traffic: np.ndarray) -> dict[int, float]:
        """Expected visits of each paid channel on day ``d`` (``traffic``: its multipliers)."""
        return {c: self.truth[CHANNELS[c]]["a"] * s[d] ** self.truth[CHANNELS[c]]["b"]
                * traffic[c] for c, s in self.daily.items()}


def _planned_spend(n_users: int, t0: pd.Timestamp, n_days: int, seed: int) -> _Lever:
    """Each paid channel's planned spend: a budget per calendar month (0.5-1.6 x its usual one,
    scaled with the users), +-15% from day to day, and one paused spell of 7-14 days between
    10% and 85% of the period (different per channel), so the response is identifiable. Drawn
    from a stream of its own: the world's other draws keep their order."""
    rng = np.random.default_rng((seed, 1))
    scale = n_users / 20_000
    days = pd.date_range(t0, periods=n_days, freq="D")
    month = days.to_period("M")
    first = pd.Index(month.unique())
    rows, daily, truth = [], {}, {}
    for name, (budget, visits, b) in _LEVER.items():
        usual = budget * scale
        per_month = pd.Series(usual * rng.uniform(0.5, 1.6, len(first)), index=first)
        s = per_month.reindex(month).to_numpy() * rng.uniform(0.85, 1.15, n_days)
        length = int(rng.integers(7, 15))
        at = int(rng.integers(int(n_days * 0.1), int(n_days * 0.85) - length))
        s[at:at + length] = 0.0
        s = np.round(s, 2)
        a = visits * scale / usual**b
        daily[CHANNELS.index(name)] = s
        truth[name] = {"a": a, "b": b, "usual_daily_budget": usual,
                       "paused_from": str(days[at].date()),
                       "paused_to": str(days[at + length - 1].date())}
        rows.append(pd.DataFrame({"date": days, "channel": name, "spend": s}))
    spend = pd.concat(rows, ignore_index=True).sort_values(["date", "channel"]).reset_index(
        drop=True)
    return _Lever(spend, daily, truth)


def _spend(signup: np.ndarray, acq: np.ndarray, later: np.ndarray, t0: pd.Timestamp,
           n_days: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    counts = np.zeros((n_days, len(CHANNELS)))
    np.add.at(counts, (signup[later], acq[later]), 1)
    for c, name in enumerate(CHANNELS):
        if name not in _CAC:
            continue
        s = counts[:, c] * _CAC[name] * np.exp(rng.normal(0, 0.15, n_days))
        rows.append(pd.DataFrame({"date": pd.date_range(t0, periods=n_days, freq="D"),
                                  "channel": name, "spend": np.round(s, 2)}))
    return pd.concat(rows, ignore_index=True).sort_values(["date", "channel"]).reset_index(
        drop=True)


def _experiment(events: pd.DataFrame, variant: np.ndarray, m_ctrl: np.ndarray,
                exp_rev: np.ndarray, lift: float, t0: pd.Timestamp, start: int, length: int
                ) -> tuple[pd.DataFrame, dict]:
    part = np.flatnonzero(variant >= 0)
    s = t0 + pd.Timedelta(days=start)
    e = s + pd.Timedelta(days=length)
    pre = s - pd.Timedelta(days=28)
    uid0 = events["user_id"].to_numpy() - 1
    n = len(variant)
    ts = events["ts"].to_numpy()
    typ = events["event_type"].cat.codes.to_numpy()
    rev = events["revenue"].to_numpy()

    def agg(a: pd.Timestamp, b: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = (ts >= a.to_datetime64()) & (ts < b.to_datetime64())
        vis = np.bincount(uid0[m & (typ == 0)], minlength=n)
        orders = np.bincount(uid0[m & (typ == 2)], minlength=n)
        revenue = np.bincount(uid0[m], weights=rev[m], minlength=n)
        return vis, orders, revenue

    pv, po, pr = agg(pre, s)
    ov, oo, orv = agg(s, e)
    exp = pd.DataFrame({
        "user_id": part + 1,
        "variant": np.where(variant[part] == 1, "treatment", "control"),
        "pre_visits": pv[part], "pre_orders": po[part], "pre_revenue": np.round(pr[part], 2),
        "visits": ov[part], "orders": oo[part], "converted": (oo[part] > 0).astype(int),
        "revenue": np.round(orv[part], 2),
    })
    m = m_ctrl[part]
    conv_c = 1 - np.exp(-m)
    conv_t = 1 - np.exp(-m * (1 + lift))
    effects = {
        "experiment": "checkout_redesign",
        "start": str(s.date()), "end_exclusive": str(e.date()),
        "control": "control", "treatment": "treatment",
        "n_participants": len(part),
        "true_relative_lift_purchase_probability_per_visit": lift,
        "true_orders_per_user": {"control": float(m.mean()), "treatment":
                                 float((m * (1 + lift)).mean())},
        "true_conversion": {"control": float(conv_c.mean()), "treatment": float(conv_t.mean()),
                            "absolute_effect": float((conv_t - conv_c).mean())},
        "true_revenue_per_user": {"control": float(exp_rev[part].mean()),
                                  "treatment": float(exp_rev[part].mean() * (1 + lift)),
                                  "absolute_effect": float(exp_rev[part].mean() * lift)},
        "visits_unaffected": True,
    }
    return exp, effects


def write_world(world: World, out_dir: str | Path) -> Path:
    """Write the world to ``out_dir`` (data files + truth/ folder) and return the folder."""
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    world.events.to_parquet(out / "events.parquet", index=False)
    cal = world.calendar.copy()
    for c in ("start", "end"):
        cal[c] = cal[c].dt.strftime("%Y-%m-%d")
    cal.to_csv(out / "calendar.csv", index=False)
    sp = world.spend.copy()
    sp["date"] = sp["date"].dt.strftime("%Y-%m-%d")
    sp.to_csv(out / "spend.csv", index=False)
    world.experiment.to_csv(out / "experiment.csv", index=False)
    world.users.to_parquet(out / "truth" / "users.parquet", index=False)
    world.calendar_effects.to_csv(out / "truth" / "calendar_effects.csv", index=False)
    world.daily_truth.to_csv(out / "truth" / "daily.csv", index=False)
    (out / "truth" / "effects.json").write_text(json.dumps(world.effects, indent=2))
    (out / "truth" / "meta.json").write_text(json.dumps(world.meta, indent=2))
    if world.meta.get("spend_lever"):
        pd.DataFrame([{"channel": c, **v} for c, v in world.meta["spend_response"].items()]
                     ).to_csv(out / "truth" / "spend_response.csv", index=False)
    return out
