"""Whether a new customer model version becomes the champion: the evaluation it is compared on,
the champion re-scored on that evaluation, and the checks that keep the champion without a
comparison.

The ``champion`` alias moves only through ``_mlflow_champion.promote_if_better`` on the same
evaluation (the validation rows: task, label, validation cutoffs and a fingerprint of the rows:
``_evaluation_key``). Versions validated on identical rows and labels compare their recorded
honest metrics; otherwise both models are measured on the rows the served champion was never
fitted or calibrated on (``_rescorer``). Models with suspected leakage or no skill are not
promoted (``_veto``). A version trained on another population (another input and mostly other
customers, or label windows more than a year apart: ``training._customer_population``) is not
compared at all and the champion stays (``_population_guard``); the ``promotion`` tag says how to
make it the champion by hand. Classifiers compare the Brier score of calibrated probabilities
(lower wins, a proper scoring rule that rewards both ranking and calibration); value compares
RMSE (lower wins; its optimum is the expected revenue, unlike MAE whose optimum is the median,
often zero): ``PRIMARY``.

``training._customer_mlflow.train_and_register`` runs these after registering a version.
"""

from __future__ import annotations

import hashlib
import logging
import textwrap
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from ._customer_eval import classifier_metrics, value_metrics
from ._customer_fit import seen_rows
from ._customer_labels import label_definition, label_mismatch
from ._customer_models import CustomerModel
from ._customer_population import champion_command, population_gap, version_source
from ._mlflow import CHAMPION
from ._mlflow_champion import Promotion

__all__ = ["MIN_FRESH_ROWS", "PRIMARY", "SLIGHT_OVERLAP", "paired_difference_words"]

_log = logging.getLogger(__name__)


PRIMARY: dict[str, tuple[str, bool]] = {
    "churn": ("brier", False), "propensity": ("brier", False), "value": ("rmse", False)}
"""Task -> (metric compared for promotion, higher_is_better)."""


def _evaluation_key(model: CustomerModel, frame: pd.DataFrame, tag: str) -> tuple[str, str]:
    """Identifiers of the evaluation: ``(key, rows)``.

    ``key`` (task, label name, ``tag``, validation rows) names the protocol; ``rows`` only the
    data: task, validation cutoffs and a fingerprint of the validation customers and their label
    values. Two versions with equal ``rows`` were validated on identical rows and labels (e.g.
    the same table saved under another name, or the label column renamed), so their recorded
    validation metrics are comparable as they are.
    """
    rep = model.report_
    valid = _validation_rows(model, frame)
    h = hashlib.sha1(usedforsecurity=False)
    h.update(pd.util.hash_pandas_object(
        valid[["user_id"]].astype(str) if "user_id" in valid else valid.index.to_series(),
        index=False).to_numpy().tobytes())
    h.update(np.round(valid[rep.label_col].to_numpy(dtype=float), 6).tobytes())
    cut = ",".join(rep.split.validation_cutoffs) or rep.split.scheme
    rows = f"{rep.task}|valid={cut}|n={len(valid)}|{h.hexdigest()[:12]}"
    return (f"{rep.task}|{rep.label_col}|{tag}|valid={cut}|n={len(valid)}|"
            f"{h.hexdigest()[:12]}", rows)


MIN_FRESH_ROWS = 50
"""Fewest evaluation rows the champion never saw for a re-scored comparison to count."""


def _version_key(uri: str) -> str | None:
    """The ``eval.key`` tag of the registered version ``models:/<name>/<version>`` (None when
    it cannot be read): an older churn model's rule is marked there (``|no_visit``)."""
    from mlflow import MlflowClient

    parts = uri.removeprefix("models:/").split("/")
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    try:
        return MlflowClient().get_model_version(parts[0], parts[1]).tags.get("eval.key")
    except Exception:  # a version it cannot read: the default rule is assumed, and said
        return None


