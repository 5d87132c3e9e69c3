"""What every endpoint does, without the web framework: testable with small in-memory models.

``Brain`` holds the loaded champions (``Champions``) and the latest feature snapshot, and turns
validated requests (``_schemas``) into plain JSON-ready dicts. It raises ``BadRequestError`` for
anything the client can fix and ``NotReadyError`` when a needed model or snapshot is missing; the
BentoML layer maps them to HTTP status codes in one place (``service._errors``).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import shlex
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from training._forecast_text import period_text

from ._answers import (
    CACHED_REASONS,
    REASON_METHOD,
    BadRequestError,
    NotReadyError,
    ScoreJob,
    ScoreTable,
    _check_numbers,
    _missing_inputs,
    check_cells,
    check_table_dates,
    records,
    reject_first,
    row_warnings,
    score_jobs,
    snapshot_date_warnings,
)
from ._channel_value import channel_value
from ._core_ab import API_NAMES, analyze, plan
from ._forecast_answer import forecast_answer
from ._registry import Champions, LoadedModel
from ._schemas import (
    INT_ID_MAX,
    INT_ID_MIN,
    ChannelValueRequest,
    ForecastRequest,
    SegmentsRequest,
    UsersRequest,
)
from ._schemas_ab import AnalyzeRequest, PlanRequest
from ._score_notes import (
    NOTES_PENDING,
    SeasonReading,
    other_cutoff,
    read_cutoff,
    read_season,
    row_notes,
    season_answer,
    snapshot_notes,
)
from ._snapshot import Snapshot, snapshot_dir, snapshot_stamp

__all__ = ["API_NAMES", "CACHED_REASONS", "ENDPOINT_MODELS", "REASON_METHOD", "BadRequestError",
           "Brain", "NotReadyError", "ScoreJob", "ScoreTable", "score_jobs"]

_log = logging.getLogger("serving.api")
FORECAST_CACHE = 256
"""Forecast answers kept (per champion version and request: series, horizon, calendar and
plan), least recently added dropped: one series' answer each, so a budget run over every store
of a 60-store model stays cached."""
SEGMENT_COLUMNS = ("r_score", "f_score", "m_score", "rfm", "segment", "scene")
"""The snapshot's segment columns ``POST /segments`` answers per user."""
ENDPOINT_MODELS = {"churn_risk": "churn", "purchase_propensity": "purchase_propensity",
                   "customer_value": "customer_value"}


_INTEGRAL_FLOAT_ID = re.compile(r"^(-?\d{1,18})\.0*$")


def _id_key(u: Any) -> str:
    """The snapshot key of a requested id: its text without surrounding spaces, as the loaders
    store ids (a CRM's ' 0055117485 ' had been an unknown user id), and without the ``.0`` of
    an integral float written as text (``'12347.0'`` is the id 12347 in every file the loaders
    read, features._parse._parse_id; it had been an unknown user id); answers echo it as sent."""
    return _INTEGRAL_FLOAT_ID.sub(r"\1", str(u).strip())


def _row_ids(req: UsersRequest, id_col: str | None = None) -> list[Any]:
    """Each feature row's id as sent, or ``row-<position>`` for a row without one: its
    ``user_id``, else for a model of a customer table its own id column (``id_col``, the
    model's ``id_col_``: ``customerID``), as ``brain score --table`` and the pyfunc read it
    (the API had answered a Telco table's rows as ``row-0``, ``row-1`` ... and called
    ``customerID`` a column the model does not read).

    An id is a string or an integer within 64 bits, as in ``user_ids`` (it is echoed in the
    answer: ``true``, ``1.5`` or ``[1]`` had come back as ids, and an integer beyond 64 bits
    had failed the whole answer with a 500)."""
    out: list[Any] = []
    for i, r in enumerate(req.rows or []):
        uid, key = r.get("user_id"), "user_id"
        if uid is None and id_col is not None:
            uid, key = r.get(id_col), id_col
        if uid is None:
            out.append(f"row-{i}")
            continue
        if isinstance(uid, bool) or not isinstance(uid, (str, int)) or (
                isinstance(uid, int) and not INT_ID_MIN <= uid <= INT_ID_MAX):
            raise BadRequestError(
                f"rows[{i}].{key} must be a string or an integer within 64 bits (longer ids "
                f"as strings); received {json.dumps(uid)[:60]}" + (
                    f"; send {int(uid)} or \"{int(uid)}\" (files read '{uid!r}' as the id "
                    f"{int(uid)}, an id column read as floats writes it so)"
                    if isinstance(uid, float) and uid.is_integer()
                    and INT_ID_MIN <= int(uid) <= INT_ID_MAX else
                    f"; send it as a string, \"{int(uid)}\" (a number this large read as a "
                    "float may not be the exact id: take it from the source)"
                    if isinstance(uid, float) and uid.is_integer() else ""),
                code="invalid_rows",
                field="rows", loc=["rows", i, key])
        out.append(uid)
    return out


