"""Hourly demand with holidays: the default forecaster a week ahead, by hours ahead.

Two seeded hourly sets (generated here, nothing downloaded), written as the CSV files
`brain forecast backtest --series FILE --calendar FILE --tz ZONE` reads, read back with the
same loaders, and backtested from rolling origins (168 hours ahead):

- `pjm`: one PJM-like load series, 2016-01-01 .. 2018-08-03 in America/New_York, written as
  PJM writes it (naive local wall-clock times: each November's 01:00 twice, each March's 02:00
  absent); a daily and weekly shape, a summer and a smaller winter peak, 10 US holidays a year
  at -12% (the day after Thanksgiving -6%), AR(1) noise on the log scale (0.97 an hour,
  innovations 1%).
- `grid`: four regions of a power grid in Europe/Berlin, 2023-01-01 .. 2025-01-31, written with
  UTC offsets: a city (evening peak), an industrial region (weekday daytime plateau, weekends
  -35%, holidays -40%), a rural one with rooftop solar (a midday dip in summer) and a small
  one with electric heating (a winter high); levels 900 to 42,000 MW, German national
  holidays, AR(1) noise of its own per region (0.93-0.98 an hour).

Ours: `LightGBMForecaster()` (the default model, as `brain forecast backtest` fits it) through
`training._forecast_backtest.backtest`; peer from the same run on the same origins: the
seasonal naive (last week's hours repeated). Scores: the backtest's own means (MASE, pinball,
80% coverage; per origin and series, then averaged), and from the forecasts themselves the 80%
band's coverage and the RMS of log(y / P50) by hours ahead (1-3, 4-24, 25-168) and on
holiday hours against the others.

Run: .venv/bin/python benchmarks/forecast_hourly.py [--quick] [--origins N] [--every DAYS]
     [--sets pjm,grid] [--seed S] [--keep DIR]
(default 13 origins 27 days apart ending with the last full week, both sets, seed 11: about
2.5 min on a shared 2-core machine; `--quick`: 3 origins, under a minute). Writes
benchmarks/results/forecast_hourly.md.
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

from features._io import load_calendar, load_series  # noqa: E402
from training._forecast_backtest import backtest  # noqa: E402
from training._forecast_gbm import LightGBMForecaster  # noqa: E402
from training._forecast_models import SeasonalNaiveForecaster  # noqa: E402

HORIZON = 168
BUCKETS = ((1, 3), (4, 24), (25, 168))

US_HOLIDAYS = {  # (date, name); the day after Thanksgiving is smaller (see _PJM_HOLIDAY_LIFT)
    2016: ("01-01", "01-18", "02-15", "05-30", "07-04", "09-05", "10-10", "11-11", "11-24",
           "11-25", "12-26"),
    2017: ("01-02", "01-16", "02-20", "05-29", "07-04", "09-04", "10-09", "11-10", "11-23",
           "11-24", "12-25"),
    2018: ("01-01", "01-15", "02-19", "05-28", "07-04", "09-03", "10-08", "11-12", "11-22",
           "11-23", "12-25"),
}
US_NAMES = ("New Year", "MLK Day", "Presidents Day", "Memorial Day", "Independence Day",
            "Labor Day", "Columbus Day", "Veterans Day", "Thanksgiving", "Black Friday",
            "Christmas")
DE_HOLIDAYS = {
    "Neujahr": ("2023-01-01", "2024-01-01", "2025-01-01"),
    "Karfreitag": ("2023-04-07", "2024-03-29"),
    "Ostermontag": ("2023-04-10", "2024-04-01"),
    "Tag der Arbeit": ("2023-05-01", "2024-05-01"),
    "Himmelfahrt": ("2023-05-18", "2024-05-09"),
    "Pfingstmontag": ("2023-05-29", "2024-05-20"),
    "Tag der Einheit": ("2023-10-03", "2024-10-03"),
    "Weihnachten 1": ("2023-12-25", "2024-12-25"),
    "Weihnachten 2": ("2023-12-26", "2024-12-26"),
}


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """An AR(1) path of ``n`` steps (coefficient ``phi``, innovations ``sd``), from 0."""
    e = rng.normal(0.0, sd, n)
    out = np.zeros(n)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + e[i]
    return out


def make_pjm(seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The PJM-like series as written (``ds`` naive local wall clock, ``y``), its holidays
    calendar, and the zone it is written in."""
    tz = "America/New_York"
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2016-01-01 00:00", "2018-08-03 00:00", freq="h", tz=tz)
    loc = idx.tz_localize(None)
    h, doy, dow = (loc.hour.to_numpy(), loc.day_of_year.to_numpy(), loc.day_of_week.to_numpy())
    daily = (1 + 0.18 * np.sin((h - 9) / 24 * 2 * np.pi)
             + 0.05 * np.sin((h - 17) / 12 * 2 * np.pi))
    season = 1 + 0.22 * np.cos((doy - 200) / 365.25 * 2 * np.pi) ** 2 * np.where(
        (doy > 120) & (doy < 280), 1.2, 0.7)
    week = np.where(dow >= 5, 0.9, 1.0)
    days = [(pd.Timestamp(f"{yr}-{md}"), name) for yr, mds in US_HOLIDAYS.items()
            for md, name in zip(mds, US_NAMES, strict=True)]
    lift = pd.Series({d: (0.94 if name == "Black Friday" else 0.88) for d, name in days})
    hol = lift.reindex(loc.normalize()).fillna(1.0).to_numpy()
    y = 30000 * daily * season * week * hol * np.exp(_ar1(rng, len(idx), 0.97, 0.01))
    series = pd.DataFrame({"ds": loc.strftime("%Y-%m-%d %H:%M:%S"), "y": np.round(y, 1)})
    cal = pd.DataFrame({"name": [n for _, n in days],
                        "start": [d.strftime("%Y-%m-%d") for d, _ in days]})
    cal["end"] = cal["start"]
    cal["kind"] = "holiday"
    return series, cal, tz


