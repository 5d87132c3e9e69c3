"""The marketing brain prediction API on BentoML.

Start it with ``brain serve`` (or ``bentoml serve serving.service:MarketingBrain``). At start-up it
loads the ``champion`` of every registered model from the MLflow registry (``MLFLOW_TRACKING_URI``
or the local store under ``BRAIN_HOME``) and the latest feature snapshot, and records the versions
(``GET /models``). ``POST /reload`` picks up moved aliases and a new snapshot without a restart;
with ``BRAIN_RELOAD_SECONDS`` > 0 a background thread does the same periodically. In-flight
requests keep the model they started with. With ``BRAIN_API_TOKEN`` set every endpoint except the
health probes requires ``Authorization: Bearer <token>``.

Errors are mapped to HTTP codes in one place (``_error_body.exception_answer``, used by ``_errors``
for the endpoints and by ``json_errors`` for ``GET /models``, ``GET /customers`` and the page's
helpers), always in one shape (``ErrorAnswer``:
``error`` message, machine-readable ``code``, ``field`` and ``loc`` naming the bad input,
``detail`` per bad input; ``serving/_error_body.py``): client mistakes -> 400 with a message
saying what to fix (BentoML's request validation also answers 400; ``ErrorBodyMiddleware`` puts
its answers, and any other error answer BentoML or Starlette write, into the same shape),
form-encoded bodies -> 415, bodies over BRAIN_MAX_BODY_MB -> 413, missing model or snapshot ->
503, anything else -> 500 with a generic message (the trace goes to the server log only).

The OpenAPI document (``/docs.json``) is BentoML's, completed by ``openapi_document``: BentoML
documents the ``@bentoml.api`` endpoints and its health routes, and of mounted apps only FastAPI
ones (FastAPI is not one of our dependencies), so ``GET /models`` (a Starlette route) is added
with its answer schema; every endpoint's 200 answer gets its answer model (BentoML writes an
untyped object for our ``dict`` returns) and every error status it can answer (400, 413, 415, 500,
503, 504) the ``ErrorAnswer`` schema; ``info.version`` is the package version (BentoML writes
"None"), ``info.description`` ours (BentoML writes its README text). It declares OpenAPI 3.1
(BentoML says 3.0.2, but pydantic writes 3.1's JSON Schema) and the bearer scheme on every
operation that needs the token.
"""

from __future__ import annotations

import functools
import gc
import importlib.metadata
import json
import logging
import os
import re
import threading
import tomllib
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import bentoml
import orjson
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ._auth import BEARER_SCHEME, BearerAuthMiddleware, requires_token
from ._batching import MicroBatcher
from ._core import Brain, NotReadyError, ScoreJob, score_jobs
from ._error_body import (
    INTERNAL_MESSAGE,
    ErrorBodyMiddleware,
    error_body,
    exception_answer,
    json_errors,
)
from ._guards import JsonBodyMiddleware, cancel_bentoml_request_timers, install_log_filter
from ._page import page_app
from ._query import only_params, query_int
from ._registry import Champions
from ._schemas import (
    MAX_BATCH,
    ChannelValueAnswer,
    ChannelValueRequest,
    CustomersAnswer,
    ErrorAnswer,
    ForecastAnswer,
    ForecastRequest,
    ModelsAnswer,
    ReloadAnswer,
    ScoreAnswer,
    SegmentsAnswer,
    SegmentsRequest,
    UsersRequest,
)
from ._schemas_ab import (
    AnalysisAnswer,
    AnalyzeRequest,
    PlanAnswer,
    PlanRequest,
)
from ._snapshot import Snapshot

__all__ = ["MarketingBrain", "build_brain", "openapi_document", "package_version"]

_log = logging.getLogger("serving.api")
F = TypeVar("F", bound=Callable[..., Any])


def _loader(uri: str) -> Any:
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(uri).unwrap_python_model()


