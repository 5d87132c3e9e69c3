"""What a traffic forecaster keeps of the stores file it was trained with (``brain forecast
train --stores``), so that a city's or a state's holiday planned later goes to the stores there
without the file: ``predict`` without ``--stores``, ``POST /forecast_traffic`` and the MLflow
pyfunc all read the model's copy (``store_locales_`` on the fitted forecaster, pickled with it).

The copy (``remember_stores``) is a plain dict, so an older or newer copy unpickles without this
module's classes: ``source`` (the file's name), ``store_column``, ``city_column`` and
``state_column`` (None when the file had none), ``stores`` (one dict per row of the file:
``store`` as written, ``key`` the store as the series write it, ``store_nbr_01``, or None for a
store without series, ``city``, ``state``) and ``series`` (each store's series ids). Until
2026-12-07 a model kept only its training calendar: ``predict`` without the file refused a
holiday the model had learned on some stores, and the API could not place one at all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from ._calendar import ID_PART_SEPARATOR, natural_key, series_channel
from ._contracts import DataContractError, Problem
from ._stores import (
    _AREAS,
    _column,
    apply_store_locales,
    locale_pair,
    series_stores,
    store_locale_rows,
)

__all__ = ["KEPT_ATTR", "apply_kept_stores", "kept_stores_frame", "kept_stores_info",
           "kept_stores_text", "remember_stores", "stores_changed_note"]

KEPT_ATTR = "store_locales_"
"""The fitted forecaster's attribute holding ``remember_stores``' dict (absent on models
trained without ``--stores`` or before 2026-12-07)."""


def _text(values: pd.Series) -> list[str]:
    return [str(v) for v in values.astype("string").fillna("").str.strip()]


def remember_stores(stores: pd.DataFrame, series_ids: Iterable[str], *,
                    source: str | None = None) -> dict[str, Any]:
    """The stores file as a model keeps it: every row's store, city and state, which of them
    are the stores of ``series_ids`` (as ``apply_store_locales`` matches them) and each
    store's series. Errors (``DataContractError`` naming the file, column and the fix): no
    ``city`` nor ``state`` column, no column holding the series' stores, a store repeated, a
    store of the series missing (its future city holidays could not be placed)."""
    src = source or str(stores.attrs.get("source", "stores file"))
    stores = stores.reset_index(drop=True)
    stores.attrs["source"] = src
    places = {what: _column(stores, names) for what, names in _AREAS.values()}
    have = sorted(c for c in places.values() if c is not None)
    if not have:
        raise DataContractError(src, [Problem(
            "city", "is required (or 'state'): the model keeps each store's city and state to "
                    "give a city's or a state's holidays to the stores there; the columns are "
                    f"{', '.join(map(str, stores.columns))}", 0,
            fix="add a column 'city' (and 'state') with each store's")])
    ids = [str(s) for s in series_ids]
    store_col, keys, probs = series_stores(stores, ids, have)
    if probs:
        raise DataContractError(src, probs)
    city = _text(stores[places["city"]]) if places["city"] else [""] * len(stores)
    state = _text(stores[places["state"]]) if places["state"] else [""] * len(stores)
    rows = [{"store": s, "key": None if pd.isna(k) else str(k), "city": c, "state": t}
            for s, k, c, t in zip(_text(stores[store_col]), keys, city, state, strict=True)]
    by_store: dict[str, list[str]] = {}
    for sid in ids:
        chan = series_channel(sid)
        if chan is not None:
            by_store.setdefault(chan.split(ID_PART_SEPARATOR, 1)[0], []).append(sid)
    return {"source": src, "store_column": store_col, "city_column": places["city"],
            "state_column": places["state"], "stores": rows,
            "series": {k: by_store[k] for k in sorted(by_store, key=natural_key)}}


def kept_stores_frame(kept: Mapping[str, Any]) -> pd.DataFrame:
    """The model's copy as a stores file ``apply_store_locales`` reads: its store column
    holding the stores as the series write them (empty for stores without series), its city
    and state columns, named as in the file; ``attrs['source']`` says it is the model's."""
    cols: dict[str, list[Any]] = {str(kept["store_column"]): [r["key"] for r in kept["stores"]]}
    for what in ("city", "state"):
        name = kept.get(f"{what}_column")
        if name:
            cols[str(name)] = [r[what] or None for r in kept["stores"]]
    frame = pd.DataFrame(cols)
    frame.attrs["source"] = f"{kept['source']} (kept with the model)"
    return frame


