"""Customer scores as JSON answers: rows in, per-user dicts out, and the client-facing errors.

``_score_rows`` scores live rows (``score_frame``, decision-path reasons as ``brain score``
writes them); ``ScoreTable`` holds a snapshot's answers column-wise; ``score_jobs`` answers
several requests of one model with one call. ``BadRequestError`` (HTTP 400) and
``NotReadyError`` (503) are what every endpoint raises for the client; any other exception is a
failure of ours, a logged 500 (``_error_body.exception_answer``).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._registry import LoadedModel

__all__ = ["CACHED_REASONS", "REASON_METHOD", "BadRequestError", "InternalError",
           "NotReadyError", "ScoreJob", "ScoreTable", "check_cells", "check_table_dates",
           "contract_error", "records", "reject_first", "row_warnings", "score_jobs",
           "snapshot_date_warnings"]

CACHED_REASONS = 3
"""Reasons kept per user in the snapshot score cache (requests asking for more are live)."""


class BadRequestError(ValueError):
    """The request cannot be answered as sent; the message says what to fix (HTTP 400).

    ``code`` (machine-readable kind), ``field`` (top-level request field at fault), ``loc``
    (path to the bad input, default ``[field]``) and ``detail`` (one entry per bad input) go
    into the error answer beside the message (``_error_body.error_body``)."""

    def __init__(self, message: str, *, code: str = "bad_request", field: str | None = None,
                 loc: list[str | int] | None = None,
                 detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code, self.field, self.loc, self.detail = code, field, loc, detail


def reject_first(detail: list[dict[str, Any]], code: str, field: str,
                 what: str = "more") -> None:
    """A 400 of the first of ``detail``'s problems, saying how many more are in 'detail'
    (nothing when ``detail`` is empty): the request's rows, calendar or plan checked whole."""
    if detail:
        more = f" (and {len(detail) - 1} {what}, in 'detail')" if len(detail) > 1 else ""
        raise BadRequestError(detail[0]["msg"] + more, code=code, field=field,
                              loc=detail[0]["loc"], detail=detail)


def contract_error(exc: Any, field: str, code: str) -> BadRequestError:
    """A ``DataContractError`` about a list in the request (``calendar``) as a 400 that counts
    its items from 0 as ``loc`` does (``calendar[1]``): the loaders number a file's data rows
    from 1, and "first at row 1" read as the second event by this API's convention."""
    lines, detail = [], []
    for p in exc.problems:
        msg = (f"'{p.column}' " if p.column else "") + p.rule
        if p.n_rows:
            examples = p.examples or (None,) * len(p.rows)
            shown = ", ".join(f"{field}[{r - 1}]" + ("" if e is None else f" {e!r}")
                              for r, e in zip(p.rows, examples, strict=False))
            msg += f" ({p.n_rows} item{'s' if p.n_rows != 1 else ''}" + (
                f"; first: {shown})" if shown else ")")
        if p.fix:
            msg += f". Fix: {p.fix}"
        lines.append(msg)
        loc: list[str | int] = [field]
        if p.rows:
            loc.append(p.rows[0] - 1)
            if p.column and "+" not in p.column:
                loc.append(p.column)
        detail.append({"loc": loc, "msg": msg, "type": code})
    text = f"{field}: " + ("; ".join(lines) if len(lines) == 1 else
                           f"{len(lines)} problems: " + "; ".join(
                               f"({i}) {m}" for i, m in enumerate(lines, 1)))
    return BadRequestError(text, code=code, field=field, loc=detail[0]["loc"] if detail
                           else [field], detail=detail or None)


class InternalError(RuntimeError):
    """A failure of ours that a check of our own invariants raises by name (the micro-batcher's
    jobs of one model: ``score_jobs``): a logged 500 ``internal_error``, as every exception but
    ``BadRequestError``, pydantic's ``ValidationError`` and ``NotReadyError``. Until 2026-12-07
    a POST endpoint answered a bare ``ValueError``/``KeyError``/``TypeError`` as 400
    ``bad_request``, and five places re-raised their engines' errors as this class to be
    answered 500; they no longer need to."""


