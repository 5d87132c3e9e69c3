"""Which series of a forecaster respond to which known-in-advance column (``GET /models``).

An allocator asking "which plans move what" had to learn it from the spend rules or by asking
at two plans. A fitted LightGBM forecaster keeps each series' own response to each column
(``training._forecast_response``, ``response_``), and one trained with ``--spend`` the
channels each series' column was built from (``column_sources_``); this reads both.
"""

from __future__ import annotations

from typing import Any

from features._calendar import natural_key
from training._forecast_coherent import total_answers

__all__ = ["responds_to"]


def responds_to(forecaster: Any) -> dict[str, dict[str, Any]]:
    """Per known-in-advance column of ``forecaster``: the series with a fitted response to it
    (``series``), those that read it without one (``no_response``: the column never moved in
    their history, e.g. organic visits at spend 0), each responding series' ``elasticity``
    (the response's slope when both the series and the column are on a log scale), and what
    the column was built from (``built_from``, ``channels``; null when not recorded), and how
    each total's response to a plan is answered (``totals``: the sum of its channels' series'
    responses, or its own with the reason; ``training._forecast_coherent``).

    ``series``, ``no_response`` and ``elasticity`` are null for a forecaster that keeps no
    per-series response (Prophet, the naive yardsticks, a model saved before responses were
    learned)."""
    panel = getattr(forecaster, "panel_", None)
    if panel is None:
        return {}
    ids = sorted((str(s) for s in panel.series), key=natural_key)
    response = getattr(forecaster, "response_", None)
    sources = getattr(forecaster, "column_sources_", None) or {}
    answers = total_answers(forecaster)
    out: dict[str, dict[str, Any]] = {}
    for column in panel.regressor_names:
        rec = sources.get(column) or {}
        built = rec.get("series")
        entry: dict[str, Any] = {
            "series": None, "no_response": None, "elasticity": None,
            "built_from": ({s: list(built[s]) for s in ids if built.get(s)}
                           if built is not None else None),
            "channels": list(rec["channels"]) if "channels" in rec else None,
            "totals": ({t: {"coherent_with_channels": a.coherent, "channels": dict(a.channels),
                            "reason": a.reason}
                        for t, a in sorted(answers.get(str(column), {}).items(),
                                           key=lambda kv: natural_key(kv[0]))}
                       if built is not None else None)}
        if response is not None:
            moved = {s: r[column] for s in ids
                     if (r := response.get(s, {})).get(column) is not None
                     and (r[column].beta or r[column].zero)}
            entry["series"] = [s for s in ids if s in moved]
            entry["no_response"] = [s for s in ids if s not in moved]
            entry["elasticity"] = {s: round(float(r.beta), 4) for s, r in moved.items()
                                   if r.log and bool(panel.log)}
        out[str(column)] = entry
    return out
