"""A line per stage of a forecaster's fit on a large panel (features built, trees fitted per
quantile, calibration), with the seconds since the fit began.

On 1,782 store x family series a backtest fold ran 5-8 min without a line (2026-12-07). The
backtest and ``train_and_register`` open ``fit_stages`` around each fit with their progress
callback; the forecaster calls ``stage`` at each step. Panels under ``STAGE_SERIES`` series
stay as quiet as before (one line per fold), and without a callback ``stage`` does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["STAGE_SERIES", "fit_stages", "stage"]

STAGE_SERIES = 200
"""Fewest series whose fit prints its stages (a few hundred series take minutes per fit)."""


@dataclass
class _Sink:
    say: Callable[[str], None]
    prefix: str
    t0: float


_SINK: ContextVar[_Sink | None] = ContextVar("forecast_fit_stages", default=None)


@contextmanager
def fit_stages(progress: Callable[[str], None] | None, prefix: str,
               n_series: int, since: float | None = None) -> Iterator[None]:
    """Within the block, ``stage`` lines go to ``progress`` as ``prefix`` + the stage + the
    seconds since the block began (or since ``since``, a ``time.perf_counter()``), when the
    panel has ``STAGE_SERIES`` series or more."""
    if progress is None or n_series < STAGE_SERIES:
        yield
        return
    token = _SINK.set(_Sink(progress, prefix, time.perf_counter() if since is None else since))
    try:
        yield
    finally:
        _SINK.reset(token)


def stage(text: str) -> None:
    """Say that a stage of the fit is done (nothing outside ``fit_stages``)."""
    sink = _SINK.get()
    if sink is not None:
        sink.say(f"{sink.prefix}{text} ({time.perf_counter() - sink.t0:.0f} s)")
