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
