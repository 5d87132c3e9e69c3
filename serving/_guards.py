"""HTTP hygiene around BentoML: JSON-only request bodies and quiet logs for client errors.

``JsonBodyMiddleware``: the API endpoints read JSON. BentoML would also try to parse
``multipart/form-data`` and url-encoded bodies against our request models and fails with a 500
on them (found by the schemathesis run in ``benchmarks/serving_soak.py``). Such POSTs to the API
get 415 with a message saying to send JSON. The page (``/ui``) is not affected.

It also answers 413 to a body declared (``Content-Length``) larger than ``BRAIN_MAX_BODY_MB``
(default 128 MB: 10,000 live rows of the demo's 104 features are 29 MB, and an experiment of
500,000 rows of 8 columns is 74 MB; an experiment cannot be split), before a byte of it is
read: a body is parsed on the event loop before the per-field limits apply (a check's 20 MB of
10 million ids took 5 s to its 400, stalling every other client's lookups), so the size bounds
how long one request can do that. A body without a declared length (chunked) is counted
while read and answered 413 once past the limit (it had been read whole at any size).

``ClientErrorLogFilter``: BentoML logs a full traceback for every rejected request (validation
errors, 4xx exceptions). A malformed request is the client's problem, not the server's: the
filter turns those records into one warning line without the traceback; real errors keep theirs.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._error_body import error_body

__all__ = ["ClientErrorLogFilter", "JsonBodyMiddleware", "install_log_filter", "max_body_bytes"]

Scope = MutableMapping[str, Any]
_FORM_TYPES = (b"multipart/form-data", b"application/x-www-form-urlencoded")


DEFAULT_MAX_BODY_MB = 128


def max_body_bytes() -> int:
    """The largest request body the API reads (``BRAIN_MAX_BODY_MB``, default 128 MB)."""
    raw = os.environ.get("BRAIN_MAX_BODY_MB", str(DEFAULT_MAX_BODY_MB))
    try:
        mb = float(raw)
    except ValueError:
        mb = float(DEFAULT_MAX_BODY_MB)
    if not mb > 0:  # 0, negative or nan: the default
        return DEFAULT_MAX_BODY_MB * 2**20
    return int(min(mb * 2**20, 2**62))  # 'inf': no practical limit (int(inf) had raised)


async def _answer(send: Callable[[Any], Awaitable[None]], status: int, message: str,
                  code: str) -> None:
    body = json.dumps(error_body(message, code))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body.encode()})


class JsonBodyMiddleware:
    """Answer 415 to form-encoded POST/PUT/PATCH bodies outside the page, and 413 to a body
    declared larger than ``max_body_bytes``."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if (scope["type"] == "http" and scope.get("method") in ("POST", "PUT", "PATCH")
                and not scope.get("path", "").startswith("/ui")):
            ctype, length = b"", b""
            for key, value in scope.get("headers", []):
                if key == b"content-type":
                    ctype = value.split(b";")[0].strip().lower()
                elif key == b"content-length":
                    length = value.strip()
            if ctype in _FORM_TYPES:
                await _answer(send, 415, f"unsupported Content-Type '{ctype.decode()}': send "
                              "the request body as JSON with 'Content-Type: application/json' "
                              "(see /docs.json for the fields)", "unsupported_media_type")
                return
            limit = max_body_bytes()
            if length.isdigit() and int(length) > limit:
                await _answer(send, 413, f"request body of {int(length):,} bytes is larger "
                              f"than the {limit:,} this server reads (BRAIN_MAX_BODY_MB): "
                              "send fewer users or rows per request (scoring takes at most "
                              "10,000), or raise BRAIN_MAX_BODY_MB on the server (an experiment's "
                              "rows cannot be split: analysed apart, they are other experiments)",
                              "payload_too_large")
                return
            if not length:
                # no declared length (Transfer-Encoding: chunked, as httpx sends a
                # generator): counted while read, else any size had been read whole
                bounded = await _bounded(receive, limit, send)
                if bounded is None:
                    return
                receive = bounded
        await self.app(scope, receive, send)