def _check_empty_columns(model: Any, frame: pd.DataFrame, sent: dict[str, pd.Series]) -> None:
    """A 400 ``unreadable_columns`` at ``["rows", column]`` when 20 rows or more of a customer
    table model hold no number in a number column it learned from (null, '', 'n/a' in every
    row): the check ``brain score --table`` and the pyfunc make (``training._customer_empty``),
    unless the request says ``"allow_empty_columns": true``. Fewer rows (one customer) are
    scored with the value missing; text that is no number is already a 400 ``not_a_number``.
    Until 2026-12-07 such rows were scored as if the value were unknown for everyone."""
    from training._customer_empty import EmptyColumnsError, check_empty_columns

    try:
        check_empty_columns(model, frame, name="rows",
                            option='send "allow_empty_columns": true with the rows',
                            written=sent)
    except EmptyColumnsError as exc:
        raise BadRequestError(
            str(exc), code="unreadable_columns", field="rows", loc=["rows", exc.columns[0]],
            detail=[{"loc": ["rows", c], "type": "unreadable_column",
                     "msg": "no row holds a number in this column the model learned from"}
                    for c in exc.columns]) from None


def _check_cutoffs(req: UsersRequest) -> None:
    """A 400 ``invalid_rows`` at ``["rows", i, "cutoff"]`` for each live row whose ``cutoff``
    is not a date (``_score_notes.read_cutoff``): it had been taken for another day than the
    snapshot's, and the rows answered ``season_unknown_reason: other_window``."""
    detail: list[dict[str, Any]] = []
    for i, r in enumerate(req.rows or []):
        try:
            read_cutoff(r.get("cutoff"))
        except ValueError as exc:
            detail.append({"loc": ["rows", i, "cutoff"], "type": "invalid_rows",
                           "msg": f"rows[{i}].cutoff {exc}"})
    reject_first(detail, "invalid_rows", "rows")


_CLI_TASKS = {"churn": "churn", "purchase_propensity": "propensity",
              "customer_value": "value"}
"""Customer model name -> ``brain train`` / ``brain score`` task."""


def _stale_snapshot(model: Any, missing: list[str]) -> bool:
    """Whether the columns the snapshot lacks are event features of a model trained on events:
    the snapshot was written before they existed (``refund_share_total``, 2026-12-06), and a
    new one of the same events feeds the model."""
    from features import CATALOGUE

    return not getattr(model, "id_col_", None) and all(c in CATALOGUE for c in missing)


def _unfed_text(loaded: LoadedModel, model: Any, snap: Snapshot, missing: list[str]) -> str:
    """'churn v2 (@champion) was trained on a customer table (...): the feature snapshot (...)
    lacks 7 of its columns (...)'; for a snapshot older than the event features of a model
    trained on events, that it was written before them and how to rebuild it."""
    cols = f"{', '.join(map(repr, missing[:10]))}{' ...' if len(missing) > 10 else ''}"
    if _stale_snapshot(model, missing):
        return (f"{loaded.name} v{loaded.version} (@champion) was trained on event features "
                f"the snapshot (event features as of {snap.cutoff.date()}) lacks ({cols}): it "
                f"was written before {'this column' if len(missing) == 1 else 'these columns'}"
                " existed. Rebuild it from the same events with brain snapshot --data DIR (or "
                "--events FILE), then POST /reload")
    what = (f"a customer table (id column {model.id_col_!r})"
            if getattr(model, "id_col_", None) else "other feature columns")
    return (f"{loaded.name} v{loaded.version} (@champion) was trained on {what}: the feature "
            f"snapshot (event features as of {snap.cutoff.date()}) lacks {len(missing)} of its "
            f"columns ({cols})")


