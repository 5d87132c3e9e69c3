"""Batch scoring: every customer as of a date, in chunks, with tiers, early warning and reasons.

``score_features`` scores a feature frame chunk by chunk (default 250,000 rows), so memory stays
flat and progress can be shown; ``score_asof`` builds the features from an event log first
(``features.user_features``: only events before ``asof``).

Longer horizons than the model was trained for (``extend_purchase_horizon``): a propensity or
churn model trained on an ``h``-day label window gives P(no purchase in the next h days | state).
The probability of no purchase over ``H > h`` days is the product of the per-step probabilities
along the path on which the customer does nothing: step ``k`` is scored on the features as of
``asof + k*h`` computed from the events before ``asof`` only (no new activity), and a last partial
step enters as ``(1 - p) ** (remaining / h)``. This is the discrete-time survival (hazard) chain
rule; it needs the event log (a bring-your-own table cannot be rolled forward) and it treats
"no purchase" as "no activity at all", exact for purchase-only logs and an approximation when
customers also browse.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from features._refunds import RefundPrior

from ._customer_bgnbd import BGNBD_COLUMNS, bgnbd_features
from ._customer_dates import DAYS_PREFIX, add_days_since, snapshot_dates
from ._customer_empty import EMPTY_CHECK_ROWS, empty_columns
from ._customer_fit import row_keys, row_value_keys, seen_rows, value_key_dates
from ._customer_levels import model_level_codes
from ._customer_mlflow import score_frame
from ._customer_models import CustomerModel
from ._customer_tiers import TIERS, assign_tiers

__all__ = [
    "empty_columns_note",
    "empty_number_columns",
    "empty_share_note",
    "extend_purchase_horizon",
    "features_asof",
    "in_sample_note",
    "retier",
    "score_asof",
    "score_features",
    "table_in_sample_note",
    "unseen_levels_note",
]

FeatureFn = Callable[[pd.DataFrame, pd.Timestamp], pd.DataFrame]


def _model_columns(model: CustomerModel | object) -> list[str] | None:
    """The feature columns a fitted ``CustomerModel`` (or a pyfunc wrapping one) was trained
    on; None when they cannot be told."""
    inner = model
    unwrap = getattr(model, "unwrap_python_model", None)
    if callable(unwrap):
        inner = getattr(unwrap(), "model", None)
    cols = getattr(inner, "features_", None)
    return list(cols) if cols is not None else None


_RECODED_MIN_EVENTS = 1_000
"""Fewest events with a category before "none of the model's categories appears" is an error."""


def _default_features(calendar: pd.DataFrame | None,
                      columns: list[str] | None = None,
                      refund_base: RefundPrior | None = None) -> FeatureFn:
    """``user_features`` with the vocabulary behind ``columns`` (a trained model's: the same
    categories and channels get share columns as at training, the rest count as 'other'), or,
    without them, the vocabulary of the events before the cutoff. ``refund_base``: the base's
    refund share for ``refund_share_total`` when ``events`` hold only some of the customers
    (default: the share over the events given)."""
    from features._users import Vocabulary, user_features

    shares = [c for c in columns or [] if c.startswith("cat_share_")]
    checked: set[int] = set()  # the chain calls fn once per step on the same events

    def fn(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
        if shares and id(events) not in checked:
            _check_categories(events, shares)
            checked.add(id(events))
        vocab = (Vocabulary.from_columns(columns) if columns is not None
                 else Vocabulary.from_events(events, cutoff))
        return user_features(events, cutoff, vocabulary=vocab, calendar=calendar,
                             refund_base=refund_base)

    return fn


def _check_categories(events: pd.DataFrame, shares: list[str]) -> None:
    """Reject events whose categories would make every share feature of a model read 0."""
    if "category" not in events.columns or events["category"].isna().all():
        # every category share would read 0: a customer of the model's best categories
        # would be scored as one who never touched them
        raise ValueError(
            f"the model was trained on events with a 'category' column ({len(shares)} "
            f"category-share features such as {shares[0]!r}); the events to score have "
            f"{'no such column' if 'category' not in events.columns else 'it empty'}, so "
            "every share would read 0 and move the scores. Score events with their "
            "categories, or retrain on events without a category column")
    named = [c.removeprefix("cat_share_") for c in shares if c != "cat_share_other"]
    values = pd.Index(events["category"].dropna().astype(str).unique())
    # a slice of customers may well hold only pooled categories; a whole log cannot
    if (named and int(events["category"].notna().sum()) >= _RECODED_MIN_EVENTS
            and not values.isin(named).any()):
        raise ValueError(
            f"none of the {len(named)} categories the model has share features for (e.g. "
            f"{named[:3]}) appears in the events to score (they hold e.g. {values[:3].tolist()}"
            "): the category values look recoded, and every share would read 0. Score events "
            "with the categories as they were at training, or retrain")


def unseen_levels_note(model: CustomerModel | object, features: pd.DataFrame,
                       show: int = 3) -> str | None:
    """The note for text columns holding levels the model never saw at fit (scored as
    missing, as a customer with that cell empty would be), else None."""
    levels: dict[str, list[str]] = getattr(model, "levels_", None) or {}
    parts, folded = [], []
    for col, known in levels.items():
        if col not in features.columns:
            continue
        text = features[col].astype("string")
        new = text[text.notna() & ~text.isin(known)]
        if new.empty:
            continue
        codes = model_level_codes(model, col, new)
        if (codes >= 0).any():  # the same level but for case or spaces: scored as that level
            pairs = new[codes >= 0].to_frame("v").assign(k=[known[c] for c in codes[codes >= 0]])
            shown = ", ".join(f"{v!r} as {k!r}" for v, k in
                              pairs.drop_duplicates().head(show).itertuples(index=False))
            folded.append(f"{col!r}: {int((codes >= 0).sum()):,} cells ({shown})")
            new = new[codes < 0]
            if new.empty:
                continue
        counts = new.value_counts()
        top = ", ".join(f"{v!r} {n:,}" for v, n in counts.head(show).items())
        more = f" and {len(counts) - show} more" if len(counts) > show else ""
        known_text = ", ".join(map(repr, known[:5])) + (" ..." if len(known) > 5 else "")
        parts.append(f"{col!r}: {len(new):,} rows hold levels the model never saw ({top}{more}; "
                     f"it knows {known_text})")
    notes = []
    if folded:
        yes_no = any(c in features.columns for c in getattr(model, "yes_no_", None) or {})
        notes.append("read as the model's levels, ignoring case and spaces"
                     + (" (and a yes/no column's spellings of yes and no)" if yes_no else "")
                     + ": " + "; ".join(folded))
    if parts:
        notes.append("; ".join(parts) + ". Those cells are scored as missing; map them to "
                     "known levels or retrain on data that has them")
    return ". ".join(notes) or None


_EMPTY_NOTE_ROWS = EMPTY_CHECK_ROWS
"""Fewest rows for an all-empty column to be worth a note."""


def empty_columns_note(model: CustomerModel | object, features: pd.DataFrame,
                       show: int = 5) -> str | None:
    """The note for numeric columns the model uses that are empty in every row of
    ``features`` although they had values at fit (every customer is scored as if the value were
    unknown, which moves the scores), and for category columns whose share of empty cells
    differs a lot from training's (``empty_share_note``), else None."""
    typical: dict[str, float] = getattr(_inner_model(model), "typical_", None) or {}
    if len(features) < _EMPTY_NOTE_ROWS:
        return None  # a handful of rows can all lack a value by chance
    shares = empty_share_note(model, features)
    numbers = _empty_numbers_note(typical, features, show)
    return ". ".join(n for n in (numbers, shares) if n) or None


