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

import numpy as np
import pandas as pd

from ._calendar import ID_PART_SEPARATOR, natural_key, series_channel
from ._contracts import DataContractError, Problem
from ._stores import (
    _AREAS,
    _blank,
    _column,
    apply_store_locales,
    locale_columns,
    locale_pair,
    series_stores,
    store_locale_rows,
)

__all__ = ["KEPT_ATTR", "KEPT_SUFFIX", "apply_kept_stores", "check_locale_fields",
           "kept_stores_frame", "kept_stores_info", "kept_stores_short", "kept_stores_text",
           "place_planned_locales", "remember_stores", "stores_changed_note"]

KEPT_SUFFIX = " (kept with the model)"
"""Ends the source of errors on the model's copy (``kept_stores_frame``)."""

_LEVELS = ("local", "regional")

KEPT_ATTR = "store_locales_"
"""The fitted forecaster's attribute holding ``remember_stores``' dict (absent on models
trained without ``--stores`` or before 2026-12-07)."""


def _text(values: pd.Series) -> list[str]:
    return [str(v) for v in values.astype("string").fillna("").str.strip()]


def _series_by_store(ids: list[str]) -> dict[str, list[str]]:
    by_store: dict[str, list[str]] = {}
    for sid in ids:
        chan = series_channel(sid)
        if chan is not None:
            by_store.setdefault(chan.split(ID_PART_SEPARATOR, 1)[0], []).append(sid)
    return by_store


def remember_stores(stores: pd.DataFrame, series_ids: Iterable[str], *,
                    source: str | None = None, at_train: bool = True) -> dict[str, Any]:
    """The stores file as a model keeps it: every row's store, city and state, which of them
    are the stores of ``series_ids`` (as ``apply_store_locales`` matches them) and each
    store's series. Errors (``DataContractError`` naming the file, column and the fix): no
    ``city`` nor ``state`` column, no column holding the series' stores, a store repeated, a
    store of the series missing (its future city holidays could not be placed), and with
    ``at_train`` a store of the series whose city or state is blank."""
    src = source or str(stores.attrs.get("source", "stores file"))
    stores = stores.reset_index(drop=True)
    stores.attrs["source"] = src
    places = {what: _column(stores, names) for what, names in _AREAS.values()}
    have = sorted(c for c in places.values() if c is not None)
    if not have:
        who = "the model keeps" if at_train else "the file gives"  # at predict: not kept
        raise DataContractError(src, [Problem(
            "city", f"is required (or 'state'): {who} each store's city and state to "
                    "give a city's or a state's holidays to the stores there; the columns are "
                    f"{', '.join(map(str, stores.columns))}", 0,
            fix="add a column 'city' (and 'state') with each store's city (and state), or "
                "leave out --stores")])
    ids = [str(s) for s in series_ids]
    if not _series_by_store(ids):
        shown = ", ".join(sorted(ids, key=natural_key)[:5]) + (", ..." if len(ids) > 5 else "")
        raise DataContractError(src, [Problem(
            "", f"cannot be kept with the model: its series ({shown}) are not per store "
                "(ids such as 'store_nbr_01 / GROCERY I' or 'store_nbr_01'), so no holiday "
                "could be placed by it", 0, fix="leave out --stores")])
    try:
        store_col, keys, probs = series_stores(stores, ids, have)
    except DataContractError as exc:  # series not per store (web, app): say the way out
        if not at_train:
            raise
        raise DataContractError(exc.source, [replace(p, fix=f"{p.fix}, or leave out --stores")
                                             for p in exc.problems]) from None
    # train keeps the file to place planned holidays: every store must be in it, even for a
    # calendar of national holidays only (the reason and the way out had not been said)
    probs = [replace(p, rule=p.rule.replace(
        ": a city's or state's holiday could not be given to them",
        ": train keeps the stores file to place planned city and state holidays, so it must "
        "list every store of the series"), fix=f"{p.fix}, or leave out --stores")
        if at_train and p.rule.startswith("lacks ") else p for p in probs]
    if at_train:
        # a blank city or state had been kept: every later plan of that level failed
        # ("empty for stores of the series") until a retrain (until 2026-12-07)
        for col in have:
            gap = keys.notna().to_numpy(dtype=bool) & _blank(stores[col])
            if gap.any():
                idx = np.flatnonzero(gap)
                probs.append(Problem(
                    col, f"is empty for {len(idx)} store(s) of the series: the model keeps "
                         "each store's city and state to place planned city and state holidays",
                    len(idx), tuple(int(i) + 1 for i in idx[:3]),
                    tuple(str(keys.iloc[i]) for i in idx[:3]),
                    fix=f"write each store's {col}, or leave out --stores"))
    if probs:
        raise DataContractError(src, probs)
    city = _text(stores[places["city"]]) if places["city"] else [""] * len(stores)
    state = _text(stores[places["state"]]) if places["state"] else [""] * len(stores)
    rows = [{"store": s, "key": None if pd.isna(k) else str(k), "city": c, "state": t}
            for s, k, c, t in zip(_text(stores[store_col]), keys, city, state, strict=True)]
    by_store = _series_by_store(ids)
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
    frame.attrs["source"] = f"{kept['source']}{KEPT_SUFFIX}"
    return frame


