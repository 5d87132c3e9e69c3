"""CDNOW: purchase propensity and customer value for a 273-day holdout, against BG/NBD.

Protocol (../shared/data/README.md): fit only on data up to 1997-09-30; score all 23,570 customers
for 1997-10-01 .. 1998-06-30. BG/NBD (+ Gamma-Gamma for value, lifetimes) is fitted in the same
run on the calibration period.

How our models respect the protocol. A 273-day label window cannot fit inside the 273-day
calibration period (the cohort only starts buying in January), so:

- propensity: a LightGBM model of P(order in the next 30 days) (``PROP_PARAMS``) is trained on
  cutoffs every half month from 1997-04-01 to 1997-09-01 (every label window ends by 1997-09-30;
  the last two cutoffs calibrate and validate). The 273-day probability is the hazard chain of
  ``training._customer_scoring.extend_purchase_horizon``: P(no order in 273 days) = product of the
  per-30-day probabilities of no order along the path where the customer does nothing (features
  recomputed as of 1997-10-01 + 30k days from the calibration events only). The chain is blended
  with the model's own BG/NBD (fitted on its training rows) with weight ``w``: ``(1 - w) * chain +
  w * (1 - exp(-E[X]))``. ``w`` is chosen on an inner backtest inside the calibration period only:
  the same recipe fitted on data before 1997-07-01 (cutoffs 04-01 .. 06-01) and scored for
  1997-07-01 .. 09-30 (91 days); highest inner AUC wins, ties to the lower Brier score. The holdout
  is never used to choose anything.
- value: a LightGBM (Tweedie) model of revenue in the next 91 days, trained on cutoffs every half
  month from 1997-04-01 to 1997-07-01. The 273-day value is the sum over three 91-day steps along
  the same no-activity path; that path misses re-purchases after a purchase, so the total is scaled
  by the ratio actual / predicted measured inside the calibration period over the longest window
  that fits (182 days from 1997-04-01). The scale does not change the ranking (Spearman).

Events contract: each line of cdnow_master.txt is one purchase event (revenue = dollar_value,
channel 'unknown'); lines of one customer on one day share an order id (one order), as BG/NBD
counts repeat purchase days.

Run: ``.venv/bin/python benchmarks/customers_cdnow.py`` (about 3-6 minutes on 2 shared cores).
"""

from __future__ import annotations

import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import features as ft  # noqa: E402
from training._customer_eval import (  # noqa: E402
    classifier_metrics,
    plot_lift,
    plot_reliability,
    plot_roc,
    save_figure,
    value_metrics,
)
from training._customer_models import CustomerModel  # noqa: E402
from training._customer_scoring import extend_purchase_horizon  # noqa: E402


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{p} {version(p)}" for p in ("lightgbm", "numpy", "pandas", "scikit-learn"))


DATA = ROOT.parent / "shared" / "data" / "cdnow_master.txt"
RESULTS = ROOT / "benchmarks" / "results"
END = pd.Timestamp("1997-10-01")  # first holdout day; calibration = everything before
HOLDOUT_DAYS = 273
PROP_H, VALUE_H = 30, 91
BLEND_WEIGHTS = (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75)
PARAMS = {"num_leaves": 7, "min_child_samples": 300, "learning_rate": 0.05,
          "n_estimators": 1500}
# Propensity samples half the features per tree: the highest AUC of the settings tried on the
# inner backtest (0.7453 against 0.7438 for 0.9, chain alone) and on the 30-day validation cutoff
# (0.782 against 0.781); both measured inside the calibration period.
PROP_PARAMS = {**PARAMS, "colsample": 0.5}


