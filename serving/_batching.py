"""Adaptive micro-batching of live scoring requests.

While one model call is running, requests for the same model (and the same ``top_reasons``)
queue up; when the call returns, everything queued goes out as the next call, up to
``max_rows`` rows. A lone request is scored at once (no fixed waiting window), so batching adds
no latency when traffic is light and turns many small model calls into a few large ones when it
is heavy: LightGBM and pandas pay a fixed cost per call that dominates single-row requests.

Why not BentoML's ``@bentoml.api(batchable=True)``: it batches one array- or list-shaped argument
per endpoint, while our endpoints take one validated request object that mixes ids, feature
rows and options, and most by-id requests never reach a model (they are answered from the
snapshot's score cache). Batching happens after that decision, only for rows that need the model.

If a combined call fails (one request's rows cannot be scored), every request in it is retried
alone, so a bad request never fails the good ones it was batched with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread

__all__ = ["BatchStats", "MicroBatcher"]

J = TypeVar("J")
R = TypeVar("R")


@dataclass
class BatchStats:
    """Counters for ``GET /models`` and the latency benchmark."""

    requests: int = 0
    calls: int = 0
    largest: int = 0
    retried_alone: int = 0
    sizes: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        mean = self.requests / self.calls if self.calls else 0.0
        return {"requests": self.requests, "model_calls": self.calls,
                "mean_requests_per_call": round(mean, 2), "largest_call": self.largest,
                "retried_alone": self.retried_alone}


class MicroBatcher(Generic[J, R]):
    """Coalesce concurrent jobs with the same key into one call of ``run``.

    ``run(jobs)`` gets jobs sharing a key and returns one result per job, in order. It runs in a
    worker thread (through ``limiter`` when given). ``size(job)`` is the job's row count, used
    for ``max_rows``. ``enabled=False`` runs every job alone (the benchmark's "without").
    """

    def __init__(self, run: Callable[[list[J]], list[R]], key: Callable[[J], Hashable],
                 size: Callable[[J], int], *, max_rows: int = 2_000, enabled: bool = True,
                 limiter: anyio.CapacityLimiter | None = None) -> None:
        self._run = run
        self._key = key
        self._size = size
        self.max_rows = max_rows
        self.enabled = enabled
        self._limiter = limiter
        self._queues: dict[Hashable, list[tuple[J, asyncio.Future[R]]]] = {}
        self._draining: set[Hashable] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = BatchStats()

    async def submit(self, job: J) -> R:
        """Score ``job``, possibly together with others submitted meanwhile."""
        self.stats.requests += 1
        if not self.enabled:
            self._count(1)
            return (await self._call([job]))[0]
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        key = self._key(job)
        self._queues.setdefault(key, []).append((job, fut))
        if key not in self._draining:
            self._draining.add(key)
            task = loop.create_task(self._drain(key))
            self._tasks.add(task)  # keep a reference until it finishes
            task.add_done_callback(self._tasks.discard)
        return await fut

    def _count(self, n: int) -> None:
        self.stats.calls += 1
        self.stats.largest = max(self.stats.largest, n)
        self.stats.sizes[n] = self.stats.sizes.get(n, 0) + 1

    async def _call(self, jobs: list[J]) -> list[R]:
        return await anyio.to_thread.run_sync(self._run, jobs, limiter=self._limiter)

    def _take(self, key: Hashable) -> list[tuple[J, asyncio.Future[R]]]:
        queue = self._queues.get(key, [])
        taken: list[tuple[J, asyncio.Future[R]]] = []
        rows = 0
        while queue and (not taken or rows + self._size(queue[0][0]) <= self.max_rows):
            item = queue.pop(0)
            taken.append(item)
            rows += self._size(item[0])
        if not queue:
            self._queues.pop(key, None)
        return taken

    async def _drain(self, key: Hashable) -> None:
        try:
            while True:
                batch = self._take(key)
                if not batch:
                    return
                self._count(len(batch))
                try:
                    results = await self._call([job for job, _ in batch])
                except Exception as exc:
                    if len(batch) == 1:
                        _settle(batch[0][1], exc=exc)
                        continue
                    self.stats.retried_alone += len(batch)
                    for job, fut in batch:  # isolate the failing request(s)
                        try:
                            _settle(fut, (await self._call([job]))[0])
                        except Exception as one_exc:
                            _settle(fut, exc=one_exc)
                    continue
                for (_, fut), res in zip(batch, results, strict=True):
                    _settle(fut, res)
        finally:
            self._draining.discard(key)
            if self._queues.get(key):  # arrived after the last take: start again
                self._draining.add(key)
                task = asyncio.get_running_loop().create_task(self._drain(key))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)


def _settle(fut: asyncio.Future[Any], value: Any = None, exc: BaseException | None = None) -> None:
    if fut.done():  # the client went away and the request was cancelled
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(value)