def _load_champion(uri: str, cache: dict[str, Any] | None = None) -> Any:
    """The fitted ``CustomerModel`` inside a registered pyfunc (loaded once per ``cache``)."""
    if cache is not None and uri in cache:
        return cache[uri]
    # The fitted model inside the pyfunc, not the pyfunc itself: MLflow's schema check would
    # reject columns whose dtype differs from the champion's input example (a category column
    # with other levels), although the model scores them fine.
    model = mlflow.pyfunc.load_model(uri).unwrap_python_model().model
    if cache is not None:
        cache[uri] = model
    return model


def _rescorer(name: str, est: CustomerModel, valid: pd.DataFrame, metric: str,
              higher: bool, cache: dict[str, Any] | None = None) -> Any:
    """``rescore_champion`` callback of registered model ``name``: champion and candidate on the
    rows the champion never saw.

    The served champion was fitted and calibrated on all of its own labelled rows (its
    ``fitted_rows_``), so scoring it on any of them flatters it (its calibrator fitted their
    labels), while the candidate's metrics come from rows it never saw. Both are therefore
    measured on the candidate's validation rows the champion did not see: the champion as
    served, the candidate with its honest (pre-refit) validation predictions.
    """
    rep = est.report_
    y = valid[rep.label_col].to_numpy(dtype=float)
    cand_pred = est.validation_frame_["pred"].to_numpy()

    def measure(yy: np.ndarray, pred: np.ndarray) -> float:
        m = classifier_metrics(yy, pred) if est.kind == "classifier" else value_metrics(yy, pred)
        return float(m.as_dict()[metric])

    def rescore(uri: str) -> tuple[float | None, float, str]:
        try:
            champion = _load_champion(uri, cache)
            differ = label_mismatch(label_definition(champion, _version_key(uri)),
                                    label_definition(est))
            if differ:
                # a champion of "no order" re-scored on "no order and no visit" labels had
                # lost on a Brier of 0.348 against 0.075: its numbers measured another outcome
                return None, measure(y, cand_pred), (
                    f"{differ}. To serve this version, score with --model (see below) or make "
                    "it the champion with brain promote")
            theirs, ours = getattr(champion, "horizon_days", None), est.horizon_days
            if theirs != ours and theirs is not None and ours is not None:
                # a 90-day model scored on 60-day labels is judged on a question it was not
                # asked (and one that cannot score the rows must not lose for that either)
                return None, measure(y, cand_pred), (
                    f"the champion predicts a {theirs}-day window and this version a {ours}-day "
                    "one: they answer different questions, so they are not compared. To serve "
                    f"the {ours}-day model, score with --model (see below) or make it the "
                    "champion with brain promote")
            if (theirs is None) != (ours is None):
                # a model of a customer table (no label window) and one of events: the nightly
                # `brain score --events` job's champion is replaced by event models only (a
                # table of the same features had won on a single snapshot)
                kinds = ("a customer table", "events") if ours is None else (
                    "events", "a customer table")
                return None, measure(y, cand_pred), (
                    f"this version was trained on {kinds[0]} and the champion on {kinds[1]}: "
                    "they serve different jobs, so they are not compared and the champion "
                    "stays. To serve this version, score with --model (see below) or make it "
                    "the champion with brain promote")
            theirs_f = set(getattr(champion, "features_", None) or [])
            ours_f = set(est.features_)
            shared = len(theirs_f & ours_f)
            if theirs_f and shared < 0.5 * len(theirs_f):
                # a CRM-table model and an event model (or two unrelated tables) read other
                # inputs: a champion serving nightly event scores must not be replaced by a
                # table model because it cannot read the table, nor the other way round
                return None, measure(y, cand_pred), (
                    f"the champion reads other inputs (it shares {shared} of its "
                    f"{len(theirs_f)} features with this version's {len(ours_f)}: a model of "
                    "a customer table and one of events, or two different tables), so they are "
                    "not compared and the champion stays. To serve this version, score with "
                    "--model (see below) or make it the champion with brain promote")
            # as before the empty-column check of ``score``: a champion is compared on the
            # candidate's rows whatever they hold
            pred = np.asarray(champion.score(valid, allow_empty_columns=True), dtype=float)
        except Exception as exc:
            # A champion that cannot score these rows (other features) cannot compete: it
            # gets the worst possible value and the promotion reason says why.
            why = textwrap.shorten(f"{type(exc).__name__}: {exc}", 400, placeholder=" ...")
            _log.warning("%s: champion %s cannot score the new evaluation rows (%s)",
                         name, uri, why)
            return (float("-inf") if higher else float("inf"), measure(y, cand_pred),
                    f"the champion cannot score these rows: {why}")
        seen = getattr(champion, "fitted_rows_", None)
        if seen is None or "user_id" not in valid.columns:
            return measure(y, pred), measure(y, cand_pred), (
                "champion re-scored on all evaluation rows: it does not record its fitted rows"
                + paired_difference_words(metric, y, pred, cand_pred))
        fresh = ~_outcome_seen(champion, valid, seen, est.horizon_days)
        slight = int((fresh & _outcome_seen(champion, valid, seen, est.horizon_days, 0.0)).sum())
        note = (f"compared on the {int(fresh.sum())} of {len(valid)} evaluation rows whose "
                "outcome the champion never learned (it was not fitted or calibrated on the "
                "customer over more than a tenth of the row's label window"
                + (f"; {slight} of them share at most that with one of its windows, which can "
                   "only favour the champion" if slight else "") + ")")
        if fresh.sum() < MIN_FRESH_ROWS:
            after = _fair_after(champion)
            when = (f"; validation cutoffs from {after:%Y-%m-%d} on (its last cutoff plus its "
                    "label window) give a fair comparison" if after is not None else "")
            return None, measure(y, cand_pred), (
                f"the champion learned the outcome of {int((~fresh).sum())} of the "
                f"{len(valid)} evaluation rows (the same customers over overlapping label "
                f"windows), leaving fewer than {MIN_FRESH_ROWS} it never saw: no fair "
                f"comparison{when}")
        if fresh.sum() < 0.5 * len(valid):
            note += _fresh_subset_words(champion, valid, seen, fresh)
        note += paired_difference_words(metric, y[fresh], pred[fresh], cand_pred[fresh])
        return measure(y[fresh], pred[fresh]), measure(y[fresh], cand_pred[fresh]), note

    return rescore