TRIED = """\
Variants tried for the propensity model and not kept (one run each, 2026-11-23, same recipe,
inner backtest and holdout as above, run from a scratch harness that builds the features with a
per-cutoff vocabulary, so its inner figures differ from the line above by up to 0.001; blend
w=0.375 unless noted; the kept setting (features sampled at 0.5 per tree) gave 0.7474 / 0.7726
there):

| variant | inner AUC | holdout AUC | holdout Brier |
|---|---|---|---|
| previous settings (all features per tree) | 0.7472 | 0.7720 | 0.1587 |
| monotone constraints (recency -1, order counts +1) | 0.7474 | 0.7724 | 0.1586 |
| num_leaves 15, min_child_samples 100 | 0.7474 | 0.7729 | 0.1592 |
| num_leaves 4, min_child_samples 500 | 0.7470 | 0.7724 | 0.1590 |
| num_leaves 31, min_child_samples 200, lambda_l2 10 | 0.7469 | 0.7708 | 0.1593 |
| 3 seeds averaged (kept setting) | 0.7476 | 0.7728 | 0.1584 |
| weekly cutoffs (twice the rows) | 0.7452 (w=0.5) | 0.7670 | 0.1594 |
| cutoffs from 1997-02-01 (part of the cohort not yet arrived) | 0.7474 | 0.7720 | 0.1599 |
| 15-day model chained | 0.7477 (w=0.25) | 0.7715 | 0.1609 |
| 60-day model chained | 0.7463 (w=0.5) | 0.7681 | 0.1593 |
| 91-day model chained | 0.7487 (w=0.25) | 0.7676 | 0.1598 |
| mean of the 15-, 30- and 60-day chains | 0.7474 | 0.7724 | 0.1591 |
| purchase-gap features (gap mean/std/max/CV, silence / longest gap) | 0.7469 | 0.7722 | 0.1589 |
| time-decayed order counts (half-lives 30/90/180 days) | 0.7463 | 0.7699 | 0.1590 |
| without tenure features (they extrapolate along the chain) | 0.7453 (w=0.5) | 0.7712 | 0.1592 |
| BG/NBD of the blend refitted on all customers at the scoring date | 0.7481 | 0.7723 | 0.1589 |

The 273-day ranking of the chain is almost that of its first 30-day step (holdout AUC 0.7708
against 0.7710 for the chain): the features carry about this much information; none of the
variants moved the holdout AUC by more than 0.001 while keeping the inner backtest level.
Second round (2026-12-04, scratch harness reproducing 0.7474 inner / 0.7726 holdout; w and any
other weight chosen on the inner backtest by AUC, ties to the lower Brier; holdout only
reported):

| variant | inner AUC | inner Brier | holdout AUC | holdout Brier |
|---|---|---|---|---|
| blend in log-odds space | 0.7473 | 0.1236 | 0.7711 | 0.1587 |
| rank average of chain and BG/NBD | 0.7464 | | 0.7710 | |
| blend in survival space, 1 - prod (1 - p)^w | 0.7474 | 0.1236 | 0.7727 | 0.1586 |
| BG/NBD features fitted per training cutoff, as model inputs | 0.7477 | 0.1241 | 0.7727 | 0.1585 |
| discrete-time hazard model (step as a feature) | 0.7460 | 0.1231 | 0.7729 | 0.1618 |
| direct model for h = 30..182 + 30-day chain beyond | 0.7446 | 0.1284 | 0.7720 | 0.1754 |
| cutoffs weighted by recency (half-life 30 d) | 0.7470 | 0.1237 | 0.7723 | 0.1588 |
| the same, half-life 60 / 120 days | 0.7469 / 0.7468 | 0.1237 | 0.7724 / 0.7718 | 0.1587 |
| Poisson model of 30-day orders, 1 - exp(-lambda) | 0.7474 | 0.1229 | 0.7728 | 0.1585 |
| logistic-regression chain averaged with ours | 0.7479 | 0.1224 | 0.7722 | 0.1584 |
| w from a 122-day inner backtest (fit < 1997-06-01) | 0.7202 | 0.1488 | 0.7725 | 0.1582 |
| 5 seeds + BG/NBD refitted at scoring (best) | 0.7476 | 0.1237 | 0.7733 | 0.1583 |

Third round (2026-12-05, harness reproducing the benchmark exactly: 0.7473 / 0.1236 inner,
0.7727 / 0.1584 holdout; seed 0 unless noted; choices on the inner backtest only):

| variant | inner AUC | inner Brier | holdout AUC | holdout Brier |
|---|---|---|---|---|
| baseline, seeds 1-4 | 0.7462-0.7467 | 0.1236-0.1238 | 0.7716-0.7732 | 0.1584-0.1585 |
| quantity features (units, units/order, price per unit) | 0.7469 | 0.1237 | 0.7710 | 0.1590 |
| first order (value, lines, orders in days 7/30/60) | 0.7456 | 0.1238 | 0.7725 | 0.1587 |
| gap trend (last gap vs earlier gaps) | 0.7467 | 0.1237 | 0.7725 | 0.1585 |
| lines per order | 0.7470 | 0.1237 | 0.7732 | 0.1582 |
| acquisition weekday | 0.7474 | 0.1235 | 0.7710 | 0.1583 |
| days since the 2nd/3rd/4th last order + last order value | 0.7465 | 0.1240 | 0.7730 | 0.1587 |
| orders in each of the last 12 30-day months | 0.7459 | 0.1236 | 0.7724 | 0.1582 |
| objective rank_xendcg (then Platt/isotonic) | 0.7469 | 0.1245 | 0.7716 | 0.1596 |
| binary, early stopping on AUC | 0.7473 | 0.1239 | 0.7717 | 0.1609 |
| calibration isotonic | 0.7476 | 0.1236 | 0.7716 | 0.1586 |
| calibration none | 0.7472 | 0.1228 | 0.7732 | 0.1582 |
| mean chain of 13 models (seeds, feature sets, calibrations) | 0.7470 | 0.1235 | 0.7731 | 0.1584 |
| greedy ensemble chosen on the inner backtest | 0.7478 | 0.1236 | 0.7723 | 0.1585 |
| Pareto/NBD in the blend, seeds 0-4 | 0.7474-83 | 0.1235-40 | 0.7721-35 | 0.1577-82 |

The Pareto/NBD blend is the only change better on every seed (5-seed means: inner +0.0013,
holdout +0.0005, Brier -0.0005); it would need a Pareto/NBD likelihood in the project and does
not reach the target, so it is not adopted. No variant moved the holdout AUC by more than
0.0008 over the same seed's baseline.

Ceiling check (diagnostic only, it chooses nothing): LightGBM cross-validated on the holdout
label itself with the features as of 1997-10-01 reaches 0.7701-0.7716 (recency, frequency and
tenure alone 0.7671; adding monthly order counts 0.7713); the kept recipe (0.7726) is already
above it. The holdout AUC's bootstrap standard error is 0.0035, and changing only the seed moves
the recipe by 0.001 (0.7720-0.7730), so the remaining 0.0024 to the 0.775 target is below what
these features and this holdout can separate. The best row (+0.0007, 5x the fit time) is not
adopted.
"""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_events() -> pd.DataFrame:
    raw = pd.read_csv(DATA, sep=r"\s+", dtype={"customer_id": str, "date": str})
    ev = pd.DataFrame({
        "user_id": raw["customer_id"], "ts": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "event_type": "purchase", "channel": "unknown", "revenue": raw["dollar_value"],
        "order_id": raw["customer_id"] + "-" + raw["date"]})
    return ft.validate_events(ev, "cdnow_master.txt", on_duplicate="keep")


