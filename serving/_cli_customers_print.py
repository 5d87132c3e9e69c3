"""What ``brain train`` and ``brain score`` print for the customer models beyond their tables:
after training, the yardstick of the best single feature (``_best_single_line``), the table
columns not used (``_unused_note``) and the run's description in the MLflow UI
(``_describe_run``); after scoring, the season notes (``_season_note``), the tier counts
(``_tier_counts``), a crowded tier (``crowded_tier_note``), long-gone customers
(``_long_gone_note``) and the early-warning line (``early_warning_line``).
"""

# No "from __future__ import annotations", like the commands in ``_cli_customers``.

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._cli_common import console, show_note
from ._cli_customers_model import _NAMES


def _unused_note(dropped: dict[str, str], skipped: dict[str, str]) -> None:
    """One console note naming every table column that is not a feature, and why."""
    unused = {**skipped, **dropped}
    if unused:
        console.print("[yellow]note:[/] not used as features: " + "; ".join(
            f"{c} ({why})" for c, why in unused.items()), highlight=False, soft_wrap=True)


def _describe_run(out: Any, task: str, source: Path | None, horizon: int | None,
                  n_rows: int) -> None:
    """The run's and the registered version's description in the MLflow UI: input, label
    window, split, the headline validation metrics and the champion decision."""
    from mlflow import MlflowClient

    rep = out.report
    split = rep.split
    window = f"{horizon}-day label window" if horizon else f"label column {rep.label_col}"
    keys = (("roc_auc", "AUC"), ("brier", "Brier"), ("spearman", "Spearman"),
            ("aggregate_bias", "aggregate bias"))
    shown = ", ".join(f"{name} {out.metrics[k]:.4g}" for k, name in keys if k in out.metrics)
    cuts = ", ".join(split.validation_cutoffs) or f"{split.n_validation:,} rows"
    text = (f"{_NAMES[task]} model from {source} ({n_rows:,} rows, {window}); validated on "
            f"{cuts}: {shown}. "
            + (f"Champion: {out.promotion.reason}" if out.promotion else "Not registered."))
    client = MlflowClient()
    client.set_tag(out.run_id, "mlflow.note.content", text)
    # a name that tells reruns apart in the runs list: the window and the validation cutoff
    last = split.validation_cutoffs[-1] if split.validation_cutoffs else "table"
    client.set_tag(out.run_id, "mlflow.runName",
                   f"train-{_NAMES[task]} {f'h{horizon} ' if horizon else ''}valid {last}")
    if source is not None:
        client.set_tag(out.run_id, "source.input", str(Path(source).resolve()))
    if out.version is not None:
        client.update_model_version(out.registered_name, out.version, description=text)


def _best_single_line(rep: Any, metrics: dict[str, float]) -> None:
    """The yardstick: the best single feature's strength beside the model's, and a note when
    the model does not beat it."""
    from training._customer_meanings import reason_label

    best = getattr(rep, "best_single_feature", None)
    key = "roc_auc" if "roc_auc" in metrics else "spearman"
    if best is None or key not in metrics:
        return
    col, strength = best
    what = "AUC, read either way" if key == "roc_auc" else "|Spearman|"
    name = reason_label(col)
    # the probabilities as served (calibrated): isotonic calibration ties scores and can lower
    # the AUC below the raw scores', which is then said beside it, never instead of it
    model = metrics[key]
    raw = getattr(getattr(rep, "validation_uncalibrated", None), key, np.nan)
    uncal = (f" (uncalibrated scores: {raw:.4f})"
             if np.isfinite(raw) and round(raw, 4) != round(model, 4) else "")
    console.print(f"best single feature on the validation rows: {name} ({col}), {what} "
                  f"{strength:.4f}; the model: {model:.4f}{uncal}", highlight=False)
    capture, model_capture = (getattr(rep, "best_single_capture", None),
                              metrics.get("top_decile_capture"))
    if (model <= strength and key == "spearman" and capture is not None
            and model_capture is not None and model_capture > capture):
        show_note(f"by Spearman over all validation customers the model ranks no better than "
                  f"'{name}' alone ({model:.4f} against {strength:.4f}), a measure that mostly "
                  "rewards telling buyers from non-buyers; but the model's top tenth holds "
                  f"{model_capture:.1%} of the validation revenue against {capture:.1%} for the "
                  f"top tenth by '{name}': to choose whom to target, the model is the better "
                  "ranking")
    elif model <= strength:
        show_note(f"the model orders the validation customers no better than '{name}' alone "
                  f"({model:.4f} against {strength:.4f}{', as served' if uncal else ''}"
                  f"{'; ' + uncal.strip(' ()') if uncal else ''}): its other features add "
                  "nothing here yet; more cutoffs (--cutoffs), a longer history or other "
                  "features may help, and a rule on that feature is as good meanwhile")