_REGIONS = (  # name, level MW, AR(1) phi, innovation sd
    ("city", 42000.0, 0.97, 0.010),
    ("industry", 18000.0, 0.95, 0.012),
    ("rural_solar", 6000.0, 0.93, 0.015),
    ("heating", 900.0, 0.98, 0.010),
)


def make_grid(seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The grid's regions as written (``series_id``, ``ds`` with its UTC offset, ``y``), its
    holidays calendar, and the zone."""
    tz = "Europe/Berlin"
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-01 00:00", "2025-01-31 23:00", freq="h", tz=tz)
    loc = idx.tz_localize(None)
    h, doy, dow = (loc.hour.to_numpy(), loc.day_of_year.to_numpy(), loc.day_of_week.to_numpy())
    hol_days = pd.to_datetime([d for ds in DE_HOLIDAYS.values() for d in ds])
    hol = np.isin(loc.normalize(), hol_days)
    weekend = dow >= 5
    summer = np.cos((doy - 182) / 365.25 * 2 * np.pi)  # +1 midsummer, -1 midwinter
    shapes = {
        "city": (1 + 0.15 * np.sin((h - 10) / 24 * 2 * np.pi)
                 + 0.10 * np.exp(-0.5 * ((h - 19) / 2.0) ** 2))
        * (1 + 0.06 * summer) * np.where(weekend, 0.92, 1.0) * np.where(hol, 0.85, 1.0),
        "industry": (0.75 + 0.35 * ((h >= 6) & (h < 22)))
        * np.where(weekend, 0.65, 1.0) * np.where(hol, 0.60, 1.0) * (1 - 0.04 * summer),
        "rural_solar": (1 + 0.12 * np.sin((h - 8) / 24 * 2 * np.pi))
        * (1 - 0.30 * np.clip(summer + 0.3, 0, None) / 1.3
           * np.exp(-0.5 * ((h - 13) / 2.5) ** 2))
        * np.where(weekend, 0.95, 1.0) * np.where(hol, 0.90, 1.0),
        "heating": (1 + 0.10 * np.sin((h - 6) / 24 * 2 * np.pi))
        * (1 - 0.35 * summer) * np.where(hol, 0.95, 1.0),
    }
    parts = []
    for name, level, phi, sd in _REGIONS:
        y = level * shapes[name] * np.exp(_ar1(rng, len(idx), phi, sd))
        parts.append(pd.DataFrame({"series_id": name, "ds": idx.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                   "y": np.round(y, 1)}))
    series = pd.concat(parts, ignore_index=True)
    series["ds"] = series["ds"].str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
    cal = pd.DataFrame([(n, d) for n, ds in DE_HOLIDAYS.items() for d in ds],
                       columns=["name", "start"])
    cal["end"] = cal["start"]
    cal["kind"] = "holiday"
    return series, cal, tz


MAKERS = {"pjm": make_pjm, "grid": make_grid}


def hourly_scores(fc: pd.DataFrame, holidays: set[pd.Timestamp]) -> dict[str, float]:
    """80% coverage (%) and RMS of log(y / P50) by hours ahead and on holiday hours, from a
    backtest's forecasts (``origin``, ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``, ``y``)."""
    f = fc.dropna(subset=["y", "p50"]).copy()
    f = f.sort_values(["origin", "series_id", "ds"])
    f["ahead"] = f.groupby(["origin", "series_id"]).cumcount() + 1
    ds = pd.to_datetime(f["ds"])
    ds = ds.dt.tz_localize(None) if ds.dt.tz is not None else ds
    f["holiday"] = ds.dt.normalize().isin(list(holidays)).to_numpy()
    f["inside"] = (f["y"] >= f["p10"]) & (f["y"] <= f["p90"])
    ok = (f["y"] > 0) & (f["p50"] > 0)
    f["lerr"] = np.where(ok, np.log(f["y"].where(ok, 1.0) / f["p50"].where(ok, 1.0)), np.nan)
    out: dict[str, float] = {}
    groups = {f"{a}-{b}h": f["ahead"].between(a, b) for a, b in BUCKETS}
    groups |= {"holiday": f["holiday"], "other": ~f["holiday"]}
    for key, sel in groups.items():
        g = f[sel.to_numpy()]
        out[f"cov_{key}"] = 100 * float(g["inside"].mean()) if len(g) else np.nan
        out[f"rms_{key}"] = float(np.sqrt(np.nanmean(g["lerr"] ** 2))) if len(g) else np.nan
        out[f"n_{key}"] = float(len(g))
    return out


def run_set(name: str, n_origins: int, every_days: int, seed: int, tmp: Path,
            keep: Path | None = None) -> list[dict[str, object]]:
    """Generate set ``name``, write and read its CSV files, backtest ours and the seasonal
    naive on the same origins; one row of scores per model. ``keep``: a folder to write each
    model's forecasts to (``<set>_<ours|naive>.csv``)."""
    series, cal, tz = MAKERS[name](seed)
    s_path, c_path = tmp / f"{name}_series.csv", tmp / f"{name}_holidays.csv"
    series.to_csv(s_path, index=False)
    cal.to_csv(c_path, index=False)
    frame = load_series(s_path, tz=tz)
    calendar = load_calendar(c_path, tz=tz)
    last = pd.Timestamp(frame["ds"].max())
    first = last - pd.Timedelta(hours=HORIZON - 1)
    origins = [first - pd.Timedelta(days=every_days * k) for k in range(n_origins)][::-1]
    holidays = set(pd.to_datetime(cal["start"]))
    print(f"{name}: {frame['series_id'].nunique()} series, {len(frame):,} rows in {tz}; "
          f"{len(origins)} origins {origins[0]} .. {origins[-1]}, {every_days} days apart, "
          f"{HORIZON} hours each", flush=True)
    rows = []
    for label, model in (("ours: LightGBM (default)", LightGBMForecaster()),
                         ("seasonal naive 168 (peer, this run)", SeasonalNaiveForecaster())):
        t0 = time.perf_counter()

        def line(text: str, label: str = label, t0: float = t0) -> None:
            if text.startswith("fold") and " origin " in text:
                print(f"  {name} {label.split(':')[0]}: {text[:120]} "
                      f"[{time.perf_counter() - t0:.0f} s]", flush=True)

        res = backtest(model, frame, calendar, horizon=HORIZON, origins=origins,
                       progress=line)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            res.forecasts.to_csv(keep / f"{name}_{label.split(':')[0].split()[0]}.csv",
                                 index=False)
        rows.append({"set": name, "model": label, **{k: res.mean[k] for k in
                                                      ("mase", "pinball", "coverage80_pct")},
                     **hourly_scores(res.forecasts, holidays), "seconds": res.seconds})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 origins")
    ap.add_argument("--origins", type=int, default=13)
    ap.add_argument("--every", type=int, default=27, help="days between origins")
    ap.add_argument("--sets", default="pjm,grid")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--keep", type=Path, default=None,
                    help="folder to write the backtests' forecasts to")
    args = ap.parse_args()
    n = 3 if args.quick else args.origins
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [r for s in sets for r in run_set(s, n, args.every, args.seed, Path(tmp), args.keep)]
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    cols = ["set", "model", "mase", "pinball", "coverage80_pct",
            *[f"cov_{a}-{b}h" for a, b in BUCKETS], "cov_holiday", "cov_other",
            *[f"rms_{a}-{b}h" for a, b in BUCKETS], "rms_holiday", "rms_other", "seconds"]
    print(table[cols].round(3).to_string(index=False))
    n_hol = {r["set"]: int(r["n_holiday"]) for r in rows}
    print(f"holiday hours scored per set: {n_hol}; {time.perf_counter() - t0:.0f} s in all")
    cmd = " ".join(["benchmarks/forecast_hourly.py", *sys.argv[1:]])
    lines = [
        "# forecast_hourly", "",
        f"Run on {dt.date.today()} with `.venv/bin/python {cmd}` (seed {args.seed}; {n} "
        f"origins {args.every} days apart, {HORIZON} hours ahead each; sets generated by the "
        "script: `pjm`, one PJM-like load series in America/New_York with US holidays; `grid`, "
        "four regions in Europe/Berlin with German holidays). Coverage is of the 80% band (%); "
        "RMS is of log(y / P50) over the hours ahead named.", "",
        "| set | model | MASE | pinball | 80% cov. | cov. 1-3 h | 4-24 h | 25-168 h | holiday "
        "| other | RMS 1-3 h | 4-24 h | 25-168 h | holiday | other | s |",
        "|" + "---|" * 16,
    ]
    lines.extend("| " + " | ".join(
        [str(r["set"]), str(r["model"]), f"{r['mase']:.3f}", f"{r['pinball']:.3f}",
         f"{r['coverage80_pct']:.1f}", *[f"{r[f'cov_{a}-{b}h']:.1f}" for a, b in BUCKETS],
         f"{r['cov_holiday']:.1f}", f"{r['cov_other']:.1f}",
         *[f"{r[f'rms_{a}-{b}h']:.4f}" for a, b in BUCKETS], f"{r['rms_holiday']:.4f}",
         f"{r['rms_other']:.4f}", f"{r['seconds']:.0f}"]) + " |"
        for r in rows)
    lines += ["", f"Holiday hours scored per set: {n_hol}.", ""]
    out = REPO / "benchmarks" / "results" / "forecast_hourly.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    ours = {str(r["set"]): r for r in rows if str(r["model"]).startswith("ours")}
    naive = {str(r["set"]): r for r in rows if not str(r["model"]).startswith("ours")}
    parts = [f"origins={n}"]
    for s, r in ours.items():
        parts += [f"{s}_mase={r['mase']:.3f}", f"{s}_cov80={r['coverage80_pct']:.1f}",
                  *[f"{s}_cov_{a}_{b}h={r[f'cov_{a}-{b}h']:.1f}" for a, b in BUCKETS],
                  *[f"{s}_rms_{a}_{b}h={r[f'rms_{a}-{b}h']:.4f}" for a, b in BUCKETS],
                  f"{s}_cov_holiday={r['cov_holiday']:.1f}",
                  f"{s}_naive_mase={naive[s]['mase']:.3f}"]
    print("RESULT forecast_hourly " + " ".join(parts))


if __name__ == "__main__":
    main()