def bgnbd_baseline(cal: pd.DataFrame, ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    summ = summary_data_from_transaction_data(
        cal, "user_id", "ts", monetary_value_col="revenue",
        observation_period_end=str((END - pd.Timedelta(days=1)).date()), freq="D")
    bg = BetaGeoFitter(penalizer_coef=0.0).fit(summ["frequency"], summ["recency"], summ["T"])
    ex = bg.conditional_expected_number_of_purchases_up_to_time(
        HOLDOUT_DAYS, summ["frequency"], summ["recency"], summ["T"])
    rep = summ[(summ["frequency"] > 0) & (summ["monetary_value"] > 0)]
    gg = GammaGammaFitter(penalizer_coef=0.0).fit(rep["frequency"], rep["monetary_value"])
    spend = gg.conditional_expected_average_profit(summ["frequency"], summ["monetary_value"])
    ex = ex.reindex(ids.to_numpy()).to_numpy()
    return ex, ex * spend.reindex(ids.to_numpy()).to_numpy()


def chained_value(model: CustomerModel, cal: pd.DataFrame, asof: pd.Timestamp, steps: int,
                  ids: pd.Series) -> np.ndarray:
    total = np.zeros(len(ids))
    for k in range(steps):
        f = ft.user_features(cal, asof + pd.Timedelta(days=VALUE_H * k))
        total += model.score(f.set_index("user_id").reindex(ids.to_numpy()).reset_index())
    return total


def propensity_chain(cal: pd.DataFrame, end: pd.Timestamp, horizon: int, ids: pd.Series,
                     weights: tuple[float, ...]) -> tuple[CustomerModel, pd.DataFrame]:
    """30-day model on semi-monthly cutoffs from 1997-04-01 whose windows end before ``end``,
    chained to ``horizon`` days; one ``p_purchase`` column per BG/NBD blend weight."""
    cuts = pd.date_range("1997-04-01", end - pd.Timedelta(days=PROP_H), freq="SMS")
    train = ft.build_training_set(cal, cuts, PROP_H)
    model = CustomerModel("propensity", horizon_days=PROP_H, seed=0, **PROP_PARAMS).fit(train)
    ext = extend_purchase_horizon(model, cal, end, horizon, PROP_H, users=ids)
    out = pd.DataFrame({w: (1 - w) * ext["p_chain"] + w * ext["p_bgnbd"] for w in weights})
    return model, out


def choose_blend(ev: pd.DataFrame) -> tuple[float, list[tuple[float, float, float]]]:
    """BG/NBD blend weight with the best AUC on the inner backtest (calibration period only)."""
    end_in = pd.Timestamp("1997-07-01")
    cal_in = ev.loc[ev["ts"] < end_in].reset_index(drop=True)
    win = ev.loc[(ev["ts"] >= end_in) & (ev["ts"] < END)]
    ids = ft.user_features(cal_in, end_in)["user_id"]
    y = (win.groupby("user_id").size().reindex(ids.to_numpy()).fillna(0) > 0).to_numpy()
    _, blends = propensity_chain(cal_in, end_in, (END - end_in).days, ids, BLEND_WEIGHTS)
    rows = []
    for w in BLEND_WEIGHTS:
        m = classifier_metrics(y.astype(float), blends[w].to_numpy())
        rows.append((w, m.roc_auc, m.brier))
    best = max(rows, key=lambda r: (round(r[1], 4), -r[2]))
    return best[0], rows


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    t_start = time.perf_counter()
    ev = load_events()
    cal = ev.loc[ev["ts"] < END].reset_index(drop=True)
    hold = ev.loc[ev["ts"] >= END]
    log(f"{len(ev):,} purchase lines, {ev['user_id'].nunique():,} customers; calibration "
        f"{len(cal):,} lines before {END.date()}")

    base = ft.user_features(cal, END)
    ids = base["user_id"]
    actual = hold.groupby("user_id")["revenue"].sum().reindex(ids.to_numpy()).fillna(0).to_numpy()
    bought = (hold.groupby("user_id").size().reindex(ids.to_numpy()).fillna(0) > 0).to_numpy()
    log(f"holdout: {bought.mean():.1%} of {len(ids):,} customers buy")

    t0 = time.perf_counter()
    bg_x, bg_value = bgnbd_baseline(cal, ids)
    bg_p = 1 - np.exp(-bg_x)
    bg_secs = time.perf_counter() - t0
    log(f"BG/NBD + Gamma-Gamma fitted in {bg_secs:.1f}s")

    # ---- propensity: 30-day model on stacked cutoffs, chained to 273 days, BG/NBD blend
    t0 = time.perf_counter()
    w, inner = choose_blend(cal)
    log("inner backtest (fit before 1997-07-01, score 07-01..09-30): " + ", ".join(
        f"w={a:.3f} AUC {b:.4f} Brier {c:.4f}" for a, b, c in inner) + f" -> w={w}")
    prop, blends = propensity_chain(cal, END, HOLDOUT_DAYS, ids, (0.0, w))
    rep = prop.report_
    log(f"propensity: {rep.split.n_train + rep.split.n_calibration + rep.split.n_validation:,} "
        f"rows, {rep.best_iteration} trees, calibration {rep.calibration_method} "
        f"(validation Brier {rep.calibration_scores}), 30-day validation AUC "
        f"{rep.validation.roc_auc:.3f}")
    p, p_chain = blends[w].to_numpy(), blends[0.0].to_numpy()
    prop_secs = time.perf_counter() - t0

    # ---- value: 91-day model, chained over three steps, total scaled inside calibration
    t0 = time.perf_counter()
    vcuts = pd.date_range("1997-04-01", END - pd.Timedelta(days=VALUE_H), freq="SMS")
    vtrain = ft.build_training_set(cal, vcuts, VALUE_H)
    val = CustomerModel("value", horizon_days=VALUE_H, seed=0, **PARAMS).fit(vtrain)
    c0 = pd.Timestamp("1997-04-01")
    ids0 = ft.user_features(cal, c0)["user_id"]
    back = chained_value(val, cal.loc[cal["ts"] < c0], c0, 2, ids0)
    win = cal.loc[cal["ts"] >= c0]
    back_actual = win.groupby("user_id")["revenue"].sum().reindex(ids0.to_numpy()).fillna(0)
    scale = float(back_actual.sum() / back.sum())
    v = chained_value(val, cal, END, 3, ids) * scale
    value_secs = time.perf_counter() - t0
    log(f"value: {len(vtrain):,} rows, re-purchase scale {scale:.3f} (182-day backtest "
        f"from {c0.date()}), calibration {val.report_.calibration_method}")

    y = bought.astype(float)
    ours, bg = classifier_metrics(y, p), classifier_metrics(y, bg_p)
    chain_only = classifier_metrics(y, p_chain)
    ours_v, bg_v = value_metrics(actual, v), value_metrics(actual, bg_value)

    plots = RESULTS / "customers_cdnow"
    save_figure(plot_reliability(y, {"LightGBM chain": p, "BG/NBD 1-exp(-E[X])": bg_p},
                                 title="CDNOW 273-day holdout: reliability"),
                plots / "reliability.png")
    save_figure(plot_roc(y, {"LightGBM chain": p, "BG/NBD": bg_x},
                         title="CDNOW 273-day holdout: ROC"), plots / "roc.png")
    save_figure(plot_lift(y, {"LightGBM chain": p, "BG/NBD": bg_x},
                          title="CDNOW 273-day holdout: cumulative gain"), plots / "lift.png")

    rows = [
        ("propensity ROC AUC", ours.roc_auc, bg.roc_auc),
        (f"propensity ROC AUC, chain without the BG/NBD blend (w={w} chosen inside "
         "calibration)", chain_only.roc_auc, bg.roc_auc),
        ("propensity Brier, chain without the blend", chain_only.brier, bg.brier),
        ("propensity PR AUC (average precision)", ours.pr_auc, bg.pr_auc),
        ("propensity Brier", ours.brier, bg.brier),
        ("propensity ECE (10 bins)", ours.ece, bg.ece),
        ("propensity top-decile lift", ours.top_decile_lift, bg.top_decile_lift),
        ("mean P(buy) (actual 0.299)", ours.mean_prediction, bg.mean_prediction),
        ("value aggregate bias %", 100 * ours_v.aggregate_bias, 100 * bg_v.aggregate_bias),
        ("value Spearman", ours_v.spearman, bg_v.spearman),
        ("value MAE $", ours_v.mae, bg_v.mae),
        ("value top-decile revenue capture", ours_v.top_decile_capture,
         bg_v.top_decile_capture),
        ("fit + score seconds", prop_secs + value_secs, bg_secs),
    ]
    table = ["| metric | LightGBM (ours) | BG/NBD (+ Gamma-Gamma) |", "|---|---|---|"]
    table += [f"| {name} | {a:.4f} | {b:.4f} |" for name, a, b in rows]
    text = "\n".join(table)
    print(text)
    inner_line = ("Inner backtest that chose the BG/NBD blend weight w (fit before 1997-07-01, "
                  "score 1997-07-01..09-30, calibration period only): " + "; ".join(
                      f"w={a:g}: AUC {b:.4f}, Brier {c:.4f}" for a, b, c in inner)
                  + f". Chosen: w={w}.")
    print(inner_line)
    md = [
        "# customers_cdnow", "",
        f"Measured {date.today()} with `.venv/bin/python benchmarks/customers_cdnow.py` "
        f"(total {time.perf_counter() - t_start:.0f}s on a shared 2-core machine; "
        f"{_versions()}).", "",
        "CDNOW, fit on data before 1997-10-01, all 23,570 customers scored for the 273-day "
        "holdout (29.9% buy). BG/NBD = lifetimes 0.11.3 fitted in the same run; its probability "
        "is 1 - exp(-E[X]). Protocol and the horizon design: see the module docstring.", "",
        text, "", inner_line, "",
        TRIED,
        "Batch scoring speed (1M customers): benchmarks/results/customers_scoring.md.", "",
        "Plots: benchmarks/results/customers_cdnow/{roc,reliability,lift}.png", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "customers_cdnow.md").write_text("\n".join(md))
    print(f"RESULT customers_cdnow auc={ours.roc_auc:.4f} brier={ours.brier:.4f} "
          f"bgnbd_auc={bg.roc_auc:.4f} bgnbd_brier={bg.brier:.4f} "
          f"value_bias_pct={100 * ours_v.aggregate_bias:.2f} "
          f"value_spearman={ours_v.spearman:.4f} bgnbd_value_spearman={bg_v.spearman:.4f}")


if __name__ == "__main__":
    main()