def build_brain() -> Brain:
    """A ``Brain`` with the registry's champions and the latest snapshot loaded."""
    champions = Champions(loader=_loader)
    champions.refresh()
    return Brain(champions, Snapshot.load())


class FastJSON(JSONResponse):
    """JSON through orjson: NaN/inf -> null, numpy scalars and timestamps handled natively.

    Endpoints return these instead of dicts: BentoML would otherwise validate each answer
    against the output model and rebuild its JSON schema on every request (a tenth of a
    by-id request's time, measured with py-spy)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY
                            | orjson.OPT_NON_STR_KEYS)


def _error_answer(exc: BaseException, where: str) -> JSONResponse:
    status, body = exception_answer(exc, where)
    return FastJSON(body, status_code=status)


def _errors(fn: F) -> F:
    """Exceptions become HTTP status codes and ``ErrorAnswer`` bodies through the one mapping,
    ``_error_body.exception_answer`` (shared with GET /customers, GET /models and the page's
    helpers)."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            out = await fn(*args, **kwargs)
        except Exception as exc:
            return _error_answer(exc, fn.__name__)
        if isinstance(out, Response):
            return out
        try:
            return FastJSON(out)
        except Exception:
            _log.exception("answer of %s could not be written as JSON", fn.__name__)
            return FastJSON(error_body(INTERNAL_MESSAGE, "internal_error"), status_code=500)

    return wrapper  # type: ignore[return-value]


_brain_holder: dict[str, Brain] = {}
STARTING = "the service is still starting; try again in a few seconds"


def _brain() -> Brain:
    return _brain_holder["brain"]


def live_brain() -> Brain:
    """The loaded ``Brain``; a 503 ``not_ready`` while the service starts."""
    brain = _brain_holder.get("brain")
    if brain is None:
        raise NotReadyError(STARTING)
    return brain


@json_errors
def _models(request: Request) -> Response:
    only_params(request.query_params, (), "GET /models")
    return FastJSON(live_brain().models())  # NaN metrics -> null (starlette's JSON would fail)


CUSTOMERS_PAGE = 1_000
"""GET /customers' page size when ``limit`` is not given (at most ``MAX_BATCH``)."""
MAX_OFFSET = 2**63 - 1
"""GET /customers' largest ``offset``: a JSON integer every client reads (64 bits)."""


@json_errors
def _customers(request: Request) -> Response:
    """GET /customers?offset=0&limit=1000: a page of the snapshot's customer ids."""
    brain = live_brain()
    params = request.query_params
    only_params(params, ("offset", "limit"), "GET /customers")
    # at most a 64-bit integer: the answer echoes it (a larger one had failed writing the
    # answer, a 500)
    offset = query_int(params, "offset", 0, 0, MAX_OFFSET)
    limit = query_int(params, "limit", CUSTOMERS_PAGE, 1, MAX_BATCH)
    return FastJSON(brain.customers(offset, limit))


# /healthz, /livez and /readyz are BentoML's own routes
info_app = Starlette(routes=[Route("/models", _models, methods=["GET"]),
                             Route("/customers", _customers, methods=["GET"])])


@bentoml.service(name="marketing_brain", traffic={"timeout": 120},
                 logging={"access": {"enabled": os.environ.get("BRAIN_ACCESS_LOG", "1") != "0"}})
