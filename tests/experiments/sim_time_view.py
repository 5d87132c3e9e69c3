"""False-alarm and detection rates of the novelty check, by simulation (docs/experiments.md,
"Effects over time"). Not collected by pytest; run from the repository root:

    PYTHONPATH=. python tests/experiments/sim_time_view.py single 12000 300
    PYTHONPATH=. python tests/experiments/sim_time_view.py family 12000 300

It runs the code ``analyze(..., time_col=...)`` runs for the check (``experiments._time``:
the per-unit table, ``_trend`` and ``judge`` with Holm over the checks) on ``dated_rows`` of
test_time_view.py, without the (slower) daily views. "single": one metric, control and one
variant, scenarios A/A, constant +5%, fading +8% -> +1%, growing +1% -> +8%. "family": three
arms x two metrics (four checks, Holm), A/A and A/A and a constant +5% with weekends 40% busier,
and what an absolute-scale test of the same windows says under a constant relative effect.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_time_view import dated_rows

from experiments import Metric
from experiments._multiple import adjust_p_values
from experiments._time import (
    LATE_FROM,
    TREND_ALPHA,
    _trend,
    _Units,
    _window,
    check_time_input,
    judge,
)


def _checks(rows, metrics, variants):
    days = check_time_input(rows, "date", "variant", "user_id", None, "sim")
    u = _Units(rows, days, "variant", metrics, "user_id", "sim")
    trends = [_trend(u, m, "mean", "control", v, 0.05) for m in metrics for v in variants]
    assert not any(isinstance(t, str) for t in trends), trends
    adjusted = adjust_p_values([t.p_value for t in trends], "holm")
    return [judge(t, float(p)) for t, p in zip(trends, adjusted, strict=True)], u


def single(n_units: int, runs: int) -> None:
    m = [Metric("orders", "orders")]
    for kind in ("aa", "const", "fade", "grow"):
        t0 = time.time()
        flagged = right = p01 = p05 = 0
        for seed in range(runs):
            (t,), _ = _checks(dated_rows(kind, n_units=n_units, seed=10_000 + seed), m,
                              ["treatment"])
            flagged += t.flagged
            right += t.flagged and t.direction == {"fade": "fades", "grow": "grows"}.get(kind)
            p01 += t.p_value < TREND_ALPHA
            p05 += t.p_value < 0.05
        print(f"{kind:6s} n={n_units:,} runs={runs}: flagged {flagged / runs:.1%}, right "
              f"direction {right / runs:.1%}; p<0.01 alone {p01 / runs:.1%}; p<0.05 alone "
              f"{p05 / runs:.1%}  [{time.time() - t0:.0f}s]", flush=True)


def family(n_units: int, runs: int) -> None:
    ms = [Metric("orders", "orders"), Metric("visits", "visits")]
    for kind, weekly in (("aa", 0.0), ("aa", 0.4), ("const", 0.4)):
        t0 = time.time()
        hits = 0
        for seed in range(runs):
            rows = dated_rows(kind, n_units=n_units, seed=20_000 + seed, weekly=weekly)
            treated = rows["variant"] == "treatment"  # split by id parity into two arms
            rows.loc[treated, "variant"] = np.where(rows.loc[treated, "user_id"] % 2, "t1",
                                                    "t2")
            checks, _ = _checks(rows, ms, ["t1", "t2"])
            hits += any(t.flagged for t in checks)
        print(f"3 arms x 2 metrics, {kind}, weekend +{weekly:.0%}, n={n_units:,}, "
              f"runs={runs}: tests with any flag {hits / runs:.1%}  [{time.time() - t0:.0f}s]",
              flush=True)
    t0 = time.time()
    ps = []
    m = ms[0]
    for seed in range(runs):
        rows = dated_rows("const", n_units=n_units, seed=30_000 + seed)
        _, u = _checks(rows, [m], ["treatment"])
        eligible = np.flatnonzero(u.first <= u.last - LATE_FROM)
        ne, de = _window(u, m, "mean", 0, 3, eligible)
        nl, dl = _window(u, m, "mean", LATE_FROM, None, eligible)
        diff = ne / de - nl / dl  # per unit: early minus late orders per day
        arms = u.variant[eligible]
        a, b = diff[arms == "control"], diff[arms == "treatment"]
        z = (b.mean() - a.mean()) / np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        ps.append(2 * stats.norm.sf(abs(z)))
    print(f"absolute-scale test, constant +5%, n={n_units:,}, runs={runs}: p<0.01 in "
          f"{np.mean(np.array(ps) < 0.01):.1%}  [{time.time() - t0:.0f}s]", flush=True)


if __name__ == "__main__":
    {"single": single, "family": family}[sys.argv[1]](int(sys.argv[2]), int(sys.argv[3]))