LEVEL_GAP = 0.10
"""A validation mean probability this far (relative) from the share that happened, and 3
binomial standard errors or more, is named by ``validation_level_note``."""


def validation_level_note(rep: Any, metrics: dict[str, float]) -> str | None:
    """For a classifier validated on a later cutoff than it was calibrated on: a note when
    the validation probabilities' mean is ``LEVEL_GAP`` or more away from the share that
    happened (and beyond 3 standard errors). Their level was set on the calibration window,
    which then bought at another rate than the validation one (a sale month, the season, a
    change): the ECE and Brier of the table measure that gap as much as the model, and the
    served model, whose calibrator is refitted on the validation cutoff, takes the validation
    window's level. A fashion check's propensity model, calibrated on a July sale month and
    validated on August, read mean 0.209 against 0.151 (ECE 0.059) without a word, while the
    served model scored September at 0.137 against 0.140. A value model gets the same note
    for its total (noise: its RMSE over the root of the rows; since 2026-12-07: a grocery log
    of four months had its total +42% over the actual without a word). None otherwise."""
    split = getattr(rep, "split", None)
    if split is None or split.scheme != "cutoffs":
        return None
    n = metrics.get("n", 0.0)
    if "base_rate" in metrics:
        base, mean = metrics["base_rate"], metrics.get("mean_prediction")
        if mean is None or not n or not 0 < base < 1:
            return None
        se = float(np.sqrt(base * (1 - base) / n))
        said = f"the probabilities average {mean:.3f} predicted against {base:.3f}"
        rate, scores = "rate", "the ECE and Brier"
    else:  # a value model: its total against the actual, the error per customer as noise
        total, pred, rmse = (metrics.get(k) for k in ("total_actual", "total_predicted",
                                                      "rmse"))
        if total is None or pred is None or rmse is None or not n or total <= 0:
            return None
        base, mean = total / n, pred / n
        se = float(rmse / np.sqrt(n))
        said = f"the values total {pred:,.0f} predicted against {total:,.0f}"
        rate, scores = "revenue per customer", "the aggregate bias and MAE"
    gap = mean / base - 1
    if abs(gap) < LEVEL_GAP or abs(mean - base) < 3 * se:
        return None
    val = ", ".join(split.validation_cutoffs)
    served = ("The served model's calibrator is refitted on the validation cutoff, so it takes "
              "that window's level")
    where = (f"their level was set on the calibration cutoff "
             f"{', '.join(split.calibration_cutoffs)}, whose label window")
    if getattr(rep, "calibration_method", None) == "none" and split.train_cutoffs:
        # no calibrator improved a later window (``choose_calibration``): the level is the
        # training cutoffs', and the served model's the cutoffs it was refitted on
        where = (f"their level is the training cutoffs' ({', '.join(split.train_cutoffs)}; "
                 "no calibrator improved a later window), whose label windows")
        served = ("The served model is not calibrated either; its level is the cutoffs it was "
                  "refitted on")
    return (f"on the validation rows {said} that happened ({gap:+.0%}, "
            f"{abs(mean - base) / se:.0f} standard errors): {where} had another {rate} than "
            f"the validation cutoff {val}'s (a sale, "
            f"the season, a change in the business); {scores} above measure that gap "
            f"as well as the model. {served}; when the windows you score differ from it in the "
            "same way, see brain score's season note (--season-adjust)")


