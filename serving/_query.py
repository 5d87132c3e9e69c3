"""Query parameters of the GET endpoints (``GET /customers``, the page's ``/ui/api/*`` helpers),
read the same way everywhere.

A bad query parameter is a ``BadRequestError`` with code ``validation_error`` (as a request
body that fails validation), ``field`` the parameter, ``loc`` ``[parameter]`` and ``detail`` one
entry (``loc``, ``msg``, ``type``), which ``_error_body.exception_answer`` answers with a 400.
The helpers had answered the same fault with code ``bad_request`` and no ``detail``, and took
unknown parameters silently where ``GET /customers`` refused them.

An empty value (``?limit=``) is the parameter left out: its default.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ._answers import BadRequestError

__all__ = ["only_params", "query_choice", "query_error", "query_int", "query_text"]


def query_error(name: str, message: str, kind: str) -> BadRequestError:
    """The 400 of query parameter ``name`` (``kind``: the detail entry's ``type``)."""
    return BadRequestError(message, code="validation_error", field=name, loc=[name],
                           detail=[{"loc": [name], "msg": message, "type": kind}])


def only_params(params: Mapping[str, str], allowed: Collection[str], endpoint: str) -> None:
    """A 400 naming the first query parameter that ``endpoint`` does not take."""
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        takes = (" and ".join(f"'{a}'" for a in allowed) if allowed else "no query parameters")
        raise query_error(unknown[0], f"unknown query parameter {unknown[0]!r}: {endpoint} "
                          f"takes {takes}", "extra_forbidden")


def query_int(params: Mapping[str, str], name: str, default: int, low: int,
              high: int | None) -> int:
    """Query parameter ``name`` as an integer in ``low`` .. ``high`` (None: no upper bound)."""
    text = params.get(name)
    if text is None or not text.strip():
        return default
    bound = f"from {low:,} to {high:,}" if high is not None else f"of {low:,} or more"
    try:
        value: int | None = int(text.strip())
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        raise query_error(name, f"query parameter '{name}' must be an integer {bound}; "
                          f"received {text[:40]!r}",
                          "int_parsing" if value is None else "out_of_range")
    return value


def query_choice(params: Mapping[str, str], name: str, default: str,
                 choices: Collection[str]) -> str:
    """Query parameter ``name`` as one of ``choices``."""
    text = params.get(name)
    if text is None or not text.strip():
        return default
    if text not in choices:
        listed = " or ".join(repr(c) for c in choices)
        raise query_error(name, f"query parameter '{name}' must be {listed}; received "
                          f"{text[:40]!r}", "enum")
    return text


def query_text(params: Mapping[str, str], name: str, default: str) -> str:
    """Query parameter ``name`` as written, ``default`` when left out or empty."""
    text = params.get(name)
    return default if text is None or not text.strip() else text
