"""Batch scoring speed: 1,000,000 customers through ``score_features`` (what ``brain score`` runs).

    .venv/bin/python benchmarks/customers_scoring.py            # about 4-6 minutes, 2 cores

What is timed (issue 4 target: 1M customers in under 60 s, with everything ``brain score``
writes by default: score, tier, early warning and the top-3 reasons):

- the model is what ``brain train churn`` builds by default (LightGBM, up to 600 trees of 31
  leaves, 4 monthly cutoffs, 90-day labels), trained here on a 50,000-customer synthetic world;
- the customers are the synthetic 1,000,000-customer world of ``benchmarks/features_scale.py``
  (generated once and cached under ``$BRAIN_HOME/bench/``), with features as of the end of its
  year (``features.user_features``, computed once and cached: building them is timed by
  features_scale). 974,362 of its customers have an event by then; the first rows are repeated
  with fresh ids to make exactly ``--rows`` rows (the repeated 2.6% are real feature rows);
- each configuration runs on the whole frame, in this process, after one warm-up on 10,000 rows.

Peers from the same run: LightGBM's own ``predict`` (scores only, the floor for any scorer of
this model) and LightGBM's TreeSHAP ``pred_contrib`` (its built-in reasons; measured on
``--shap-rows`` rows and scaled linearly, since it takes minutes per million).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import features as ft  # noqa: E402
from training._customer_models import CustomerModel  # noqa: E402
from training._customer_scoring import score_features  # noqa: E402
from training._mlflow import brain_home  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _every_60_days(day: int, n_days: int) -> None:
    if day % 60 == 0:
        print(f"  day {day}/{n_days}", flush=True)


def world(users: int, days: int, seed: int) -> Path:
    """Events of a cached synthetic world (generated on first use, as features_scale does)."""
    cache = brain_home() / "bench" / f"world-{users}-{days}-{seed}"
    path = cache / "events.parquet"
    if not path.exists():
        log(f"generating {users:,} users x {days} days (cached in {cache}) ...")
        w = ft.generate_world(users, days, seed, progress=_every_60_days)
        cache.mkdir(parents=True, exist_ok=True)
        w.events.to_parquet(path, index=False)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="customers to score")
    ap.add_argument("--users", type=int, default=1_000_000, help="users of the scored world")
    ap.add_argument("--train-users", type=int, default=50_000, help="users of the training world")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=None, help="scoring threads [default: CPUs]")
    ap.add_argument("--shap-rows", type=int, default=20_000)
    ap.add_argument("--no-record", action="store_true", help="do not write results/*.md")
    args = ap.parse_args()
    t_start = time.perf_counter()

    small = pd.read_parquet(world(args.train_users, args.days, args.seed))
    cuts = ft.cutoff_schedule(small, 90, n_cutoffs=4, step_days=30)
    vocab = ft.Vocabulary.from_events(small, cuts[-1])
    train = ft.build_training_set(small, cuts, 90)
    t0 = time.perf_counter()
    model = CustomerModel("churn", horizon_days=90).fit(train)
    log(f"trained churn on {len(train):,} rows x {len(model.features_)} features in "
        f"{time.perf_counter() - t0:.0f}s: {model.report_.best_iteration} trees, validation "
        f"AUC {model.report_.validation.roc_auc:.3f}")
    del small, train

    big_path = world(args.users, args.days, args.seed)
    cutoff = pd.Timestamp("2024-01-01") + pd.Timedelta(days=args.days)
    # the cache is keyed by the feature set, so a new feature never meets a stale file
    kind = hashlib.sha1(" ".join(sorted(ft.CATALOGUE)).encode()).hexdigest()[:8]
    feat_path = (big_path.parent
                 / f"customer_features-{cutoff.date()}-train{args.train_users}-{kind}.parquet")
    if not feat_path.exists():
        log(f"building features of {args.users:,} users as of {cutoff.date()} (cached) ...")
        t0 = time.perf_counter()
        ev = pd.read_parquet(big_path)
        ft.user_features(ev, cutoff, vocabulary=vocab).to_parquet(feat_path, index=False)
        log(f"  features built in {time.perf_counter() - t0:.0f}s (timed by features_scale)")
        del ev
    feats = pd.read_parquet(feat_path)
    feats["user_id"] = feats["user_id"].astype(str)
    n_real = len(feats)
    if args.rows > n_real:
        extra = feats.iloc[np.arange(args.rows - n_real) % n_real].copy()
        extra["user_id"] = [f"copy-{i}" for i in range(len(extra))]
        feats = pd.concat([feats, extra], ignore_index=True)
    feats = feats.iloc[:args.rows].reset_index(drop=True)
    n = len(feats)
    log(f"scoring {n:,} customers ({n_real:,} distinct feature rows)")

    jobs = args.jobs or os.cpu_count() or 1
    score_features(model, feats.head(10_000), n_jobs=jobs)  # warm-up (path tables)

    loads: list[float] = []

    def timed(label: str, fn) -> float:
        t0 = time.perf_counter()
        out = fn()
        secs = time.perf_counter() - t0
        loads.append(os.getloadavg()[0])
        log(f"  {label}: {secs:.1f}s ({n / secs:,.0f} rows/s; 1-min load average after: "
            f"{loads[-1]:.1f})")
        del out
        return secs

    res: dict[str, float] = {}
    # The peers get a ready row-major float matrix (no column conversion, no copies).
    x = np.ascontiguousarray(model._array(feats))

    def lgb_predict() -> np.ndarray:
        blocks = np.array_split(x, 4 * jobs)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return np.concatenate(list(pool.map(
                lambda b: model.booster_.predict(b, raw_score=True), blocks)))

    res["lgb_predict"] = timed("peer: LightGBM predict, scores only", lgb_predict)
    res["none"] = timed("ours: score + tier + early warning",
                        lambda: score_features(model, feats, reasons=False, n_jobs=jobs))

    def default() -> pd.DataFrame:
        out = score_features(model, feats, n_jobs=jobs)
        out["tier"] = out["tier"].astype(str)  # as `brain score` writes it
        with tempfile.TemporaryDirectory() as tmp:
            out.to_parquet(Path(tmp) / "scores.parquet", index=False)
        return out

    res["path"] = timed("ours: + top-3 reasons (path), written to Parquet [brain score default]",
                        default)
    res["path_1"] = timed("ours: the same, 1 thread",
                          lambda: score_features(model, feats, n_jobs=1))
    m = min(args.shap_rows, n)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # single-threaded calls, as ours
        list(pool.map(lambda b: model.booster_.predict(b, pred_contrib=True),
                      np.array_split(x[:m], 2 * jobs)))
    res["lgb_shap"] = (time.perf_counter() - t0) * n / m
    log(f"  peer: LightGBM TreeSHAP pred_contrib on {m:,} rows, scaled to {n:,}: "
        f"{res['lgb_shap']:.0f}s")

    cpu = f"{jobs} threads"
    table = "\n".join([
        "| what | seconds | rows/s |", "|---|---|---|",
        f"| LightGBM `predict`, raw scores only (peer, {cpu}) | {res['lgb_predict']:.1f} | "
        f"{n / res['lgb_predict']:,.0f} |",
        f"| ours: score + tier + early warning (`--no-reasons`) | {res['none']:.1f} | "
        f"{n / res['none']:,.0f} |",
        f"| **ours: + top-3 path reasons, written to Parquet (`brain score` default)** | "
        f"**{res['path']:.1f}** | **{n / res['path']:,.0f}** |",
        f"| ours: + top-3 path reasons, 1 thread | {res['path_1']:.1f} | "
        f"{n / res['path_1']:,.0f} |",
        f"| LightGBM TreeSHAP `pred_contrib` alone (peer; {m:,} rows scaled) | "
        f"{res['lgb_shap']:.0f} | {n / res['lgb_shap']:,.0f} |",
    ])
    print(table)
    if not args.no_record:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "customers_scoring.md").write_text(
            f"# customers_scoring\n\nMeasured {date.today()} with "
            f"`.venv/bin/python benchmarks/customers_scoring.py` (2-core machine; total "
            f"{time.perf_counter() - t_start:.0f}s incl. training the model).\n\n"
            f"{n:,} customers ({n_real:,} distinct feature rows of the cached 1M-user synthetic "
            f"world, the rest repeated with fresh ids), {len(model.features_)} features given; "
            f"default `brain train churn` model: {model.report_.best_iteration} trees of up to "
            f"{int(model.settings_['num_leaves'])} leaves. Features are built separately "
            f"(benchmarks/results/features_scale.md). 1-minute load average after each "
            f"timing (other jobs share the machine; 2.0 = both cores busy): "
            f"{', '.join(f'{x:.1f}' for x in loads)}.\n\n{table}\n\nTarget (issue 4): 1M "
            f"customers in under 60 s including the reasons `brain score` writes by default.\n")
    print(f"RESULT customers_scoring users={n} seconds={res['path']:.2f} reasons=path "
          f"rows_per_s={n / res['path']:.0f} seconds_no_reasons={res['none']:.2f} "
          f"seconds_1thread={res['path_1']:.2f} lgb_predict_seconds={res['lgb_predict']:.2f} "
          f"lgb_treeshap_seconds={res['lgb_shap']:.0f}")


if __name__ == "__main__":
    main()
