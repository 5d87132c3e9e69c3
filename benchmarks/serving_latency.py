"""Latency and throughput of the churn model: our BentoML service vs `mlflow models serve`.

    apt-get install -y wrk                  # the load generator (one process, C, on loopback)
    .venv/bin/python benchmarks/serving_latency.py [--users 20000] [--seconds 15]

Both servers serve the same registered churn model version with one worker each, on 127.0.0.1.
Single-user requests ask for score, tier and reasons. Ours is measured two ways: by user id (the
service scores the whole snapshot once per champion in the background, so an id request is a
lookup) and with the user's feature row (scored live, like-for-like with MLflow, which gets the
same row as ``dataframe_split``). wrk runs at concurrency 1, 8 and 32; then 1,000-user batches
are timed sequentially.
Target (issue 6): at concurrency 32 at least 2x MLflow's throughput with p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def scratch_home(prefix: str) -> tuple[Path, dict[str, str]]:
    """A fresh BRAIN_HOME with its SQLite MLflow store, set for this process too; returns it
    and the environment for the servers (no token, no periodic reload, the venv on PATH)."""
    home = Path(tempfile.mkdtemp(prefix=prefix)) / "brain-home"
    env = dict(os.environ, BRAIN_HOME=str(home),
               MLFLOW_TRACKING_URI=f"sqlite:///{home / 'mlflow.db'}", BRAIN_RELOAD_SECONDS="0",
               PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    env.pop("BRAIN_API_TOKEN", None)
    os.environ.update({k: env[k] for k in ("BRAIN_HOME", "MLFLOW_TRACKING_URI")})
    return home, env


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"server did not come up:\n{log.read_text()[-3000:]}")


def prepare(home: Path, users: int) -> pd.DataFrame:
    """Generate a world, train and register the churn model, write the snapshot."""
    import features as ft
    from serving._snapshot import write_snapshot
    from training._customer_mlflow import train_and_register
    from training._customer_models import CustomerModel

    world = ft.generate_world(users, 540, seed=5)
    ev = world.events
    cuts = ft.cutoff_schedule(ev, 90, n_cutoffs=3, step_days=30)
    frame = ft.build_training_set(ev, cuts, 90, calendar=world.calendar)
    train_and_register("churn", frame, model=CustomerModel("churn", horizon_days=90),
                       evaluation_tag="serving-latency")
    asof = ev["ts"].max().normalize()
    write_snapshot(ev, asof, calendar=world.calendar, spend=world.spend,
                   out=home / "snapshots")
    return pd.read_parquet(home / "snapshots" / "user_features.parquet")


def _json_rows(frame: pd.DataFrame, cols: list[str], ids: np.ndarray) -> pd.DataFrame:
    """Feature rows of ``ids`` as JSON-safe Python objects (NaN/inf -> None, categories -> str)."""
    rows = frame.set_index(frame["user_id"]).loc[ids, cols]

    def clean(v: object) -> object:
        if v is None or v is pd.NA:
            return None
        if isinstance(v, float | np.floating):
            return float(v) if np.isfinite(v) else None
        if isinstance(v, np.integer):
            return int(v)
        return str(v) if not isinstance(v, int | str) else v

    data = [[clean(v) for v in r] for r in rows.astype(object).to_numpy().tolist()]
    return pd.DataFrame(data, columns=cols, dtype=object)


def wrk(url: str, bodies: list[str], conc: int, seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        fh.write("bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n")
        fh.write("i = 0\nrequest = function()\n  i = i % #bodies + 1\n"
                 "  return wrk.format(nil, nil, nil, bodies[i])\nend\n")
        fh.write('done = function(summary, latency, requests)\n'
                 '  io.write(string.format("JSON {\\"p50\\": %f, \\"p99\\": %f, \\"n\\": %d, '
                 '\\"errors\\": %d, \\"non2xx\\": %d}\\n", latency:percentile(50), '
                 'latency:percentile(99), summary.requests, summary.errors.connect + '
                 'summary.errors.read + summary.errors.write + summary.errors.timeout, '
                 'summary.errors.status))\nend\n')
        script = fh.name
    out = subprocess.run(["wrk", "-t1", f"-c{conc}", f"-d{seconds}s", "--timeout", "10s", "-s",
                          script, url], capture_output=True, text=True, check=True).stdout
    stats = json.loads(re.search(r"JSON (\{.*\})", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"rps": rps, "p50_ms": stats["p50"] / 1000, "p99_ms": stats["p99"] / 1000,
            "requests": stats["n"], "errors": stats["errors"] + stats["non2xx"]}


def batch_ms(url: str, body: dict, n: int = 15) -> float:
    times = []
    with httpx.Client(timeout=120) as c:
        for _ in range(n):
            t0 = time.perf_counter()
            r = c.post(url, json=body)
            r.raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    home, env = scratch_home("brain-latency-")
    print(f"training the churn model on {args.users:,} users ...", flush=True)
    feats = prepare(home, args.users)
    rng = np.random.default_rng(0)
    ids = feats["user_id"].to_numpy()[rng.choice(len(feats), 200, replace=False)]
    cols = [c for c in feats.columns if c != "cutoff"]
    rows = _json_rows(feats, cols, ids)

    def split(frame: pd.DataFrame) -> dict:
        return {"dataframe_split": {"columns": list(frame.columns),
                                    "data": frame.to_numpy().tolist()},
                "params": {"reasons": True}}

    ours_bodies = [json.dumps({"user_ids": [str(u)]}) for u in ids]
    rows_bodies = [json.dumps({"rows": [dict(zip(rows.columns, r, strict=True))]}, default=str,
                              allow_nan=False) for r in rows.to_numpy().tolist()]
    ml_bodies = [json.dumps(split(rows.iloc[[i]]), default=str, allow_nan=False)
                 for i in range(len(rows))]
    p1, p2, p3 = _port(), _port(), _port()
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    servers = {
        "ours": subprocess.Popen([str(BIN / "bentoml"), "serve", "serving.service:MarketingBrain",
                                  "--host", "127.0.0.1", "--port", str(p1)], env=env, cwd=ROOT,
                                 stdout=(logs / "ours.log").open("w"), stderr=subprocess.STDOUT),
        "ours_nobatch": subprocess.Popen(
            [str(BIN / "bentoml"), "serve", "serving.service:MarketingBrain", "--host",
             "127.0.0.1", "--port", str(p3)], env=dict(env, BRAIN_BATCHING="0"), cwd=ROOT,
            stdout=(logs / "ours_nobatch.log").open("w"), stderr=subprocess.STDOUT),
        "mlflow": subprocess.Popen([str(BIN / "mlflow"), "models", "serve", "-m",
                                    "models:/churn@champion", "--env-manager", "local", "--host",
                                    "127.0.0.1", "--port", str(p2), "--workers", "1"], env=env,
                                   stdout=(logs / "mlflow.log").open("w"),
                                   stderr=subprocess.STDOUT),
    }
    try:
        _wait(f"http://127.0.0.1:{p1}/readyz", servers["ours"], logs / "ours.log")
        _wait(f"http://127.0.0.1:{p3}/readyz", servers["ours_nobatch"], logs / "ours_nobatch.log")
        _wait(f"http://127.0.0.1:{p2}/health", servers["mlflow"], logs / "mlflow.log")
        deadline = time.time() + 600
        for port in (p1, p3):
            while "churn" not in httpx.get(f"http://127.0.0.1:{port}/models", timeout=10).json()[
                    "snapshot"]["scored_by"] and time.time() < deadline:
                time.sleep(2)  # the background scoring of the snapshot
        urls = {"ours": f"http://127.0.0.1:{p1}/churn_risk",
                "ours_rows": f"http://127.0.0.1:{p1}/churn_risk",
                "ours_rows_nobatch": f"http://127.0.0.1:{p3}/churn_risk",
                "mlflow": f"http://127.0.0.1:{p2}/invocations"}
        bodies = {"ours": ours_bodies, "ours_rows": rows_bodies,
                  "ours_rows_nobatch": rows_bodies, "mlflow": ml_bodies}
        for name in urls:  # warm up
            wrk(urls[name], bodies[name], 4, 3)
        results: dict[str, dict[int, dict[str, float]]] = {k: {} for k in urls}
        for conc in (1, 8, 32):
            for name in urls:
                r = wrk(urls[name], bodies[name], conc, args.seconds)
                results[name][conc] = r
                print(f"  {name:17s} c={conc:2d}: {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms"
                      f"  p99 {r['p99_ms']:7.1f} ms  errors {r['errors']}", flush=True)
        big = feats["user_id"].to_numpy()[:1000]
        big_rows = _json_rows(feats, cols, big)
        ours_b = batch_ms(urls["ours"], {"user_ids": [str(u) for u in big]})
        ml_b = batch_ms(urls["mlflow"], json.loads(json.dumps(split(big_rows), default=str,
                                                              allow_nan=False)))
        rows_b = batch_ms(urls["ours_rows"], {"rows": json.loads(json.dumps(
            [dict(zip(cols, r, strict=True)) for r in big_rows.to_numpy().tolist()],
            default=str, allow_nan=False))})
        batching = httpx.get(f"http://127.0.0.1:{p1}/models", timeout=10).json()["batching"]
        print(f"  1,000-user batch: ours by id {ours_b:.0f} ms, ours rows {rows_b:.0f} ms, "
              f"mlflow {ml_b:.0f} ms; micro-batching: {batching}")
    finally:
        for p in servers.values():
            p.terminate()
        for p in servers.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    lines = ["| server | concurrency | req/s | p50 ms | p99 ms | errors |",
             "|---|---|---|---|---|---|"]
    for name, label in (("ours", "marketing brain, by user id (snapshot scores)"),
                        ("ours_rows", "marketing brain, feature row (live, micro-batched)"),
                        ("ours_rows_nobatch", "marketing brain, feature row (live, "
                                              "BRAIN_BATCHING=0)"),
                        ("mlflow", "mlflow models serve, feature row (live)")):
        for conc, r in results[name].items():
            lines.append(f"| {label} | {conc} | {r['rps']:.1f} | {r['p50_ms']:.1f} | "
                         f"{r['p99_ms']:.1f} | {r['errors']} |")
    table = "\n".join(lines)
    ratio = results["ours"][32]["rps"] / results["mlflow"][32]["rps"]
    ratio_rows = results["ours_rows"][32]["rps"] / results["mlflow"][32]["rps"]
    gain = results["ours_rows"][32]["rps"] / results["ours_rows_nobatch"][32]["rps"]
    print(table)
    summary = (f"1,000-user batch, median of 15: ours by id {ours_b:.0f} ms, ours with feature "
               f"rows {rows_b:.0f} ms, mlflow {ml_b:.0f} ms. Ours / MLflow throughput at "
               f"concurrency 32: {ratio:.2f} by user id, {ratio_rows:.2f} with feature rows "
               f"scored live (target >= 2 with p99 < 50 ms). Micro-batching of live rows at "
               f"concurrency 32: {gain:.2f}x the throughput without it; over the whole run "
               f"{batching['requests']:,} live requests took {batching['model_calls']:,} model "
               f"calls (largest {batching['largest_call']} requests).")
    print(summary)
    if not args.no_record:
        out = ROOT / "benchmarks" / "results" / "serving_latency.md"
        out.write_text(
            f"## serving_latency ({date.today()})\n\n`python benchmarks/serving_latency.py "
            f"--users {args.users} --seconds {args.seconds}` (wrk, one thread, loopback; one "
            f"worker per server; single-user churn requests with reasons; load average at the "
            f"start {load0:.1f} on {os.cpu_count()} cores)\n\n{table}\n\n"
            f"{summary}\n")
    o32, m32 = results["ours"][32], results["mlflow"][32]
    r32 = results["ours_rows"][32]
    print(f"RESULT serving_latency rps_c32={o32['rps']:.1f} p99_ms_c32={o32['p99_ms']:.1f} "
          f"mlflow_rps_c32={m32['rps']:.1f} mlflow_p99_ms_c32={m32['p99_ms']:.1f} "
          f"batch1000_ms={ours_b:.0f} rows_rps_c32={r32['rps']:.1f} "
          f"rows_p99_ms_c32={r32['p99_ms']:.1f}")


if __name__ == "__main__":
    main()