class Brain:
    """The prediction API's logic. ``champions`` may be refreshed while requests run."""

    def __init__(self, champions: Champions, snapshot: Snapshot | None) -> None:
        self.champions = champions
        self.snapshot = snapshot
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, int], ScoreTable] = {}
        # brain score's caveats on each champion's scores of the snapshot, keyed as _cache
        self._notes: dict[tuple[str, str, int], list[str]] = {}
        # the season of each champion's window from the snapshot's cutoff, keyed as _cache
        self._seasons: dict[tuple[str, str, int], SeasonReading] = {}
        self.batching: Any = None  # the service's MicroBatcher stats, shown by models()
        # whole /forecast_traffic answers per (champion version, request)
        self._forecasts: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

    # ------------------------------------------------------------------ plumbing
    def _model(self, name: str) -> LoadedModel:
        m = self.champions.get(name)
        if m is None:
            why = self.champions.errors.get(name, f"no {name}@champion loaded")
            how = {"traffic_forecaster": "brain forecast train ...", "churn": "brain train churn",
                   "purchase_propensity": "brain train propensity",
                   "customer_value": "brain train value"}.get(name, "brain train ...")
            if self.champions.registry_error is not None:  # training would not help
                raise NotReadyError(f"model '{name}' is not available: {why}; the API asks "
                                    "again on POST /reload (and every BRAIN_RELOAD_SECONDS)",
                                    code="model_not_available")
            raise NotReadyError(f"model '{name}' is not available: {why}. Train and register it "
                                f"(brain demo, or {how}), then POST /reload",
                                code="model_not_available")
        return m

    def _snap(self) -> Snapshot:
        if self.snapshot is None:
            raise NotReadyError("no feature snapshot is loaded: run 'brain demo' or "
                                "'brain snapshot --data DIR', then POST /reload",
                                code="snapshot_not_available")
        return self.snapshot

    def reload(self) -> dict[str, Any]:
        """Reload champions whose alias moved, and the snapshot if its files changed.

        An unchanged snapshot is kept (not read again): the score cache is keyed by the
        snapshot object, so re-reading the same files had dropped every model's cached scores
        on each reload, answering by id live (slower, and value tiers among the validation
        customers) until all were re-scored."""
        changes = self.champions.refresh()
        current = self.snapshot
        if (current is not None and current.stamp and current.path == snapshot_dir()
                and snapshot_stamp() == current.stamp):
            snap: Snapshot | None = current
        else:
            snap = Snapshot.load()
        with self._lock:
            if snap is not None:
                if snap is not self.snapshot:
                    # the cache is keyed by id() of the snapshot: the old one's entries can
                    # never be served again, and once it is freed a snapshot loaded later
                    # usually gets its id (49 of 50 tries), so they would answer for it (and
                    # warm would skip scoring it): stale scores by id and in /channel_value
                    self._cache = {}
                    self._notes = {}
                    self._seasons = {}
                self.snapshot = snap
        return {"changes": changes, "loaded": {k: v.version for k, v in
                                                self.champions.loaded.items()},
                "errors": self.champions.errors,
                "cannot_score_snapshot": self.unfed_champions(),
                "registry_error": self.champions.registry_error,
                "snapshot_cutoff": (None if self.snapshot is None
                                    else period_text(self.snapshot.cutoff))}

    def models(self) -> dict[str, Any]:
        snap = self.snapshot
        # scores cached for the champion now served: a previous champion's stay in the cache
        # until the new one's are made (never, for a champion trained on a customer table,
        # which the snapshot cannot feed), and had been listed as if they were its
        live = {name: m.ident for name, m in self.champions.loaded.items()}
        return {
            "models": [m.describe() for m in self.champions.loaded.values()],
            "missing": self.champions.errors,
            "snapshot": None if snap is None else {
                "cutoff": period_text(snap.cutoff), "users": len(snap.features),
                "path": str(snap.path),
                "scored_by": sorted(k[0] for k in self._cache
                                    if k[2] == id(snap) and live.get(k[0]) == k[1])},
            "batching": None if self.batching is None else self.batching.as_dict(),
        }

    # ------------------------------------------------------------------ customers
    def _feature_rows(self, req: UsersRequest,
                      id_col: str | None = None) -> tuple[pd.DataFrame, list[str]]:
        if req.user_ids is not None:
            return self._snap().lookup([_id_key(u) for u in req.user_ids])
        frame = pd.DataFrame(req.rows)
        # a column that is null in every row sent (JSON null) is a missing number, not text:
        # typed as float it scores, explains and batches like the same column with values
        empty = [c for c in frame.columns if frame[c].dtype == object and frame[c].isna().all()]
        if empty:
            frame[empty] = frame[empty].astype(float)
        # ids from the request itself, not the frame's column (pandas turns [1, 2, null] into
        # floats: '1.0'); a row without an id (or a null one) is labelled by its position
        frame["user_id"] = [str(u) for u in _row_ids(req, id_col)]
        return frame, []

    def warm(self) -> dict[str, int]:
        """Score every snapshot user with each loaded customer model, so requests by id become
        lookups. Keyed by model version and snapshot: a new champion or snapshot is re-scored.

        Runs in a background thread of the server: chunks of 50,000 users, one thread, so the
        other core keeps answering requests while a million customers are scored."""
        from training._customer_scoring import score_features

        snap = self.snapshot
        done: dict[str, int] = {}
        if snap is None:
            return done
        position: dict[str, int] | None = None
        # the seasons first (no score needed, milliseconds): live rows and the answers by id
        # scored live carry them from here on
        for name in ENDPOINT_MODELS.values():
            loaded = self.champions.get(name)
            if loaded is None or (name, loaded.ident, id(snap)) in self._seasons:
                continue
            key = (name, loaded.ident, id(snap))
            reading = self._read_season(loaded, snap)
            with self._lock:
                if self.snapshot is not snap:
                    return done
                self._seasons = {**{k: v for k, v in self._seasons.items() if k[0] != name},
                                 key: reading}
        unfed = self.unfed_champions()  # would fail, and stop the models after it unscored
        for name in ENDPOINT_MODELS.values():
            loaded = self.champions.get(name)
            if loaded is None or (name, loaded.ident, id(snap)) in self._cache or name in unfed:
                continue
            if position is None:
                position = next((t.position for k, t in self._cache.items() if k[2] == id(snap)),
                                None) or {str(u): i for i, u in enumerate(snap.features.index)}
            scored = score_features(loaded.model.model, snap.features, reasons=True,
                                    reason_method=REASON_METHOD, chunk_size=50_000, n_jobs=1)
            table = ScoreTable.build(scored, position)
            notes = self._read_notes(loaded, snap, scored,
                                     self._seasons.get((name, loaded.ident, id(snap))))
            with self._lock:
                if self.snapshot is not snap:  # reloaded meanwhile: these scores are of the
                    break                      # old snapshot (its id may be reused)
                cache = {k: v for k, v in self._cache.items() if k[0] != name}
                cache[(name, loaded.ident, id(snap))] = table
                kept = {k: v for k, v in self._notes.items() if k[0] != name}
                kept[(name, loaded.ident, id(snap))] = notes
                self._notes = kept  # before the table: a cached answer always has its notes
                self._cache = cache  # atomic swap, like the champions
            done[name] = len(table)
        return done

    @staticmethod
    def _read_season(loaded: LoadedModel, snap: Snapshot) -> SeasonReading:
        """The season of ``loaded``'s window from ``snap``'s cutoff (``_score_notes``)."""
        try:
            return read_season(loaded.model.model, f"{loaded.name} v{loaded.version} "
                               "(@champion)", snap.purchases, snap.cutoff)
        except Exception:  # the scores are still served; say that the season is missing
            _log.exception("reading the season of %s v%s failed", loaded.name, loaded.version)
            return SeasonReading(None, "not_read", None, (
                "the season of the scored window could not be read (the server log has the "
                "details)"), snap.cutoff, None, "")

    @staticmethod
    def _read_notes(loaded: LoadedModel, snap: Snapshot, scored: pd.DataFrame,
                    reading: SeasonReading | None = None) -> list[str]:
        """``brain score``'s caveats on ``loaded``'s scores of ``snap`` (``_score_notes``)."""
        try:
            return snapshot_notes(loaded.model.model, f"{loaded.name} v{loaded.version} "
                                  "(@champion)", snap.features, snap.purchases, snap.cutoff,
                                  scored, reading)
        except Exception:  # the scores are still served; say that the caveats are missing
            _log.exception("reading the notes of %s v%s failed", loaded.name, loaded.version)
            return ["the caveats on this model's scores of the snapshot could not be read "
                    "(the server log has the details)"]

    def score_notes(self, loaded: LoadedModel) -> list[str]:
        """The caveats on ``loaded``'s scores of the current snapshot (a fresh list), or a note
        that they are read once the background scoring has run for it."""
        snap = self.snapshot
        notes = None if snap is None else self._notes.get((loaded.name, loaded.ident,
                                                           id(snap)))
        return [NOTES_PENDING] if notes is None else list(notes)

    def season_reading(self, loaded: LoadedModel) -> SeasonReading | None:
        """The season of ``loaded``'s window from the current snapshot's cutoff, None until
        ``warm`` has read it (or without a snapshot)."""
        snap = self.snapshot
        return None if snap is None else self._seasons.get((loaded.name, loaded.ident,
                                                            id(snap)))

    def season(self, loaded: LoadedModel) -> dict[str, Any]:
        """The answers' ``season`` and ``season_unknown_reason`` for ``loaded``'s scores of
        the snapshot (``_score_notes.season_answer``). A champion trained on a customer table
        has none, with or without a snapshot (``brain score --table`` reads none either)."""
        if getattr(loaded.model.model, "id_col_", None):
            return {"season": None, "season_unknown_reason": "customer_table"}
        if self.snapshot is None:
            return {"season": None, "season_unknown_reason": "no_snapshot"}
        return season_answer(self.season_reading(loaded))

    def _row_season(self, loaded: LoadedModel, frame: pd.DataFrame
                    ) -> tuple[dict[str, Any], Any]:
        """For live ``rows``: the season of the snapshot's window, and the function writing
        their notes from their scores (``_score_notes.row_notes``). The season depends on the
        champion and the window, not on the rows; rows whose ``cutoff`` is another day than
        the snapshot's are of another window, whose season is not read here."""
        snap = self.snapshot
        if getattr(loaded.model.model, "id_col_", None):
            # a customer table's rows: no season to read, whatever their 'cutoff' (a table
            # champion's rows had been told to build a snapshot, or to read the season with
            # brain score --asof, neither of which gives one)
            return self.season(loaded), lambda _scores: []
        if snap is None:
            note = ("the season of the scored window was not checked: it is read from the "
                    "feature snapshot's purchases, and none is loaded (brain snapshot --data "
                    "DIR, then POST /reload)")
            return self.season(loaded), lambda _scores: [note]
        other = other_cutoff(frame, snap.cutoff, snap.tz)
        if other is not None:
            note = (f"the season of the scored window is read for the window from the "
                    f"snapshot's cutoff ({snap.cutoff.date()}); these rows carry {other}, "
                    "another window, so no season is given for them: score them by user_ids "
                    "from a snapshot as of their date, or read it with brain score --asof "
                    "DATE")
            return ({"season": None, "season_unknown_reason": "other_window"},
                    lambda _scores: [note])
        reading = self.season_reading(loaded)
        return season_answer(reading), lambda scores: row_notes(reading, scores)

    def score_table(self, loaded: LoadedModel) -> ScoreTable | None:
        """The cached answers of ``loaded`` for the current snapshot (rows in snapshot order)."""
        snap = self.snapshot
        return None if snap is None else self._cache.get((loaded.name, loaded.ident, id(snap)))

    def _cached(self, loaded: LoadedModel, req: UsersRequest) -> dict[str, Any] | None:
        snap = self.snapshot
        if req.user_ids is None or req.top_reasons > CACHED_REASONS or snap is None:
            return None
        table = self._cache.get((loaded.name, loaded.ident, id(snap)))
        if table is None:
            return None
        k = req.top_reasons
        results, errors = [], []
        for u in req.user_ids:
            row = table.answer(_id_key(u), k)
            if row is None:
                errors.append({"user_id": u, "error": "unknown user id: not in the feature "
                               f"snapshot as of {snap.cutoff.date()}"})
            else:
                row["user_id"] = u  # as sent: a number stays a number
                results.append(row)
        return {"model": loaded.name, "version": loaded.version,
                "snapshot_cutoff": period_text(snap.cutoff),
                "features_asof": period_text(snap.cutoff),  # deprecated name (2026-12-07)
                "results": results,
                "errors": errors, "warnings": [], "notes": self.score_notes(loaded),
                **self.season(loaded)}

    def _check_snapshot_feeds(self, loaded: LoadedModel, model: Any) -> None:
        """A 400 naming the champion when the feature snapshot lacks columns it reads (a
        customer-table model made champion by ``brain promote``): requests by ``user_ids``
        cannot be answered, rows of its table can. It had answered "rows could not be scored
        ... give the table the same feature columns" to a request holding no rows."""
        snap = self._snap()
        missing = _missing_inputs(model, snap.features)
        if not missing:
            return
        stale = _stale_snapshot(model, missing)
        raise BadRequestError(
            _unfed_text(loaded, model, snap, missing) + ("" if stale else (
                ", so it cannot answer by user_ids. Send each customer's row of that table as "
                "rows, or make a version trained on events the champion (brain promote "
                f"{loaded.name} <version>, then POST /reload)")),
            code="missing_columns", field="user_ids", loc=["user_ids"],
            detail=[{"loc": ["user_ids"], "type": "missing_column",
                     "msg": f"the snapshot lacks the model's column {c!r}"} for c in missing])

    def unfed_champions(self) -> dict[str, str]:
        """Per customer champion the loaded snapshot cannot feed (a customer-table model made
        champion by ``brain promote``), what that means and what to do; empty without a
        snapshot. ``POST /reload`` answers it (it had said nothing, and each request by
        ``user_ids`` then failed alone), and ``warm`` does not score such a model."""
        snap = self.snapshot
        out: dict[str, str] = {}
        if snap is None:
            return out
        for endpoint, name in ENDPOINT_MODELS.items():
            loaded = self.champions.get(name)
            if loaded is None:
                continue
            model = loaded.model.model
            missing = _missing_inputs(model, snap.features)
            if not missing:
                continue
            if _stale_snapshot(model, missing):
                out[name] = (_unfed_text(loaded, model, snap, missing) + f"; until then POST "
                             f"/{endpoint} by user_ids answers 400 missing_columns")
                continue
            table = getattr(model, "id_col_", None)
            task = _CLI_TASKS[name]
            score = (f"brain score {task} --table FILE"
                     + (f" --id-col {shlex.quote(table)}" if table and table != "user_id"
                        else ""))
            out[name] = (
                _unfed_text(loaded, model, snap, missing) + f": POST /{endpoint} by user_ids "
                "answers 400 missing_columns for every request. Score its customers with "
                f"{score} (the table's rows, as it was trained on), or send each customer's "
                f"row of that table as rows to POST /{endpoint}; or make a version trained on "
                f"events the champion (brain promote {name} <version>, then POST /reload)")
        return out

    def prepare_score(self, endpoint: str, req: UsersRequest) -> dict[str, Any] | ScoreJob:
        """The answer when it is in the snapshot score cache, otherwise the job to score live.

        Cheap (dictionary and index lookups), so the service runs it on the event loop; the
        returned ``ScoreJob`` goes through ``score_jobs``, which may score several requests'
        rows in one model call (the service's micro-batcher).
        """
        loaded = self._model(ENDPOINT_MODELS[endpoint])
        model = loaded.model.model  # the fitted CustomerModel inside the pyfunc wrapper
        cached = self._cached(loaded, req)
        if cached is not None:
            return cached
        if req.user_ids is not None:
            self._check_snapshot_feeds(loaded, model)
        frame, _ = self._feature_rows(req, getattr(model, "id_col_", None))
        warnings: list[dict[str, Any]] = []
        if req.rows is not None:
            if not getattr(model, "id_col_", None):
                # a customer table's 'cutoff' is its own column, in whatever form brain
                # score --table reads; its rows get no season from it (``_row_season``)
                _check_cutoffs(req)
            missing = _missing_inputs(model, frame)
            if missing:
                raise BadRequestError(
                    f"rows lack {len(missing)} feature columns the model needs: {missing[:10]}"
                    f"{' ...' if len(missing) > 10 else ''}; send every column of the feature "
                    "catalogue (or of the table the model was trained on)",
                    code="missing_columns", field="rows", loc=["rows", missing[0]],
                    detail=[{"loc": ["rows", c], "type": "missing_column",
                             "msg": "feature column the model needs is missing"}
                            for c in missing])
            check_cells(model, frame)
            check_table_dates(model, frame)
            table = getattr(model, "id_col_", None) is not None
            numeric = [c for c in getattr(model, "numeric_", []) if c in frame]
            as_sent = {c: frame[c] for c in numeric} if table else {}  # the cells as sent
            read = _check_numbers(frame, numeric, table=table,
                                  decimal_comma=getattr(model, "decimal_comma_", ()))
            if table and not req.allow_empty_columns:
                _check_empty_columns(model, frame, as_sent)
            warnings = [*read, *row_warnings(model, frame),
                        *snapshot_date_warnings(model, frame)]
        # ids echoed as sent, by position (17 and "17" are one customer, answered twice, each
        # in its own form)
        if req.user_ids is not None:
            index = self._snap().features.index
            sent = [u for u in req.user_ids if _id_key(u) in index]
            lost = [u for u in req.user_ids if _id_key(u) not in index]
        else:
            sent, lost = _row_ids(req, getattr(model, "id_col_", None)), []
        errors = [{"user_id": u, "error": "unknown user id: not in the feature snapshot as of "
                   f"{self._snap().cutoff.date()}"} for u in lost]
        asof = period_text(self._snap().cutoff) if req.user_ids is not None else None
        if req.user_ids is not None:
            return ScoreJob(loaded, frame, req.top_reasons, errors,
                            self._rank_reference(loaded), sent, tuple(warnings), asof,
                            tuple(self.score_notes(loaded)), self.season(loaded))
        season, notes_of = self._row_season(loaded, frame)
        return ScoreJob(loaded, frame, req.top_reasons, errors, self._rank_reference(loaded),
                        sent, tuple(warnings), asof, (), season, notes_of)

    def _rank_reference(self, loaded: LoadedModel) -> np.ndarray | None:
        """For rank-tiered models (value): the snapshot's scores from the cache, else the
        model's validation predictions; None for probability-tiered models."""
        from training._customer_tiers import TIERS

        model = loaded.model.model
        task = getattr(model, "task", None)
        if task not in TIERS or TIERS[task].kind != "rank":
            return None
        snap = self.snapshot
        table = None if snap is None else self._cache.get((loaded.name, loaded.ident, id(snap)))
        if table is not None:
            return table.sorted_score
        val = getattr(model, "validation_frame_", None)
        if val is not None and len(val):
            return np.sort(val["pred"].to_numpy(dtype=float))
        return None

    def score(self, endpoint: str, req: UsersRequest) -> dict[str, Any]:
        """Scores, tier, early warning and reasons for a batch of users.

        Users given by id are looked up in the scores of the whole snapshot once ``warm`` has
        run for the current champion (computed live until then); feature rows are scored live.
        """
        job = self.prepare_score(endpoint, req)
        return job if isinstance(job, dict) else score_jobs([job])[0]

    def segments(self, req: SegmentsRequest) -> dict[str, Any]:
        snap = self._snap()
        index = snap.segments.index
        lacks = [c for c in SEGMENT_COLUMNS if c not in snap.segments.columns]
        if lacks:
            # an older snapshot's segments.parquet: pandas' KeyError "['scene'] not in index"
            # had been answered 400 bad_request, as if the request were at fault
            raise NotReadyError(
                f"the loaded feature snapshot (cutoff {period_text(snap.cutoff)}) has no "
                f"segment column{'s' if len(lacks) != 1 else ''} {lacks}: it was written by an "
                "older version. Rebuild it with 'brain snapshot --data DIR' (or 'brain "
                "demo'), then POST /reload", code="snapshot_not_available")
        known = [u for u in req.user_ids if _id_key(u) in index]
        seg = snap.segments.loc[[_id_key(u) for u in known], list(SEGMENT_COLUMNS)].copy()
        seg.insert(0, "user_id", pd.Series(known, index=seg.index, dtype=object))
        seg["segment"] = seg["segment"].astype(str)
        return {"snapshot_cutoff": period_text(snap.cutoff),
                "asof": period_text(snap.cutoff),  # deprecated name (2026-12-07)
                "results": records(seg),
                "errors": [{"user_id": u, "error": "unknown user id"}
                           for u in req.user_ids if _id_key(u) not in index]}

    def customers(self, offset: int, limit: int) -> dict[str, Any]:
        """GET /customers: the snapshot's customer ids ``offset`` .. ``offset + limit - 1`` (in
        snapshot order, as its events wrote them), the total and the next page's offset."""
        snap = self._snap()
        ids = snap.features["user_id"] if "user_id" in snap.features.columns else pd.Series(
            snap.features.index)
        total = len(ids)
        page = ids.iloc[offset:offset + limit].tolist()
        end = offset + len(page)
        return {"user_ids": page, "total": total, "offset": offset, "limit": limit,
                "next_offset": end if end < total else None,
                "snapshot_cutoff": period_text(snap.cutoff)}

    # ------------------------------------------------------------------ other endpoints
    def channel_value(self, req: ChannelValueRequest) -> dict[str, Any]:
        return channel_value(self, req)

    def analyze(self, req: AnalyzeRequest) -> dict[str, Any]:
        return analyze(req)

    def plan(self, req: PlanRequest) -> dict[str, Any]:
        return plan(req)

    # ------------------------------------------------------------------ forecasts
    def forecast(self, req: ForecastRequest) -> dict[str, Any]:
        """``_forecast_answer``, kept per champion version and request (the last
        ``FORECAST_CACHE``): a planner's repeated question is answered without validating its
        calendar again (a repeat had taken 35-260 ms with a 3,000-event calendar before the
        forecast cache was even read). Errors are not kept."""
        # the version and its run: a registry rebuilt under the server numbers its first
        # version 1 again, and the old v1's answers had been served for the new model
        loaded = self._model("traffic_forecaster")
        key = (loaded.ident, req.model_dump_json())
        with self._lock:
            hit = self._forecasts.get(key)
        if hit is not None:
            return copy.deepcopy(hit)
        answer = self._forecast_answer(req, loaded)  # this champion answers, whatever reloads
        now = self.champions.get("traffic_forecaster")
        with self._lock:  # kept only while it serves: compared by version alone, an old v1's
            # answer given across a reload had been kept for a rebuilt registry's new v1
            if now is not None and now.ident == loaded.ident:
                self._forecasts[key] = copy.deepcopy(answer)
            while len(self._forecasts) > FORECAST_CACHE:
                self._forecasts.popitem(last=False)
        return answer

    def _forecast_answer(self, req: ForecastRequest, loaded: LoadedModel) -> dict[str, Any]:
        return forecast_answer(loaded, req)

    def _cached_scores(self, loaded: LoadedModel, snap: Snapshot,
                       ids: pd.Index) -> np.ndarray | None:
        """The cached scores of ``loaded`` for the snapshot users ``ids`` (in that order), or
        None when ``warm`` has not scored ``snap`` with this version (yet)."""
        table = self._cache.get((loaded.name, loaded.ident, id(snap)))
        if table is None:
            return None
        where = [table.position.get(str(u), -1) for u in ids]
        if min(where, default=0) < 0:  # not expected: the table holds every snapshot user
            return None
        return table.score[np.asarray(where, dtype=np.intp)]
