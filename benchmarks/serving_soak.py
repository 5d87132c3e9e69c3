"""Load and fault run against a real `bentoml serve` of the marketing brain API (issue 6, item 9).

    .venv/bin/pip install schemathesis            # the `bench` extra (malformed-input run)
    .venv/bin/python benchmarks/serving_soak.py [--minutes 5] [--users 5000] [--workers 16]

What it does, all on 127.0.0.1, bounded in time and count, stopping by itself:

1. Prepares a small world in a temporary BRAIN_HOME (synthetic events, the three customer
   models, the traffic forecaster, the feature snapshot), or reuses ``--home``.
2. Starts ``bentoml serve serving.service:MarketingBrain`` with the options ``brain serve``
   gives it (its idle keep-alive included; ``--keep-alive 5`` for uvicorn's own), periodic
   champion check every ``--reload-seconds``, and sends ``--minutes`` of mixed traffic from one
   asyncio httpx client with ``--workers`` concurrent workers: scoring by known and unknown ids,
   segments, forecasts with and without a future calendar, channel value, experiment plans and
   analyses, GET /models and a few deliberately bad requests (expected 400). Responses are
   counted by status class; the server processes' RSS (the serve process and all its children,
   psutil) is sampled every ``--sample-seconds``. Each request notes the pooled connection it
   went on (new or reused, how long it had been idle; ``ConnTracker``), and a request that got
   no response is listed with it: one on a reused connection idle for close to the server's
   keep-alive is the keep-alive race. ``rss_growth_mb`` compares the median of the samples in
   the ``--rss-window`` seconds after warm-up with the median of the last ``--rss-window``
   seconds.
3. Two alias switches under load: at 1/3 of the run a new ``churn`` version (same artifacts as
   the champion, ``MlflowClient().create_model_version``) becomes champion and ``POST /reload``
   picks it up; at 2/3 another one is picked up by the periodic check alone. A request counts as
   failed during a switch when it overlaps the window from ``--switch-margin`` seconds before the
   alias moves until that margin after GET /models shows the new version, and its status is not
   the expected one (or it got no response).
4. After the load, schemathesis fuzzes every operation of the OpenAPI document at /docs.json
   (``--fuzz-examples`` cases per operation and phase, check ``not_a_server_error`` only) against
   the same server; each distinct 5xx is listed with its request and response. The document
   declares OpenAPI 3.0 while pydantic writes ``gt``/``lt`` bounds in the JSON Schema 2020 form,
   which schemathesis refuses; the run uses a copy rewritten to the 3.0 form and lists the bounds.

A robustness run, not a speed contest: it uses a synthetic world (no real data set has the
served shape) and has no peer to print beside it; req/s depends on what else the machine runs
(its load average is reported). Writes benchmarks/results/serving_soak.{md,png,json}; the
last line is the RESULT line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results"


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------- preparation
def prepare(home: Path, users: int, days: int, seed: int) -> None:
    """Generate a world; train and register the customer models and the forecaster; snapshot."""
    import features as ft
    from serving._snapshot import write_snapshot
    from training._customer_mlflow import train_and_register as train_customer
    from training._customer_models import CustomerModel
    from training._forecast_mlflow import train_and_register as train_forecaster

    t0 = time.perf_counter()
    world = ft.generate_world(users, days, seed=seed)
    ev, cal = world.events, world.calendar
    _log(f"world: {users:,} users, {days} days, {len(ev):,} events "
         f"({time.perf_counter() - t0:.0f} s)")
    cuts = ft.cutoff_schedule(ev, 90, n_cutoffs=3, step_days=30)
    frame = ft.build_training_set(ev, cuts, 90, calendar=cal)
    for task in ("churn", "propensity", "value"):
        train_customer(task, frame, model=CustomerModel(task, horizon_days=90),
                       evaluation_tag="serving-soak")
        _log(f"trained {task} ({time.perf_counter() - t0:.0f} s)")
    series = ft.traffic_series(ev, metrics=("visits",))
    (home / "series.json").parent.mkdir(parents=True, exist_ok=True)
    (home / "series.json").write_text(json.dumps(sorted(series["series_id"].unique())))
    train_forecaster("lightgbm", series, cal, horizon=60, n_folds=2)
    _log(f"trained traffic_forecaster ({time.perf_counter() - t0:.0f} s)")
    asof = ev["ts"].max().normalize()
    write_snapshot(ev, asof, calendar=cal, spend=world.spend, source="serving-soak",
                   out=home / "snapshots")
    world.experiment.to_parquet(home / "experiment.parquet", index=False)
    _log(f"snapshot as of {asof.date()} written ({time.perf_counter() - t0:.0f} s)")


# ---------------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Req:
    """One prepared request: kind (for the tables), method, path, JSON body, expected status."""

    kind: str
    method: str
    path: str
    body: bytes | None
    expect: int


def build_requests(home: Path, seed: int) -> dict[str, tuple[float, list[Req]]]:
    """A pool of concrete requests per kind and the kinds' weights (draw kind, then request)."""
    rng = np.random.default_rng(seed)
    feats = pd.read_parquet(home / "snapshots" / "user_features.parquet",
                            columns=["user_id", "tenure_days"])
    meta = json.loads((home / "snapshots" / "meta.json").read_text())
    cutoff = pd.Timestamp(meta["cutoff"])
    ids = feats["user_id"].astype(str).to_numpy()
    exp = pd.read_parquet(home / "experiment.parquet")
    series_ids = json.loads((home / "series.json").read_text())

    def known(n: int) -> list[Any]:
        picked = rng.choice(ids, n, replace=False)
        # JSON clients send ids as numbers or strings; both must work
        return [int(u) if u.isdigit() and rng.random() < 0.5 else str(u) for u in picked]

    def unknown(n: int) -> list[Any]:
        return [f"ghost-{rng.integers(1e9)}" if rng.random() < 0.5 else int(9e8 + rng.integers(1e6))
                for _ in range(n)]

    def js(obj: Any) -> bytes:
        return json.dumps(obj).encode()

    def cal_body(h: int) -> dict[str, Any]:
        d1 = cutoff + pd.Timedelta(days=int(rng.integers(5, h - 10)))
        d2 = cutoff + pd.Timedelta(days=int(rng.integers(5, h - 5)))
        return {"horizon": h, "series_id": str(rng.choice(series_ids)),
                "calendar": [
                    {"name": "flash sale", "start": str(d1.date()),
                     "end": str((d1 + pd.Timedelta(days=2)).date()), "kind": "sale",
                     "intensity": round(float(rng.uniform(0.2, 1.0)), 2)},
                    {"name": "email push", "start": str(d2.date()), "end": str(d2.date()),
                     "kind": "promotion", "channel": "email", "intensity": 0.5}]}

    kinds: dict[str, tuple[float, list[Req]]] = {}
    n = 300

    def add(kind: str, weight: float, reqs: list[Req]) -> None:
        kinds[kind] = (weight, reqs)

    add("churn_risk 1 id", 20, [Req("churn_risk 1 id", "POST", "/churn_risk",
                                    js({"user_ids": known(1)}), 200) for _ in range(n)])
    add("churn_risk 20 ids+unknown", 8, [
        Req("churn_risk 20 ids+unknown", "POST", "/churn_risk",
            js({"user_ids": known(20) + unknown(2)}), 200) for _ in range(n)])
    add("purchase_propensity 5 ids", 8, [
        Req("purchase_propensity 5 ids", "POST", "/purchase_propensity",
            js({"user_ids": known(5), "top_reasons": int(rng.integers(0, 4))}), 200)
        for _ in range(n)])
    add("customer_value 5 ids+unknown", 8, [
        Req("customer_value 5 ids+unknown", "POST", "/customer_value",
            js({"user_ids": known(4) + unknown(1)}), 200) for _ in range(n)])
    add("segments 10 ids+unknown", 8, [
        Req("segments 10 ids+unknown", "POST", "/segments",
            js({"user_ids": known(9) + unknown(1)}), 200) for _ in range(n)])
    add("forecast_traffic", 2, [
        Req("forecast_traffic", "POST", "/forecast_traffic",
            js({"horizon": int(rng.integers(7, 61)),
                "series_id": str(rng.choice(series_ids))}),
            200) for _ in range(50)])
    add("forecast_traffic+calendar", 2, [
        Req("forecast_traffic+calendar", "POST", "/forecast_traffic",
            js(cal_body(int(rng.integers(30, 91)))), 200) for _ in range(50)])
    first = cutoff - pd.to_timedelta(feats["tenure_days"], unit="D")
    lo, hi = first.min().normalize(), cutoff.normalize()
    windows = []
    for _ in range(50):
        a = lo + pd.Timedelta(days=int(rng.integers(0, max((hi - lo).days - 30, 1))))
        b = a + pd.Timedelta(days=int(rng.integers(30, 181)))
        windows.append(Req("channel_value", "POST", "/channel_value",
                           js({"start": str(a.date()), "end": str(b.date())}), 200))
    add("channel_value", 4, windows)
    plans = []
    for i in range(60):
        base = round(float(rng.uniform(0.02, 0.3)), 3)
        body: dict[str, Any] = {"baseline": base}
        if i % 3 == 0:
            body["mde"] = round(float(rng.uniform(0.02, 0.2)), 3)
        elif i % 3 == 1:
            body["n_control"] = int(rng.integers(500, 50_000))
        else:
            body |= {"mde": 0.05, "n_control": int(rng.integers(500, 50_000)), "variants": 2}
        plans.append(Req("experiments/plan", "POST", "/experiments/plan", js(body), 200))
    add("experiments/plan", 6, plans)
    cols = ["variant", "converted", "revenue", "visits", "pre_revenue"]
    analyses = []
    for _ in range(30):
        rows = exp.sample(200, random_state=int(rng.integers(1e6)))[cols]
        body = {"rows": json.loads(rows.to_json(orient="records")), "control": "control",
                "metrics": ["converted", "revenue"], "cuped": {"revenue": "pre_revenue"},
                "guardrails": {"visits": 0.05}}
        analyses.append(Req("experiments/analyze", "POST", "/experiments/analyze", js(body), 200))
    add("experiments/analyze 200 rows", 4, analyses)
    add("GET /models", 4, [Req("GET /models", "GET", "/models", None, 200)])
    bad = [Req("bad request", "POST", "/churn_risk", js({"user_ids": []}), 400),
           Req("bad request", "POST", "/forecast_traffic", js({"horizon": 0}), 400),
           Req("bad request", "POST", "/segments", js({"user_ids": [1], "extra": 1}), 400),
           Req("bad request", "POST", "/experiments/plan", js({"baseline": 0.1}), 400),
           Req("bad request", "POST", "/channel_value",
               js({"start": "2025-03-01", "end": "2025-01-01"}), 400),
           Req("bad request", "POST", "/forecast_traffic",
               js({"calendar": [{"name": "x", "start": "not a date", "end": "2025-01-01"}]}),
               400)]
    add("bad request (400 expected)", 4, bad)
    return kinds