class MarketingBrain:
    """Forecasts, customer scores, channel value, segments and experiment statistics.

    Endpoints are coroutines: answers from the snapshot score cache are served on the event loop
    without a thread hop; model work (live scoring through the micro-batcher, forecasts,
    analyses, reloads) runs in a pool of ``BRAIN_THREADS`` worker threads (default 4), so a slow
    forecast never holds up a by-id lookup. ``BRAIN_BATCHING=0`` turns micro-batching off.
    """

    def __init__(self) -> None:
        install_log_filter()
        self.brain = build_brain()
        _brain_holder["brain"] = self.brain
        self._limiter = anyio.CapacityLimiter(max(1, int(os.environ.get("BRAIN_THREADS", "4"))))
        self.batcher: MicroBatcher[ScoreJob, dict[str, Any]] = MicroBatcher(
            score_jobs, key=lambda j: j.batch_key, size=lambda j: len(j.frame),
            enabled=os.environ.get("BRAIN_BATCHING", "1") != "0", limiter=self._limiter)
        self.brain.batching = self.batcher.stats
        self._stop = threading.Event()
        every = float(os.environ.get("BRAIN_RELOAD_SECONDS", "0") or 0)
        if every > 0:
            self.brain.champions.watch(every, self._stop, on_change=self._warm)
        self._warm()
        _log.info("loaded %s", {k: v.version for k, v in self.brain.champions.loaded.items()})

    def _warm(self) -> None:
        """Score the snapshot with the current champions in the background."""

        def run() -> None:
            try:
                _log.info("snapshot scores ready: %s", self.brain.warm())
                # the score cache is millions of long-lived objects: move them (and everything
                # loaded so far) out of the garbage collector's view, so full collections stay
                # short and do not stall requests (see docs/serving.md, latency)
                gc.collect()
                gc.freeze()
            except Exception:  # requests fall back to live scoring; say why in the log
                _log.exception("scoring the snapshot failed")

        threading.Thread(target=run, name="warm-scores", daemon=True).start()

    async def _thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def _score(self, endpoint: str, kw: dict[str, Any]) -> dict[str, Any]:
        req = UsersRequest(**kw)
        if req.rows is not None and len(req.rows) > 200:  # building a big frame takes a while
            job = await self._thread(self.brain.prepare_score, endpoint, req)
        else:
            job = self.brain.prepare_score(endpoint, req)
        return job if isinstance(job, dict) else await self.batcher.submit(job)

    @bentoml.api(route="/forecast_traffic", input_spec=ForecastRequest)
    @_errors
    async def forecast_traffic(self, **kw: Any) -> dict[str, Any]:
        """Per-period P10/P50/P90 and the peak summary for a series and horizon."""
        return await self._thread(self.brain.forecast, ForecastRequest(**kw))

    @bentoml.api(route="/churn_risk", input_spec=UsersRequest)
    @_errors
    async def churn_risk(self, **kw: Any) -> dict[str, Any]:
        """Churn probability, risk tier, early warning and top reasons per user."""
        return await self._score("churn_risk", kw)

    @bentoml.api(route="/purchase_propensity", input_spec=UsersRequest)
    @_errors
    async def purchase_propensity(self, **kw: Any) -> dict[str, Any]:
        """Probability of a purchase in the model's horizon, tier and reasons per user."""
        return await self._score("purchase_propensity", kw)

    @bentoml.api(route="/customer_value", input_spec=UsersRequest)
    @_errors
    async def customer_value(self, **kw: Any) -> dict[str, Any]:
        """Predicted revenue in the model's horizon, tier and reasons per user."""
        return await self._score("customer_value", kw)

    @bentoml.api(route="/channel_value", input_spec=ChannelValueRequest)
    @_errors
    async def channel_value(self, **kw: Any) -> dict[str, Any]:
        """Per acquisition channel: customers, predicted value and churn, cost, value/cost."""
        return await self._thread(self.brain.channel_value, ChannelValueRequest(**kw))

    @bentoml.api(route="/segments", input_spec=SegmentsRequest)
    @_errors
    async def segments(self, **kw: Any) -> dict[str, Any]:
        """RFM scores, lifecycle segment and scene per user."""
        return await self._thread(self.brain.segments, SegmentsRequest(**kw))

    @bentoml.api(route="/experiments/analyze", input_spec=AnalyzeRequest)
    @_errors
    async def experiments_analyze(self, **kw: Any) -> dict[str, Any]:
        """A/B(/n) analysis of unit-level rows: effects, intervals, SRM, guardrails."""
        return await self._thread(self.brain.analyze, AnalyzeRequest(**kw))

    @bentoml.api(route="/experiments/plan", input_spec=PlanRequest)
    @_errors
    async def experiments_plan(self, **kw: Any) -> dict[str, Any]:
        """Sample size, minimum detectable effect or power."""
        return await self._thread(self.brain.plan, PlanRequest(**kw))

    @bentoml.api(route="/reload")
    @_errors
    async def reload(self) -> dict[str, Any]:
        """Load champions whose alias moved and the newest snapshot, without a restart."""
        out = await self._thread(self.brain.reload)
        self._warm()
        return out


