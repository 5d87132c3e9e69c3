"""Build user features for 1M users / 20M+ events; DuckDB SQL computes the same aggregates as the
reference in the same run.

    .venv/bin/pip install -c .ci/constraints.txt -e '.[bench]'
    .venv/bin/python benchmarks/features_scale.py --users 1000000 --days 365

The world is generated once and cached under $BRAIN_HOME/bench/. Each side runs in its own
process (spawned) so its peak RSS is its own: load the Parquet file, compute, report.
Target (issue 2): under 60 s and under 8 GB peak RSS on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WINDOWS = (7, 30, 90, 180, 365)


def _peak_gb() -> float:
    """Peak RSS of this process (VmHWM: unlike ru_maxrss it is not inherited from the parent)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run_ours(path: str, cutoff: str, out: str, q: mp.Queue) -> None:
    import features as ft

    t0 = time.perf_counter()
    ev = pd.read_parquet(path)
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    feats = ft.user_features(ev, cutoff)
    seconds = time.perf_counter() - t1
    cols = ["user_id"] + [f"{k}_{w}d" for k in ("visits", "orders", "revenue") for w in WINDOWS]
    cols += ["orders_total", "revenue_total", "days_since_last_purchase", "tenure_days"]
    feats[cols].to_parquet(out)
    q.put({"seconds": seconds, "load_seconds": t_load, "users": len(feats),
           "events": int((ev["ts"] < pd.Timestamp(cutoff)).sum()), "columns": feats.shape[1] - 2,
           "peak_rss_gb": _peak_gb()})


def run_duckdb(path: str, cutoff: str, out: str, q: mp.Queue) -> None:
    import duckdb

    win = ",\n".join(
        f"count(*) FILTER (WHERE event_type = 'visit' AND age < {w}) AS visits_{w}d,\n"
        f"count(*) FILTER (WHERE event_type = 'purchase' AND age < {w}) AS orders_{w}d,\n"
        f"coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase' AND age < {w}), 0) "
        f"AS revenue_{w}d" for w in WINDOWS)
    sql = f"""
    WITH ev AS (
      SELECT user_id, CAST(event_type AS VARCHAR) AS event_type, revenue,
             epoch(TIMESTAMP '{cutoff}' - ts) / 86400.0 AS age
      FROM read_parquet('{path}') WHERE ts < TIMESTAMP '{cutoff}')
    SELECT user_id, {win},
      count(*) FILTER (WHERE event_type = 'purchase') AS orders_total,
      coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue_total,
      min(age) FILTER (WHERE event_type = 'purchase') AS days_since_last_purchase,
      max(age) AS tenure_days
    FROM ev GROUP BY user_id ORDER BY user_id"""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    t0 = time.perf_counter()
    ref = con.execute(sql).df()
    seconds = time.perf_counter() - t0
    ref.to_parquet(out)
    q.put({"seconds": seconds, "users": len(ref), "peak_rss_gb": _peak_gb()})


def _child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    res = q.get()
    p.join()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS results")
    args = ap.parse_args()

    from features import generate_world
    from training._mlflow import brain_home

    cache = brain_home() / "bench" / f"world-{args.users}-{args.days}-{args.seed}"
    path = cache / "events.parquet"
    if not path.exists():
        print(f"generating {args.users:,} users x {args.days} days (cached in {cache}) ...",
              flush=True)
        t0 = time.perf_counter()
        w = generate_world(args.users, args.days, args.seed,
                           progress=lambda d, n: print(f"  day {d}/{n}", flush=True))
        cache.mkdir(parents=True, exist_ok=True)
        w.events.to_parquet(path, index=False)
        print(f"generated {len(w.events):,} events in {time.perf_counter() - t0:.0f}s "
              f"(generator peak RSS {_peak_gb():.1f} GB)", flush=True)
        del w
    start = pd.Timestamp("2024-01-01")
    cutoff = str((start + pd.Timedelta(days=args.days)).date())
    print(f"features as of {cutoff} ...", flush=True)
    ours = _child(run_ours, str(path), cutoff, str(cache / "ours.parquet"))
    print(f"  ours:   {ours['seconds']:.1f}s compute (+{ours['load_seconds']:.1f}s load), "
          f"peak RSS {ours['peak_rss_gb']:.2f} GB", flush=True)
    duck = _child(run_duckdb, str(path), cutoff, str(cache / "duck.parquet"))
    print(f"  duckdb: {duck['seconds']:.1f}s, peak RSS {duck['peak_rss_gb']:.2f} GB", flush=True)
    a = pd.read_parquet(cache / "ours.parquet").sort_values("user_id").reset_index(drop=True)
    b = pd.read_parquet(cache / "duck.parquet").sort_values("user_id").reset_index(drop=True)
    assert len(a) == len(b), (len(a), len(b))
    worst = max(float(np.nanmax(np.abs(a[c].to_numpy(float) - b[c].to_numpy(float))))
                for c in b.columns if c != "user_id")
    print(f"  same aggregates as DuckDB: max abs difference {worst:.2e} over "
          f"{b.shape[1] - 1} columns")
    eps = ours["events"] / ours["seconds"]
    rows = [
        "| implementation | users | events | seconds | events/s | peak RSS GB |",
        "|---|---|---|---|---|---|",
        f"| marketing-brain `user_features` ({ours['columns']} features) | {ours['users']:,} | "
        f"{ours['events']:,} | {ours['seconds']:.1f} | {eps:,.0f} | {ours['peak_rss_gb']:.2f} |",
        f"| DuckDB SQL, {b.shape[1] - 1} of the same aggregates (reference) | {duck['users']:,} | "
        f"{ours['events']:,} | {duck['seconds']:.1f} | {ours['events'] / duck['seconds']:,.0f} | "
        f"{duck['peak_rss_gb']:.2f} |",
    ]
    table = "\n".join(rows)
    print(table)
    ratio = ours["seconds"] / duck["seconds"]
    print(f"ratio ours/duckdb seconds: {ratio:.2f}; max abs difference {worst:.2e}")
    if not args.no_record:
        out = ROOT / "benchmarks" / "results" / "features_scale.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            f"## features_scale ({date.today()})\n\n"
            f"`python benchmarks/features_scale.py --users {args.users} --days {args.days} "
            f"--seed {args.seed}` (2 cores; each side in its own process, Parquet load "
            f"excluded from seconds; ours loads in {ours['load_seconds']:.1f}s)\n\n{table}\n\n"
            f"Ours / DuckDB time: {ratio:.2f}. DuckDB's seconds include reading the Parquet "
            f"file; with loading, ours takes {ours['seconds'] + ours['load_seconds']:.1f}s "
            f"({(ours['seconds'] + ours['load_seconds']) / duck['seconds']:.2f}x DuckDB). "
            f"Same values as DuckDB on the shared columns "
            f"(max abs difference {worst:.1e}). Target: < 60 s and < 8 GB.\n")
        (out.with_suffix(".json")).write_text(json.dumps({"ours": ours, "duckdb": duck}))
    print(f"RESULT features_scale users={ours['users']} events={ours['events']} "
          f"seconds={ours['seconds']:.2f} peak_rss_gb={ours['peak_rss_gb']:.2f} "
          f"duckdb_seconds={duck['seconds']:.2f}")


if __name__ == "__main__":
    main()