def empty_number_columns(model: CustomerModel | object, features: pd.DataFrame) -> list[str]:
    """The numeric columns the model uses that have no value in any row of ``features`` (empty,
    or not one cell read as a number) although they had values at fit; none for fewer than
    ``_EMPTY_NOTE_ROWS`` rows (a handful of rows can all lack a value by chance). ``brain score
    --table`` stops on them unless ``--allow-empty-columns`` (until 2026-12-07 a note: a French
    CRM export's ``panier_moyen`` written 'n/a' in every row moved the mean P(churn) from 0.125
    to 0.159 with the scores written)."""
    if len(features) < _EMPTY_NOTE_ROWS:
        return []
    return empty_columns(getattr(_inner_model(model), "typical_", None) or {}, features)


def _empty_numbers_note(typical: dict[str, float], features: pd.DataFrame,
                        show: int) -> str | None:
    """``empty_columns_note``'s part on numeric columns without a value in any row: empty, or
    not one cell read as a number (``19 months`` in a column of months: until 2026-12-07 such a
    column was said to be "empty in every row")."""
    empty = empty_columns(typical, features)
    if not empty:
        return None
    shown = ", ".join(repr(c) for c in empty[:show]) + (
        f" and {len(empty) - show} more" if len(empty) > show else "")
    return (f"{shown} {'has' if len(empty) == 1 else 'have'} no value in any row (empty, or no "
            "cell read as a number) but had values at training: every customer is scored as "
            "if the value were unknown, which moves the scores; fill the column, or retrain "
            "without it")


