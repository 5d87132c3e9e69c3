"""The exception a forecaster raises for a bad input it is given, told apart from its own failures.

``predict`` checks its inputs as it reads them: the horizon, the series asked for, the calendar's
channels and the known-in-advance plan (``future_regressors``). Each such rule raises
``ForecastInputError``, a ``ValueError`` (callers catching ``ValueError`` see no change), naming
the ``input`` at fault. ``POST /forecast_traffic`` checks the request with the same rules before
any model runs; a ``ForecastInputError`` out of ``predict`` is still the request's fault (400),
any other ``ValueError`` a failure of ours (500).
"""

from __future__ import annotations

__all__ = ["ForecastInputError"]


class ForecastInputError(ValueError):
    """A forecast input broke a rule; ``input`` is which: ``"horizon"``, ``"series"``,
    ``"calendar"`` or ``"future_regressors"`` (None when the message alone says it)."""

    def __init__(self, message: str, *, input: str | None = None) -> None:
        super().__init__(message)
        self.input = input
