"""A customer model's predictions for windows that ended since its training, against what
happened, with the season taken out by the model itself.

``outcome_check`` scores the model at the start of each finished label window after the
windows it learned from (as of the scoring date), and compares the mean prediction with the
realized outcome (P(purchase) against the share who bought; predicted against realized
revenue), with AUC and calibration by decile. A raw gap mixes two things: the business moved,
or the window is another season than the one the model's level was set on (a sale month reads
"too low", a quiet month "too high"). The season is taken out by the model's own error a year
before: the same model scored on last year's copy of the window and of its reference window
(the validation window its level was set on). Its ratio predicted / realized moved by some
factor from the reference window to this window last year; a business that did not change
moves it by the same factor this year. ``drift`` is this year's move over last year's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features._labels import make_labels

from ._customer_labels import label_definition
from ._customer_models import CustomerModel

__all__ = ["Z_LIMIT", "OutcomeCheck", "WindowOutcome", "outcome_check", "outcome_note",
           "outcome_words"]

Z_LIMIT = 3.0
"""|log drift| over its standard error at or beyond which the check states a direction."""
_YEAR = pd.Timedelta(days=364)


@dataclass(frozen=True)
class WindowOutcome:
    """One finished window scored at its start and compared with what happened.

    Attributes:
        start: first day of the window (the cutoff the customers were scored at).
        end: last day of the window.
        customers: customers scored (every customer with an event before ``start``).
        predicted: mean P(purchase) (churn: 1 - P(churn)), or mean predicted revenue.
        realized: share of them who bought in the window (a churn model of "no order and no
            visit": who ordered or visited), or mean revenue.
        ratio: ``predicted / realized`` (above 1: the model ran high).
        ratio_last_year: the same on the window 364 days earlier (None: not in the data).
        drift: ``ratio / ratio at the reference window`` over the same two on last year's
            copies (above 1: the model runs high beyond what last year's season explains;
            None without last year's copies).
        se: standard error of ``log(drift)`` from the sampling noise of the four realized
            means (binomial for probabilities, the sample variance for revenue).
        auc: ROC AUC of the predictions on the window (probabilities; None for value or a
            window where everyone or no one bought).
        deciles: calibration by decile of the prediction: ``decile`` (1 = lowest), ``n``,
            ``predicted``, ``realized``.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    customers: int
    predicted: float
    realized: float
    ratio: float
    ratio_last_year: float | None
    drift: float | None
    se: float | None
    auc: float | None
    deciles: pd.DataFrame

    @property
    def z(self) -> float | None:
        """``log(drift) / se`` (None without a drift)."""
        if self.drift is None or not self.se or not np.isfinite(self.drift) or self.drift <= 0:
            return None
        return float(np.log(self.drift) / self.se)


@dataclass(frozen=True)
class OutcomeCheck:
    """The finished windows since the model's training, newest first.

    Attributes:
        task: the model's task.
        horizon_days: the label window length.
        reference: the first day of the model's reference window (the validation window its
            level was set on, or the calibration window when it was not refitted).
        reference_ratio: predicted / realized on the reference window (about 1 by design).
        reference_ratio_last_year: the same on its copy 364 days earlier (None: not in data).
        windows: the finished windows, newest first.
        verdict: 'high', 'low' or '' (``outcome_note`` states the rule).
        sample_of: customers in the events when the check ran on a seeded sample of them
            (``max_customers``), else None.
        churn_rule: a churn model's rule (``training._customer_labels``): with
            ``no_order_no_visit`` the outcome is "ordered or visited", else "bought"; None for
            the other tasks.
    """

    task: str
    horizon_days: int
    reference: pd.Timestamp
    reference_ratio: float
    reference_ratio_last_year: float | None
    windows: tuple[WindowOutcome, ...]
    verdict: str
    sample_of: int | None = None
    churn_rule: str | None = None


def _outcomes(model: CustomerModel, events: pd.DataFrame, start: pd.Timestamp,
              calendar: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(predictions, outcomes) of every customer with an event before ``start``."""
    from ._customer_scoring import features_asof

    if not (events["ts"] < start).any():
        return None
    feats = features_asof(model, events, start, calendar=calendar)
    if feats.empty:
        return None
    pred = np.asarray(model.score(feats, allow_empty_columns=True), dtype=float)
    no_visit = label_definition(model).churn_rule == "no_order_no_visit"
    labels = make_labels(events, start, int(model.horizon_days or 0),
                         users=feats["user_id"].to_numpy(), churn_needs_no_visit=no_visit)
    if model.task == "value":
        return pred, labels["label_value"].to_numpy(float)
    if model.task == "churn":
        # judged on the outcome it learned: with "no order and no visit", staying is an order
        # or a visit (it had been judged on orders only, its gap holding the browsers)
        return 1.0 - pred, 1.0 - labels["label_churn"].to_numpy(float)
    return pred, labels["label_purchase"].to_numpy(float)


def _log_var(y: np.ndarray, task: str) -> float:
    """Variance of log(mean(y)) from sampling (delta method)."""
    n, mean = len(y), float(np.mean(y))
    if n == 0 or mean <= 0:
        return float("inf")
    if task == "value":
        return float(np.var(y, ddof=1) / (n * mean ** 2)) if n > 1 else float("inf")
    return (1 - mean) / (n * mean)


def _deciles(pred: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    ranks = pd.Series(pred).rank(method="first")
    dec = np.ceil(ranks * 10 / len(pred)).astype(int).clip(1, 10)
    frame = pd.DataFrame({"decile": dec, "predicted": pred, "realized": y})
    out = frame.groupby("decile").agg(n=("predicted", "size"), predicted=("predicted", "mean"),
                                      realized=("realized", "mean")).reset_index()
    return out


def _auc(pred: np.ndarray, y: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, pred))


def outcome_check(model: CustomerModel | object, events: pd.DataFrame,
                  asof: str | pd.Timestamp, *, calendar: pd.DataFrame | None = None,
                  max_windows: int = 2, max_customers: int = 50_000,
                  seed: int = 0) -> OutcomeCheck | None:
    """The model against what happened on up to ``max_windows`` finished windows.

    The windows end by ``asof`` (and by the last day of ``events``), one label window apart
    backwards from the latest, and start on or after the end of the last window the model
    learned from (its scores there are out of sample). None for a model not fitted on cutoffs
    or when no such window has ended. With more than ``max_customers`` customers in the events,
    a seeded sample of that many is checked, the same customers in every window (six feature
    builds of every customer would have doubled ``brain score``'s time on a million; the
    standard errors are the sample's).
    """
    rep = getattr(model, "report_", None)
    h = getattr(model, "horizon_days", None)
    task = getattr(model, "task", None)
    if (rep is None or not h or task not in ("churn", "propensity", "value")
            or not isinstance(model, CustomerModel)):
        return None
    cuts = rep.split.cutoffs(validation=rep.refit)
    if not cuts:
        return None
    span = pd.Timedelta(days=int(h))
    ref = pd.Timestamp(cuts[-1])
    learned_end = ref + span
    last_day = pd.Timestamp(events["ts"].max()).normalize() + pd.Timedelta(days=1)
    until = min(pd.Timestamp(asof), last_day)
    starts: list[pd.Timestamp] = []
    start = until - span
    while start >= learned_end and len(starts) < max_windows:
        starts.append(start)
        start -= span
    if not starts:
        return None
    ev = events[events["ts"] < until]
    users = pd.unique(ev["user_id"])
    sample_of = None
    if len(users) > max_customers:
        keep = np.random.default_rng(seed).choice(len(users), max_customers, replace=False)
        ev = ev[ev["user_id"].isin(users[keep])]
        sample_of = len(users)
    ref_now = _outcomes(model, ev, ref, calendar)
    if ref_now is None:
        return None
    ref_ratio = float(ref_now[0].mean() / ref_now[1].mean()) if ref_now[1].mean() > 0 else np.nan
    ref_last = _outcomes(model, ev, ref - _YEAR, calendar)
    ref_last_ratio = (float(ref_last[0].mean() / ref_last[1].mean())
                      if ref_last is not None and ref_last[1].mean() > 0 else None)
    windows = []
    for s in starts:
        got = _outcomes(model, ev, s, calendar)
        if got is None:
            continue
        pred, y = got
        ratio = float(pred.mean() / y.mean()) if y.mean() > 0 else np.nan
        last = _outcomes(model, ev, s - _YEAR, calendar)
        ratio_ly = (float(last[0].mean() / last[1].mean())
                    if last is not None and last[1].mean() > 0 else None)
        drift = se = None
        if ratio_ly is not None and ref_last_ratio is not None and ref_ratio > 0:
            drift = (ratio / ref_ratio) / (ratio_ly / ref_last_ratio)
            assert last is not None
            assert ref_last is not None
            se = float(np.sqrt(sum(_log_var(v, task) for v in (y, ref_now[1], last[1],
                                                                 ref_last[1]))))
        windows.append(WindowOutcome(
            s, s + span - pd.Timedelta(days=1), len(pred), float(pred.mean()), float(y.mean()),
            ratio, ratio_ly, drift, se, None if task == "value" else _auc(pred, y),
            _deciles(pred, y)))
    if not windows:
        return None
    return OutcomeCheck(task, int(h), ref, ref_ratio, ref_last_ratio, tuple(windows),
                        _verdict(windows), sample_of, label_definition(model).churn_rule)


def _verdict(windows: list[WindowOutcome]) -> str:
    """'high' / 'low' when the newest two finished windows (one label window apart, so they
    share no day) both drift beyond ``Z_LIMIT`` standard errors the same way, else ''.

    One window is not enough: a calendar event that moved between the years (a Black Friday
    a week later, out of this year's window and inside last year's copy) or a model a few
    months older than its reference throws a single window by 3-4 standard errors (an
    independent check's pre-change months: one window of twelve at 3.6); a lasting change
    shows in consecutive windows.
    """
    zs = [w.z for w in windows[:2]]
    if len(zs) < 2 or any(z is None for z in zs):
        return ""
    if all(z is not None and z >= Z_LIMIT for z in zs):
        return "high"
    if all(z is not None and z <= -Z_LIMIT for z in zs):
        return "low"
    return ""


def outcome_words(task: str, churn_rule: str | None = None) -> str:
    """What the check compares with what happened: a churn model's 1 - P(churn) is
    P(purchase) under the default rule, P(order or visit) under "no order and no visit"."""
    if task == "value":
        return "predicted revenue"
    if task == "churn":
        return ("P(order or visit) (1 - P(churn))" if churn_rule == "no_order_no_visit"
                else "P(purchase) (1 - P(churn))")
    return "P(purchase)"


def outcome_note(check: OutcomeCheck) -> str:
    """One paragraph: the verdict on the newest finished windows, with the rule's figures."""
    w = check.windows[0]
    what = outcome_words(check.task, check.churn_rule)
    fmt = "{:,.2f}" if check.task == "value" else "{:.3f}"
    span = f"{w.start:%Y-%m-%d} .. {w.end:%Y-%m-%d}"
    raw = (f"{what} for the {check.horizon_days}-day window {span} (the newest finished one, "
           f"{w.customers:,} customers): mean {fmt.format(w.predicted)} predicted, "
           f"{fmt.format(w.realized)} happened ({100 * (w.ratio - 1):+.0f}%)")
    if w.drift is None or w.z is None:
        return (f"{raw}; last year's copies of this window and of the model's reference window "
                f"({check.reference:%Y-%m-%d}) are not in the data, so how much of that is the "
                "season cannot be told; judge it against your own knowledge of the season")
    last = ""
    if w.ratio_last_year is not None and check.reference_ratio_last_year is not None:
        last = (f"; a year before, the same model ran {100 * (w.ratio_last_year - 1):+.0f}% on "
                f"this window's copy against {100 * (check.reference_ratio_last_year - 1):+.0f}%"
                f" on its reference window's ({check.reference:%Y-%m-%d}, now "
                f"{100 * (check.reference_ratio - 1):+.0f}%)")

    def beyond(x: WindowOutcome) -> str:
        assert x.drift is not None
        assert x.z is not None
        return (f"{abs(100 * (x.drift - 1)):.0f}% {'above' if x.drift > 1 else 'below'} what "
                f"the season explains ({x.z:+.1f} standard errors)")

    now = f"{raw}{last}, so {what} ran {beyond(w)}"
    prev = check.windows[1] if len(check.windows) > 1 else None
    before = (f"; the window before ({prev.start:%Y-%m-%d} .. {prev.end:%Y-%m-%d}): "
              f"{beyond(prev)}" if prev is not None and prev.z is not None else "")
    if check.verdict:
        word = "HIGH" if check.verdict == "high" else "LOW"
        if check.task == "churn":  # say it the way the model's scores read
            word += f", i.e. P(churn) runs {'LOW' if check.verdict == 'high' else 'HIGH'},"
        return (f"{now}{before}: {what} runs {word} for two windows in a row. Something "
                "changed since the model's training (a price, the product, the traffic mix); "
                "retrain on data that covers it, and until then read the scores as a ranking "
                "(a season note above takes the model's level as right)")
    rule = (f"a direction is stated when the newest two windows are both {Z_LIMIT:g} standard "
            "errors or more the same way")
    if abs(w.z) >= Z_LIMIT:
        side = "high" if w.z > 0 else "low"
        return (f"{now}{before}. One window so far ({rule}): if the next one also reads "
                f"{side}, {what} runs {side}")
    return f"{now}{before}: within what the season and chance explain ({rule})"
