"""Page views around product launches: is the 80% band honest on the launch's own days?

A seeded page-view panel (generated here, nothing downloaded): 10 pages, daily 2022-01-01 ..
2024-12-31, each with its own level, weekday pattern (weekends lower), a slow trend and AR(1)
noise on the log scale; 41 product launches in all (4 or 5 a page, at least 45 days apart),
each its own event name, a peak of 2-12x the baseline (log-uniform) on the launch day fading
geometrically to about 5% of that excess over 2-6 days. The calendar gives each launch as kind
`launch` with a 14-day window (the launch day and 13 after) on the page's channel, the
documented per-series calendar. `--promo` adds a fortnightly three-day promotion (+30%, one name,
kind `promotion`) on every other page, in the calendar too.

The CSVs are written to a temporary folder and read back with the CLI's own loader (what
`brain forecast backtest --series series.csv --calendar calendar.csv` reads), then backtested
from origins a few days before launches (`--origins N`, `--lead DAYS`, `--horizon DAYS`): ours
(`lightgbm`, the CLI's default) and the seasonal naive (last week repeated) on the same origins.
Every forecast day is put in a segment by its day of the page's latest launch window: the launch
day (day 0), day 1, days 0-5, days 6-13, the whole window (days 0-13), other days (outside any
launch window), all. Per segment: days, 80% coverage, actuals below P10 and above P90,
pinball (scaled per origin and page by the mean absolute weekly difference before the origin,
as MASE). Overall MASE and pinball are the backtest's own means.

Run: .venv/bin/python benchmarks/forecast_launches.py [--seed 0] [--origins 7] [--lead 3]
     [--horizon 42] [--promo] [--diagnose]
`--diagnose` also prints, per launch in a horizon, the forecast and actual lift over the page's
baseline on days 0-2 (P10 / P50 / P90 and the truth's multiplier), and per day of the window
the misses on each side and the band's mean width (log P90/P10).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

START, END = pd.Timestamp("2022-01-01"), pd.Timestamp("2024-12-31")
N_PAGES, N_LAUNCHES, WINDOW = 10, 41, 14
SEGMENTS = ("day 0", "day 1", "days 0-5", "days 6-13", "days 0-13", "other days", "all")


def make_pages(seed: int = 0, promo: bool = False
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The panel (series_id, ds, y), its calendar (name, start, end, kind, channel) and the
    launches' truth (series_id, name, start, peak: the launch day's multiplier, fade_days)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(START, END, freq="D")
    n = len(days)
    ids = [f"page_{i + 1:02d}" for i in range(N_PAGES)]
    counts = np.full(N_PAGES, N_LAUNCHES // N_PAGES)
    counts[: N_LAUNCHES - counts.sum()] += 1
    rows, launches, cal = [], [], []
    for p, sid in enumerate(ids):
        level = rng.lognormal(np.log(3000), 0.6)
        dow = np.array([0.05, 0.08, 0.06, 0.03, -0.02, -0.30, -0.25]) * rng.uniform(0.6, 1.4)
        trend = rng.normal(0.05, 0.08) * np.arange(n) / 365.25
        eps = rng.normal(0, 0.08, n)
        ar = np.zeros(n)
        for i in range(1, n):
            ar[i] = 0.6 * ar[i - 1] + eps[i]
        logy = np.log(level) + dow[days.day_of_week] + trend + ar
        # launch days: 4-5 a page, at least 45 days apart, after a first half year
        while True:
            pos = np.sort(rng.choice(np.arange(180, n - 10), counts[p], replace=False))
            if np.all(np.diff(pos) >= 45):
                break
        excess = np.zeros(n)
        for k, d0 in enumerate(pos):
            peak = float(np.exp(rng.uniform(np.log(2), np.log(12))))
            fade = int(rng.integers(2, 7))
            t = np.arange(n - d0)
            excess[d0:] += (peak - 1) * np.exp(-3 * t / fade)
            name = f"{sid} launch {k + 1}"
            launches.append((sid, name, days[d0], peak, fade))
            cal.append((name, days[d0], days[d0] + pd.Timedelta(days=WINDOW - 1), "launch", sid))
        lift = np.ones(n)
        if promo and p % 2 == 0:
            first = 20 + int(rng.integers(0, 14))
            for d0 in range(first, n - 3, 14):
                if np.any(np.abs(pos - d0) < 16):  # promotions keep off the launches
                    continue
                lift[d0:d0 + 3] *= 1.3
                cal.append(("Fortnight promo", days[d0], days[d0 + 2], "promotion", sid))
        y = np.round(np.exp(logy) * (1 + excess) * lift)
        rows.append(pd.DataFrame({"series_id": sid, "ds": days, "y": y}))
    panel = pd.concat(rows, ignore_index=True)
    calendar = pd.DataFrame(cal, columns=["name", "start", "end", "kind", "channel"])
    truth = pd.DataFrame(launches, columns=["series_id", "name", "start", "peak", "fade_days"])
    return panel, calendar.sort_values("start", ignore_index=True), truth


def launch_origins(truth: pd.DataFrame, n: int, lead: int, horizon: int) -> list[pd.Timestamp]:
    """``n`` origins ``lead`` days before launches of the last year whose horizon ends inside
    the data, spread evenly over them and at least 14 days apart."""
    last = END - pd.Timedelta(days=horizon - 1)
    cand = sorted({s - pd.Timedelta(days=lead) for s in truth["start"]
                   if END - pd.Timedelta(days=365) <= s - pd.Timedelta(days=lead) <= last})
    picked: list[pd.Timestamp] = []
    for i in np.linspace(0, len(cand) - 1, min(n, len(cand))).round().astype(int):
        if not picked or cand[i] - picked[-1] >= pd.Timedelta(days=14):
            picked.append(cand[i])
    return picked


def segment_days(fc: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Each forecast row's day of its page's latest launch window (0..13), else -1."""
    day = pd.Series(-1, index=fc.index)
    for sid, g in truth.groupby("series_id"):
        rows = fc["series_id"] == sid
        ds = fc.loc[rows, "ds"].to_numpy()
        starts = np.sort(g["start"].to_numpy())
        i = np.searchsorted(starts, ds, side="right") - 1
        since = np.where(i >= 0, (ds - starts[np.maximum(i, 0)]) / np.timedelta64(1, "D"), -1)
        day[rows] = np.where((i >= 0) & (since < WINDOW), since, -1).astype(int)
    return day