def package_version() -> str:
    """Version of the installed ``marketing-brain`` distribution; from ``pyproject.toml`` beside
    the package when it is not installed (a Bento copies the sources and pyproject.toml), else
    ``0+unknown``."""
    try:
        return importlib.metadata.version("marketing-brain")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
        return str(tomllib.loads(text)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0+unknown"


_SCHEMA_REF = "#/components/schemas/{model}"
BEARER_NAME = "bearerAuth"


def _components(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema and those it refers to, keyed by name for ``components``."""
    schema = model.model_json_schema(ref_template=_SCHEMA_REF)
    return {**schema.pop("$defs", {}), model.__name__: schema}


def _json_answer(description: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": _SCHEMA_REF.format(model=model.__name__)}}}}


OPENAPI_VERSION = "3.1.0"
"""The document's schemas are pydantic's JSON Schema 2020-12, which is OpenAPI 3.1's dialect
(BentoML declares 3.0.2); Swagger UI 5, which BentoML serves at ``/``, renders 3.1."""
DESCRIPTION = """\
Marketing Brain answers with the registry's `champion` models and the latest feature snapshot:
traffic forecasts with P10/P50/P90 and event peaks (`/forecast_traffic`), churn risk, purchase
propensity and customer value per customer with tiers and reasons, acquisition-channel value,
RFM segments, and A/B test analysis and planning (`/experiments/*`). `GET /models` lists the
loaded versions, `GET /customers` pages through the snapshot's customer ids; `POST /reload`
picks up new champions and snapshots without a restart. Score answers by id carry `notes`: the
caveats `brain score` prints for the same champion and snapshot (e.g. a season gap), and
`season`: that gap as numbers (`applied`, and the `rule` `brain score --season-adjust` moves a
score by). Each
answer names the model `version` that answered: a batch split over several requests can
straddle a champion move, so compare them.

**Auth**: when the server has `BRAIN_API_TOKEN` set, every endpoint except the health probes
(`/livez`, `/readyz`, `/healthz`) and `/metrics` needs `Authorization: Bearer <token>`: use
*Authorize* on this page. Every error answer (4xx/5xx) is one object, `ErrorAnswer`:
`error` (what to fix, in words), `code` (machine-readable, e.g. `horizon_too_long`), `field`
and `loc` (the input at fault) and `detail` (one entry per bad input, or null). Live feature
`rows` with columns the model does not read, or category values it never saw, are scored and
listed under `warnings`.

Endpoints, limits and operations: `docs/serving.md` in the Marketing Brain repository.
"""


ANSWERS: dict[str, type[BaseModel]] = {
    "/forecast_traffic": ForecastAnswer, "/churn_risk": ScoreAnswer,
    "/purchase_propensity": ScoreAnswer, "/customer_value": ScoreAnswer,
    "/channel_value": ChannelValueAnswer, "/segments": SegmentsAnswer,
    "/experiments/analyze": AnalysisAnswer, "/experiments/plan": PlanAnswer,
    "/reload": ReloadAnswer}
"""The answer model of each ``@bentoml.api`` endpoint's 200 (BentoML writes an untyped object)."""
API_ERRORS = {
    "400": "Bad request: the body fails validation (code 'validation_error' or 'invalid_json', "
           "detail per field; NaN or Infinity in a number field is 'validation_error' of type "
           "'finite_number') or cannot be answered as sent (e.g. 'unknown_series_id', "
           "'horizon_too_long', 'missing_columns'); 'field'/'loc' name the input",
    "413": "Payload too large: the body is larger than the server reads (BRAIN_MAX_BODY_MB, "
           "default 128 MB)",
    "415": "Unsupported media type: the body is form-encoded; send JSON",
    "500": "Internal error, a failure of ours, never the request's (the server log has the "
           "details)",
    "503": "A model or the feature snapshot the endpoint needs is not loaded, or the snapshot "
           "was written by an older version and lacks a column the endpoint reads (code "
           "'model_not_available' or 'snapshot_not_available'); the message says how to "
           "create it",
    "504": "Not answered within the server's timeout (120 s)"}
"""Error statuses every ``@bentoml.api`` endpoint can answer, all with ``ErrorAnswer``."""
BENTOML_ERROR_SCHEMAS = ("InvalidArgument", "NotFound", "InternalServerError")
"""BentoML's error schemas (``detail`` a string, which validation errors are not): replaced."""


def _document_answers(doc: dict[str, Any]) -> None:
    """Each API endpoint's 200 as its answer model and its error statuses as ``ErrorAnswer``
    (BentoML's 404 is dropped: an endpoint that exists never answers it)."""
    models: list[type[BaseModel]] = [*ANSWERS.values(), ErrorAnswer]
    for model in models:
        doc["components"]["schemas"].update(_components(model))
    for path, model in ANSWERS.items():
        op = doc["paths"][path]["post"]
        responses = {"200": _json_answer("Successful Response", model)}
        responses.update({status: _json_answer(text, ErrorAnswer)
                          for status, text in API_ERRORS.items()})
        op["responses"] = responses
    text = json.dumps(doc)
    for name in BENTOML_ERROR_SCHEMAS:
        if _SCHEMA_REF.format(model=name) not in text:
            doc["components"]["schemas"].pop(name, None)


def _document_auth(doc: dict[str, Any]) -> None:
    """Declare the bearer scheme and put it (with its 401 answer) on every operation whose path
    needs the token (``_auth.requires_token``), so Swagger UI offers "Authorize"."""
    doc["components"].setdefault("securitySchemes", {})[BEARER_NAME] = BEARER_SCHEME
    unauthorized = _json_answer("Missing or wrong bearer token (when BRAIN_API_TOKEN is set)",
                                ErrorAnswer)
    for path, item in doc["paths"].items():
        if not requires_token(path):
            continue
        for op in item.values():
            op["security"] = [{BEARER_NAME: []}]
            op.setdefault("responses", {})["401"] = unauthorized


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document served at ``/docs.json``: BentoML's, declared as OpenAPI 3.1 (what
    its schemas are), with our description instead of BentoML's README text, ``GET /models``
    with its answer schema, the bearer-token scheme and the package version. Built once (the
    endpoints never change at run time); BentoML would rebuild it for every request."""
    doc = MarketingBrain.openapi_spec.asdict()  # type: ignore[attr-defined]
    doc["openapi"] = OPENAPI_VERSION
    doc["info"].pop("contact", None)  # BentoML's team, not whoever runs this service
    doc["info"].update(title="Marketing Brain API", description=DESCRIPTION,
                       version=package_version())
    doc["components"].setdefault("schemas", {}).update(
        {**_components(ModelsAnswer), **_components(ErrorAnswer)})
    doc["paths"]["/models"] = {"get": {
        "tags": [doc["tags"][0]["name"]] if doc.get("tags") else [],  # BentoML's "Service APIs"
        "operationId": f"{MarketingBrain.name}__models",  # type: ignore[attr-defined]
        "description": "Loaded champions (name, version, evaluation metrics and key), models "
                       "that failed to load, the feature snapshot and micro-batching counters.",
        "responses": {
            "200": _json_answer("Successful Response", ModelsAnswer),
            "400": _json_answer("A query parameter was sent (it takes none; code "
                                "'validation_error', field the parameter)", ErrorAnswer),
            "500": _json_answer(API_ERRORS["500"], ErrorAnswer),
            "503": _json_answer("Service is starting", ErrorAnswer)}}}
    doc["components"]["schemas"].update(_components(CustomersAnswer))
    doc["paths"]["/customers"] = {"get": {
        "tags": doc["paths"]["/models"]["get"]["tags"],
        "operationId": f"{MarketingBrain.name}__customers",  # type: ignore[attr-defined]
        "description": "One page of the feature snapshot's customer ids (in snapshot order, "
                       "as its events wrote them), to send as user_ids to the scoring "
                       "endpoints: follow next_offset until it is null, and check that "
                       "snapshot_cutoff stays the same. An offset past the end answers an "
                       "empty page.",
        "parameters": [
            {"name": "offset", "in": "query", "required": False,
             "description": "Position of the first id (from 0).",
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
                        "default": 0}},
            {"name": "limit", "in": "query", "required": False,
             "description": "Most ids in the page.",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_BATCH,
                        "default": CUSTOMERS_PAGE}}],
        "responses": {
            "200": _json_answer("Successful Response", CustomersAnswer),
            "400": _json_answer("offset or limit is not an integer in range, or another query "
                                "parameter was sent (code 'validation_error', field the "
                                "parameter)", ErrorAnswer),
            "500": _json_answer(API_ERRORS["500"], ErrorAnswer),
            "503": _json_answer("Service is starting, or no feature snapshot is loaded (code "
                                "'snapshot_not_available')", ErrorAnswer)}}}
    _document_answers(doc)
    _document_auth(doc)
    return doc


_TAG_MANAGER = re.compile(r"[ \t]*<!-- Google Tag Manager.*?<!-- End Google Tag Manager[^>]*-->\n?",
                          re.DOTALL)


@functools.cache
def swagger_page() -> str | None:
    """BentoML's Swagger UI page (``GET /``) without its Google Tag Manager snippets, which
    loaded BentoML's analytics from googletagmanager.com in the browser of everyone who opened
    this API's docs. None when BentoML's page is not where we read it (then BentoML answers)."""
    try:
        from bentoml._internal.server.http_app import DEFAULT_INDEX_HTML
    except ImportError:  # pragma: no cover - another BentoML layout
        return None
    page = _TAG_MANAGER.sub("", DEFAULT_INDEX_HTML)
    return page.replace("<title>BentoML Prediction Service</title>",
                        "<title>Marketing Brain API</title>")


class OpenAPIDocMiddleware:
    """Answer ``GET /docs.json`` with ``openapi_document()`` instead of BentoML's document, and
    ``GET /`` with ``swagger_page()`` (BentoML's page without its analytics)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if (scope["type"] == "http" and scope.get("path") == "/docs.json"
                and scope.get("method") in ("GET", "HEAD")):
            await FastJSON(openapi_document())(scope, receive, send)
            return
        if (scope["type"] == "http" and scope.get("path") == "/"
                and scope.get("method") in ("GET", "HEAD") and swagger_page() is not None):
            await HTMLResponse(swagger_page())(scope, receive, send)
            return
        await self.app(scope, receive, send)


cancel_bentoml_request_timers()
MarketingBrain.mount_asgi_app(page_app, path="/ui")  # type: ignore[attr-defined]
MarketingBrain.mount_asgi_app(info_app, path="/")  # type: ignore[attr-defined]
# outermost of ours: every error answer inside it leaves in the one shape (ErrorAnswer)
MarketingBrain.add_asgi_middleware(ErrorBodyMiddleware)  # type: ignore[attr-defined]
MarketingBrain.add_asgi_middleware(JsonBodyMiddleware)  # type: ignore[attr-defined]
MarketingBrain.add_asgi_middleware(BearerAuthMiddleware)  # type: ignore[attr-defined]
# innermost: /docs.json needs the token like the endpoints it describes
MarketingBrain.add_asgi_middleware(OpenAPIDocMiddleware)  # type: ignore[attr-defined]