# ---------------------------------------------------------------------------------- load
@dataclass
class Record:
    """One answered (or failed) request: start/end (s since load start), kind, status."""

    t0: float
    t1: float
    kind: str
    status: int  # -1: no response (connection error or timeout)
    expect: int
    version: str | None = None
    error: str | None = None  # why there was no response (httpx exception)
    conn: dict[str, Any] | None = None  # the pooled connection it went on (ConnTracker)


@dataclass
class Run:
    """Everything measured while the load ran."""

    records: list[Record] = field(default_factory=list)
    rss: list[tuple[float, float, dict[str, float]]] = field(default_factory=list)
    loadavg: list[float] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    switches: list[dict[str, Any]] = field(default_factory=list)


def tree_rss(pid: int) -> dict[str, float]:
    """RSS in MB of the serve process and each of its children (recursively)."""
    out: dict[str, float] = {}
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for p in procs:
        try:
            cmd = " ".join(p.cmdline())
            label = ("serve (main)" if p.pid == pid else
                     "api worker" if "worker" in cmd or "serve_http" in cmd else p.name())
            out[f"{label} {p.pid}"] = p.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            continue
    return out


class ConnTracker:
    """Which pooled connection (by its client port) each request went on: whether the request
    opened it, the connection's age, how long it had been idle since its last answer ended,
    and how many requests it had carried. A request that gets no response on a reused,
    idle connection is the keep-alive race (the server closed the connection for idleness as
    the client sent on it); one on a new or busy connection is something else. Reads
    httpcore's pool through httpx's ``trace`` extension (private attributes: a measurement
    aid, it gives up quietly if they change)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.pool = getattr(getattr(client, "_transport", None), "_pool", None)
        self.opened: dict[int, float] = {}
        self.last_end: dict[int, float] = {}
        self.uses: dict[int, int] = {}

    def _port(self, request: Any) -> int | None:
        try:
            for pr in self.pool._requests:  # type: ignore[union-attr]
                if pr.request is request and pr.connection is not None:
                    sock = pr.connection._connection._network_stream.get_extra_info("socket")
                    return int(sock.getsockname()[1])
        except (AttributeError, OSError, TypeError):
            pass
        return None

    def trace(self, note: dict[str, Any]) -> Any:
        async def callback(name: str, info: dict[str, Any]) -> None:
            now = time.perf_counter()
            if name == "connection.connect_tcp.complete" and "return_value" in info:
                try:
                    port = int(info["return_value"].get_extra_info("socket").getsockname()[1])
                except (AttributeError, OSError, TypeError):
                    return
                self.opened[port] = now
                self.last_end.pop(port, None)
                self.uses[port] = 0
                note["new"] = True
            elif name == "http11.send_request_headers.started":
                found = self._port(info.get("request"))
                if found is None:
                    return
                port = found
                last = self.last_end.get(port)
                note.update(port=port, age_s=now - self.opened.setdefault(port, now),
                            idle_s=None if last is None else now - last,
                            uses=self.uses.get(port, 0))
                note.setdefault("new", False)
                self.uses[port] = self.uses.get(port, 0) + 1
            elif name == "http11.response_closed.complete" and "port" in note:
                self.last_end[note["port"]] = now
        return callback


async def worker(client: httpx.AsyncClient, kinds: dict[str, tuple[float, list[Req]]],
                 seed: int, stop_at: float, t_origin: float, run: Run,
                 conns: ConnTracker | None = None) -> None:
    rnd = random.Random(seed)
    names = list(kinds)
    weights = [kinds[k][0] for k in names]
    while time.perf_counter() < stop_at:
        req = rnd.choice(kinds[rnd.choices(names, weights)[0]][1])
        t0 = time.perf_counter() - t_origin
        version = None
        error = None
        note: dict[str, Any] = {}
        ext = {"trace": conns.trace(note)} if conns is not None else None
        try:
            r = await client.request(req.method, req.path, content=req.body,
                                     headers={"content-type": "application/json"}
                                     if req.body is not None else None, extensions=ext)
            status = r.status_code
            if req.path == "/churn_risk" and status == 200:
                version = r.json().get("version")
        except httpx.HTTPError as exc:
            status = -1
            error = f"{type(exc).__name__}: {exc}"[:200]
        run.records.append(Record(t0, time.perf_counter() - t_origin, req.kind, status,
                                  req.expect, version, error, note or None))
        if status < 0:
            _log(f"  no response: {req.method} {req.path} at t={t0:.1f} s, {error}; "
                 f"connection {note or 'unknown'}")


async def sampler(pid: int, every: float, stop_at: float, t_origin: float, run: Run) -> None:
    last_report = 0.0
    while time.perf_counter() < stop_at:
        now = time.perf_counter() - t_origin
        per = await asyncio.to_thread(tree_rss, pid)
        run.rss.append((now, sum(per.values()), per))
        run.loadavg.append(os.getloadavg()[0])
        if now - last_report >= 15:
            last_report = now
            recent = [r for r in run.records if r.t1 > now - 15]
            n5 = sum(1 for r in run.records if r.status >= 500 or r.status < 0)
            _log(f"  t={now:5.0f} s  requests {len(run.records):7,d}  "
                 f"{len(recent) / 15:6.1f} req/s  5xx/failed {n5}  "
                 f"RSS {sum(per.values()):7.1f} MB")
        await asyncio.sleep(every)


def register_new_churn() -> tuple[str, str]:
    """A new version of churn from the champion's artifacts; returns (old, new) versions."""
    from mlflow import MlflowClient

    from training import configure_mlflow

    configure_mlflow()
    client = MlflowClient()
    cur = client.get_model_version_by_alias("churn", "champion")
    new = client.create_model_version("churn", cur.source, run_id=cur.run_id,
                                      tags=dict(cur.tags))
    return str(cur.version), str(new.version)