def paired_difference_words(metric: str, y: np.ndarray, champion: np.ndarray,
                            candidate: np.ndarray) -> str:
    """Words for the candidate's difference from the champion on the same rows, with its 95%
    interval, for a metric built on squared errors (``brier``: their mean; ``rmse``: its
    root), or "" for another metric or under 30 rows.

    Per row, the candidate's squared error minus the champion's: their mean is the difference
    in mean squared error, its standard error that of a paired mean; for ``rmse`` both scale by
    1 / (RMSE candidate + RMSE champion) (exact for the difference itself). Six monthly
    retrains had moved a champion on a Brier difference of 0.000004 and an RMSE 0.09% lower
    without saying that such a difference is noise.
    """
    if metric not in ("brier", "rmse"):
        return ""
    y, a, b = (np.asarray(v, dtype=float) for v in (y, champion, candidate))
    ok = np.isfinite(y) & np.isfinite(a) & np.isfinite(b)
    n = int(ok.sum())
    if n < 30:
        return ""
    d = (b[ok] - y[ok]) ** 2 - (a[ok] - y[ok]) ** 2
    diff, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(n))
    if metric == "rmse":
        scale = float(np.sqrt(np.mean((b[ok] - y[ok]) ** 2))
                      + np.sqrt(np.mean((a[ok] - y[ok]) ** 2)))
        if scale <= 0:
            return ""
        diff, se = diff / scale, se / scale
    lo, hi = diff - 1.96 * se, diff + 1.96 * se
    verdict = ("within noise: neither model is shown better" if lo <= 0 <= hi else
               "beyond noise")
    return (f"; {metric} difference (this version minus the champion, same {n} rows) "
            f"{diff:+.3g}, 95% interval {lo:+.3g} .. {hi:+.3g}: {verdict}")


