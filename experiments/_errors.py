"""The one exception type raised for bad statistical inputs, and how its messages name inputs.

The engine serves two front ends that call the same input differently: ``brain ab analyze
--variant-col`` and the API's ``"variant_col"`` field. So a message never spells an input
itself: it holds a ``Param`` (the engine's own parameter name) where the input is named, and each
front end renders the message in its own terms with ``ExperimentInputError.phrase``. ``str()`` of
the error uses the engine's names, which is what a Python caller passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["REQUEST_ROWS", "ExperimentInputError", "Param", "first_rows"]

REQUEST_ROWS = "request rows"
"""The ``source`` of data sent in an API request's ``rows`` (a JSON array, counted from 0)."""


def first_rows(source: str, positions: Any, shown: int = 3) -> str:
    """The first ``shown`` of ``positions`` (0-based) as the input counts them: ``rows [4, 9]``
    for a file (1-based data rows, as a spreadsheet shows them) and ``rows[3], rows[8]`` for an
    API request's ``rows`` array, whose ``loc`` counts from 0 too."""
    first = [int(i) for i in list(positions)[:shown]]
    if source == REQUEST_ROWS:
        return ", ".join(f"rows[{i}]" for i in first)
    return f"rows {[i + 1 for i in first]}"

_NO_VALUE: Any = object()


@dataclass(frozen=True)
class Param:
    """An input named in an error message: the engine's parameter ``name``, or a setting of it
    (``Param("relative", False)`` reads "relative=False"; the CLI spells it ``--absolute``)."""

    name: str
    value: Any = _NO_VALUE

    def __str__(self) -> str:
        return self.name if self.value is _NO_VALUE else f"{self.name}={self.value!r}"


class ExperimentInputError(ValueError):
    """An experiment input broke a rule: the message names the input, the rule, what was received
    and how to fix it (e.g. "metric 'spend': 12 missing values in arm 'control' ...").

    Built from text and ``Param`` parts, e.g. ``ExperimentInputError("Fix: pass ",
    Param("variant_col"), " with the arm label column.")``."""

    def __init__(self, *parts: str | Param) -> None:
        self.parts = parts
        super().__init__("".join(map(str, parts)))

    @property
    def params(self) -> tuple[str, ...]:
        """The inputs the message names, as the engine spells them (keys for ``phrase``)."""
        return tuple(str(p) for p in self.parts if isinstance(p, Param))

    def phrase(self, names: Mapping[str, str]) -> str:
        """The message with each named input spelled as ``names`` says (keyed by the engine's
        spelling, ``str(param)``); inputs missing from ``names`` keep the engine's spelling."""
        return "".join(names.get(str(p), str(p)) if isinstance(p, Param) else p
                       for p in self.parts)