def move_alias(version: str) -> None:
    from mlflow import MlflowClient

    MlflowClient().set_registered_model_alias("churn", "champion", version)


async def switch(url: str, at: float, via_post: bool, t_origin: float, run: Run,
                 timeout: float = 120) -> None:
    await asyncio.sleep(max(0.0, at - (time.perf_counter() - t_origin)))
    info: dict[str, Any] = {"via": "POST /reload" if via_post else "periodic check"}
    old, new = await asyncio.to_thread(register_new_churn)
    info |= {"from": old, "to": new}
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        t_move = time.perf_counter() - t_origin
        await asyncio.to_thread(move_alias, new)
        run.events.append((t_move, f"churn@champion -> v{new} ({info['via']})"))
        if via_post:
            r = await c.post("/reload", json={})
            info["reload_status"] = r.status_code
            info["reload_changes"] = r.json().get("changes") if r.status_code == 200 else r.text
        seen = None
        while time.perf_counter() - t_origin < t_move + timeout:
            m = await c.get("/models")
            if m.status_code == 200:
                seen = {d["name"]: d["version"] for d in m.json()["models"]}.get("churn")
                if seen == new:
                    break
            await asyncio.sleep(0.5)
    t_seen = time.perf_counter() - t_origin
    info |= {"t_move": t_move, "t_seen": t_seen, "models_shows": seen,
             "confirmed": seen == new, "pickup_s": t_seen - t_move}
    run.events.append((t_seen, f"GET /models shows churn v{seen}"))
    run.switches.append(info)
    _log(f"  switch {info['via']}: churn v{old} -> v{new}; GET /models shows v{seen} after "
         f"{t_seen - t_move:.1f} s")


