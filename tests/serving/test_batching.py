"""The micro-batcher: coalescing under concurrency, no waiting when alone, failure isolation."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from serving._batching import MicroBatcher


def _run(calls: list[list[int]], gate: threading.Event | None = None):
    def run(jobs: list[int]) -> list[int]:
        if gate is not None:
            gate.wait(5)
        calls.append(list(jobs))
        if any(j < 0 for j in jobs):
            raise ValueError(f"bad job among {jobs}")
        return [j * 10 for j in jobs]

    return run


def test_concurrent_jobs_share_calls_and_get_their_own_results(aio: Any) -> None:
    calls: list[list[int]] = []
    gate = threading.Event()
    b: MicroBatcher[int, int] = MicroBatcher(_run(calls, gate), key=lambda j: j % 2,
                                             size=lambda j: 1)

    async def main() -> list[int]:
        tasks = [asyncio.create_task(b.submit(j)) for j in (1, 2)]
        await asyncio.sleep(0.05)  # the first call of each key is running (blocked)
        tasks += [asyncio.create_task(b.submit(j)) for j in range(3, 21)]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*tasks)

    out = aio(main())
    assert out == [j * 10 for j in range(1, 21)]
    assert sorted(j for c in calls for j in c) == list(range(1, 21))
    assert all(len({j % 2 for j in c}) == 1 for c in calls)  # keys never mixed
    assert len(calls) == 4  # per key: the first job alone, then everything that queued
    assert b.stats.requests == 20
    assert b.stats.calls == 4
    assert b.stats.largest == 9


def test_max_rows_caps_a_call(aio: Any) -> None:
    calls: list[list[int]] = []
    gate = threading.Event()
    b: MicroBatcher[int, int] = MicroBatcher(_run(calls, gate), key=lambda j: 0,
                                             size=lambda j: 1, max_rows=4)

    async def main() -> None:
        tasks = [asyncio.create_task(b.submit(0))]
        await asyncio.sleep(0.05)
        tasks += [asyncio.create_task(b.submit(j)) for j in range(1, 10)]
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(*tasks)

    aio(main())
    assert [len(c) for c in calls] == [1, 4, 4, 1]


def test_a_failing_job_fails_alone(aio: Any) -> None:
    calls: list[list[int]] = []
    gate = threading.Event()
    b: MicroBatcher[int, int] = MicroBatcher(_run(calls, gate), key=lambda j: 0,
                                             size=lambda j: 1)

    async def main() -> list[object]:
        tasks = [asyncio.create_task(b.submit(0))]
        await asyncio.sleep(0.05)
        tasks += [asyncio.create_task(b.submit(j)) for j in (1, 2, -3, 4)]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    out = aio(main())
    assert out[:3] == [0, 10, 20]
    assert isinstance(out[3], ValueError)
    assert out[4] == 40
    assert b.stats.retried_alone == 4  # the whole failed call, one by one


def test_disabled_batcher_calls_once_per_job(aio: Any) -> None:
    calls: list[list[int]] = []
    b: MicroBatcher[int, int] = MicroBatcher(_run(calls), key=lambda j: 0, size=lambda j: 1,
                                             enabled=False)

    async def main() -> list[int]:
        return await asyncio.gather(*(b.submit(j) for j in range(5)))

    assert aio(main()) == [0, 10, 20, 30, 40]
    assert all(len(c) == 1 for c in calls)
    with pytest.raises(ValueError, match="bad job"):
        aio(b.submit(-1))