def kept_stores_text(kept: Mapping[str, Any]) -> str:
    """'stores.csv: 3 stores of 6 series, by city and state'."""
    n_series = sum(len(v) for v in kept["series"].values())
    by = " and ".join(w for w in ("city", "state") if kept.get(f"{w}_column"))
    n = len(kept["series"])
    return (f"{kept['source']}: {n:,} store{'s' if n != 1 else ''} of {n_series:,} "
            f"series, by {by}")


def kept_stores_info(kept: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``GET /models``' ``stores`` of a forecaster: the file's name, the counts and each
    store of its series with its city, state and series count; None without a copy."""
    if not kept:
        return None
    rows = {r["key"]: r for r in kept["stores"] if r["key"]}
    return {"source": str(kept["source"]), "stores": len(kept["series"]),
            "series": sum(len(v) for v in kept["series"].values()),
            "by_store": {k: {"city": rows[k]["city"] or None, "state": rows[k]["state"] or None,
                             "series": len(v)} for k, v in kept["series"].items()}}


def apply_kept_stores(calendar: pd.DataFrame, kept: Mapping[str, Any],
                      series_ids: Iterable[str], calendar_source: str = "calendar"
                      ) -> tuple[pd.DataFrame, list[str]]:
    """``apply_store_locales`` with the model's copy of its stores file, and a first note
    saying so (with the counts) when the calendar has city or state holidays to place; no
    note otherwise (a calendar of national holidays, or of city holidays each written on its
    stores: the model's copy is not a file the user gave). A calendar without ``locale``
    columns is returned as given."""
    if locale_pair(calendar) is None:
        return calendar, []
    frame = kept_stores_frame(kept)
    try:
        out, notes = apply_store_locales(calendar, frame, series_ids,
                                         calendar_source=calendar_source)
    except DataContractError as exc:
        if exc.source != frame.attrs["source"]:
            raise
        # the model's copy cannot be edited: the fix is a stores file given at predict
        raise DataContractError(exc.source, [replace(p, fix=(
            f"{p.fix} in a stores file and give it with brain forecast predict --stores FILE, "
            "or retrain with it (the API and the pyfunc read the model's copy)"))
            for p in exc.problems]) from None
    if not store_locale_rows(calendar).any():
        return out, []  # national rows only, or each on its own channel: nothing placed
    notes.insert(0, f"{calendar_source}: city and state holidays given to the stores "
                        f"the model was trained with ({kept_stores_text(kept)}; "
                        "brain forecast predict --stores FILE reads another file)")
    return out, notes


def stores_changed_note(kept: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """The note when a stores file given at predict differs from the model's copy: stores of
    the series in another city or state (the holidays the model learned stay where they were
    at training), stores added or removed. None when they place every store alike."""
    def place(r: Mapping[str, Any]) -> str:
        return ", ".join(p for p in (r["city"], r["state"]) if p) or "no city or state"

    def ident(r: Mapping[str, Any]) -> str:
        return str(r["key"] or r["store"])

    old = {ident(r): r for r in kept["stores"]}
    now = {ident(r): r for r in new["stores"]}
    moved = [f"{k} ({place(old[k])} -> {place(now[k])})" for k in now
             if k in old and (old[k]["city"], old[k]["state"]) != (now[k]["city"],
                                                                   now[k]["state"])]
    added = [k for k in now if k not in old]
    gone = [k for k in old if k not in now]
    if not (moved or added or gone):
        return None
    parts = []
    for what, items in (("in another city or state", moved), ("added", added),
                        ("not in it", gone)):
        if items:
            shown = ", ".join(items[:4]) + (f" and {len(items) - 4} more" if len(items) > 4
                                           else "")
            parts.append(f"{len(items)} store{'s' if len(items) != 1 else ''} {what}: {shown}")
    return (f"{new['source']} differs from the stores file the model was trained with "
            f"({kept['source']}): {'; '.join(parts)}. The planned holidays follow "
            f"{new['source']}; the holidays the model learned stay on the stores of the "
            "training file: retrain with --stores "
            f"{new['source']} for them to follow it too")