async def load(url: str, pid: int, kinds: dict[str, tuple[float, list[Req]]],
               args: argparse.Namespace) -> Run:
    run = Run()
    total = args.minutes * 60
    t_origin = time.perf_counter()
    stop_at = t_origin + total
    limits = httpx.Limits(max_connections=args.workers, max_keepalive_connections=args.workers)
    async with httpx.AsyncClient(base_url=url, timeout=args.request_timeout,
                                 limits=limits) as client:
        conns = ConnTracker(client)
        tasks = [asyncio.create_task(worker(client, kinds, args.seed * 1000 + i, stop_at,
                                            t_origin, run, conns))
                 for i in range(args.workers)]
        tasks.append(asyncio.create_task(sampler(pid, args.sample_seconds, stop_at, t_origin,
                                                 run)))
        if not args.no_switch:
            tasks.append(asyncio.create_task(switch(url, total / 3, True, t_origin, run)))
            tasks.append(asyncio.create_task(switch(url, 2 * total / 3, False, t_origin, run)))
        await asyncio.gather(*tasks)
    run.events.insert(0, (args.warmup, "end of warm-up"))
    return run


# ---------------------------------------------------------------------------------- fuzzing
def openapi_30(doc: Any, where: str = "") -> list[str]:
    """Rewrite JSON-Schema-2020 numeric ``exclusiveMinimum/Maximum`` (what pydantic emits) to
    the OpenAPI 3.0 form the document declares (``minimum`` + ``exclusiveMinimum: true``), in
    place; returns where it did so (each one is a spec finding to report)."""
    found: list[str] = []
    if isinstance(doc, dict):
        for key, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            v = doc.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool):
                doc[bound], doc[key] = v, True
                found.append(f"{where}.{key}={v}")
        for k, v in doc.items():
            found += openapi_30(v, f"{where}.{k}" if where else k)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += openapi_30(v, f"{where}[{i}]")
    return found