def _season_note(season: Any, adjust: bool, scores: pd.DataFrame) -> np.ndarray | None:
    """Say the model's season gap (``season_factor``); with ``adjust``, return the scores
    moved by it (``scores`` is not changed)."""
    if season is None:
        if adjust:
            show_note("--season-adjust: no season factor (it needs a model trained on cutoffs, "
                      "a horizon up to 364 days and purchases from at least 90 days before "
                      "both windows a year back); scores are not scaled")
        return None
    if getattr(season, "task", "value") != "value":
        return _season_note_probability(season, adjust, scores)
    (a, b), (c, d) = season.scored, season.reference
    f, short = _applied_factor(season)
    gap = (f"last year, {a:%Y-%m-%d} .. {b:%Y-%m-%d} held {season.factor:.2f}x the revenue per "
           f"customer of {c:%Y-%m-%d} .. {d:%Y-%m-%d}, the window a year before the one the "
           f"value model's level was set on{short}")
    if adjust:
        show_note(f"--season-adjust: value scores scaled by {f:.3f} ({gap})")
        return scores["score"].to_numpy(dtype=float) * f
    note = season_note(season, scores)
    if note:
        show_note(note)
    return None


def season_note(season: Any, scores: pd.DataFrame) -> str | None:
    """The note ``brain score`` prints about the model's season gap (``season_factor``) beside
    scores it does not adjust, or None (no gap of 10% or more). The API's answers carry the
    same text for the snapshot's scores (``serving._score_notes``)."""
    if season is None:
        return None
    if getattr(season, "task", "value") != "value":
        return _season_note_probability_text(season, scores)[0]
    (a, b), (c, d) = season.scored, season.reference
    f, short = _applied_factor(season)
    gap = (f"last year, {a:%Y-%m-%d} .. {b:%Y-%m-%d} held {season.factor:.2f}x the revenue per "
           f"customer of {c:%Y-%m-%d} .. {d:%Y-%m-%d}, the window a year before the one the "
           f"value model's level was set on{short}")
    if abs(f - 1) < 0.1:
        return None
    if f <= 0:
        return (f"{gap}: last year's copy of the scored window held no revenue; the model does "
                "not know that season, so its scores are likely far too high for this window")
    # the scores are 1/factor of what the season suggests: 1.70x -> 41% low, 0.80x -> 25%
    off = abs(1 - 1 / f)
    return (f"{gap}: the model does not know the season, so its total for this window is "
            f"likely {off:.0%} {'low' if f > 1 else 'high'}; "
            "pass --season-adjust to scale the scores by that factor")


def _applied_factor(season: Any) -> tuple[float, str]:
    """The factor to apply (``SeasonFactor.applied``: shrunk towards 1 by the share of new
    customers when the start of the data cut the look-back short) and the words saying so
    ('' for a full year)."""
    days = int(getattr(season, "lookback_days", 365))
    if days >= 365 or not season.factor > 0:
        return float(season.factor), ""
    f = float(season.applied)
    new = 1.0 - float(getattr(season, "returning", 1.0))
    return f, (f"; the look-back before those windows was truncated by the start of the data "
               f"({days} days, not a year), and {new:.0%} of the customers before the later "
               f"window were new since the earlier one, so the factor {season.factor:.3f} is "
               f"shrunk towards 1 by that share to {f:.3f}")


def _season_note_probability(season: Any, adjust: bool,
                             scores: pd.DataFrame) -> np.ndarray | None:
    """``_season_note`` for churn and propensity: the purchase rate's season gap moves
    P(purchase) to 1 - (1 - P)^factor (churn: P(churn)^factor); tiers follow."""
    if not adjust:
        note = _season_note_probability_text(season, scores)[0]
        if note:
            show_note(note)
        return None
    note, moved = _season_note_probability_text(season, scores, adjust=True)
    if note:
        show_note(note)
    return moved