def kept_stores_text(kept: Mapping[str, Any]) -> str:
    """'stores.csv: 3 stores of 6 series, by city and state'."""
    n_series = sum(len(v) for v in kept["series"].values())
    by = " and ".join(w for w in ("city", "state") if kept.get(f"{w}_column"))
    n = len(kept["series"])
    return (f"{kept['source']}: {n:,} store{'s' if n != 1 else ''} of {n_series:,} "
            f"series, by {by}")


def kept_stores_short(text: str) -> str:
    """'stores.csv: 3 stores' of ``kept_stores_text``'s words, for ``brain models``' table
    (cut at the last ' of ': a file named 'list of stores.csv' had been cut to 'list')."""
    return text.rpartition(" of ")[0] or text


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
                      series_ids: Iterable[str], calendar_source: str = "calendar", *,
                      cli: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """``apply_store_locales`` with the model's copy of its stores file, and a first note
    saying so (with the counts) when the calendar has city or state holidays to place; no
    note otherwise (a calendar of national holidays, or of city holidays each written on its
    stores: the model's copy is not a file the user gave). A calendar without ``locale``
    columns is returned as given. Errors on the copy (its source ends ``KEPT_SUFFIX``) say
    to retrain with ``--stores`` (and, ``cli``, to give a file with ``predict --stores``):
    the copy cannot be edited."""
    if locale_pair(calendar) is None:
        return calendar, []
    frame = kept_stores_frame(kept)
    src = str(frame.attrs["source"])
    redo = ("retrain with it (brain forecast train --stores FILE)"
            if not cli else "give it with brain forecast predict --stores FILE, or retrain "
            "with it (the API and the pyfunc read the model's copy)")
    try:
        out, notes = apply_store_locales(calendar, frame, series_ids,
                                         calendar_source=calendar_source)
    except DataContractError as exc:
        if exc.source != src:  # the calendar's rows: a place no store of the copy is in
            raise DataContractError(exc.source, [replace(p, fix=p.fix.replace(
                f"add the city's stores to {src}",
                f"list the city's stores in a stores file and {redo}"
            ).replace(f"add the state's stores to {src}",
                      f"list the state's stores in a stores file and {redo}"))
                for p in exc.problems]) from None
        # the model's copy cannot be edited: the fix is a stores file given at predict
        raise DataContractError(exc.source, [replace(p, fix=(
            f"{p.fix.removesuffix(', or leave out --stores')} in a stores file and {redo}"))
            for p in exc.problems]) from None
    if not store_locale_rows(calendar).any():
        return out, []  # national rows only, or each on its own channel: nothing placed
    head = (f"{calendar_source}: city and state holidays given to the stores the model was "
            f"trained with ({kept_stores_text(kept)}"
            + ("; brain forecast predict --stores FILE reads another file)" if cli else ")"))
    # one note, not two saying the same (the placement's own names the copy as the file)
    marker = f" given to the stores there by {src} ("
    for i, note in enumerate(notes):
        at = note.find(marker)
        cut = note.find("): ", at) if at >= 0 else -1
        if cut >= 0:
            notes[i] = f"{head}: {note[cut + 3:]}"
            return out, notes
    notes.insert(0, head)
    return out, notes


