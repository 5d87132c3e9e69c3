"""The marketing brain prediction API on BentoML.

Start it with ``brain serve`` (or ``bentoml serve serving.service:MarketingBrain``). At start-up it
loads the ``champion`` of every registered model from the MLflow registry (``MLFLOW_TRACKING_URI``
or the local store under ``BRAIN_HOME``) and the latest feature snapshot, and records the versions
(``GET /models``). ``POST /reload`` picks up moved aliases and a new snapshot without a restart;
with ``BRAIN_RELOAD_SECONDS`` > 0 a background thread does the same periodically. In-flight
requests keep the model they started with. With ``BRAIN_API_TOKEN`` set every endpoint except the
health probes requires ``Authorization: Bearer <token>``.

Errors are mapped to HTTP codes in one place (``_errors``): client mistakes -> 400 with a message
saying what to fix (BentoML's request validation also answers 400), missing model or snapshot ->
503, anything else -> 500 with a generic message (the trace goes to the server log only).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import bentoml
from bentoml.exceptions import InternalServerError, InvalidArgument, ServiceUnavailable
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._auth import BearerAuthMiddleware
from ._core import BadRequestError, Brain, NotReadyError
from ._page import page_app
from ._registry import Champions
from ._schemas import (
    AnalyzeRequest,
    ChannelValueRequest,
    ForecastRequest,
    PlanRequest,
    SegmentsRequest,
    UsersRequest,
)
from ._snapshot import Snapshot

__all__ = ["MarketingBrain", "build_brain"]

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


def _errors(fn: F) -> F:
    """The one place where exceptions become HTTP status codes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (BadRequestError, ValueError, KeyError, TypeError) as exc:
            raise InvalidArgument(str(exc)) from None
        except NotReadyError as exc:
            raise ServiceUnavailable(str(exc)) from None
        except Exception:
            _log.exception("unexpected error in %s", fn.__name__)
            raise InternalServerError("internal error; the server log has the details") from None

    return wrapper  # type: ignore[return-value]


_brain_holder: dict[str, Brain] = {}


def _brain() -> Brain:
    return _brain_holder["brain"]


async def _models(request: Request) -> JSONResponse:
    if "brain" not in _brain_holder:
        return JSONResponse({"error": "service is starting"}, status_code=503)
    return JSONResponse(_brain().models())


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


info_app = Starlette(routes=[Route("/models", _models, methods=["GET"]),
                             Route("/healthz", _healthz, methods=["GET"])])


@bentoml.service(name="marketing_brain", traffic={"timeout": 120})
class MarketingBrain:
    """Forecasts, customer scores, channel value, segments and experiment statistics."""

    def __init__(self) -> None:
        self.brain = build_brain()
        _brain_holder["brain"] = self.brain
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
            except Exception:  # requests fall back to live scoring; say why in the log
                _log.exception("scoring the snapshot failed")

        threading.Thread(target=run, name="warm-scores", daemon=True).start()

    @bentoml.api(route="/forecast_traffic", input_spec=ForecastRequest)
    @_errors
    def forecast_traffic(self, **kw: Any) -> dict[str, Any]:
        """Per-period P10/P50/P90 and the peak summary for a series and horizon."""
        return self.brain.forecast(ForecastRequest(**kw))

    @bentoml.api(route="/churn_risk", input_spec=UsersRequest)
    @_errors
    def churn_risk(self, **kw: Any) -> dict[str, Any]:
        """Churn probability, risk tier, early warning and top reasons per user."""
        return self.brain.score("churn_risk", UsersRequest(**kw))

    @bentoml.api(route="/purchase_propensity", input_spec=UsersRequest)
    @_errors
    def purchase_propensity(self, **kw: Any) -> dict[str, Any]:
        """Probability of a purchase in the model's horizon, tier and reasons per user."""
        return self.brain.score("purchase_propensity", UsersRequest(**kw))

    @bentoml.api(route="/customer_value", input_spec=UsersRequest)
    @_errors
    def customer_value(self, **kw: Any) -> dict[str, Any]:
        """Predicted revenue in the model's horizon, tier and reasons per user."""
        return self.brain.score("customer_value", UsersRequest(**kw))

    @bentoml.api(route="/channel_value", input_spec=ChannelValueRequest)
    @_errors
    def channel_value(self, **kw: Any) -> dict[str, Any]:
        """Per acquisition channel: customers, predicted value and churn, cost, value/cost."""
        return self.brain.channel_value(ChannelValueRequest(**kw))

    @bentoml.api(route="/segments", input_spec=SegmentsRequest)
    @_errors
    def segments(self, **kw: Any) -> dict[str, Any]:
        """RFM scores, lifecycle segment and scene per user."""
        return self.brain.segments(SegmentsRequest(**kw))

    @bentoml.api(route="/experiments/analyze", input_spec=AnalyzeRequest)
    @_errors
    def experiments_analyze(self, **kw: Any) -> dict[str, Any]:
        """A/B(/n) analysis of unit-level rows: effects, intervals, SRM, guardrails."""
        return self.brain.analyze(AnalyzeRequest(**kw))

    @bentoml.api(route="/experiments/plan", input_spec=PlanRequest)
    @_errors
    def experiments_plan(self, **kw: Any) -> dict[str, Any]:
        """Sample size, minimum detectable effect or power."""
        return self.brain.plan(PlanRequest(**kw))

    @bentoml.api(route="/reload")
    @_errors
    def reload(self) -> dict[str, Any]:
        """Load champions whose alias moved and the newest snapshot, without a restart."""
        out = self.brain.reload()
        self._warm()
        return out


MarketingBrain.mount_asgi_app(page_app, path="/ui")  # type: ignore[attr-defined]
MarketingBrain.mount_asgi_app(info_app, path="/")  # type: ignore[attr-defined]
MarketingBrain.add_asgi_middleware(BearerAuthMiddleware)  # type: ignore[attr-defined]