def _season_note_probability_text(season: Any, scores: pd.DataFrame, adjust: bool = False
                                  ) -> tuple[str | None, np.ndarray | None]:
    """(the note, with ``adjust`` the moved scores) of ``_season_note_probability``."""
    from training._customer_season import adjust_probability

    (a, b), (c, d) = season.scored, season.reference
    now, then = season.per_customer
    f, short = _applied_factor(season)
    gap = (f"last year, {now:.1%} of customers bought in {a:%Y-%m-%d} .. {b:%Y-%m-%d} against "
           f"{then:.1%} in {c:%Y-%m-%d} .. {d:%Y-%m-%d}, the window a year before the one the "
           f"model's probabilities were set on (a purchase rate {season.factor:.2f}x){short}")
    churn = season.task == "churn"
    p = (1 - scores["score"] if churn else scores["score"]).to_numpy(dtype=float)
    if not season.factor > 0 or not np.isfinite(p).any():
        return (f"{gap}: nobody in that base bought in last year's copy of the scored window, "
                "so the season cannot be put as a factor; the scores are left as they are"
                if not season.factor > 0 else f"{gap}: no score to move"), None
    moved = adjust_probability(p, f)
    # in the model's own terms: a churn model's scores are P(churn) = 1 - P(purchase) (the note
    # had spoken of P(purchase), mean 0.160, beside churn scores of mean 0.840)
    what, rule = ("P(churn)", f"P^{f:.3f}") if churn else ("P(purchase)", f"1 - (1 - P)^{f:.3f}")
    shown, shown_moved = (1 - p, 1 - moved) if churn else (p, moved)
    if adjust:
        return (f"--season-adjust: {what} moved to {rule}, mean {np.nanmean(shown):.3f} -> "
                f"{np.nanmean(shown_moved):.3f}; tiers follow ({gap})",
                1 - moved if churn else moved)
    if abs(f - 1) >= 0.1:
        too = "low" if (f > 1) != churn else "high"
        return (f"{gap}: the model does not know the season, so its {what} for this "
                f"window is likely too {too} (mean {np.nanmean(shown):.3f}; "
                f"{np.nanmean(shown_moved):.3f} with the season); pass --season-adjust to "
                "apply it"), None
    return None, None


def early_warning_line(scores: pd.DataFrame) -> str:
    """One line: how many customers the early warning flags, and on what it judged them."""
    flag = scores["early_warning"].astype("boolean")
    known = int(flag.notna().sum())
    if not known:
        return ("early warning: cannot tell for anyone (no visit or order counts of the last "
                "60 days in the input)")
    basis = scores.get("early_warning_basis", pd.Series(pd.NA, index=scores.index))
    parts = []
    for what in ("visits", "orders"):
        sel = basis.eq(what).fillna(False).to_numpy()
        if sel.any():
            parts.append(f"{int(flag[sel].sum()):,} of {int(sel.sum()):,} judged on {what}")
    unknown = len(flag) - known
    chance = pd.to_numeric(scores.get("early_warning_chance", pd.Series(np.nan,
                                                                       index=scores.index)))
    n_sure = int(((chance < 0.05) & flag.fillna(False)).sum())
    sure = (f"; {n_sure:,} of them unlikely by chance (a customer at an "
            "unchanged rate falls this far under 5% of the time: early_warning_chance)"
            if chance.notna().any() else "")
    return (f"early warning (visits, or orders for customers with no visit recorded, in the "
            f"last 30 days at most half of the 30 before, from at least 2): "
            f"{int(flag.sum()):,} flagged ({'; '.join(parts) or f'of {known:,}'}){sure}"
            + (f"; {unknown:,} cannot be told" if unknown else "") + _spend_part(scores))


def _spend_part(scores: pd.DataFrame) -> str:
    """The spend rule's count (``early_warning_spend``), beside the visit rule's."""
    if "early_warning_spend" not in scores.columns:
        return ""
    spend = scores["early_warning_spend"].astype("boolean")
    if not spend.notna().any():
        return ""
    both = int((spend.fillna(False) & scores["early_warning"].astype("boolean")
                .fillna(False)).sum())
    return (f"; spend (last 30 days at most half the customer's own monthly average of the "
            f"year before, early_warning_spend): {int(spend.sum()):,} flagged, {both:,} of "
            "them by both")


