"""A stores file read to give a holidays file's city and state holidays to their stores.

Favorita's ``holidays_events.csv`` writes where a holiday is kept in two columns: ``locale``
(``National``, ``Regional``, ``Local``) and ``locale_name`` (the country, a state, a city), and
its ``stores.csv`` (``store_nbr, city, state, type, cluster``) where each store is. With such a
stores file (``brain forecast backtest|train|predict --stores FILE``, ``brain data validate
--stores FILE``; in Python ``apply_store_locales``) a ``Local`` holiday applies to the series
of the stores in its city and a ``Regional`` one to those in its state, each given on the
store's channel (``store_nbr_01``, which ``expand_store_channels`` then gives to every series
of the store). Without one, such rows apply to every series, and the calendar's note says how
to map them. Until 2026-12-07 the columns were not read: a city's holiday was an event on
every store, or the user wrote the stores in ``channel`` by hand."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ._calendar import ID_PART_SEPARATOR, natural_key, series_channel
from ._contracts import DataContractError, Problem, problem_rows
from ._read import PathLike, read_table

__all__ = ["LOCALE_ROW", "apply_store_locales", "load_stores", "locale_columns",
           "locale_note", "store_locale_rows", "trained_on_every_series",
           "trained_on_some_stores"]

LOCALE_ROW = "_locale_row"
"""Column a calendar validated with ``locales=True`` keeps each row's number in the file under
(1-based data rows, as errors count them), so a city the stores file lacks is named by its
row; ``apply_store_locales`` drops it."""

_AREAS = {"local": ("city", ("city",)), "regional": ("state", ("state", "region", "province"))}
"""Per ``locale`` value (lower-cased): the stores file's column it is matched against, and the
names that column may have (any case, spaces or '_')."""
_NATIONAL = "national"


def _key(name: object) -> str:
    return re.sub(r"[^a-z]", "", str(name).lower())


def _column(frame: pd.DataFrame, names: Iterable[str]) -> str | None:
    wanted = {_key(n) for n in names}
    return next((str(c) for c in frame.columns if _key(c) in wanted), None)


def locale_pair(calendar: pd.DataFrame) -> tuple[str, str] | None:
    """The calendar's ``locale`` and ``locale_name`` columns (any case, spaces or '_') when it
    has both, whatever they hold; else None."""
    loc, name = _column(calendar, ("locale",)), _column(calendar, ("locale_name",))
    if loc is None or name is None:
        return None
    return loc, name


def locale_columns(calendar: pd.DataFrame) -> tuple[str, str] | None:
    """The calendar's ``locale`` and ``locale_name`` columns (any case, spaces or '_') when it
    has both and ``locale`` holds Favorita's values (National, Regional, Local, in any case
    and spaces; blanks) with at least one Regional or Local, else None."""
    pair = locale_pair(calendar)
    if pair is None:
        return None
    loc, name = pair
    values = set(calendar[loc].astype("string").fillna("").str.strip().str.lower().unique())
    if not values & set(_AREAS) or not values <= {*_AREAS, _NATIONAL, ""}:
        return None
    return loc, name


def _the_calendar(source: str) -> str:
    """'the calendar plan.csv'; 'the calendar' for the API's (its source is 'calendar': it
    had read "the calendar calendar")."""
    return "the calendar" if source == "calendar" else f"the calendar {source}"


def _blank(values: pd.Series) -> np.ndarray:
    text = values.astype("string").fillna("").str.strip()
    return (text == "").to_numpy(dtype=bool)


def store_locale_rows(calendar: pd.DataFrame) -> np.ndarray:
    """Mask of the calendar's rows that are a city's or a state's holiday (``locale`` Local or
    Regional) without a ``channel`` of their own: the rows a stores file maps."""
    cols = locale_columns(calendar)
    if cols is None:
        return np.zeros(len(calendar), dtype=bool)
    loc = calendar[cols[0]].astype("string").fillna("").str.strip().str.lower()
    own = (~_blank(calendar["channel"]) if "channel" in calendar.columns
           else np.zeros(len(calendar), dtype=bool))
    return loc.isin(list(_AREAS)).to_numpy(dtype=bool) & ~own


def _shown_events(calendar: pd.DataFrame, mask: np.ndarray, name_col: str, limit: int = 3
                  ) -> str:
    rows = calendar.loc[mask]
    seen: list[str] = []
    for n, p in zip(rows["name"].astype(str), rows[name_col].astype(str), strict=True):
        item = f"{n!r} ({p})"
        if item not in seen:
            seen.append(item)
    return ", ".join(seen[:limit]) + (f" and {len(seen) - limit} more" if len(seen) > limit
                                      else "")


def locale_note(calendar: pd.DataFrame) -> str | None:
    """The note for a calendar whose city or state holidays no stores file maps: they apply to
    every series, and how to map them. None without such rows."""
    mask = store_locale_rows(calendar)
    if not mask.any():
        return None
    cols = locale_columns(calendar)
    assert cols is not None
    n = int(mask.sum())
    return (f"columns '{cols[0]}', '{cols[1]}': {n:,} row{'s' if n != 1 else ''} "
            f"{'are holidays' if n != 1 else 'is a holiday'} of one city or state (Local, "
            f"Regional: {_shown_events(calendar, mask, cols[1])}); without a stores file "
            f"{'they apply' if n != 1 else 'it applies'} to every series, as a national one. "
            "To apply each to the series of the stores in that city or state, give the stores "
            "file (brain forecast/data validate --stores stores.csv: a store column as the "
            "series ids were imported from, 'city', 'state'; in Python "
            "features.apply_store_locales), or write the stores in 'channel'")


def load_stores(path: PathLike) -> pd.DataFrame:
    """A stores file as read (``read_table``), its name in ``attrs['source']``; an empty one
    is an error."""
    frame = read_table(path)
    name = Path(path).name
    if frame.empty:
        raise DataContractError(name, [Problem("", "has no rows", 0, fix=(
            "give one row per store: its id (as the series were imported from, e.g. "
            "store_nbr), city and state"))])
    frame.attrs["source"] = name
    return frame


def _store_parts(series_ids: Iterable[str]) -> list[str]:
    """Each store of the series: the first part of the series' channel (``store_nbr_01`` of
    ``store_nbr_01 / GROCERY I``; a series per store is its own)."""
    out: dict[str, None] = {}
    for sid in series_ids:
        chan = series_channel(str(sid))
        if chan is not None:
            out[chan.split(ID_PART_SEPARATOR, 1)[0]] = None
    return sorted(out, key=natural_key)


_NUMBERED = re.compile(r"(.*?)(\d+)")


def _row_number(name: str, values: pd.Series, store_named: bool) -> bool:
    """Whether a stores file's column is a row number, not a store: pandas' written index
    (``Unnamed: 0``), a column called ``index``, or 0, 1, 2, ... down the file under a name
    that does not say store (stores numbered from 0 in a ``store_id`` column are stores)."""
    if re.fullmatch(r"unnamed:?\s*\d+|index|", name.strip().lower()):
        return True
    if store_named:
        return False
    num = pd.to_numeric(values, errors="coerce")
    return bool(num.notna().all()) and bool(np.array_equal(num.to_numpy(),
                                                            np.arange(len(values))))


def _match_column(stores: pd.DataFrame, parts: list[str], skip: set[str]
                  ) -> tuple[str, pd.Series]:
    """The stores file's column that holds the series' stores, and each stores-file row's
    store as the series write it (``store_nbr_01`` for ``1`` in column ``store_nbr``: the
    number under the prefix the series' ids have). A column whose matched values are unique
    before one that repeats them (``cluster``: 1..17 over 54 stores), then the one matching
    the most distinct stores of the series, then one named as the ids' prefix
    (``store_nbr``), then the first. Until 2026-12-07 the rows matched were counted, so with
    series of only some of the stores ``cluster`` was taken and every command failed with
    "column 'cluster' repeats a store".

    Since later that day: the most distinct stores matched first, then a column named as the
    ids' prefix (or with 'store' or 'shop' in its name), then unique values, then the first;
    a row number (``Unnamed: 0`` as pandas writes its index, ``index``, or 0, 1, 2, ... down
    the file) is never taken. Uniqueness first had let a file's index column win over a
    ``store_nbr`` with one store written twice: the keys moved by a row, a Quito holiday went
    to a Cuenca store, in silence; now the repeated store is the error."""
    numbered: dict[int, str] = {}
    prefixes: set[str] = set()
    for p in parts:
        m = _NUMBERED.fullmatch(p)
        if m:
            numbered.setdefault(int(m.group(2)), p)
            prefixes.add(_key(m.group(1)))
    best: tuple[int, int, int, int, str, pd.Series] | None = None
    for i, col in enumerate(map(str, stores.columns)):
        named = 2 if _key(col) in prefixes else int("store" in _key(col) or "shop" in _key(col))
        if col in skip or _row_number(col, stores[col], named > 0):
            continue
        text = stores[col].astype("string").fillna("").str.strip()
        whole = text.str.fullmatch(r"\d+(\.0+)?").fillna(False)
        as_num = [numbered.get(int(float(t))) if w else None
                  for t, w in zip(text, whole, strict=True)]
        keys = pd.Series([t if t in set(parts) else n for t, n in zip(text, as_num, strict=True)],
                         index=stores.index, dtype=object)
        matched = keys.dropna()
        hits = int(matched.nunique())
        score = (hits, named, int(not matched.duplicated().any()), -i, col, keys)
        if hits and (best is None or score[:4] > best[:4]):
            best = score
    if best is None:
        shown = ", ".join(parts[:3]) + (", ..." if len(parts) > 3 else "")
        raise DataContractError(str(stores.attrs.get("source", "stores file")), [Problem(
            "", f"has no column holding the series' stores ({shown}); its columns are "
                f"{', '.join(map(str, stores.columns))}", 0,
            fix="give a column of the store ids as the series were imported from (e.g. "
                "store_nbr: 1, 2, ...) or as the series ids write them (store_nbr_01)")])
    return best[4], best[5]


def series_stores(stores: pd.DataFrame, series_ids: Iterable[str], places: list[str]
                  ) -> tuple[str, pd.Series, list[Problem]]:
    """The stores file's column holding the series' stores (``_match_column``), each row's
    store as the series write it (None for a store without series), and the problems: a store
    repeated, a store of the series missing. ``places``: the city/state columns (never the
    store column, and named in the fix)."""
    parts = _store_parts(series_ids)
    store_col, keys = _match_column(stores, parts, set(places))
    probs: list[Problem] = []
    dup = keys.notna().to_numpy(dtype=bool) & keys.duplicated(keep=False).to_numpy(dtype=bool)
    if dup.any():
        n, r, ex = problem_rows(dup, stores[store_col])
        probs.append(Problem(store_col, "repeats a store", n, r, ex,
                             fix="keep one row per store"))
    absent = [p for p in parts if p not in set(keys.dropna())]
    if absent:
        probs.append(Problem(
            store_col, f"lacks {len(absent)} of the series' {len(parts)} stores "
                       f"({', '.join(absent[:5])}{', ...' if len(absent) > 5 else ''}): a city's "
                       "or state's holiday could not be given to them", 0,
            fix=f"add a row per store ({store_col}, {', '.join(places)}), as the chain's "
                "stores file has"))
    return store_col, keys, probs


def apply_store_locales(calendar: pd.DataFrame, stores: pd.DataFrame,
                        series_ids: Iterable[str] | None, *, calendar_source: str = "calendar",
                        stores_source: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """``calendar`` with each city's or state's holiday (``locale`` Local / Regional, its
    ``locale_name`` the city or state; no ``channel`` of its own) given once per store of the
    series in that city or state, on the store's channel (``store_nbr_01``; the forecasters
    give it to every series of the store, ``expand_store_channels``), and the notes saying
    what was mapped. National rows and rows with a channel are kept as given; the
    ``locale`` columns are dropped.

    ``stores``: one row per store, a column holding the stores as the series were imported
    from (``store_nbr``: 1, 2, ... for ids ``store_nbr_01 / ...``; picked as the column
    matching most of the series' stores), ``city`` for Local rows, ``state`` (or ``region``,
    ``province``) for Regional ones. ``series_ids`` None: the files are checked against each
    other only (cities and states), the calendar returned unchanged but for the ``locale``
    columns kept.

    Errors (``DataContractError``, naming the file, column, rows and the fix): a stores file
    without a store column matching the series, or without the ``city``/``state`` column the
    calendar's rows need; a store repeated; a store of the series missing from the stores
    file, or its city/state blank; a calendar row naming a city or state no store has, or
    with an empty ``locale_name``."""
    src = stores_source or str(stores.attrs.get("source", "stores file"))
    stores = stores.reset_index(drop=True)
    stores.attrs["source"] = src
    cols = locale_columns(calendar)
    rows = (calendar[LOCALE_ROW].to_numpy() if LOCALE_ROW in calendar.columns
            else np.arange(1, len(calendar) + 1))
    base = calendar.drop(columns=[LOCALE_ROW], errors="ignore")
    if cols is None:
        pair = locale_pair(base)
        if pair is None:
            return base, [f"{src}: not read: {_the_calendar(calendar_source)} has no 'locale' "
                          "and 'locale_name' columns of National/Regional/Local holidays "
                          "(Favorita's holidays file) for it to map"]
        text = base[pair[0]].astype("string").fillna("").str.strip()
        bad = (~text.str.lower().isin([*_AREAS, _NATIONAL, ""])).to_numpy(dtype=bool)
        if bad.any():
            # one mistyped value ('Locale') had turned the whole mapping off, the run exit 0
            # with a note saying the columns were missing (until 2026-12-07)
            idx = np.flatnonzero(bad)
            raise DataContractError(calendar_source, [Problem(
                pair[0], "holds a value other than National, Regional or Local (any case; "
                         "blank is National)", len(idx),
                tuple(int(rows[i]) for i in idx[:3]), tuple(str(text.iloc[i]) for i in idx[:3]),
                fix=f"write National, Regional (a state's holiday, its '{pair[1]}' the state) "
                    f"or Local (a city's, its '{pair[1]}' the city) on those rows, so {src} "
                    "can give them to their stores")])
        return base, [f"{src}: not used: {_the_calendar(calendar_source)} has no Local or "
                      f"Regional rows (column '{pair[0]}') for it to map"]
    loc_col, name_col = cols
    mask = store_locale_rows(base)
    level = base[loc_col].astype("string").fillna("").str.strip().str.lower()
    place = base[name_col].astype("string").fillna("").str.strip()
    probs: list[Problem] = []
    empty = mask & (place == "").to_numpy(dtype=bool)
    if empty.any():
        n, _r, ex = problem_rows(empty, base["name"].astype(str))
        probs.append(Problem(name_col, "is empty on rows whose locale is Local or Regional", n,
                             tuple(int(rows[i]) for i in np.flatnonzero(empty)[:3]), ex,
                             fix="write the city (Local) or state (Regional) the holiday is kept "
                                 "in, or write National in 'locale' for one kept everywhere"))
    if probs:
        raise DataContractError(calendar_source, probs)
    store_probs: list[Problem] = []
    area_col: dict[str, str] = {}
    for lvl, (what, names) in _AREAS.items():
        need = mask & (level == lvl).to_numpy(dtype=bool)
        if not need.any():
            continue
        col = _column(stores, names)
        if col is None:
            store_probs.append(Problem(what, "is required: "
                                       f"{_the_calendar(calendar_source)} has "
                                       f"{int(need.sum()):,} "
                                       f"{lvl.title()} holiday row(s) ("
                                       f"{_shown_events(base, need, name_col)}), each kept in "
                                       f"the stores of the {what} its '{name_col}' names; the "
                                       f"columns are {', '.join(map(str, stores.columns))}", 0,
                                       fix=f"add a column '{what}' with each store's {what}"))
        else:
            area_col[lvl] = col
    if store_probs:
        raise DataContractError(src, store_probs)
    # cities and states compared stripped and in any case
    def norm(s: pd.Series) -> pd.Series:
        return s.astype("string").fillna("").str.strip().str.replace(r"\s+", " ", regex=True
                                                                    ).str.casefold()

    for lvl, col in area_col.items():
        known = set(norm(stores[col])) - {""}
        need = mask & (level == lvl).to_numpy(dtype=bool)
        unknown = need & ~norm(place).isin(known).to_numpy(dtype=bool)
        if unknown.any():
            idx = np.flatnonzero(unknown)
            n = len(idx)
            places = sorted(set(place[unknown].astype(str)))
            shown = sorted(set(stores[col].astype(str).str.strip()) - {""})
            probs.append(Problem(
                name_col, f"names {'a' if len(places) == 1 else len(places)} "
                          f"{_AREAS[lvl][0]}{'' if len(places) == 1 else '(s)'} no store of "
                          f"{src} is in ({', '.join(map(repr, places[:5]))}"
                          f"{', ...' if len(places) > 5 else ''}; its column '{col}' holds "
                          f"{', '.join(shown[:10])}{', ...' if len(shown) > 10 else ''})",
                n, tuple(int(rows[i]) for i in idx[:3]),
                tuple(f"{base['name'].iloc[i]} ({place.iloc[i]})" for i in idx[:3]),
                fix=f"correct the spelling, add the {_AREAS[lvl][0]}'s stores to {src}, or "
                    "remove those rows"))
    if probs:
        raise DataContractError(calendar_source, probs)
    out = base.drop(columns=[loc_col, name_col])
    if not mask.any():
        # nothing to map: no store checks (until 2026-12-07 they ran, and a store missing
        # from the file was an error on holidays "that could not be given")
        note = (f"{src}: not used: every Local or Regional row of {calendar_source} has a "
                "channel of its own")
        return (base if series_ids is None else out), [note]
    if series_ids is None:
        return base, []
    if "channel" not in out.columns:
        out["channel"] = pd.Series(pd.NA, index=out.index, dtype="string")
    store_col, keys, found = series_stores(stores, series_ids, sorted(set(area_col.values())))
    store_probs += found
    for col in sorted(set(area_col.values())):
        gap = keys.notna().to_numpy(dtype=bool) & _blank(stores[col])
        if gap.any():
            n, r, ex = problem_rows(gap, stores[store_col])
            store_probs.append(Problem(col, "is empty for stores of the series", n, r, ex,
                                       fix=f"write each store's {col}"))
    if store_probs:
        raise DataContractError(src, store_probs)
    where = {lvl: norm(stores[col]) for lvl, col in area_col.items()}
    # a row written by hand on a store (same name and start) wins over the mapped copy, as a
    # series' own row wins over its store's (``expand_store_channels``): until 2026-12-07 the
    # series read the event twice
    def _day(v: object) -> str:
        t = pd.to_datetime(v, errors="coerce", utc=True)
        return str(v).strip() if pd.isna(t) else str(t)

    own_chan = out["channel"].astype("string").fillna("").str.strip()
    written = {(str(n).strip(), _day(st), c)
               for n, st, c, m in zip(base["name"], base["start"], own_chan, mask, strict=True)
               if c and not m}
    kept_own: list[str] = []
    targets: list[list[object]] = []
    reached: list[str] = []
    nowhere: list[str] = []
    for i in range(len(base)):
        if not mask[i]:
            targets.append([out["channel"].iloc[i]])
            continue
        lvl = str(level.iloc[i])
        hit = keys[(where[lvl] == norm(place.iloc[[i]]).iloc[0]).to_numpy(dtype=bool)]
        got = sorted(hit.dropna().astype(str), key=natural_key)
        label = f"{base['name'].iloc[i]!r} ({place.iloc[i]})"
        day = _day(base["start"].iloc[i])
        mine = [g for g in got if (str(base["name"].iloc[i]).strip(), day, g) in written]
        kept_own += [f"{label} on {g!r}" for g in mine]
        targets.append([g for g in got if g not in mine])
        if got:
            reached.append(f"{label} on {len(got)} store{'s' if len(got) != 1 else ''}")
        else:
            nowhere.append(label)
    idx = np.repeat(np.arange(len(base)), [len(t) for t in targets])
    out = out.iloc[idx].reset_index(drop=True)
    out["channel"] = pd.Series([c for t in targets for c in t], dtype=object).astype("string")
    out.attrs = dict(calendar.attrs)
    n = len(reached)
    cities = sorted(set(area_col.values()))
    seen = list(dict.fromkeys(reached))
    notes = []
    if seen:
        notes.append(
            f"{calendar_source}: {n:,} holiday row{'s' if n != 1 else ''} of a city or state "
            f"(column '{loc_col}' Local/Regional) given to the stores there by {src} (stores "
            f"from column '{store_col}', places from {', '.join(repr(c) for c in cities)}): "
            f"{', '.join(seen[:4])}{f' and {len(seen) - 4} more' if len(seen) > 4 else ''} "
            f"({len(out):,} calendar rows in all, {len(base):,} given); National rows and "
            "rows with a channel of their own are kept as given")
    if nowhere:
        notes.append(f"{calendar_source}: {len(nowhere)} holiday row(s) of a city or state "
                     f"whose stores have no series here are not used: "
                     f"{', '.join(dict.fromkeys(nowhere))}")
    if kept_own:
        notes.append(f"{calendar_source}: {len(kept_own)} store(s) of a city or state holiday "
                     f"have a row of their own (same name and start): {', '.join(kept_own[:3])}"
                     f"{' ...' if len(kept_own) > 3 else ''}; each is read once, from that row "
                     "(its end, kind and intensity)")
    return out, notes


def trained_on_some_stores(calendar: pd.DataFrame, trained: pd.DataFrame | None,
                           n_series: int) -> list[str]:
    """The calendar's city and state holidays without a channel (applied to every series: no
    stores file mapped them) whose name (its year left out) a model's training calendar
    (``trained``, of ``n_series`` series) holds only on some series' channels: the model
    learned each on the stores of its city, and on every series it would forecast the other
    stores with that lift (a grocery check: the other cities' stores -69% on a Quito
    holiday). Each as "'name' (place) on k of n series"; empty when none."""
    from ._calendar import base_names

    cols = locale_columns(calendar)
    mask = store_locale_rows(calendar)
    if cols is None or not mask.any() or trained is None or trained.empty:
        return []
    if "channel" not in trained.columns:
        return []
    own = base_names(trained["name"].astype(str))
    chan = trained["channel"]
    out: list[str] = []
    rows = calendar.loc[mask]
    for name, place in zip(base_names(rows["name"].astype(str)), rows[cols[1]].astype(str),
                           strict=True):
        same = (own == name).to_numpy(dtype=bool)
        # learned on every series (its stores cover them all): nothing to refuse; until
        # 2026-12-07 that was refused as "on 2 of 2 series"
        if not same.any() or chan[same].isna().any() or chan[same].nunique() >= n_series:
            continue
        item = f"{name!r} ({place}) on {chan[same].nunique()} of {n_series} series"
        if item not in out:
            out.append(item)
    return out


def trained_on_every_series(calendar: pd.DataFrame, trained: pd.DataFrame | None) -> list[str]:
    """The calendar's city and state holidays (a stores file about to map them) whose name
    (its year left out) a model's training calendar holds on every series (no channel): the
    model was trained without the stores file, and its own rows still give them to every
    series, so mapping the planned ones changes nothing (a grocery check: the forecast
    identical with and without ``--stores``). Each as "'name' (place)"."""
    from ._calendar import base_names

    cols = locale_columns(calendar)
    mask = store_locale_rows(calendar)
    if cols is None or not mask.any() or trained is None or trained.empty:
        return []
    own = base_names(trained["name"].astype(str))
    every = (trained["channel"].isna() if "channel" in trained.columns
             else pd.Series(True, index=trained.index))
    out: list[str] = []
    rows = calendar.loc[mask]
    for name, place in zip(base_names(rows["name"].astype(str)), rows[cols[1]].astype(str),
                           strict=True):
        if ((own == name) & every).any():
            item = f"{name!r} ({place})"
            if item not in out:
                out.append(item)
    return out