async def _bounded(receive: Callable[[], Awaitable[Any]], limit: int,
                   send: Callable[[Any], Awaitable[None]]
                   ) -> Callable[[], Awaitable[Any]] | None:
    """Read a body of unknown length up to ``limit`` bytes and return a ``receive`` replaying
    it; None after answering 413 to a longer one (the endpoint parses the whole body anyway,
    so buffering it here costs no more memory than the endpoint's own read)."""
    messages: list[Any] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message.get("type") != "http.request":
            break
        size += len(message.get("body", b""))
        if size > limit:
            await _answer(send, 413, f"request body of more than {limit:,} bytes (sent "
                          "without Content-Length) is larger than this server reads "
                          "(BRAIN_MAX_BODY_MB): send fewer users or rows per request "
                          "(scoring takes at most 10,000), or raise BRAIN_MAX_BODY_MB on "
                          "the server", "payload_too_large")
            return None
        if not message.get("more_body", False):
            break

    async def replay() -> Any:
        return messages.pop(0) if messages else await receive()

    return replay


def _client_error(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    from bentoml.exceptions import BentoMLException
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return True
    if isinstance(exc, BentoMLException):
        return int(exc.error_code.value) < 500
    return False


class ClientErrorLogFilter(logging.Filter):
    """Drop the traceback of log records about requests rejected with a 4xx."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _client_error(record.exc_info[1]):
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()}: rejected ({type(exc).__name__}: " \
                         f"{str(exc).splitlines()[0] if str(exc) else ''})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install_log_filter() -> None:
    """Attach the filter to the logger BentoML reports request exceptions on (idempotent)."""
    logger = logging.getLogger("bentoml._internal.server.http_app")
    if not any(isinstance(f, ClientErrorLogFilter) for f in logger.filters):
        logger.addFilter(ClientErrorLogFilter())


def _stop_waiting(waiter: Any, _: Any) -> None:
    """The app finished (or failed) without sending anything: stop waiting for its first
    message; ``await fut`` then returns or re-raises."""
    if not waiter.done():
        waiter.set_result(None)


def cancel_bentoml_request_timers() -> None:
    """Make BentoML's per-request timeout timer go away when the request finishes.

    ``bentoml._internal.server.http.traffic.TimeoutMiddleware`` (BentoML 1.4) schedules
    ``loop.call_later(timeout, ...)`` for every request and never cancels it, so each request's
    future, context and tracing span stay alive for the whole ``traffic.timeout`` (120 s here).
    At 1,000 requests/s that is millions of live objects, and the garbage collector's full
    passes over them stalled requests for 100-300 ms (seen at the 99th percentile and traced
    with a ``gc.callbacks`` probe). Same behaviour, timer cancelled in ``finally``.

    Also: BentoML's version waits for the first message the app sends, so an app that raises
    before answering (an unhandled error outside ``service._errors``, e.g. ``/metrics`` when
    Prometheus' multiprocess directory is missing) held the client for the whole timeout and
    then answered nothing. Here the app finishing ends the wait too, and its exception reaches
    Starlette's error middleware at once (a 500). Idempotent.
    """
    import asyncio

    from bentoml._internal.server.http import traffic
    from starlette.responses import JSONResponse as _JSONResponse

    cls = traffic.TimeoutMiddleware
    if getattr(cls, "_brain_patched", False):
        return

    async def call(self: Any, scope: Scope, receive: Callable[[], Awaitable[Any]],
                   send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        timer = loop.call_later(self.timeout, self._set_timer_out, waiter)

        async def _send(message: Any) -> None:
            if not waiter.done():
                waiter.set_result(None)
            await send(message)

        fut = asyncio.ensure_future(self.app(scope, receive, _send), loop=loop)
        fut.add_done_callback(functools.partial(_stop_waiting, waiter))
        try:
            await waiter
        except TimeoutError:
            if fut.cancel():
                resp = _JSONResponse(error_body("Not able to process the request in "
                                                f"{self.timeout} seconds", "timeout"),
                                     status_code=504)
                await resp(scope, receive, send)
        else:
            await fut
        finally:
            timer.cancel()

    cls.__call__ = call  # type: ignore[method-assign]
    cls._brain_patched = True  # type: ignore[attr-defined]
