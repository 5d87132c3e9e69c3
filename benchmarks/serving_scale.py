"""The prediction API with a million customers in its snapshot: warm-up time, memory, latency.

    apt-get install -y wrk
    .venv/bin/python benchmarks/serving_scale.py [--customers 1000000] [--users 20000]

A synthetic world of ``--users`` users trains the three customer champions (churn, propensity,
value); its feature snapshot is repeated with fresh ids up to ``--customers`` rows (as
customers_scoring does), and ``bentoml serve`` loads it. Measured: seconds from start until the
background scoring has cached every model's answers for every customer, the worker's resident
memory then, and by-id requests (ids spread over the whole snapshot) at concurrency 1 and 32.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from serving_latency import BIN, ROOT, _port, _wait, scratch_home, wrk  # noqa: E402

MODELS = ("churn", "customer_value", "purchase_propensity")


def prepare(home: Path, users: int, customers: int) -> list[str]:
    """Train the three champions on a ``users`` world; snapshot repeated to ``customers`` rows."""
    import features as ft
    from serving._snapshot import write_snapshot
    from training._customer_mlflow import train_and_register
    from training._customer_models import CustomerModel

    world = ft.generate_world(users, 540, seed=5)
    ev = world.events
    cuts = ft.cutoff_schedule(ev, 90, n_cutoffs=3, step_days=30)
    frame = ft.build_training_set(ev, cuts, 90, calendar=world.calendar)
    for task in ("churn", "propensity", "value"):
        train_and_register(task, frame, model=CustomerModel(task, horizon_days=90),
                           evaluation_tag="serving-scale")
    snap = home / "snapshots"
    write_snapshot(ev, ev["ts"].max().normalize(), calendar=world.calendar, spend=world.spend,
                   out=snap)
    reps = -(-customers // users)
    for name in ("user_features", "segments"):
        df = pd.read_parquet(snap / f"{name}.parquet")
        ids = df["user_id"].astype(str)
        parts = [df.assign(user_id=ids if k == 0 else ids + f"-r{k}") for k in range(reps)]
        pd.concat(parts, ignore_index=True).head(customers).to_parquet(snap / f"{name}.parquet")
    all_ids = pd.read_parquet(snap / "segments.parquet", columns=["user_id"])["user_id"]
    rng = np.random.default_rng(0)
    return [str(u) for u in all_ids.to_numpy()[rng.choice(len(all_ids), 500, replace=False)]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    load0 = os.getloadavg()[0]
    home, env = scratch_home("brain-scale-")
    print(f"training three champions on {args.users:,} users, snapshot of "
          f"{args.customers:,} customers ...", flush=True)
    ids = prepare(home, args.users, args.customers)
    port = _port()
    log = home / "serve.log"
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "bentoml"), "serve", "serving.service:MarketingBrain",
                             "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/readyz", proc, log, timeout=600)
        ready_s = time.perf_counter() - t0
        scored: list[str] = []
        while tuple(scored) != MODELS and time.perf_counter() - t0 < 3600:
            time.sleep(1)
            scored = httpx.get(f"{url}/models", timeout=10).json()["snapshot"]["scored_by"]
            print(f"  {time.perf_counter() - t0:6.0f}s cached: {scored}", end="\r", flush=True)
        cached_s = time.perf_counter() - t0
        print()
        worker = max(psutil.Process(proc.pid).children(recursive=True),
                     key=lambda p: p.memory_info().rss)
        rss_mb = worker.memory_info().rss / 2**20
        bodies = [json.dumps({"user_ids": [u]}) for u in ids]
        wrk(f"{url}/churn_risk", bodies, 4, 3)
        res = {c: wrk(f"{url}/churn_risk", bodies, c, args.seconds) for c in (1, 32)}
        for c, r in res.items():
            print(f"  by id c={c:2d}: {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 "
                  f"{r['p99_ms']:6.1f} ms  errors {r['errors']}", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    table = "\n".join([
        "| what | value |", "|---|---|",
        f"| customers in the snapshot | {args.customers:,} |",
        f"| seconds from start to ready (models + snapshot loaded) | {ready_s:.0f} |",
        f"| seconds from start until all three models' answers are cached | {cached_s:.0f} |",
        f"| worker resident memory then (MB) | {rss_mb:,.0f} |",
        *(f"| by id, concurrency {c}: req/s / p50 ms / p99 ms / errors | {r['rps']:,.0f} / "
          f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} / {r['errors']} |" for c, r in res.items())])
    print(table)
    if not args.no_record:
        (ROOT / "benchmarks" / "results" / "serving_scale.md").write_text(
            f"## serving_scale ({date.today()})\n\n`python benchmarks/serving_scale.py "
            f"--customers {args.customers} --users {args.users}` (three champions trained on "
            f"{args.users:,} users, their snapshot repeated with fresh ids; one worker; wrk on "
            f"loopback, ids drawn over the whole snapshot; load average at the start "
            f"{load0:.1f} on {os.cpu_count()} cores)\n\n{table}\n")
    r32 = res[32]
    print(f"RESULT serving_scale customers={args.customers} cached_s={cached_s:.0f} "
          f"rss_mb={rss_mb:.0f} rps_c32={r32['rps']:.1f} p99_ms_c32={r32['p99_ms']:.1f}")


if __name__ == "__main__":
    main()