EMPTY_SHIFT_POINTS, EMPTY_SHIFT_RATIO = 0.10, 2.0
"""A category column's share of empty cells at scoring differs a lot from training's when it is
at least this many points away and this many times larger or smaller (40% against 2%: a broken
export), and beyond chance for the rows scored (3 standard errors)."""


def empty_share_note(model: CustomerModel | object, features: pd.DataFrame,
                     show: int = 5) -> str | None:
    """The note for category columns whose share of empty cells in ``features`` differs a lot
    from the table the model was fitted on (``CustomerModel.empty_shares_``; ``EMPTY_SHIFT_*``),
    naming both shares and the first empty rows, else None. A few rows (fewer than 20) never
    get it; a model saved before 2026-12-07 records no shares."""
    shares: dict[str, float] = getattr(_inner_model(model), "empty_shares_", None) or {}
    n = len(features)
    if n < _EMPTY_NOTE_ROWS or not shares:
        return None
    from features._tables import empty_share

    parts = []
    for col, was in shares.items():
        if col not in features.columns:
            continue
        empty = features[col].isna().to_numpy()
        now = float(empty.mean())
        low, high = sorted((now, was))
        noise = 3 * np.sqrt(max(was, 1 / n) * (1 - min(was, 0.99)) / n)
        if high - low < max(EMPTY_SHIFT_POINTS, noise) or high < EMPTY_SHIFT_RATIO * low:
            continue
        rows = np.flatnonzero(empty)[:3] + 1
        where = (f"; first at row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}"
                 if len(rows) else "")
        where = (f"in {empty_share(now)} of the rows ({int(empty.sum()):,} of {n:,}{where})"
                 if now else f"in none of the {n:,} rows")
        parts.append(f"{col!r} is empty {where} against {empty_share(was)} at training")
    if not parts:
        return None
    more = f"; and {len(parts) - show} more" if len(parts) > show else ""
    return ("; ".join(parts[:show]) + more + ": an empty cell is scored as a value the model "
            "never saw, so those customers' scores lean on the other columns. A broken or "
            "changed export? Check the column against the training table's")


