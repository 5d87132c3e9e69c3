"""HTTP hygiene around BentoML: the per-request timeout timer is released when a request ends, and
an app that fails before answering fails at once instead of after the timeout."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from serving._guards import cancel_bentoml_request_timers


def _run_requests(n: int, aio: Any) -> tuple[list[int], int]:
    from bentoml._internal.server.http.traffic import TimeoutMiddleware

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    mw = TimeoutMiddleware(app, timeout=120)
    statuses: list[int] = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def main() -> int:
        for _ in range(n):
            await mw({"type": "http", "path": "/x"}, receive, send)
        loop = asyncio.get_running_loop()
        return sum(1 for h in loop._scheduled if not h.cancelled())  # type: ignore[attr-defined]

    return statuses, aio(main())


def test_request_timers_are_cancelled_when_requests_finish(aio: Any) -> None:
    cancel_bentoml_request_timers()
    cancel_bentoml_request_timers()  # idempotent
    statuses, live_timers = _run_requests(50, aio)
    assert statuses == [200] * 50
    assert live_timers == 0


def test_an_app_failing_before_it_answers_fails_at_once(aio: Any) -> None:
    from bentoml._internal.server.http.traffic import TimeoutMiddleware

    cancel_bentoml_request_timers()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("boom")

    async def send(message: dict) -> None:
        pass

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def main() -> int:
        with pytest.raises(ValueError, match="boom"):  # Starlette's error middleware: a 500
            await TimeoutMiddleware(app, timeout=30)({"type": "http", "path": "/x"}, receive,
                                                      send)
        loop = asyncio.get_running_loop()
        return sum(1 for h in loop._scheduled if not h.cancelled())  # type: ignore[attr-defined]

    start = time.monotonic()
    assert aio(main()) == 0
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(("raw", "expected"), [
    ("64", 64 * 2**20), ("0.5", 2**19), ("0", 128 * 2**20), ("-3", 128 * 2**20),
    ("nan", 128 * 2**20), ("lots", 128 * 2**20), ("inf", 2**62)])
def test_max_body_bytes_reads_any_setting_without_raising(monkeypatch: pytest.MonkeyPatch,
                                                          raw: str, expected: int) -> None:
    # BRAIN_MAX_BODY_MB=inf had raised OverflowError in the middleware on every POST
    from serving._guards import max_body_bytes

    monkeypatch.setenv("BRAIN_MAX_BODY_MB", raw)
    assert max_body_bytes() == expected


def _post_in_chunks(chunks: list[bytes], aio: Any) -> tuple[int, bytes, int]:
    """POST ``chunks`` without a Content-Length (Transfer-Encoding: chunked) through
    ``JsonBodyMiddleware``: the status, the body answered and the bytes the app read."""
    from serving._guards import JsonBodyMiddleware

    read = [0]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        more = True
        while more:
            message = await receive()
            read[0] += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(read[0]).encode()})

    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        else:
            out["body"] += message.get("body", b"")

    scope = {"type": "http", "method": "POST", "path": "/churn_risk",
             "headers": [(b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked")]}
    aio(JsonBodyMiddleware(app)(scope, receive, send))
    return out["status"], out["body"], read[0]


def test_a_chunked_body_over_the_limit_is_a_413(monkeypatch: pytest.MonkeyPatch,
                                                aio: Any) -> None:
    """A body sent without Content-Length (chunked, as httpx sends a generator) had been read
    whole whatever its size: BRAIN_MAX_BODY_MB bounded only declared lengths."""
    import json

    monkeypatch.setenv("BRAIN_MAX_BODY_MB", "0.01")  # 10,485 bytes
    status, body, read = _post_in_chunks([b"x" * 4_000] * 5, aio)
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"
    assert read == 0  # the endpoint never saw it
    # below the limit, the endpoint reads every chunk as sent
    status, body, read = _post_in_chunks([b"x" * 4_000] * 2, aio)
    assert (status, body, read) == (200, b"8000", 8_000)