def fuzz(url: str, out: Path, examples: int, seed: int, timeout: float) -> dict[str, Any]:
    """Schemathesis against /docs.json, 5xx check only; cases and distinct 5xx from its log."""
    exe = BIN / "schemathesis"
    if not exe.exists():
        sys.exit("schemathesis is not installed: .venv/bin/pip install schemathesis")
    out.mkdir(parents=True, exist_ok=True)
    doc = httpx.get(f"{url}/docs.json", timeout=30).json()
    # a 3.0 document must use 3.0's boolean bounds; 3.1 (what the API declares now) is
    # JSON Schema 2020-12, where pydantic's numeric bounds are already right
    spec_issues = openapi_30(doc) if str(doc.get("openapi", "")).startswith("3.0") else []
    spec = out / "docs.json"
    spec.write_text(json.dumps(doc))
    cassette = out / "fuzz.yaml"
    cmd = [str(exe), "run", str(spec), "--url", url, "--checks", "not_a_server_error",
           "--max-examples", str(examples), "--seed", str(seed), "--workers", "1",
           "--phases", "examples,coverage,fuzzing", "--continue-on-failure",
           "--request-timeout", "120", "--report", "vcr", "--report-vcr-path", str(cassette),
           "--output-truncate", "false", "--no-color"]
    t0 = time.perf_counter()
    log = out / "schemathesis.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                env=dict(os.environ, NO_COLOR="1"))
        timed_out = False
        while proc.poll() is None:
            time.sleep(2)
            waited = time.perf_counter() - t0
            if waited > timeout:
                proc.kill()
                proc.wait()
                timed_out = True
            elif int(waited) % 30 < 2:
                _log(f"  fuzzing ... {waited:.0f} s")
    text = log.read_text(errors="replace")
    cases = parse_cassette(cassette)
    by_op: dict[str, int] = {}
    for c in cases:
        by_op[f"{c['method']} {c['path']}"] = by_op.get(f"{c['method']} {c['path']}", 0) + 1
    errors = [c for c in cases if c["status"] is None or c["status"] >= 500]
    distinct: dict[tuple[Any, ...], dict[str, Any]] = {}
    for c in errors:
        key = (c["method"], c["path"], c["status"], c["content_type"], c["response"][:200])
        distinct.setdefault(key, dict(c, count=0))["count"] += 1
    statuses: dict[str, int] = {}
    for c in cases:
        statuses[str(c["status"])] = statuses.get(str(c["status"]), 0) + 1
    return {"cases": len(cases), "errors_5xx": len(errors), "distinct": list(distinct.values()),
            "by_operation": by_op, "statuses": statuses, "exit_code": proc.returncode,
            "timed_out": timed_out, "seconds": time.perf_counter() - t0,
            "spec_issues": spec_issues, "summary": "\n".join(text.strip().splitlines()[-14:])}


def parse_cassette(path: Path) -> list[dict[str, Any]]:
    """Requests and responses of a schemathesis VCR cassette."""
    import yaml

    if not path.exists():
        return []
    doc = yaml.safe_load(path.read_text()) or {}
    out = []
    for it in doc.get("http_interactions") or []:
        req, resp = it.get("request") or {}, it.get("response") or {}
        code = (resp.get("status") or {}).get("code")
        body = (req.get("body") or {}).get("string", "")
        rbody = (resp.get("body") or {}).get("string", "") if resp else ""
        ctype = (req.get("headers") or {}).get("Content-Type") or [""]
        out.append({"method": req.get("method", ""), "path": httpx.URL(req.get("uri", "")).path,
                    "status": None if code is None else int(code), "content_type": ctype[0],
                    "request": body if isinstance(body, str) else str(body),
                    "response": rbody if isinstance(rbody, str) else str(rbody)})
    return out


# ---------------------------------------------------------------------------------- report
def _median_between(rss: list[tuple[float, float, dict[str, float]]], a: float, b: float
                    ) -> float:
    vals = [v for t, v, _ in rss if a <= t <= b]
    return statistics.median(vals) if vals else float("nan")