def score_features(model: CustomerModel | object, features: pd.DataFrame, *,
                   reasons: bool = True, reason_method: str = "path",
                   chunk_size: int = 250_000, n_jobs: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Score a feature frame in chunks; returns ``score_frame``'s columns for every row.

    ``model`` is a fitted ``CustomerModel`` or a loaded MLflow pyfunc of one (its ``predict``
    takes the frame and ``params={"reasons": ...}``). Value tiers are ranks, so they are assigned
    once over all rows after the chunks are scored. Batch reasons default to the decision-path
    contributions (``reason_method="path"``, computed in the same pass over the trees as the
    scores); TreeSHAP (``"shap"``) is about 10x slower.

    A ``CustomerModel``'s chunks are scored by ``n_jobs`` threads (default: the number of CPUs);
    the heavy steps (LightGBM's tree traversal, the sparse products, numpy) release the GIL, and
    each thread runs LightGBM single-threaded, so the threads never oversubscribe the cores.
    Chunks are at most ``chunk_size`` rows (memory) and small enough to keep every thread busy.
    The result does not depend on ``chunk_size`` or ``n_jobs``.
    """
    if chunk_size < 1:
        raise ValueError(f"score_features: chunk_size must be >= 1; received {chunk_size}")
    jobs = max(1, os.cpu_count() or 1) if n_jobs is None else n_jobs
    if jobs < 1:
        raise ValueError(f"score_features: n_jobs must be >= 1 (or None for all CPUs); "
                         f"received {n_jobs}")
    features = _with_days_since(model, features)
    n = len(features)
    native = model if isinstance(model, CustomerModel) else None
    if native is not None and jobs > 1:
        chunk_size = min(chunk_size, max(1, -(-n // (2 * jobs))))
        if reasons and reason_method == "path":
            native.path_tables()  # built once, before the threads share it

    def one(start: int) -> pd.DataFrame:
        chunk = features.iloc[start:start + chunk_size]
        if native is not None:
            return score_frame(native, chunk, reasons=reasons, reason_method=reason_method)
        pyfunc: Any = model  # a loaded MLflow pyfunc: predict(frame, params=...)
        return pyfunc.predict(
            chunk, params={"reasons": reasons, "reason_method": reason_method})

    starts = range(0, max(n, 1), chunk_size)
    parts = []
    with ThreadPoolExecutor(max_workers=jobs if native is not None else 1) as pool:
        for start, part in zip(starts, pool.map(one, starts), strict=True):
            parts.append(part)
            if progress is not None:
                progress(min(start + chunk_size, n), n)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    inner = _inner_model(model)
    if inner is not None and inner.task == "value" and len(out):
        out = retier(model, features, out, out["score"].to_numpy(dtype=float),
                     reasons=reasons, reason_method=reason_method, chunk_size=chunk_size)
    return out


def _with_days_since(model: CustomerModel | object, features: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the ``days_since_<col>`` of the model's date columns, derived once
    over the whole table before it is cut into chunks: an error naming a date cell, or the
    note on dates after the snapshot, had numbered the rows within its chunk ('row 1' for the
    table's third row). Unchanged when the model has none, the table no snapshot date (the
    model's own error names --asof then) or not the date columns (its input check names them;
    a bare KeyError 'last_order' had been the message, 2026-12-07)."""
    inner = _inner_model(model)
    dates = list(getattr(inner, "date_days_", ()) or ())
    if (inner is None or not dates or snapshot_dates(features) is None
            or all(DAYS_PREFIX + c in features.columns for c in dates)
            or not all(c in features.columns for c in dates)):
        return features  # a frame without the date columns: the model's input check names them
    return add_days_since(features, dates, inner.task, str(features.attrs.get("source",
                                                                               "table")),
                          getattr(inner, "date_formats_", None) or {})


def retier(model: CustomerModel | object, features: pd.DataFrame, out: pd.DataFrame,
           scores: np.ndarray, *, reasons: bool = True, reason_method: str = "path",
           chunk_size: int = 250_000) -> pd.DataFrame:
    """``out`` (``score_features`` output for ``features``, same rows) with final ``scores``.

    Tiers are assigned from ``scores`` (value: ranked over all rows, not per chunk); rows that
    enter or leave the lowest tier by it get their reasons again (``chunk_size`` rows at a
    time) in the lowest tier's direction (what keeps the score low) or out of it, so reasons
    never follow a tier the customer no longer has. Used after chunked value scoring and for
    scores moved after the model (``--season-adjust``, ``--horizon-days``), which are monotone
    in the model's score for a customer or, for a longer horizon, its first step. ``out`` is
    changed in place and returned. Raises ValueError for a model that is neither a
    ``CustomerModel`` nor an MLflow pyfunc of one.
    """
    inner = _inner_model(model)
    if inner is None:
        raise ValueError("retier: needs a CustomerModel or an MLflow pyfunc of one")
    blank = None if inner is model else ""  # a pyfunc's empty reason is ''
    rule = TIERS[inner.task]
    lowest = rule.labels[-1]
    scores = np.asarray(scores, dtype=float)
    was_lowest = (out["tier"].astype(str) == lowest).to_numpy()
    out["score"] = scores
    out["tier"] = assign_tiers(scores, rule)  # value: ranked over all rows
    now_lowest = (out["tier"] == lowest).to_numpy()
    moved = np.flatnonzero(was_lowest != now_lowest)
    cols = [c for c in out.columns if c.startswith("reason_")]
    if not reasons or not len(moved) or not cols:
        return out
    for start in range(0, len(moved), chunk_size):
        rows = moved[start:start + chunk_size]
        again = score_frame(inner, features.iloc[rows], reasons=True, top=len(cols),
                            reason_method=reason_method, lowest=now_lowest[rows])
        for c in cols:
            text = again[c] if blank is None else again[c].astype(object).where(
                again[c].notna(), blank)
            out.iloc[rows, out.columns.get_loc(c)] = text.to_numpy()
    return out


def in_sample_note(model: CustomerModel | object, asof: str | pd.Timestamp,
                   users: pd.Series | None = None) -> str | None:
    """The note for an ``asof`` before the end of the label windows the model learned from
    (its scores for that date are in-sample: it saw what happened after it), else None.

    With ``users`` (the customers scored) and a model that records its fitted rows, only when
    it learned some of them at a cutoff whose label window ends after ``asof``: a model of
    other customers (another business) has seen nothing of these, whatever its dates.
    """
    inner = _inner_model(model)
    rep = getattr(inner, "report_", None)
    h = getattr(inner, "horizon_days", None)
    if rep is None or not h:
        return None
    cuts = rep.split.cutoffs(validation=rep.refit)
    if not cuts:
        return None
    first, last = cuts[0], cuts[-1]
    end = last + pd.Timedelta(days=int(h))
    asof = pd.Timestamp(asof)
    if asof >= end:
        return None
    whom = ""
    seen = getattr(inner, "fitted_rows_", None)
    if users is not None and seen is not None and len(users):
        ids = pd.Series(np.asarray(users)).astype(str).to_numpy()
        known = np.zeros(len(ids), dtype=bool)
        for c in cuts:
            if c + pd.Timedelta(days=int(h)) > asof:
                known |= np.isin(row_keys(pd.DataFrame({"user_id": ids, "cutoff": c})), seen)
        if not known.any():
            return None
        whom = f" for {int(known.sum()):,} of the {len(ids):,} customers scored"
    days = int((end - asof) / pd.Timedelta(days=1))
    return (f"--asof {asof:%Y-%m-%d} is before the end of the windows this model "
            f"learned from (cutoffs {first:%Y-%m-%d} .. {last:%Y-%m-%d}, {h}-day labels, to "
            f"{end - pd.Timedelta(days=1):%Y-%m-%d} inclusive): it has seen up to {days} "
            f"day{'' if days == 1 else 's'} of what "
            f"happened after this date{whom}, so judging "
            "these scores against it overstates the model (for a backtest, train with "
            "--last-cutoff so the windows end by the date scored)")


def table_in_sample_note(model: CustomerModel | object, features: pd.DataFrame) -> str | None:
    """The note for table rows the model was fitted or calibrated on (the same customer, and
    cutoff when the table has one, with the same values of the columns the model reads):
    their scores are in-sample. None when there are none or the model does not record its
    rows.

    A later snapshot of the same customers (a CRM export three months on, no cutoff column)
    is not in-sample: its values moved, and its outcomes are of a window the model never saw.
    It had been called in-sample row for row by id; a model trained before its rows' values
    were recorded (``fitted_values_``) can only match ids, and its note says so. The same cells
    at another ``--asof`` than the model's (``fitted_asof_``, recorded since 2026-12-08) are
    another snapshot, as another ``cutoff`` is: a dormant customer's unchanged row in a later
    export had been called in-sample.
    """
    inner = _inner_model(model)
    seen = getattr(inner, "fitted_rows_", None)
    if seen is None or "user_id" not in features.columns or not len(features):
        return None
    values = getattr(inner, "fitted_values_", None)
    if values is not None and inner is not None:
        inputs = set(inner.input_features_)

        def value_keys(frame: pd.DataFrame) -> np.ndarray:
            return row_value_keys(frame, [c for c in inner.numeric_ if c in inputs],
                                  [c for c in inner.categorical_ if c in inputs],
                                  value_key_dates(inner))

        # a model trained before 2026-12-06 on ids written '12345.0' hashed its rows under
        # that text; its training table's ids read '12345' since (``seen_rows``)
        known = seen_rows(features, values, value_keys)
        same = " and the same values of the columns it reads"
        asof = getattr(inner, "fitted_asof_", None)
        snaps = (snapshot_dates(features) if asof and "cutoff" not in features.columns
                 else None)
        if snaps is not None:  # the same cells at another --asof: another snapshot
            known &= snaps.dt.strftime("%Y-%m-%d").isin(asof).to_numpy()
            same = ", snapshot date (--asof)" + same
    else:
        known = seen_rows(features, seen)
        same = ("; this model, trained before 2026-12-06, records no values, so a later "
                "snapshot of the same customers is counted too")
    if not known.any():
        return None
    return (f"{int(known.sum()):,} of the {len(features):,} rows are rows this model was "
            "fitted or calibrated on (the same customer id"
            + (", cutoff" if "cutoff" in features.columns else "")
            + same
            + "): their scores are in-sample, so judging them against those rows' labels "
            "overstates the model (its validation metrics at training are the honest ones)")


def _inner_model(model: CustomerModel | object) -> CustomerModel | None:
    """The ``CustomerModel`` behind ``model``: itself (or anything shaped like one, with a fit
    report), or the one inside a loaded MLflow pyfunc; None otherwise."""
    if isinstance(model, CustomerModel) or hasattr(model, "report_"):
        return model  # type: ignore[return-value]
    return _pyfunc_model(model)


def _pyfunc_model(model: object) -> CustomerModel | None:
    """The ``CustomerModel`` inside a loaded MLflow pyfunc of one, else None."""
    try:
        inner = model.unwrap_python_model().model  # type: ignore[attr-defined]
    except AttributeError:
        return None
    return inner if hasattr(inner, "task") and hasattr(inner, "booster_") else None


def features_asof(model: CustomerModel | object, events: pd.DataFrame,
                  asof: str | pd.Timestamp, *,
                  calendar: pd.DataFrame | None = None,
                  refund_base: RefundPrior | None = None) -> pd.DataFrame:
    """The point-in-time features ``model`` scores, for every customer with an event before
    ``asof`` (the model's category and channel vocabulary; events from ``asof`` on unused).

    ``refund_base``: the base's refund share (``features.refund_prior`` of every customer's
    events) when ``events`` hold only some customers (``brain score --active-within``): the
    model was trained on ``refund_share_total`` shrunk towards every customer's share, and the
    share of a slice of them would move it (default: the share over ``events``).
    """
    return _default_features(calendar, _model_columns(model), refund_base)(
        events, pd.Timestamp(asof))


def score_asof(model: CustomerModel | object, events: pd.DataFrame, asof: str | pd.Timestamp, *,
               calendar: pd.DataFrame | None = None, reasons: bool = True,
               reason_method: str = "path", chunk_size: int = 250_000,
               n_jobs: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Features of every customer with an event before ``asof``, scored (see module doc).

    Adds an ``asof`` column (the date the scores describe).
    """
    asof = pd.Timestamp(asof)
    feats = features_asof(model, events, asof, calendar=calendar)
    out = score_features(model, feats, reasons=reasons, reason_method=reason_method,
                         chunk_size=chunk_size, n_jobs=n_jobs, progress=progress)
    out.insert(1 if "user_id" in out.columns else 0, "asof", asof)
    return out


def extend_purchase_horizon(model: CustomerModel, events: pd.DataFrame,
                            asof: str | pd.Timestamp, horizon_days: int, model_horizon_days: int,
                            *, feature_fn: FeatureFn | None = None,
                            calendar: pd.DataFrame | None = None,
                            users: pd.Series | None = None,
                            bgnbd_weight: float = 0.0,
                            refund_base: RefundPrior | None = None) -> pd.DataFrame:
    """P(at least one purchase in ``horizon_days``) from an ``model_horizon_days``-day model.

    Args:
        model: fitted propensity (P(purchase)) or churn (P(no purchase)) model.
        events: the event log; only events before ``asof`` are used.
        asof: the scoring date.
        horizon_days: the horizon wanted (H).
        model_horizon_days: the label window the model was trained on (h).
        feature_fn: ``(events, cutoff) -> features`` (default ``features.user_features`` with
            ``calendar``).
        calendar: the promotion calendar the model's features were built with (as for
            :func:`score_asof`; without it the first step would not be the model's own score).
        users: customers to score (default: everyone with an event before ``asof``).
        bgnbd_weight: weight ``w`` of the model's own BG/NBD in the result:
            ``p_purchase = (1 - w) * chain + w * (1 - exp(-E[orders in H days]))``, the BG/NBD
            fitted with the model (``model.bgnbd_params_``). The chain's trees cannot
            extrapolate beyond the recency seen in training, BG/NBD's smooth dropout process
            can; choose ``w`` on a backtest inside the training period (0 = chain only).
        refund_base: the base's refund share when ``events`` hold only some customers (as for
            :func:`features_asof`).

    Returns:
        ``user_id``, ``p_purchase`` (over H days), ``p_chain`` (the chain alone), ``p_bgnbd``
        (missing without BG/NBD) and ``p_step_1`` .. ``p_step_K`` (per-step purchase
        probabilities along the no-activity path).
    """
    if model.task not in ("propensity", "churn"):
        raise ValueError(f"extend_purchase_horizon: needs a propensity or churn model; received "
                         f"task {model.task!r}")
    if horizon_days < 1 or model_horizon_days < 1:
        raise ValueError(f"extend_purchase_horizon: horizons must be >= 1 day; received "
                         f"horizon_days={horizon_days}, model_horizon_days={model_horizon_days}")
    params = getattr(model, "bgnbd_params_", None)
    if not 0.0 <= bgnbd_weight <= 1.0 or (bgnbd_weight > 0 and params is None):
        raise ValueError(f"extend_purchase_horizon: bgnbd_weight must be in [0, 1] and needs a "
                         f"model fitted with BG/NBD features; received {bgnbd_weight} (model "
                         f"BG/NBD: {'yes' if params is not None else 'no'})")
    asof = pd.Timestamp(asof)
    if feature_fn is not None and calendar is not None:
        raise ValueError("extend_purchase_horizon: give either feature_fn or calendar, not both "
                         "(a custom feature_fn builds its own calendar features)")
    fn = feature_fn or _default_features(calendar, _model_columns(model), refund_base)
    past = events.loc[events["ts"].to_numpy() < asof.to_datetime64()]
    base = fn(past, asof)
    ids = base["user_id"] if users is None else pd.Series(users)
    steps = horizon_days / model_horizon_days
    survive = np.ones(len(ids))
    out = pd.DataFrame({"user_id": ids.to_numpy()})
    for k in range(int(np.ceil(steps))):
        feats = base if k == 0 else fn(past, asof + pd.Timedelta(days=model_horizon_days * k))
        feats = feats.set_index("user_id").reindex(ids.to_numpy()).reset_index()
        p = model.score(feats, allow_empty_columns=True)  # event features
        p_buy = 1.0 - p if model.task == "churn" else p
        out[f"p_step_{k + 1}"] = p_buy
        survive *= (1.0 - p_buy) ** min(1.0, steps - k)
    chain = 1.0 - survive
    p_bg = np.full(len(ids), np.nan)
    if params is not None and set(BGNBD_COLUMNS) <= set(base.columns):
        # Customers without an order have no BG/NBD summary: their expected orders are 0.
        e = bgnbd_features(params, base.set_index("user_id").reindex(ids.to_numpy()),
                           float(horizon_days))["bgnbd_expected_orders"].to_numpy()
        p_bg = 1.0 - np.exp(-np.nan_to_num(e, nan=0.0))
    p = chain if bgnbd_weight == 0 else (1 - bgnbd_weight) * chain + bgnbd_weight * p_bg
    out.insert(1, "p_purchase", p)
    out.insert(2, "p_chain", chain)
    out.insert(3, "p_bgnbd", p_bg)
    return out
