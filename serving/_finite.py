"""Numbers in a request are finite: a clear 400 for NaN and Infinity, naming the field.

JSON has no NaN or Infinity, but Python's JSON reader (and so BentoML's) takes the literals
``NaN``, ``Infinity`` and ``-Infinity``, and pydantic reads the strings ``"nan"`` and ``"inf"``
as those floats. A NaN then failed a field's range check as if it were a number out of range:
``calendar[0].intensity: Input should be less than or equal to 10``. ``not_finite`` is run by
the request models (``_schemas.Strict``) on every field declared as a number (and on the
values of a mapping of numbers, e.g. ``expected_split``) before pydantic's own checks; it
raises a ``finite_number`` error whose message says what was received, that it is not a finite
number, and what to send instead (the field's range, or leaving it out where it is optional).
Where it was (``calendar[0].intensity``) is the error's ``loc``, written before the message.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

__all__ = ["NOT_FINITE_TEXTS", "finite_fix", "is_number_field", "not_finite"]

NOT_FINITE_TEXTS = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity",
                              "+infinity", "-infinity"})
"""Strings pydantic would read as a float that is not finite (compared lower-cased)."""


def _is_not_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, str) and value.strip().lower() in NOT_FINITE_TEXTS


def _numeric(tp: Any) -> bool:
    return tp is float or tp is int


def _args(tp: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _args(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return tuple(k for a in typing.get_args(tp) if a is not type(None) for k in _args(a))
    return (tp,)


def is_number_field(info: FieldInfo) -> tuple[bool, bool, bool]:
    """Whether the field holds a number; whether it holds a mapping of numbers; and whether
    that mapping's values may be text too (``guardrails``: ``"abs:0.5"``), whose own check
    then reads a string such as ``"nan"``."""
    kinds = _args(info.annotation)
    plain = any(_numeric(k) or _numeric(typing.get_origin(k)) for k in kinds
                if typing.get_origin(k) is not dict)
    values = [v for k in kinds if typing.get_origin(k) is dict
              for v in _args(typing.get_args(k)[1])]
    return plain, any(_numeric(v) for v in values), any(v is str for v in values)


def finite_fix(name: str, info: FieldInfo) -> str:
    """What to send instead: the field's range, and leaving it out where it has a default."""
    bounds = []
    for m in info.metadata:
        for kind, attr, word in ((Ge, "ge", "at least"), (Gt, "gt", "above"),
                                 (Le, "le", "at most"), (Lt, "lt", "below")):
            if isinstance(m, kind):
                bound = getattr(m, attr)
                bounds.append(f"{word} {bound:g}" if isinstance(bound, float) else
                              f"{word} {bound}")
    text = "send a finite number" + (f" ({', '.join(bounds)})" if bounds else "")
    if not info.is_required():
        text += (f", or leave '{name}' out (null)" if info.default is None else
                 f", or leave '{name}' out (default {info.default!r})")
    return text


def not_finite(name: str, info: FieldInfo, value: Any) -> Any:
    """``value`` unchanged, or a ``finite_number`` error when it (or, for a mapping of numbers,
    one of its values) is NaN, Infinity or a string of them (not the string in a mapping whose
    values may be text: ``guardrails`` answers ``"nan"`` itself, with its two forms)."""
    plain, mapping, takes_text = is_number_field(info)
    if plain and _is_not_finite(value):
        raise PydanticCustomError(
            "finite_number", "{received} is not a finite number (JSON has no NaN or Infinity); "
            "{fix}", {"received": _shown(value), "fix": finite_fix(name, info)})
    if mapping and isinstance(value, dict):
        for key, v in value.items():
            if _is_not_finite(v) and not (takes_text and isinstance(v, str)):
                raise PydanticCustomError(
                    "finite_number", "'{key}': {received} is not a finite number (JSON has no "
                    "NaN or Infinity); send a finite number for each entry of '{name}'",
                    {"key": str(key), "received": _shown(v), "name": name})
    return value


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).replace("inf", "Infinity") \
        .replace("nan", "NaN")