def early_warning_reach_note(features: pd.DataFrame, share: float = 0.05) -> str | None:
    """The note when the early-warning rule can reach under ``share`` of the customers it
    judges on visits or on orders: it flags only a customer with at least 2 in the 30 days
    before the last 30, so a log of monthly renewals (one order a month) prints '0 flagged',
    which read as 'nobody at risk' on a check's 20,000 meal-kit subscribers."""
    from training._customer_tiers import early_warning_with_basis

    _, basis = early_warning_with_basis(features)
    said, reached = [], []
    for what, prev in (("visits", "visits_prev_30d"), ("orders", "orders_prev_30d")):
        sel = basis.eq(what).fillna(False).to_numpy()
        if not sel.any() or prev not in features.columns:
            continue
        reach = int((pd.to_numeric(features.loc[sel, prev], errors="coerce") >= 2).sum())
        if reach < share * int(sel.sum()):
            said.append(f"{reach:,} of the {int(sel.sum()):,} judged on {what} had 2 or more "
                        f"{what} in the 30 days before the last 30")
        else:
            reached.append(f"the {int(sel.sum()):,} judged on {what}")
    if not said:
        return None
    need = ("It needs at least 2 to see a fall by half (a subscription renewing once a month "
            "never has them), so ")
    if reached:  # the others are flagged as usual: speak of these only
        return ("the early warning can hardly fire for some customers here: " + "; ".join(said)
                + f" ({' and '.join(reached)} can be flagged). " + need + "their lack of a flag "
                "says nothing about whether they are slowing down: rank them by the model's "
                "score instead")
    return ("the early warning can hardly fire here: " + "; ".join(said) + ". " + need
            + "few or no flags say nothing about who is slowing down: rank by the model's "
            "score instead")


def crowded_tier_note(scores: pd.DataFrame, task: str, share: float = 0.9) -> str | None:
    """For churn and propensity, whose tiers are fixed probability thresholds: the note when
    one tier holds ``share`` of the customers or more, with where the top tenth of the scores
    starts (a subscription business losing 4.5% a month had every live subscriber 'low')."""
    if task == "value" or len(scores) < 20:
        return None
    counts = scores["tier"].astype(str).value_counts()
    top_tier, n = counts.index[0], int(counts.iloc[0])
    if n < share * len(scores):
        return None
    p = pd.to_numeric(scores["score"], errors="coerce").dropna()
    if p.empty:
        return None
    cut, mean = float(p.quantile(0.9)), float(p.mean())
    from training._customer_tiers import TIERS

    rule = TIERS[task]
    edges = " / ".join(f"{t:g}" for t in rule.thresholds)
    return (f"{n / len(scores):.0%} of the customers are '{top_tier}' (the tiers are fixed "
            f"probabilities: {edges}); the top tenth of the scores starts at {cut:.3f}, against a "
            f"mean of {mean:.3f}: to pick whom to contact, rank by score within the tier")


def _tier_counts(tiers: pd.Series, task: str, scores: pd.Series | None = None
                 ) -> pd.DataFrame:
    """Customers per tier, highest tier first (every documented tier, empty ones too), with
    thousands separators and each tier's share; with ``scores``, each tier's mean score (a
    probability, or the predicted revenue of a value model).

    Value tiers are ranks (shares of the customers by predicted value), not amounts: on a
    marketplace where 96% buy once, the 'high' tier's 9,302 customers had a mean predicted
    value of 2.38, which only the mean says."""
    from training._customer_tiers import TIERS

    counts = tiers.value_counts()
    order = [*TIERS[task].labels, *(t for t in counts.index if t not in TIERS[task].labels)]
    n = counts.reindex(order, fill_value=0)
    total = max(int(n.sum()), 1)
    out = pd.DataFrame({"tier": n.index, "count": [f"{int(v):,}" for v in n],
                        "share": [f"{v / total:.1%}" for v in n]})
    if scores is not None:
        means = pd.Series(scores.to_numpy(dtype=float), index=tiers.to_numpy()).groupby(
            level=0).mean().reindex(n.index)
        fmt = "{:,.2f}" if task == "value" else "{:.3f}"
        out["mean " + ("predicted value" if task == "value" else "score")] = [
            "" if pd.isna(v) else fmt.format(v) for v in means]
    return out


def _long_gone_note(feats: pd.DataFrame, model: Any, task: str) -> str | None:
    """For churn and propensity from events: the note when 30% or more of the scored customers
    had no activity within the model's label window before the date (long gone: they fill the
    top churn tier and the bottom propensity one), pointing at --active-within."""
    if task == "value" or "days_since_last_event" not in feats.columns or len(feats) < 20:
        return None
    h = int(getattr(model, "horizon_days", None) or 90)
    days = pd.to_numeric(feats["days_since_last_event"], errors="coerce")
    gone = float((days.isna() | (days > h)).mean())
    if gone < 0.3:
        return None
    return (f"{gone:.0%} of the scored customers had no activity in the {h} days before the "
            f"date (long gone, or never active): they crowd the "
            f"{'top churn' if task == 'churn' else 'bottom propensity'} tier; "
            f"--active-within {h} scores only the customers active in that window")