def check_locale_fields(calendar: pd.DataFrame, source: str) -> None:
    """An error (``DataContractError`` naming the column, rows and the fix) for half a
    locale on a row without a channel: ``locale`` Local/Regional without a ``locale_name``
    (no such column, or blank), a ``locale_name`` without a ``locale`` (no such column, or
    blank). Until 2026-12-07 such a row was read as a national holiday without a word in the
    API and the pyfunc, so a city's holiday lifted every series. Rows are the calendar's
    ``LOCALE_ROW`` numbers when it has them, else counted from 1."""
    from ._stores import LOCALE_ROW

    loc, name = _column(calendar, ("locale",)), _column(calendar, ("locale_name",))
    if loc is None and name is None:
        return
    n = len(calendar)
    num = (calendar[LOCALE_ROW].to_numpy() if LOCALE_ROW in calendar.columns
           else np.arange(1, n + 1))
    own = (~_blank(calendar["channel"]) if "channel" in calendar.columns
           else np.zeros(n, dtype=bool))
    level = (calendar[loc].astype("string").fillna("").str.strip().str.lower()
             if loc is not None else pd.Series([""] * n, index=calendar.index))
    area = level.isin(list(_LEVELS)).to_numpy(dtype=bool) & ~own
    named = (~_blank(calendar[name]) if name is not None else np.zeros(n, dtype=bool)) & ~own
    label = (calendar["name"].astype(str) if "name" in calendar.columns
             else pd.Series([""] * n, index=calendar.index))
    probs: list[Problem] = []

    def problem(col: str, mask: np.ndarray, rule: str, fix: str) -> None:
        idx = np.flatnonzero(mask)
        probs.append(Problem(col, rule, len(idx), tuple(int(num[i]) for i in idx[:3]),
                             tuple(str(label.iloc[i]) for i in idx[:3]), fix=fix))

    everywhere = "it would apply to every series, as a national holiday"
    if area.any():
        problem(name or "locale_name", area & (_blank(calendar[name]) if name else True),
                f"{'is empty' if name else 'is missing'} on rows whose 'locale' is Local or "
                f"Regional: {everywhere}",
                "write the city (Local) or state (Regional) the holiday is kept in, or "
                "National in 'locale' for one kept everywhere")
    if named.any():
        blank_level = (level == "").to_numpy(dtype=bool) & named
        if blank_level.any():
            problem(loc or "locale", blank_level,
                    f"{'is empty' if loc else 'is missing'} on rows whose 'locale_name' names "
                    f"a place: {everywhere}",
                    "write Local (a city's holiday) or Regional (a state's) in 'locale', or "
                    "National for one kept everywhere")
    probs = [p for p in probs if p.n_rows]
    if probs:
        raise DataContractError(source, probs)


def _learned_on_some(calendar: pd.DataFrame, model: Any, n_series: int
                     ) -> tuple[list[str], np.ndarray]:
    """``trained_on_some_stores``' items and the mask of the calendar rows they are."""
    from ._calendar import base_names
    from ._stores import trained_on_some_stores

    hit = trained_on_some_stores(calendar, getattr(model, "calendar_", None), n_series)
    mask = np.zeros(len(calendar), dtype=bool)
    if hit:
        heads = tuple(h.split(" (", 1)[0] for h in hit)
        names = base_names(calendar["name"].astype(str))
        mask = store_locale_rows(calendar) & np.array(
            [repr(b) in heads for b in names], dtype=bool)
    return hit, mask