def summarize(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    recs = run.records
    total = args.minutes * 60
    statuses = [r.status for r in recs]
    classes = {"2xx": sum(200 <= s < 300 for s in statuses),
               "4xx": sum(400 <= s < 500 for s in statuses),
               "5xx": sum(s >= 500 for s in statuses),
               "no response": sum(s < 0 for s in statuses)}
    unexpected = [r for r in recs if r.status != r.expect]
    failed_switch = 0
    for sw in run.switches:
        a, b = sw["t_move"] - args.switch_margin, sw["t_seen"] + args.switch_margin
        inside = [r for r in recs if r.t0 < b and r.t1 > a]
        sw["requests_in_window"] = len(inside)
        sw["failed_in_window"] = sum(r.status != r.expect for r in inside)
        sw["failed_examples"] = [(r.kind, r.status) for r in inside if r.status != r.expect][:5]
        sw["churn_versions_in_window"] = sorted({r.version for r in inside if r.version})
        failed_switch += sw["failed_in_window"]
    w = args.rss_window
    rss_start = _median_between(run.rss, args.warmup, args.warmup + w)
    rss_end = _median_between(run.rss, total - w, total)
    last = max((sw["t_seen"] for sw in run.switches), default=args.warmup)
    rss_after_switch = _median_between(run.rss, last, last + w)
    per_kind = {}
    for kind in dict.fromkeys(r.kind for r in recs):
        rs = [r for r in recs if r.kind == kind]
        lat = np.array([r.t1 - r.t0 for r in rs]) * 1000
        per_kind[kind] = {"n": len(rs), "2xx": sum(200 <= r.status < 300 for r in rs),
                          "4xx": sum(400 <= r.status < 500 for r in rs),
                          "5xx": sum(r.status >= 500 for r in rs),
                          "no_response": sum(r.status < 0 for r in rs),
                          "unexpected": sum(r.status != r.expect for r in rs),
                          "p50_ms": float(np.percentile(lat, 50)),
                          "p99_ms": float(np.percentile(lat, 99))}
    traced = [r.conn for r in recs if r.conn and "port" in r.conn]
    idles = [c["idle_s"] for c in traced if c.get("idle_s") is not None]
    connections = {"opened": sum(bool(c.get("new")) for c in traced),
                   "reused_requests": len(idles),
                   "idle_p50_s": float(np.percentile(idles, 50)) if idles else float("nan"),
                   "idle_p99_s": float(np.percentile(idles, 99)) if idles else float("nan"),
                   "idle_max_s": max(idles, default=float("nan")),
                   "reused_after_4s_idle": sum(i > 4 for i in idles),
                   "no_response": [{"t0": round(r.t0, 1), "kind": r.kind, "error": r.error,
                                    **{k: round(v, 3) if isinstance(v, float) else v
                                       for k, v in (r.conn or {}).items()}}
                                   for r in recs if r.status < 0]}
    return {"requests": len(recs), "classes": classes, "unexpected": len(unexpected),
            "connections": connections,
            "unexpected_examples": [(r.kind, r.status, r.error, round(r.t1, 1))
                                    for r in unexpected[:10]],
            "errors_5xx": classes["5xx"], "no_response": classes["no response"],
            "failed_during_switch": failed_switch, "rss_start_mb": rss_start,
            "rss_end_mb": rss_end, "rss_growth_mb": rss_end - rss_start,
            "rss_max_mb": max((v for _, v, _ in run.rss), default=float("nan")),
            "rss_growth_after_last_switch_mb": rss_end - rss_after_switch,
            "loadavg_mean": float(np.mean(run.loadavg)) if run.loadavg else float("nan"),
            "rps": len(recs) / total, "per_kind": per_kind, "switches": run.switches}


def plot(run: Run, args: argparse.Namespace, out: Path) -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    total = args.minutes * 60
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    t = [s[0] for s in run.rss]
    ax1.plot(t, [s[1] for s in run.rss], color="black", lw=1.8, label="total")
    names = sorted({k for _, _, per in run.rss for k in per})
    for name in names:
        ax1.plot(t, [per.get(name, np.nan) for _, _, per in run.rss], lw=1, label=name)
    ax1.set_ylabel("RSS (MB)")
    ax1.legend(fontsize=7, loc="center right")
    ax1.set_title("bentoml serve under mixed load: memory and throughput")
    step = 5.0
    edges = np.arange(0, total + step, step)
    ends = np.array([r.t1 for r in run.records])
    bad = np.array([r.t1 for r in run.records if r.status >= 500 or r.status < 0])
    ax2.plot(edges[:-1] + step / 2, np.histogram(ends, edges)[0] / step, color="tab:blue",
             label="responses / s")
    if len(bad):
        ax2.plot(edges[:-1] + step / 2, np.histogram(bad, edges)[0] / step, color="tab:red",
                 label="5xx or no response / s")
    ax2.set_ylabel(f"req/s ({step:.0f} s bins)")
    ax2.set_xlabel("seconds since load start")
    ax2.set_ylim(bottom=0)
    for ax in (ax1, ax2):
        for tt, label in run.events:
            ax.axvline(tt, color="grey", ls="--", lw=0.8)
            if ax is ax2:
                ax.annotate(label, (tt, 0), rotation=90, fontsize=7, va="bottom", ha="right",
                            xytext=(-2, 4), textcoords="offset points")
    ax2.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def markdown(s: dict[str, Any], fz: dict[str, Any], args: argparse.Namespace, cmd: str,
             server: dict[str, Any]) -> str:
    c = s["connections"]
    lines = [f"## serving_soak ({date.today()})", "",
             f"`{cmd}` — one `bentoml serve serving.service:MarketingBrain` on 127.0.0.1 "
             f"(world of {args.users:,} users), {args.minutes:g} min of mixed traffic from one "
             f"asyncio httpx client with {args.workers} concurrent workers, two `churn` alias "
             f"switches under load (server's periodic check every {args.reload_seconds:g} s), "
             "then schemathesis on `/docs.json` (install: `.venv/bin/pip install schemathesis`, "
             "the `bench` extra).", "",
             "| measure | value |", "|---|---|",
             f"| requests (mixed load) | {s['requests']:,} ({s['rps']:.1f} req/s) |",
             f"| 2xx / 4xx / 5xx / no response | {s['classes']['2xx']:,} / "
             f"{s['classes']['4xx']:,} / {s['classes']['5xx']} / {s['no_response']} |",
             f"| responses with another status than expected | {s['unexpected']} |",
             f"| failed requests around the alias switches | {s['failed_during_switch']} |",
             f"| RSS after warm-up -> end (median of {args.rss_window:g} s) | "
             f"{s['rss_start_mb']:.0f} -> {s['rss_end_mb']:.0f} MB "
             f"(growth {s['rss_growth_mb']:+.1f} MB; max {s['rss_max_mb']:.0f} MB; "
             f"{s['rss_growth_after_last_switch_mb']:+.1f} MB after the last switch) |",
             f"| schemathesis cases / 5xx | {fz['cases']:,} / {fz['errors_5xx']} |",
             f"| server alive and ready after fuzzing | {server['alive_after']} |",
             f"| server log: 5xx responses / tracebacks / 4xx responses (load + fuzzing) | "
             f"{server['log_5xx']} / {server['log_tracebacks']:,} / {server['log_4xx']:,} |",
             f"| server's idle keep-alive / client's (httpx) idle expiry | "
             f"{server['keep_alive_s']} s / 5 s |",
             f"| machine load average during the load (2 cores, shared) | "
             f"{s['loadavg_mean']:.1f} |",
             f"| client connections opened / requests on a reused connection (idle before "
             f"it: p50 / p99 / max; reused after > 4 s idle) | {c['opened']} / "
             f"{c['reused_requests']:,} ({c['idle_p50_s']:.2f} / {c['idle_p99_s']:.2f} / "
             f"{c['idle_max_s']:.2f} s; {c['reused_after_4s_idle']}) |", "",
             "| request kind | n | 2xx | 4xx | 5xx | no response | p50 ms | p99 ms |",
             "|---|---|---|---|---|---|---|---|"]
    for kind, k in s["per_kind"].items():
        lines.append(f"| {kind} | {k['n']:,} | {k['2xx']:,} | {k['4xx']:,} | {k['5xx']} | "
                     f"{k['no_response']} | {k['p50_ms']:.0f} | {k['p99_ms']:.0f} |")
    if c["no_response"]:
        lines += ["", *(f"- no response: {nr}" for nr in c["no_response"])]
    lines += ["", "Alias switches (window: from the alias move until GET /models shows the new "
              f"version, ± {args.switch_margin:g} s):", ""]
    for sw in s["switches"]:
        lines.append(f"- {sw['via']}: churn v{sw['from']} -> v{sw['to']}, picked up after "
                     f"{sw['pickup_s']:.1f} s (GET /models shows v{sw['models_shows']}); "
                     f"{sw['requests_in_window']:,} requests in the window, "
                     f"{sw['failed_in_window']} failed; churn versions answering in the window: "
                     f"{', '.join(sw['churn_versions_in_window'])}"
                     + (f"; POST /reload answered {sw['reload_status']} with changes "
                        f"`{json.dumps(sw['reload_changes'])}`" if "reload_status" in sw else ""))
    ops = fz["by_operation"]
    posts = {k: v for k, v in sorted(ops.items()) if k.startswith("POST /") and v > 1}
    lines += ["", f"Schemathesis {fz.get('version', '')} (`--checks not_a_server_error "
              f"--max-examples {args.fuzz_examples} --phases examples,coverage,fuzzing "
              "--continue-on-failure`), cases per operation: " + ", ".join(
                  f"`{k}` {v}" for k, v in posts.items())
              + f", plus {sum(ops.values()) - sum(posts.values())} probes of other methods "
                "and of the health/metrics routes"]
    lines += ["", "Response statuses under fuzzing: " + ", ".join(
        f"{k}: {v:,}" for k, v in sorted(fz.get("statuses", {}).items()))]
    if fz.get("spec_issues"):
        lines += ["", f"OpenAPI document: it declares OpenAPI 3.0 but {len(fz['spec_issues'])} "
                  "bounds use the JSON Schema 2020 numeric form of exclusiveMinimum/Maximum "
                  "(schemathesis rejects those operations as schema errors); the fuzz run uses "
                  "a copy rewritten to the 3.0 form: " + ", ".join(
                      f"`{x.split('.', 2)[2].replace('IODescriptor.properties', '')}`"
                      for x in fz["spec_issues"] if x.startswith("components."))]
    if fz["distinct"]:
        lines += ["", "Distinct 5xx found:", ""]
        for d in fz["distinct"]:
            lines.append(f"- `{d['method']} {d['path']}` with Content-Type "
                         f"`{d['content_type']}` -> {d['status']} ({d['count']} cases): request "
                         f"`{d['request'][:300]}`, response `{d['response'][:300]}`")
    lines += ["", "![RSS and throughput over time](serving_soak.png)", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- main
def start_server(home: Path, port: int, reload_seconds: float,
                 keep_alive: int) -> tuple[subprocess.Popen, Path]:
    from serving.cli import bentoml_serve_command

    env = dict(os.environ, BRAIN_HOME=str(home),
               MLFLOW_TRACKING_URI=f"sqlite:///{home / 'mlflow.db'}",
               BRAIN_RELOAD_SECONDS=str(reload_seconds), MPLBACKEND="Agg",
               PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    env.pop("BRAIN_API_TOKEN", None)
    env.pop("MLFLOW_REGISTRY_URI", None)
    log = home / "logs" / "serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # the command line 'brain serve' runs (its keep-alive included), with this venv's bentoml
    cmd = [str(BIN / "bentoml"), *bentoml_serve_command("127.0.0.1", port, keep_alive)[1:]]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bentoml serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, log
        except httpx.HTTPError:
            pass
        time.sleep(1)
    stop_server(proc)
    raise RuntimeError(f"bentoml serve did not become ready:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=5, help="length of the mixed load")
    ap.add_argument("--users", type=int, default=5_000, help="users in the prepared world")
    ap.add_argument("--days", type=int, default=540, help="days in the prepared world")
    ap.add_argument("--workers", type=int, default=16, help="concurrent client workers")
    ap.add_argument("--warmup", type=float, default=30, help="seconds of warm-up (for RSS)")
    ap.add_argument("--rss-window", type=float, default=20,
                    help="seconds of RSS samples whose median marks the start and the end")
    ap.add_argument("--sample-seconds", type=float, default=2, help="RSS sampling period")
    ap.add_argument("--reload-seconds", type=float, default=30,
                    help="server's periodic champion check (BRAIN_RELOAD_SECONDS)")
    ap.add_argument("--switch-margin", type=float, default=5,
                    help="seconds around a switch counted as its window")
    ap.add_argument("--request-timeout", type=float, default=60)
    ap.add_argument("--fuzz-examples", type=int, default=50,
                    help="schemathesis examples per operation and phase")
    ap.add_argument("--fuzz-timeout", type=float, default=1500, help="cap on the fuzz run (s)")
    ap.add_argument("--no-fuzz", action="store_true")
    ap.add_argument("--no-switch", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--home", type=Path, default=None,
                    help="BRAIN_HOME to reuse (prepared if empty); default: a temporary one")
    ap.add_argument("--no-record", action="store_true", help="do not write benchmarks/results")
    ap.add_argument("--port", type=int, default=None,
                    help="port of the server on 127.0.0.1 (default: a free one)")
    ap.add_argument("--keep-alive", type=int, default=None,
                    help="server's idle keep-alive in seconds (default: brain serve's; 5 is "
                         "uvicorn's own, which races with httpx's 5 s idle expiry)")
    args = ap.parse_args()
    if args.minutes * 60 < args.warmup + 2 * args.rss_window:
        sys.exit("--minutes is too short for the warm-up and two RSS windows")
    tmp = None
    if args.home is None:
        tmp = Path(tempfile.mkdtemp(prefix="brain-soak-"))
        home = tmp / "brain-home"
    else:
        home = args.home.resolve()
    os.environ.update(BRAIN_HOME=str(home), MLFLOW_TRACKING_URI=f"sqlite:///{home / 'mlflow.db'}")
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    if not (home / "snapshots" / "meta.json").exists():
        _log(f"preparing {home} ...")
        prepare(home, args.users, args.days, args.seed)
    kinds = build_requests(home, args.seed)
    port = args.port or _port()
    _log(f"starting bentoml serve on 127.0.0.1:{port} (log: {home / 'logs' / 'serve.log'})")
    from serving.cli import KEEP_ALIVE_SECONDS

    keep_alive = args.keep_alive or KEEP_ALIVE_SECONDS
    _log(f"server keep-alive {keep_alive} s; client (httpx) idle expiry 5 s")
    proc, log = start_server(home, port, args.reload_seconds, keep_alive)
    url = f"http://127.0.0.1:{port}"
    server: dict[str, Any] = {"keep_alive_s": keep_alive}
    try:
        _log(f"mixed load for {args.minutes:g} min with {args.workers} workers ...")
        run = asyncio.run(load(url, proc.pid, kinds, args))
        fz: dict[str, Any] = {"cases": 0, "errors_5xx": 0, "distinct": [], "by_operation": {}}
        if not args.no_fuzz:
            _log(f"schemathesis on {url}/docs.json ({args.fuzz_examples} examples per "
                 "operation and phase) ...")
            fz = fuzz(url, home / "fuzz", args.fuzz_examples, args.seed, args.fuzz_timeout)
            fz["version"] = subprocess.run([str(BIN / "schemathesis"), "--version"],
                                           capture_output=True, text=True,
                                           check=False).stdout.split()[-1]
            _log(f"  {fz['cases']:,} cases in {fz['seconds']:.0f} s, {fz['errors_5xx']} 5xx "
                 f"(exit code {fz['exit_code']})")
        try:
            ready = httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        except httpx.HTTPError:
            ready = False
        server["alive_after"] = "yes" if proc.poll() is None and ready else "NO"
        server["rss_after_fuzz_mb"] = sum(tree_rss(proc.pid).values())
    finally:
        stop_server(proc)
    text = log.read_text(errors="replace")
    server["log_errors"] = text.count("unexpected error in")
    server["log_5xx"] = text.count("(status=5")
    server["log_tracebacks"] = text.count("Traceback (most recent call last)")
    server["log_4xx"] = text.count("(status=4")
    s = summarize(run, args)
    cmd = "python benchmarks/serving_soak.py" + "".join(
        f" --{k} {v}" for k, v in (("minutes", args.minutes), ("users", args.users),
                                  ("workers", args.workers), ("fuzz-examples",
                                                              args.fuzz_examples)))
    report = markdown(s, fz, args, cmd, server)
    print("\n" + report)
    if s["unexpected"]:
        print(f"unexpected statuses (kind, status), first ones: {s['unexpected_examples']}")
    if not args.no_record:
        RESULTS.mkdir(parents=True, exist_ok=True)
        plot(run, args, RESULTS / "serving_soak.png")
        (RESULTS / "serving_soak.md").write_text(report)
        (RESULTS / "serving_soak.json").write_text(json.dumps(
            {"date": str(date.today()), "command": cmd, "summary": s, "server": server,
             "rss_samples": [(round(t, 1), round(v, 1)) for t, v, _ in run.rss],
             "fuzz": {k: v for k, v in fz.items() if k != "summary"}}, indent=1, default=str))
        _log(f"wrote {RESULTS / 'serving_soak.md'} and serving_soak.png")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"RESULT serving_soak requests={s['requests']} errors_5xx={s['errors_5xx']} "
          f"failed_during_switch={s['failed_during_switch']} fuzz_cases={fz['cases']} "
          f"fuzz_5xx={fz['errors_5xx']} rss_growth_mb={s['rss_growth_mb']:.1f}")


if __name__ == "__main__":
    main()
