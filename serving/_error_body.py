"""The one shape of every 4xx/5xx body the API sends, and the middleware that enforces it.

Every error answer is ``ErrorAnswer`` (``serving/_schemas.py``)::

    {"error": "<what went wrong and what to fix>", "code": "horizon_too_long",
     "field": "horizon", "loc": ["horizon"], "detail": null}

``error`` is the human message (as before), ``code`` a stable machine-readable kind, ``field``
the top-level request field at fault (null when it is the request as a whole), ``loc`` the path
to the bad input inside the body and ``detail`` one entry per bad input when there are several
(request validation: pydantic's ``loc``/``msg``/``type``; missing or non-numeric feature
columns: one per column).

Our own errors are written in this shape where they are raised (``error_body``). BentoML writes
some answers itself -- request validation (``"1 validation error for
UsersRequestIODescriptor"``, an internal class name), its exceptions (as a one-element *list*)
and Starlette's plain-text 404/405/500 -- so ``ErrorBodyMiddleware`` rewrites every error
answer that is not yet in the shape, outside the planner's page (``/ui``) but including its
helpers (``/ui/api/*``, which a program may call too: an unknown helper had answered
Starlette's plain-text 404).

Which exception becomes which status is decided in one place, ``exception_answer``.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from pydantic import ValidationError

from ._answers import BadRequestError, NotReadyError

__all__ = ["INTERNAL_MESSAGE", "STATUS_CODES", "ErrorBodyMiddleware", "error_body",
           "exception_answer", "json_errors", "normalize_error", "validation_body"]

Scope = MutableMapping[str, Any]
_log = logging.getLogger("serving.errors")

STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 413: "payload_too_large",
                415: "unsupported_media_type", 429: "too_many_requests",
                500: "internal_error", 503: "not_ready", 504: "timeout"}
"""``code`` of an error answer that has no more specific one, by HTTP status."""
INTERNAL_MESSAGE = "internal error; the server log has the details"
"""The message of every 500: the trace goes to the server log only."""
_VALIDATION_TITLE = re.compile(r"^\d+ validation errors? for \S+$")
_SHOWN = 3  # validation problems quoted in the human message


def error_body(message: str, code: str, field: str | None = None,
               loc: Sequence[str | int] | None = None,
               detail: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An error answer: ``loc`` defaults to ``[field]`` (``[]`` without a field)."""
    where = list(loc) if loc is not None else ([field] if field else [])
    return {"error": message, "code": code, "field": field, "loc": where, "detail": detail}


def exception_answer(exc: BaseException, where: str = "") -> tuple[int, dict[str, Any]]:
    """The one place where an exception raised while answering becomes an HTTP status and an
    ``ErrorAnswer`` body, for the API's endpoints (``service._errors``), ``GET /customers``,
    ``GET /models`` and the page's helpers (``_page``) alike:

    - ``BadRequestError`` -> 400 with its ``code``, ``field``, ``loc`` and ``detail`` (a bad
      query parameter is one too: ``_query``, code ``validation_error``; so is a resource a
      GET names that does not exist, ``/ui/api/history``'s unknown ``series_id``:
      ``unknown_series_id``, as ``POST /forecast_traffic`` answers it);
    - pydantic's ``ValidationError`` -> 400 ``validation_error``, as BentoML's own request
      validation (``validation_body``);
    - ``NotReadyError`` -> 503 with its ``code`` (a model not registered or loaded:
      ``model_not_available``; no snapshot: ``snapshot_not_available``);
    - anything else -> 500 ``internal_error``, logged with ``where`` and the traceback (its
      cause chain included); the client gets ``INTERNAL_MESSAGE`` only.

    The rule: every check of the client's input raises ``BadRequestError``, or a typed input
    error of an engine that the endpoint converts to one where it calls the engine (the
    features' ``DataContractError`` about the request's rows or calendar, training's
    ``ForecastInputError``, the experiments' ``ExperimentInputError``). A bare ``ValueError``,
    ``KeyError`` or ``TypeError`` is a failure of ours, a 500, whether the request had a body
    or not: until 2026-12-07 one raised by a POST endpoint was answered 400 ``bad_request``
    with the internal message, as the client's fault."""
    if isinstance(exc, BadRequestError):
        return 400, error_body(str(exc), exc.code, field=exc.field, loc=exc.loc,
                               detail=exc.detail)
    if isinstance(exc, ValidationError):
        return 400, validation_body(exc.errors(include_url=False))  # type: ignore[arg-type]
    if isinstance(exc, NotReadyError):
        return 503, error_body(str(exc), exc.code)
    _log.error("unexpected error in %s", where or "a request", exc_info=exc)
    return 500, error_body(INTERNAL_MESSAGE, STATUS_CODES[500])


