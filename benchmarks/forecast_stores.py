"""Many stores with promotion flags: scale and accuracy of the default forecaster.

A seeded Rossmann-like panel (generated here, nothing downloaded): N stores, daily from
2013-01-01 to 2015-07-31, closed on Sundays and public holidays (rows with y = 0), a store
level, weekday pattern, yearly trend, December ramp-up and AR(1) noise; each store runs
Monday-Friday promotions every other week (two groups a week apart) with its own lift of
20-40%, given as calendar events on the store's channel (`channel` = the store id, the
documented per-series calendar); one store has six months of rows missing (a refurbishment).
The last 42 days are held out.

Ours: `LightGBMForecaster(max_horizon_days=42)` fitted on everything before the hold-out
with the holidays and past promotions, then asked for 42 days with the planned promotions.
Peer from the same run: the seasonal naive (last week repeated). Scores (training._forecast_
backtest.forecast_metrics, per store, then the mean): MASE, 80% interval coverage and the
error of each store's peak over the 42 days. Also: fit and predict seconds, peak memory.

Run: .venv/bin/python benchmarks/forecast_stores.py [N_STORES]   (default 1000)
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training._forecast_backtest_metrics import forecast_metrics  # noqa: E402
from training._forecast_gbm import LightGBMForecaster  # noqa: E402
from training._forecast_models import SeasonalNaiveForecaster  # noqa: E402

HOLD_START = pd.Timestamp("2015-06-20")
HORIZON = 42
HOLIDAYS = ("2013-01-01", "2013-03-29", "2013-04-01", "2013-05-01", "2013-05-09", "2013-05-20",
            "2013-10-03", "2013-12-25", "2013-12-26", "2014-01-01", "2014-04-18", "2014-04-21",
            "2014-05-01", "2014-05-29", "2014-06-09", "2014-10-03", "2014-12-25", "2014-12-26",
            "2015-01-01", "2015-04-03", "2015-04-06", "2015-05-01", "2015-05-14", "2015-05-25",
            "2015-07-06")


def make_stores(n: int, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The panel (series_id, ds, y) and its calendar (holidays and per-store promotions)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2013-01-01", "2015-07-31", freq="D")
    t = (days - days[0]).days.to_numpy() / 365.25
    holiday = days.isin(pd.to_datetime(HOLIDAYS))
    open_ = (days.day_of_week != 6) & ~holiday
    dow = np.array([0.12, 0.0, -0.03, -0.05, 0.02, -0.08, 0.0])[days.day_of_week]
    dec = np.where(days.month == 12, np.clip((days.day.to_numpy() - 1) / 23, 0, 1), 0.0)
    dec = np.where((days.month == 12) & (days.day > 24), -0.25, dec)
    starts = {g: pd.date_range(pd.Timestamp("2013-01-07") + pd.Timedelta(days=7 * g),
                               days[-1], freq="14D") for g in (0, 1)}
    in_promo = {g: np.zeros(len(days), bool) for g in (0, 1)}
    for g, sts in starts.items():
        for st in sts:
            in_promo[g] |= (days >= st) & (days <= st + pd.Timedelta(days=4))
    level = rng.lognormal(np.log(6000), 0.35, n)
    lift = rng.uniform(0.20, 0.40, n)
    trend = rng.normal(0.03, 0.04, n)
    dec_amp = rng.uniform(0.25, 0.45, n)
    eps = rng.normal(0, 0.07, (n, len(days)))
    ar = np.zeros_like(eps)
    for i in range(1, len(days)):
        ar[:, i] = 0.5 * ar[:, i - 1] + eps[:, i]
    group = np.arange(n) % 2
    promo = np.stack([in_promo[g] for g in group])
    logy = (np.log(level)[:, None] + trend[:, None] * t + dow + dec_amp[:, None] * dec
            + np.log1p(lift)[:, None] * promo + ar)
    y = np.where(open_, np.round(np.exp(logy)), 0.0)
    ids = np.array([f"store_{s + 1:04d}" for s in range(n)])
    panel = pd.DataFrame({"series_id": np.repeat(ids, len(days)),
                          "ds": np.tile(days.to_numpy(), n), "y": y.ravel()})
    gap = (panel["series_id"] == ids[min(6, n - 1)]) & panel["ds"].between("2014-07-01",
                                                                         "2014-12-31")
    panel = panel[~gap].reset_index(drop=True)
    hol = pd.DataFrame({"name": "Public holiday", "start": pd.to_datetime(HOLIDAYS),
                        "kind": "holiday", "channel": None})
    promos = pd.DataFrame([(ids[s], st) for s in range(n) for st in starts[group[s]]],
                          columns=["channel", "start"])
    promos = promos.assign(name="Promo", kind="promotion")
    cal = pd.concat([hol, promos], ignore_index=True)
    cal["end"] = cal["start"] + pd.to_timedelta(np.where(cal["kind"] == "promotion", 4, 0),
                                                unit="D")
    return panel, cal[["name", "start", "end", "kind", "channel"]]


def score(fc: pd.DataFrame, panel: pd.DataFrame, train: pd.DataFrame) -> dict[str, float]:
    """Mean over stores of MASE, 80% coverage and peak magnitude error on the hold-out."""
    actual = panel[panel["ds"] >= HOLD_START]
    f = fc.merge(actual, on=["series_id", "ds"], how="left")
    hist = {sid: g.set_index("ds")["y"].asfreq("D").to_numpy()
            for sid, g in train.groupby("series_id")}
    rows = [forecast_metrics(g, hist[sid], 7) for sid, g in f.groupby("series_id")]
    m = pd.DataFrame(rows).mean()
    return {"mase": float(m["mase"]), "coverage80_pct": float(m["coverage80_pct"]),
            "peak_err_pct": float(m["peak_err_pct"])}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    t0 = time.perf_counter()
    panel, cal = make_stores(n)
    train = panel[panel["ds"] < HOLD_START]
    past = cal[cal["start"] < HOLD_START]
    print(f"{n} stores, {len(train):,} training rows, {len(cal):,} calendar rows "
          f"(generated in {time.perf_counter() - t0:.1f} s)", flush=True)
    t0 = time.perf_counter()
    ours = LightGBMForecaster(max_horizon_days=HORIZON).fit(train, past)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fc = ours.predict(HORIZON, cal)
    predict_s = time.perf_counter() - t0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"ours: fit {fit_s:.1f} s, predict {predict_s:.1f} s, peak RSS {rss_gb:.2f} GB",
          flush=True)
    t0 = time.perf_counter()
    naive = SeasonalNaiveForecaster().fit(train)
    nfc = naive.predict(HORIZON)
    naive_s = time.perf_counter() - t0
    a, b = score(fc, panel, train), score(nfc, panel, train)
    table = pd.DataFrame([
        {"model": "ours: LightGBM direct + event lifts", **a, "fit_s": fit_s,
         "predict_s": predict_s},
        {"model": "seasonal naive 7 (peer, this run)", **b, "fit_s": naive_s, "predict_s": 0.0},
    ])
    pd.set_option("display.width", 200)
    print(table.round(3).to_string(index=False))
    from importlib.metadata import version

    pkgs = ", ".join(f"{p} {version(p)}" for p in ("lightgbm", "numpy", "pandas"))
    lines = [
        "# forecast_stores", "",
        f"Run on {dt.date.today()} with `.venv/bin/python benchmarks/forecast_stores.py {n}` "
        f"({n} Rossmann-like stores generated by the script, seed 42: daily 2013-01-01 .. "
        f"2015-07-31, closed Sundays and holidays, per-store promotions as calendar events on "
        f"the store's channel; {len(train):,} training rows, {len(cal):,} calendar rows; the "
        f"last {HORIZON} days held out; scores are means over stores). Peak memory is the "
        "process's (generation included).", "",
        "| model | MASE | 80% coverage % | peak error % | fit s | predict s |",
        "|---|---|---|---|---|---|",
    ]
    lines.extend(f"| {r.model} | {r.mase:.3f} | {r.coverage80_pct:.1f} | {r.peak_err_pct:.1f} "
                 f"| {r.fit_s:.1f} | {r.predict_s:.1f} |" for r in table.itertuples(index=False))
    lines += ["", f"Peak RSS {rss_gb:.2f} GB. Packages: {pkgs}.", ""]
    out = REPO / "benchmarks" / "results" / "forecast_stores.md"
    out.write_text("\n".join(lines))
    print(f"RESULT forecast_stores stores={n} fit_s={fit_s:.1f} predict_s={predict_s:.1f} "
          f"rss_gb={rss_gb:.2f} mase={a['mase']:.3f} coverage80_pct={a['coverage80_pct']:.1f} "
          f"naive_mase={b['mase']:.3f}")


if __name__ == "__main__":
    main()