def _fresh_subset_words(champion: Any, valid: pd.DataFrame, seen: np.ndarray,
                        fresh: np.ndarray) -> str:
    """Words for a comparison left with a minority of the evaluation rows: how many of them
    are customers the champion never saw at any of its cutoffs (new since: not a sample of
    the customers the models will score), and from which validation cutoff every row counts.

    A monthly retrain of a 90-day model validates on windows that overlap the champion's for
    every customer it knew; the rows left are the newest sign-ups, which had decided the
    champion ("compared on the 503 of 18139 evaluation rows ...") without a word about who
    they were.
    """
    users = valid["user_id"].to_numpy()[fresh]
    known = np.zeros(len(users), dtype=bool)
    for c in _champion_cutoffs(champion):
        known |= seen_rows(pd.DataFrame({"user_id": users, "cutoff": c}), seen)
    new = int((~known).sum())
    after = _fair_after(champion)
    return ("; " + (f"{new} of them are customers the champion never saw (new since its "
                    "cutoffs), not a sample of all customers" if new else
                    "a minority of the customers")
            + (f"; validation cutoffs from {after:%Y-%m-%d} on (--last-cutoff) compare on "
               "every customer" if after is not None else ""))


def _population_guard(name: str, version: str, est: CustomerModel, valid: pd.DataFrame,
                      source: str | None, metric: str, value: float,
                      cache: dict[str, Any]) -> Promotion | None:
    """Keep the champion, without a comparison, when the candidate was trained on another
    population (``population_gap``: another input and mostly other customers, or label
    windows more than a year apart); None to go on with ``promote_if_better``.

    A churn champion of another churn rule is kept here, saying so (``label_mismatch``). A
    champion of another label window or other inputs (a table against events) is left to
    ``_rescorer``, which says so in its own words.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    if str(current.version) == version or "user_id" not in valid.columns:
        return None
    try:
        champion = _load_champion(f"models:/{name}/{current.version}", cache)
    except Exception:  # the rescorer reports a champion it cannot load
        return None
    theirs_h = getattr(champion, "horizon_days", None)
    if theirs_h is not None and est.horizon_days is not None and theirs_h != est.horizon_days:
        return None
    ours_l = label_definition(est)
    differ = label_mismatch(label_definition(champion, current.tags.get("eval.key")), ours_l)
    if differ:
        # said first, not behind "was evaluated on '<key>', not '<key>'" (brain models shows
        # the start of the reason)
        reason = (f"not promoted: {differ} (v{version} against champion v{current.version}). "
                  "To make it the champion: " + champion_command(
                      name, version, f"churn = {ours_l.rule_words()}"))
        client.set_model_version_tag(name, version, "promotion", reason)
        _log.info("%s v%s: %s", name, version, reason)
        return Promotion(name, version, False, str(current.version), metric, value, None,
                         reason)
    theirs_f = set(getattr(champion, "features_", None) or [])
    if theirs_f and len(theirs_f & set(est.features_)) < 0.5 * len(theirs_f):
        return None
    gap = population_gap(champion, est, valid["user_id"], source,
                         version_source(name, str(current.version)))
    if gap is None:
        return None
    reason = (f"v{version} not compared with champion v{current.version}: {gap.describe()}; "
              f"champion kept. To make it the champion: "
              + champion_command(name, version, f"trained on {gap.ours}"))
    client.set_model_version_tag(name, version, "promotion", reason)
    _log.info("%s v%s: %s", name, version, reason)
    return Promotion(name, version, False, str(current.version), metric, value, None, reason)


def _champion_cutoffs(champion: Any) -> list[pd.Timestamp]:
    """Cutoffs of the rows the champion was fitted or calibrated on (its split)."""
    rep = getattr(champion, "report_", None)
    return [] if rep is None else rep.split.cutoffs()


def _fair_after(champion: Any) -> pd.Timestamp | None:
    """The first cutoff whose label window starts after every window the champion learned."""
    cuts, h = _champion_cutoffs(champion), getattr(champion, "horizon_days", None)
    return cuts[-1] + pd.Timedelta(days=int(h)) if cuts and h else None


SLIGHT_OVERLAP = 0.1
"""Share of an evaluation row's label window the champion's window may cover and the row
still count as unseen (see ``_outcome_seen``)."""


def _outcome_seen(champion: Any, valid: pd.DataFrame, seen: np.ndarray,
                  horizon_days: int | None, tolerance: float = SLIGHT_OVERLAP) -> np.ndarray:
    """Per evaluation row, whether the champion learned (part of) its outcome: it was fitted
    or calibrated on this customer at a cutoff whose label window overlaps the row's by more
    than ``tolerance`` of the row's window.

    Not only the same (customer, cutoff): a retrain a month later validates on windows that
    share two of their three months with the champion's own calibration rows, and the champion
    had scored Brier 0.063 there against the new version's honest 0.100 ("compared on 4672 of
    4672 rows the champion was not fitted on"). A slight overlap (at most a tenth of the
    window) is not counted: monthly retrains of a 30-day model on month-end exports overlap by
    0-2 days with the month lengths, and a check's February retrain was compared on the 417 new
    customers of 19,103 while January's and March's compared everyone. Knowing a few days of
    the outcome can only help the champion, so a candidate that wins, wins despite it. Without
    cutoffs or horizons (a table model), only the same row counts.
    """
    known = seen_rows(valid, seen)  # ids a champion trained before 2026-12-06 wrote '12.0'
    h_them = getattr(champion, "horizon_days", None)
    cuts = _champion_cutoffs(champion)
    if "cutoff" not in valid.columns or not cuts or not h_them or not horizon_days:
        return known
    at = pd.to_datetime(valid["cutoff"]).to_numpy()
    allowed = np.timedelta64(int(np.floor(tolerance * int(horizon_days))), "D")
    for c in cuts:
        first = np.maximum(c.to_datetime64(), at)
        last = np.minimum((c + pd.Timedelta(days=int(h_them))).to_datetime64(),
                          at + np.timedelta64(int(horizon_days), "D"))
        overlap = (last - first) > allowed
        if overlap.any():
            known[overlap] |= seen_rows(pd.DataFrame({
                "user_id": valid["user_id"].to_numpy()[overlap], "cutoff": c}), seen)
    return known


def _veto(est: CustomerModel, allow_suspected_leakage: bool) -> str | None:
    """Why the model must not become champion (``model_guards``), or None."""
    rep = est.report_
    if rep.no_skill:
        return ("the model is no better than the base rate on validation ("
                + "; ".join(w.removeprefix("no skill: ") for w in rep.warnings
                            if w.startswith("no skill")) + ")")
    if getattr(rep, "overlapping_validation", False):
        return ("overlapping label windows: the training labels cover more than half of the "
                "validation window, so its metrics are flattered (see the run's warnings); "
                "retrain with cutoffs further apart (--step-days), or make it the champion by "
                "hand with brain promote")
    if rep.suspected_leakage and not allow_suspected_leakage:
        cols = list(rep.suspected_leakage)
        return (f"suspected leakage: {cols} nearly determine the validation label (see the "
                "run's warnings); drop them if they are known only after the cutoff and "
                "retrain. If they are truly known at scoring time, opt in with "
                "brain train --allow-suspected-leakage (Python: train_and_register(..., "
                "allow_suspected_leakage=True)), or make it the champion by hand with brain "
                "promote")
    return None


def _validation_rows(model: CustomerModel, frame: pd.DataFrame) -> pd.DataFrame:
    data = frame.loc[frame[model.report_.label_col].notna()].reset_index(drop=True)
    _, _, valid, _ = model._split(data)
    return data.loc[valid]