def json_errors(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A Starlette GET route (``/models``, ``/customers``, the page's helpers) whose exceptions
    are answered through ``exception_answer``; the route stays synchronous (Starlette runs it
    in its thread pool)."""
    from starlette.responses import JSONResponse

    @functools.wraps(fn)
    def wrapper(request: Any) -> Any:
        try:
            return fn(request)
        except Exception as exc:
            status, answer = exception_answer(exc, fn.__name__)
            return JSONResponse(answer, status_code=status)

    return wrapper


def _where(loc: Sequence[Any]) -> str:
    """``["rows", 3, "visits"]`` -> ``rows[3].visits``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _clean_msg(msg: str) -> str:
    # pydantic prefixes errors raised by validators: "Value error, give exactly one of ..."
    return re.sub(r"^(Value|Assertion) error, ", "", msg)


def validation_body(detail: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer to a request that failed validation: the first problems in words (what to
    fix, never an internal class name), ``field``/``loc`` of the first one and every problem
    in ``detail`` (pydantic's entries: ``loc``, ``msg``, ``type``)."""
    entries = [dict(d) for d in detail if isinstance(d, dict)]
    for d in entries:
        d["msg"] = _clean_msg(str(d.get("msg", "")))
        d["loc"] = list(d.get("loc") or [])
    parts: list[str] = []
    for d in entries:
        text = f"{_where(d['loc'])}: {d['msg']}" if d["loc"] else d["msg"]
        if text not in parts:
            parts.append(text)
    if not parts:
        parts = ["the request body does not match the endpoint's schema"]
    more = f" (and {len(parts) - _SHOWN} more, listed in detail)" if len(parts) > _SHOWN else ""
    invalid_json = bool(entries) and all(d.get("type") == "json_invalid" for d in entries)
    lead = "request body is not valid JSON" if invalid_json else "invalid request"
    first = entries[0]["loc"] if entries else []
    field = first[0] if first and isinstance(first[0], str) else None
    return error_body(f"{lead}: {'; '.join(parts[:_SHOWN])}{more} (see /docs.json for the "
                      "fields)", "invalid_json" if invalid_json else "validation_error",
                      field, first, entries)


def normalize_error(status: int, body: bytes) -> dict[str, Any] | None:
    """``body`` of an error answer in the one shape, or None when it already is."""
    try:
        data: Any = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, list) and len(data) == 1:  # BentoML answers its 4xx as ({...},)
        data = data[0]
    if isinstance(data, dict) and isinstance(data.get("code"), str) and "loc" in data:
        return None
    code = STATUS_CODES.get(status, "bad_request" if status < 500 else "internal_error")
    if isinstance(data, dict):
        message = data.get("error") if isinstance(data.get("error"), str) else None
        detail = data.get("detail")
        if isinstance(detail, list) and (message is None or _VALIDATION_TITLE.match(message)):
            return validation_body(detail)
        if message is None and isinstance(detail, str):  # Starlette's HTTPException
            message = detail
        if message is not None:
            return error_body(message, code)
    text = body.decode("utf-8", "replace").strip() if body and data is None else ""
    return error_body(text or f"HTTP {status}", code)


class ErrorBodyMiddleware:
    """Rewrite error answers (status >= 400) that are not in the one shape (see the module
    docstring); successful answers and the page (``/ui`` but ``/ui/api/``) pass through
    untouched."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or (path.startswith("/ui") and not path.startswith("/ui/api/")):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []
        started = False  # whether an answer has begun reaching the client

        async def _send(message: Any) -> None:
            nonlocal start, started
            if message["type"] == "http.response.start" and message["status"] >= 400:
                start = message  # held until the body is complete
                return
            if message["type"] == "http.response.start":
                started = True
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            fixed = normalize_error(start["status"], body)
            headers = list(start.get("headers", []))
            if fixed is not None:
                body = json.dumps(fixed).encode()
                headers = [(k, v) for k, v in headers
                           if k.lower() not in (b"content-length", b"content-type")]
                headers += [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        try:
            await self.app(scope, receive, _send)
        except Exception:
            # an exception that escapes a route: Starlette would answer plain text; the same
            # shape as every other error instead (the traceback goes to the log)
            if started or (start is not None and chunks):
                raise
            _log.exception("unhandled error on %s", scope.get("path", ""))
            body = json.dumps(error_body(INTERNAL_MESSAGE, STATUS_CODES[500])).encode()
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