class NotReadyError(RuntimeError):
    """A model or the feature snapshot the endpoint needs is not loaded (HTTP 503); ``code``
    says which (``model_not_available``, ``snapshot_not_available``, ``not_ready``)."""

    def __init__(self, message: str, *, code: str = "not_ready") -> None:
        super().__init__(message)
        self.code = code


def _clean(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        # + 0.0: a -0.0 (a closed day's P90 from the band's arithmetic) is 0.0, not a '-0'
        # in the answer and on the planner's page ('P10-P90 0 - -0')
        return None if not math.isfinite(float(v)) else float(v) + 0.0
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (NaN -> null, numpy scalars -> Python, timestamps -> ISO strings)."""
    cols = list(frame.columns)
    return [{c: _clean(v) for c, v in zip(cols, row, strict=True)}
            for row in frame.itertuples(index=False, name=None)]


def _check_numbers(frame: pd.DataFrame, columns: list[str], *, table: bool = False,
                   decimal_comma: Collection[str] = ()) -> list[dict[str, Any]]:
    """Numeric features as floats (true/false as 1/0); a 400 naming the columns holding
    anything else (null is fine: a missing value).

    Without it text or lists in a numeric feature became missing values and the row was scored
    as if the caller had sent null.

    ``table``: the model was trained on a customer table (``brain train --table``), whose
    cells ``brain score --table`` reads from text: text cells are read as it reads them
    (``features.number_cells``: ``"31"``, ``"$17.71"``, ``"1,234.50"``, ``"12%"``; ``"N/A"``
    and ``""`` are missing), and the answer's warnings say so (``numbers_as_text``, one per
    column; returned). Other text is still a 400 (``brain score --table`` makes it missing with
    a note; a JSON client sending ``"lots"`` for a number more likely has a bug). Until
    2026-12-06 any text was a 400, though the CLI read the same cells of the table.

    ``decimal_comma``: the model's columns read with ',' as the decimal mark at fit
    (``CustomerModel.decimal_comma_``, a ';'-separated table): their text cells read so
    (``"19,19"`` is 19.19, ``"1,234"`` 1.234), as ``brain score --table`` and the pyfunc read
    them; until 2026-12-06 ``"19,19"`` was a 400 and ``"1,234"`` 1234 here."""
    from features import number_cells

    comma = set(decimal_comma)
    bad: list[str] = []
    detail: list[dict[str, Any]] = []
    read: list[dict[str, Any]] = []
    for col in columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            # JSON's Infinity (a NaN is read as missing, as null): scored as a huge number
            # without a word until 2026-12-07
            inf = np.flatnonzero(np.isinf(s.to_numpy(dtype=float, na_value=np.nan)))
            if inf.size:
                i, v = int(inf[0]), float(s.iloc[int(inf[0])])
                shown = "Infinity" if v > 0 else "-Infinity"
                bad.append(f"{col!r} ({inf.size} rows; first: rows[{i}] {shown})")
                detail.append({"loc": ["rows", i, col], "type": "finite_number",
                               "msg": f"{shown} is not a finite number; send a number, or null "
                                      f"for a missing value ({inf.size} rows)"})
            continue
        values = s.tolist()
        text = {i: v for i, v in enumerate(values) if isinstance(v, str)} if table else {}
        got: dict[int, float] = {}
        if text:
            cells = pd.Series(list(text.values()), index=list(text), dtype=object)
            nums, missing = number_cells(cells, col in comma)
            got = {i: (np.nan if missing[i] else float(nums[i])) for i in text
                   if missing[i] or np.isfinite(nums[i])}
        wrong = [(i, v) for i, v in enumerate(values)
                 if v is not None and i not in got and (not isinstance(v, int | float)
                                                        or math.isinf(v))]
        if wrong:
            i, v = wrong[0]
            bad.append(f"{col!r} ({len(wrong)} rows; first: rows[{i}] {v!r})")
            detail.append({"loc": ["rows", i, col], "type": "not_a_number",
                           "msg": f"must be a number or null; {len(wrong)} rows hold something "
                                  f"else (first: rows[{i}] {v!r})"})
            continue
        frame[col] = pd.Series([got[i] if i in got else np.nan if v is None else float(v)
                                for i, v in enumerate(values)], index=s.index, dtype="float64")
        if got:
            i = min(got)
            shown = "missing" if np.isnan(got[i]) else f"{got[i]:g}"
            read.append({"code": "numbers_as_text", "field": "rows", "column": col,
                         "rows": len(got), "positions": sorted(got)[:_SHOWN_VALUES],
                         "message": f"{col!r}: {len(got)} rows sent the number as text, read "
                                    f"as brain score --table reads a table's cells (first: "
                                    f"rows[{i}] {text[i]!r} as {shown}); send numbers (or "
                                    "null) to skip this"})
    if bad:
        raise BadRequestError(f"rows: these feature columns must hold numbers or null: "
                              f"{'; '.join(bad[:10])}{' ...' if len(bad) > 10 else ''}",
                              code="not_a_number", field="rows", loc=detail[0]["loc"],
                              detail=detail)
    return read


def check_cells(model: Any, frame: pd.DataFrame) -> None:
    """A 400 ``invalid_rows`` at ``["rows", i, col]`` for a list or an object in a column the
    model reads that is not a number (its categories, a table's dates and snapshot date):
    the model reads text, numbers and null there. Until 2026-12-07 such a cell failed inside
    the checks or the scoring with pandas' or numpy's message ("The truth value of an array
    ... is ambiguous"), answered 400 ``bad_request`` or ``invalid_rows`` with that text."""
    numeric = set(getattr(model, "numeric_", []))
    cols = [c for c in dict.fromkeys([*_model_inputs(model), *getattr(model, "categorical_", []),
                                      *(ROW_LABELS[1:] if getattr(model, "date_days_", ())
                                        else ())])
            if c in frame.columns and c not in numeric and frame[c].dtype == object]
    detail: list[dict[str, Any]] = []
    for col in cols:
        wrong = [(i, v) for i, v in enumerate(frame[col].tolist())
                 if isinstance(v, list | dict)]
        if wrong:
            i, v = wrong[0]
            what = "a list" if isinstance(v, list) else "an object"
            detail.append({"loc": ["rows", i, col], "type": "invalid_rows",
                           "msg": f"rows[{i}].{col} is {what}: the model reads text, a number "
                                  f"or null there; {len(wrong)} rows hold a list or an object "
                                  "(send one value per cell)"})
    reject_first(detail, "invalid_rows", "rows", "more columns")


def _one_date(column: str, value: Any) -> bool:
    """Whether the model reads ``value`` alone as the table's date (or a missing one)."""
    from training._customer_dates import snapshot_dates

    try:
        snapshot_dates(pd.DataFrame({column: [value]}))
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def check_table_dates(model: Any, frame: pd.DataFrame) -> None:
    """For a model trained on a customer table whose date columns it reads as days since the
    table's date (``CustomerModel.date_days_``): a 400 when the rows do not say that date (no
    ``asof`` or ``cutoff`` column, ``missing_columns``), or when it or a date cell is not a
    date (``invalid_rows`` at the row and column), as ``brain score --table`` refuses them.
    Until 2026-12-07 the model's own errors answered them (400 ``invalid_rows``, 'rows could
    not be scored: ...'), from inside the scoring, where a failure of ours looked the same."""
    from features import DataContractError
    from training._customer_dates import SNAPSHOT_COLUMNS, days_since, snapshot_dates

    dates = list(getattr(model, "date_days_", ()) or ())
    if not dates:
        return
    which = next((c for c in SNAPSHOT_COLUMNS if c in frame.columns), None)
    if which is None:
        raise BadRequestError(
            f"rows: this model reads the date column{'s' if len(dates) > 1 else ''} "
            f"{', '.join(map(repr, dates))} as days since the date the table was taken; give "
            "each row that date as 'asof' (YYYY-MM-DD; or a 'cutoff' column of dates)",
            code="missing_columns", field="rows", loc=["rows", "asof"],
            detail=[{"loc": ["rows", "asof"], "type": "missing_column",
                     "msg": "the date the table was taken is missing"}])
    try:
        snapshot_dates(frame)  # pandas parses the column whole, as the model reads it
    except (ValueError, TypeError, OverflowError):
        values = frame[which].tolist()
        i = next((i for i, v in enumerate(values) if not _one_date(which, v)), None)
        what = (f"rows[{i}].{which} {str(values[i])[:40]!r} is not a date" if i is not None
                else f"rows: the '{which}' dates are written in more than one way")
        raise BadRequestError(f"{what}: send the day the table was taken as YYYY-MM-DD",
                              code="invalid_rows", field="rows",
                              loc=["rows", which] if i is None else ["rows", i, which]
                              ) from None
    try:
        days_since(frame, dates, "rows", getattr(model, "date_formats_", None) or {})
    except DataContractError as exc:  # its rows counted from 1, as a file's
        raise contract_error(exc, "rows", "invalid_rows") from exc


def _model_inputs(model: Any) -> list[str]:
    """Columns a ``CustomerModel`` needs from the caller (derived ones it computes itself)."""
    from training._customer_bgnbd import BGNBD_COLUMNS
    from training._customer_models import DERIVED

    # a table's date columns read as days since the snapshot: the caller sends the dates (and
    # an 'asof' or 'cutoff'), the model counts the days
    dates = tuple(getattr(model, "date_days_", ()))
    days = {f"days_since_{c}" for c in dates}
    need = [c for c in model.features_ if c not in DERIVED and not c.startswith("bgnbd_")
            and c not in days]
    need += [c for c in dates if c not in need]
    if getattr(model, "bgnbd_params_", None) is not None:
        need += [c for c in BGNBD_COLUMNS if c not in need]
    for name, inputs in DERIVED.items():
        if name in model.features_:
            need += [c for c in inputs if c not in need]
    return need


def _missing_inputs(model: Any, frame: pd.DataFrame) -> list[str]:
    """Columns a ``CustomerModel`` needs from the caller that ``frame`` lacks."""
    have = set(frame.columns)
    return [c for c in _model_inputs(model) if c not in have]


ROW_LABELS = ("user_id", "cutoff", "asof")
"""Columns of live rows that label a row rather than feed the model (never warned about)."""
_SHOWN_VALUES = 10


def _level_sets(model: Any, levels: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """Each categorical column's levels as a set, kept on the (loaded, read-only) model."""
    cached = getattr(model, "_api_level_sets", None)
    if cached is None:
        cached = {col: frozenset(map(str, vals)) for col, vals in levels.items()}
        with contextlib.suppress(AttributeError):  # else rebuilt per request
            model._api_level_sets = cached
    return cached


def snapshot_date_warnings(model: Any, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """For live ``rows`` of a model that reads a customer table's date columns as days since
    the rows' ``asof`` (or ``cutoff``): the warning ``brain score --table`` prints when that
    date does not fit the dates as training's did (``training._customer_dates.
    snapshot_date_problems``: most dates after it where the model learned past dates, or most
    rows more days after a date than any row trained on), as ``{"code": "snapshot_date",
    "field": "rows", "columns", "rows", "positions", "message"}``; the rows are still scored.
    Until 2026-12-08 the API said nothing: rows sent with an ``asof`` of 2020-01-01 for a
    2026-06-30 export were scored with days since the last order of -2,272 in silence."""
    from training._customer_dates import snapshot_date_problems, snapshot_date_warning

    if not getattr(model, "date_days_", ()):
        return []
    problems = snapshot_date_problems(model, frame)
    if not problems:
        return []
    text = snapshot_date_warning(model, frame, "rows")
    return [{"code": "snapshot_date", "field": "rows",
             "columns": [str(p["column"]) for p in problems],
             "rows": max(int(p["rows"]) for p in problems),  # type: ignore[call-overload]
             "positions": sorted({int(i) for p in problems
                                  for i in p["positions"]}),  # type: ignore[attr-defined]
             "message": f"rows: {text}"}]


def row_warnings(model: Any, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """What the model ignores in live ``rows``, which are still scored (a 200): columns it does
    not read (``unknown_columns``) and, per categorical column, values it never saw at fit
    (``unseen_categories``; scored like a missing value). Values that equal a level once case
    and surrounding spaces are ignored are read as that level and are not reported."""
    from training._customer_levels import model_level_codes

    if frame.attrs:  # pandas deep-copies attrs on every column taken (most of this check)
        frame = frame.copy(deep=False)
        frame.attrs = {}
    used = {*ROW_LABELS, *_model_inputs(model), *getattr(model, "features_", []),
            *getattr(model, "input_features_", []), getattr(model, "label_col_", None),
            getattr(model, "id_col_", None)}  # a table's own id column labels the row
    out: list[dict[str, Any]] = []
    extra = [str(c) for c in frame.columns if c not in used]
    if extra:
        shown = ", ".join(map(repr, extra[:_SHOWN_VALUES]))
        more = f" and {len(extra) - _SHOWN_VALUES} more" if len(extra) > _SHOWN_VALUES else ""
        out.append({"code": "unknown_columns", "field": "rows", "columns": extra,
                    "message": f"rows: {len(extra)} column{'s' if len(extra) != 1 else ''} "
                               f"the model does not read, ignored: {shown}{more} (check the "
                               "spelling if one was meant as a feature)"})
    levels: dict[str, list[str]] = getattr(model, "levels_", {}) or {}
    known = _level_sets(model, levels)
    for col in getattr(model, "categorical_", []):
        if col not in frame.columns or col not in levels:
            continue
        values = frame[col]
        # a set lookup first (this runs for every live request: level_codes alone took
        # 1.6 ms of a one-row request, a fifth of scoring it); only values that are not a
        # level as written go through the case- and space-blind matching
        if all(pd.isna(v) or str(v) in known[col] for v in values.tolist()):
            continue
        codes = model_level_codes(model, col, values)
        unseen = values[(codes < 0) & values.notna().to_numpy()]
        if unseen.empty:
            continue
        distinct = [str(v) for v in pd.unique(unseen.astype(str))]
        shown = ", ".join(map(repr, distinct[:_SHOWN_VALUES]))
        more = (f" and {len(distinct) - _SHOWN_VALUES} more"
                if len(distinct) > _SHOWN_VALUES else "")
        out.append({"code": "unseen_categories", "field": "rows", "column": str(col),
                    "values": distinct, "rows": len(unseen),
                    "message": f"rows: column {col!r} has values the model never saw in "
                               f"training, scored as missing ({len(unseen)} row"
                               f"{'s' if len(unseen) != 1 else ''}): {shown}{more}; it knows "
                               f"{', '.join(map(repr, levels[col][:_SHOWN_VALUES]))}"
                               f"{' ...' if len(levels[col]) > _SHOWN_VALUES else ''}"})
    inputs = [c for c in _model_inputs(model) if c in frame.columns]
    if inputs:
        empty = np.ones(len(frame), dtype=bool)
        for col in inputs:  # column by column, stopping at once for rows with values (0.4 ms
            empty &= frame[col].isna().to_numpy()  # for the whole block of a one-row request)
            if not empty.any():
                break
        blank = np.flatnonzero(empty)
        if len(blank):
            shown = ", ".join(f"rows[{i}]" for i in blank[:_SHOWN_VALUES])
            out.append({"code": "empty_rows", "field": "rows",
                        "positions": [int(i) for i in blank],
                        "message": f"rows: {len(blank)} row{'s' if len(blank) != 1 else ''} "
                                   f"{'hold' if len(blank) != 1 else 'holds'} no value in any "
                                   f"feature the model reads ({shown}"
                                   f"{' ...' if len(blank) > _SHOWN_VALUES else ''}): scored "
                                   "as a customer about whom nothing is known (a churn model "
                                   "reads that as long gone), not as a new customer; send "
                                   "their features, or check the integration that built the "
                                   "rows"})
    return out


REASON_METHOD = "path"
"""Reasons the API gives: decision-path contributions, as ``brain score`` writes by default (the
same sentences for a user whether asked live, by id or in a batch file; TreeSHAP is ~10x slower)."""


def _score_rows(model: Any, frame: pd.DataFrame, top: int,
                reference: np.ndarray | None = None) -> list[dict[str, Any]]:
    """score_frame output as JSON-ready per-user dicts; rank tiers among ``reference``.

    Live ``rows`` are checked before (``Brain.prepare_score``: ids, cutoffs, missing columns,
    numbers, category cells, a table's dates): an exception out of scoring them is a failure of
    ours, a logged 500, as for the snapshot's rows of a request by ``user_ids`` (until
    2026-12-07 it was answered 400 ``invalid_rows`` with the internal message)."""
    from training._customer_mlflow import score_frame

    out = score_frame(model, frame, reasons=top > 0, top=max(top, 1),
                      reason_method=REASON_METHOD, reference=reference)
    reason_cols = [c for c in out.columns if c.startswith("reason_")]
    return [{
        "user_id": str(row["user_id"]), "score": row["score"], "tier": str(row["tier"]),
        "early_warning": None if row["early_warning"] is None else bool(row["early_warning"]),
        "early_warning_basis": row.get("early_warning_basis"),
        "early_warning_chance": row.get("early_warning_chance"),
        "early_warning_spend": _optional_flag(row.get("early_warning_spend")),
        "reasons": [row[c] for c in reason_cols if row[c]][:top]}
        for row in records(out)]


_EARLY_WARNING = (None, False, True)


def _optional_flag(value: Any) -> bool | None:
    """A nullable flag as JSON: None for a missing value (``pd.NA``, NaN, absent)."""
    return None if value is None or value is pd.NA or (
        isinstance(value, float) and math.isnan(value)) else bool(value)


def _flag_codes(flag: pd.Series | None, n: int) -> np.ndarray:
    """A nullable flag column as codes of ``_EARLY_WARNING``: 0 unknown, 1 no, 2 yes."""
    if flag is None:
        return np.zeros(n, dtype=np.int8)
    return np.where(flag.isna().to_numpy(), 0,
                    np.where(flag.fillna(False).astype(bool).to_numpy(), 2, 1)).astype(np.int8)
_BASIS = (None, "visits", "orders")


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """One model's answers for every snapshot user, held column-wise.

    Per-user dicts cost about 2.4 KB per user and model (measured: 47 MB for 19,591 users), so a
    million customers and three models would hold ~7 GB; here each user costs two floats, four
    one-byte codes and three ``int32`` sentence codes, the distinct sentences are stored once,
    and the user-id index is shared by the models of one snapshot. Answers are rebuilt per
    request (a few microseconds per user) and equal what ``_score_rows`` gives.
    """

    position: dict[str, int]
    score: np.ndarray
    tier_code: np.ndarray
    tier_names: tuple[str, ...]
    warning_code: np.ndarray  # 0 unknown, 1 no, 2 yes
    basis_code: np.ndarray  # what the flag was judged on: 0 unknown, 1 visits, 2 orders
    warning_chance: np.ndarray  # early_warning_chance, NaN where there is none
    spend_code: np.ndarray  # early_warning_spend: 0 unknown, 1 no, 2 yes
    reason_code: np.ndarray  # (users, CACHED_REASONS), -1 = none
    sentences: tuple[str, ...]
    sorted_score: np.ndarray  # ascending: where live rows of a rank-tiered model are placed

    def __len__(self) -> int:
        return len(self.score)

    @classmethod
    def build(cls, scored: pd.DataFrame, position: dict[str, int]) -> ScoreTable:
        """From ``score_features`` output whose rows follow ``position``'s order."""
        n = len(scored)
        if n != len(position):
            raise ValueError(f"ScoreTable: {n} scored rows for {len(position)} users")
        tiers = pd.Categorical(scored["tier"].astype(str))
        warning = _flag_codes(scored["early_warning"], n)
        spend = _flag_codes(scored.get("early_warning_spend"), n)
        basis = scored.get("early_warning_basis", pd.Series(pd.NA, index=scored.index))
        basis_code = np.select([basis.eq("visits").fillna(False).to_numpy(dtype=bool),
                                basis.eq("orders").fillna(False).to_numpy(dtype=bool)], [1, 2], 0)
        chance = pd.to_numeric(scored.get("early_warning_chance",
                                          pd.Series(np.nan, index=scored.index)),
                               errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        cols = [c for c in scored.columns if c.startswith("reason_")][:CACHED_REASONS]
        codes = np.full((n, CACHED_REASONS), -1, dtype=np.int32)
        sentences: tuple[str, ...] = ()
        if cols:
            stacked = pd.concat([scored[c].astype("string") for c in cols], ignore_index=True)
            stacked = stacked.mask(stacked == "")
            flat, uniques = pd.factorize(stacked, use_na_sentinel=True)
            codes[:, :len(cols)] = flat.reshape(len(cols), n).T
            sentences = tuple(str(u) for u in uniques)
        score = scored["score"].to_numpy(dtype=float, copy=True)
        return cls(position, score, tiers.codes.astype(np.int8),
                   tuple(str(c) for c in tiers.categories), warning.astype(np.int8),
                   basis_code.astype(np.int8), chance, spend, codes, sentences,
                   np.sort(score))

    def answer(self, user_id: str, top: int) -> dict[str, Any] | None:
        """The user's answer with at most ``top`` reasons; None for an unknown id."""
        i = self.position.get(user_id)
        if i is None:
            return None
        score = float(self.score[i])
        sentences = self.sentences
        reasons = [sentences[c] for c in self.reason_code[i].tolist() if c >= 0][:top]
        chance = float(self.warning_chance[i])
        return {"user_id": user_id, "score": None if math.isnan(score) else score,
                "tier": self.tier_names[self.tier_code[i]],
                "early_warning": _EARLY_WARNING[self.warning_code[i]],
                "early_warning_basis": _BASIS[self.basis_code[i]],
                "early_warning_chance": None if math.isnan(chance) else chance,
                "early_warning_spend": _EARLY_WARNING[self.spend_code[i]],
                "reasons": reasons}


@dataclass(frozen=True)
class ScoreJob:
    """Rows to score live with one loaded model (from ``Brain.prepare_score``)."""

    loaded: LoadedModel
    frame: pd.DataFrame
    top: int
    errors: list[dict[str, Any]]
    reference: np.ndarray | None = None  # value: scores the rows are ranked among (ascending)
    sent: list[Any] | None = None  # per frame row, the id as the client wrote it
    warnings: tuple[dict[str, Any], ...] = ()  # what the model ignores in live rows
    asof: str | None = None  # snapshot_cutoff of the snapshot users given by id were scored from
    notes: tuple[str, ...] = ()  # brain score's caveats on the snapshot's scores (by id)
    # the answer's season and season_unknown_reason (serving._score_notes.season_answer)
    season: dict[str, Any] = field(default_factory=lambda: {"season": None,
                                                            "season_unknown_reason": None})
    # live rows: their notes from their scores (a frame with 'score'), instead of ``notes``
    row_notes: Callable[[pd.DataFrame], list[str]] | None = None

    @property
    def batch_key(self) -> tuple[int, int]:
        """Jobs with the same key can share one model call."""
        return (id(self.loaded), self.top)


def score_jobs(jobs: list[ScoreJob]) -> list[dict[str, Any]]:
    """Answer several jobs of the same model and ``top`` with one model call over all their
    rows (one job: a plain call). Results are identical to scoring each job alone.

    A scoring failure is ours (the rows were checked before): a logged 500; the micro-batcher
    retries a failed batch job by job, so one job's failure is answered to that job alone.
    Jobs of different models or ``top`` are a bug of the caller (``InternalError``)."""
    if not jobs:
        return []
    first = jobs[0]
    if any(j.batch_key != first.batch_key for j in jobs):
        raise InternalError("score_jobs needs jobs of one model and one top_reasons")
    frames = [j.frame for j in jobs if len(j.frame)]
    rows: list[dict[str, Any]] = []
    if frames:
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        rows = _score_rows(first.loaded.model.model, frame, first.top, first.reference)
    out, at = [], 0
    for j in jobs:
        n = len(j.frame)
        results = rows[at:at + n]
        if j.sent is not None:  # echo each id as sent: a number stays a number
            for r, u in zip(results, j.sent, strict=True):
                r["user_id"] = u
        notes = list(j.notes)
        if j.row_notes is not None:
            notes = j.row_notes(pd.DataFrame({"score": np.array(
                [np.nan if r["score"] is None else r["score"] for r in results], dtype=float)}))
        out.append({"model": j.loaded.name, "version": j.loaded.version,
                    "snapshot_cutoff": j.asof,
                    "features_asof": j.asof,  # deprecated name (2026-12-07)
                    "results": results, "errors": j.errors,
                    "warnings": list(j.warnings), "notes": notes, **j.season})
        at += n
    return out