def place_planned_locales(calendar: pd.DataFrame, model: Any, series_ids: Iterable[str],
                          source: str = "calendar", *, cli: bool = True
                          ) -> tuple[pd.DataFrame, list[str]]:
    """The one rule of ``brain forecast predict`` without ``--stores``, the API and the
    pyfunc for a planned calendar's ``locale`` columns: half a locale is an error
    (``check_locale_fields``); a model that keeps its stores file (``KEPT_ATTR``) gives each
    city's or state's holiday to the stores there (``apply_kept_stores``); a model without
    one refuses such a holiday it learned on some series only (on every series the others
    would take its lift), naming those rows; otherwise the calendar is returned as given (the
    caller notes that such rows apply to every series). ``cli``: the fixes name ``--stores``
    at predict; else retraining (the API's and the pyfunc's callers cannot give a file)."""
    check_locale_fields(calendar, source)
    ids = [str(s) for s in series_ids]
    kept = getattr(model, KEPT_ATTR, None) or None
    if kept:
        return apply_kept_stores(calendar, kept, ids, source, cli=cli)
    hit, mask = _learned_on_some(calendar, model, len(ids))
    if hit:
        from ._stores import LOCALE_ROW

        cols = locale_columns(calendar)
        assert cols is not None
        num = (calendar[LOCALE_ROW].to_numpy() if LOCALE_ROW in calendar.columns
               else np.arange(1, len(calendar) + 1))
        idx = np.flatnonzero(mask)
        why = ("no --stores file maps them and the model keeps none" if cli else
               "this model keeps no stores file")
        raise DataContractError(source, [Problem(
            cols[0], f"has {len(hit)} city or state holiday(s) (Local or Regional, no "
                     f"channel) that would apply to every series, as {why} (trained without "
                     "--stores, or before 2026-12-07), but the model learned them on some "
                     f"series only: {', '.join(hit[:3])}{', ...' if len(hit) > 3 else ''}; "
                     "forecast so, the other series would take their lift",
            len(idx), tuple(int(num[i]) for i in idx[:3]),
            tuple(str(calendar["name"].iloc[i]) for i in idx[:3]),
            fix=("give --stores FILE as to train, or write their stores in 'channel'" if cli
                 else "send each holiday's stores in 'channel', or retrain with brain "
                      "forecast train --stores FILE"))])
    return calendar, []


def stores_changed_note(kept: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """The note when a stores file given at predict differs from the model's copy: stores of
    the series in another city or state (the holidays the model learned stay where they were
    at training), stores added or removed. None when they place every store alike."""
    def place(r: Mapping[str, Any]) -> str:
        return ", ".join(p for p in (r["city"], r["state"]) if p) or "no city or state"

    def ident(r: Mapping[str, Any]) -> str:  # a store without series by its number: 040 = 40
        text = str(r["key"] or r["store"]).strip()
        return str(int(text)) if text.isdigit() else text

    def where(r: Mapping[str, Any]) -> tuple[str, str]:  # as the placement compares them
        return tuple(" ".join(str(r[w] or "").split()).casefold()  # type: ignore[return-value]
                     for w in ("city", "state"))

    old = {ident(r): r for r in kept["stores"]}
    now = {ident(r): r for r in new["stores"]}
    moved = [f"{now[k]['key'] or now[k]['store']!s} ({place(old[k])} -> {place(now[k])})"
             for k in now if k in old and where(old[k]) != where(now[k])]
    added = [str(now[k]["key"] or now[k]["store"]) for k in now if k not in old]
    gone = [str(old[k]["key"] or old[k]["store"]) for k in old if k not in now]
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