def _scales(panel: pd.DataFrame, origins: list[pd.Timestamp]) -> pd.DataFrame:
    out = []
    for o in origins:
        h = panel[panel["ds"] < o]
        for sid, g in h.groupby("series_id"):
            v = g["y"].to_numpy(float)
            out.append((o, sid, float(np.mean(np.abs(v[7:] - v[:-7])))))
    return pd.DataFrame(out, columns=["origin", "series_id", "scale"])


def segment_table(fc: pd.DataFrame, truth: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Days, 80% coverage, below P10 / above P90 counts and scaled pinball per segment."""
    f = fc.dropna(subset=["y", "p50"]).copy()
    f["day"] = segment_days(f, truth).to_numpy()
    f = f.merge(_scales(panel, sorted(f["origin"].unique())), on=["origin", "series_id"])
    y = f["y"].to_numpy(float)
    pin = sum(np.maximum(q * (y - f[c]), (q - 1) * (y - f[c]))
              for c, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))) / 3
    f["pin"] = pin / f["scale"]
    f["below"], f["above"] = y < f["p10"], y > f["p90"]
    masks = {"day 0": f["day"] == 0, "day 1": f["day"] == 1,
             "days 0-5": f["day"].between(0, 5), "days 6-13": f["day"].between(6, 13),
             "days 0-13": f["day"] >= 0,
             "other days": f["day"] < 0, "all": f["day"] >= -1}
    rows = []
    for seg in SEGMENTS:
        g = f[masks[seg]]
        rows.append({"segment": seg, "days": len(g),
                     "coverage80_pct": 100 * float(np.mean(~g["below"] & ~g["above"]))
                     if len(g) else np.nan,
                     "below_p10": int(g["below"].sum()), "above_p90": int(g["above"].sum()),
                     "pinball": float(g["pin"].mean()) if len(g) else np.nan})
    return pd.DataFrame(rows)


def diagnose(fc: pd.DataFrame, truth: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Per launch in a horizon: the forecast's P10 / P50 / P90 and the actual over the page's
    median of the same weekday in the 8 weeks before the origin (its baseline), days 0-2,
    beside the truth's multiplier of the generator."""
    f = fc.dropna(subset=["y", "p50"]).copy()
    f["day"] = segment_days(f, truth).to_numpy()
    out = []
    for (o, sid), g in f[f["day"].between(0, 2)].groupby(["origin", "series_id"]):
        h = panel[(panel["series_id"] == sid) & (panel["ds"] < o)
                  & (panel["ds"] >= o - pd.Timedelta(days=56))]
        base = h.groupby(h["ds"].dt.day_of_week)["y"].median()
        t = truth[(truth["series_id"] == sid) & (truth["start"] <= g["ds"].max())].iloc[-1]
        for r in g.itertuples():
            b = float(base[r.ds.day_of_week])
            true_mult = 1 + (t.peak - 1) * np.exp(-3 * r.day / t.fade_days)
            out.append({"origin": o.date(), "series_id": sid, "day": r.day,
                        "true_mult": true_mult, "actual_x": r.y / b, "p10_x": r.p10 / b,
                        "p50_x": r.p50 / b, "p90_x": r.p90 / b,
                        "side": "below" if r.y < r.p10 else "above" if r.y > r.p90 else ""})
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--origins", type=int, default=7)
    ap.add_argument("--lead", type=int, default=3, help="days from origin to launch")
    ap.add_argument("--horizon", type=int, default=42)
    ap.add_argument("--promo", action="store_true")
    ap.add_argument("--diagnose", action="store_true")
    args = ap.parse_args()

    from serving._cli_forecast_inputs import load_inputs
    from training._forecast_backtest import backtest
    from training._forecast_models import make_forecaster

    panel, cal, truth = make_pages(args.seed, args.promo)
    origins = launch_origins(truth, args.origins, args.lead, args.horizon)
    with tempfile.TemporaryDirectory() as tmp:
        s_path, c_path = Path(tmp) / "series.csv", Path(tmp) / "calendar.csv"
        panel.to_csv(s_path, index=False)
        cal.assign(start=cal["start"].dt.date, end=cal["end"].dt.date).to_csv(c_path,
                                                                             index=False)
        frame, calendar = load_inputs(None, s_path, None, c_path, "D", None)
    print(f"{N_PAGES} pages, {len(panel):,} rows, {len(truth)} launches, {len(cal)} calendar "
          f"rows (seed {args.seed}{', with promotions' if args.promo else ''}); origins "
          f"{', '.join(str(o.date()) for o in origins)}, horizon {args.horizon}", flush=True)

    def progress(line: str) -> None:
        print(f"  {line}", flush=True)

    results = {}
    for name in ("lightgbm", "seasonal_naive"):
        t0 = time.perf_counter()
        print(f"backtesting {name} ...", flush=True)
        res = backtest(make_forecaster(name), frame, calendar, horizon=args.horizon,
                       origins=origins, progress=progress)
        results[name] = (res, segment_table(res.forecasts, truth, panel),
                         time.perf_counter() - t0)
    pd.set_option("display.width", 200)
    ours, naive = results["lightgbm"], results["seasonal_naive"]
    table = ours[1].merge(naive[1], on=["segment", "days"], suffixes=("", "_naive"))
    print(table.round(3).to_string(index=False))
    for name, (res, _, secs) in results.items():
        print(f"{name}: MASE {res.mean['mase']:.3f}, pinball {res.mean['pinball']:.4f}, "
              f"80% coverage {res.mean['coverage80_pct']:.1f}% ({secs:.1f} s)")
    if args.diagnose:
        d = diagnose(ours[0].forecasts, truth, panel)
        print(d.round(2).to_string(index=False))
        for day, g in d.groupby("day"):
            r = np.log(g["actual_x"]) - np.log(g["p50_x"])
            print(f"day {day}: log(actual / P50) mean {r.mean():+.3f}, median {r.median():+.3f}"
                  f" over {len(g)} launches")
        f = ours[0].forecasts.dropna(subset=["y", "p50"])
        f = f.assign(day=segment_days(f, truth).to_numpy())
        by_day = f[f["day"] >= 0].groupby("day").apply(lambda g: pd.Series({
            "days": len(g), "below_p10": int((g["y"] < g["p10"]).sum()),
            "above_p90": int((g["y"] > g["p90"]).sum()),
            "log_p90_over_p10": float(np.mean(np.log(g["p90"] / g["p10"])))}),
            include_groups=False)
        print(by_day.round(3).to_string())
    seg = ours[1].set_index("segment")
    lines = [
        "# forecast_launches", "",
        f"Run on {dt.date.today()} with `.venv/bin/python benchmarks/forecast_launches.py "
        f"--seed {args.seed} --origins {args.origins} --lead {args.lead} --horizon "
        f"{args.horizon}{' --promo' if args.promo else ''}` ({N_PAGES} generated pages, "
        f"{len(truth)} launches of 2-12x each its own name, kind `launch`, a {WINDOW}-day window "
        f"on the page's channel; origins {args.lead} days before a launch: "
        f"{', '.join(str(o.date()) for o in origins)}). Segments by day of the page's launch "
        "window; pinball scaled as MASE.", "",
        "| segment | days | ours: 80% coverage % | below P10 | above P90 | pinball | "
        "seasonal naive: 80% coverage % | pinball |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.segment} | {r.days} | {r.coverage80_pct:.1f} | {r.below_p10} | "
              f"{r.above_p90} | {r.pinball:.4f} | {r.coverage80_pct_naive:.1f} | "
              f"{r.pinball_naive:.4f} |" for r in table.itertuples(index=False)]
    lines += ["", f"Backtest means: ours MASE {ours[0].mean['mase']:.3f}, pinball "
              f"{ours[0].mean['pinball']:.4f}; seasonal naive MASE {naive[0].mean['mase']:.3f},"
              f" pinball {naive[0].mean['pinball']:.4f}.", ""]
    (REPO / "benchmarks" / "results" / "forecast_launches.md").write_text("\n".join(lines))
    print(f"RESULT forecast_launches seed={args.seed} promo={int(args.promo)} "
          f"mase={ours[0].mean['mase']:.3f} pinball={ours[0].mean['pinball']:.4f} "
          f"cov_all={seg.loc['all', 'coverage80_pct']:.1f} "
          f"cov_window={seg.loc['days 0-13', 'coverage80_pct']:.1f} "
          f"cov_day0={seg.loc['day 0', 'coverage80_pct']:.1f} "
          f"cov_day1={seg.loc['day 1', 'coverage80_pct']:.1f} "
          f"cov_d0_5={seg.loc['days 0-5', 'coverage80_pct']:.1f} "
          f"cov_other={seg.loc['other days', 'coverage80_pct']:.1f} "
          f"day0_below={seg.loc['day 0', 'below_p10']}/{seg.loc['day 0', 'days']} "
          f"day0_above={seg.loc['day 0', 'above_p90']} "
          f"day1_below={seg.loc['day 1', 'below_p10']}/{seg.loc['day 1', 'days']} "
          f"day1_above={seg.loc['day 1', 'above_p90']} "
          f"naive_mase={naive[0].mean['mase']:.3f}")


if __name__ == "__main__":
    main()
