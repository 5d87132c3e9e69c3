"""Promotion-calendar and plain calendar features for long-format series frames.

Input frames are long format: one row per (``series_id``, ``ds``). The calendar is the frame
``features._io.load_calendar`` returns: ``name``, ``start``, ``end`` (inclusive day), ``kind``,
``channel`` (NA = every channel) and ``intensity`` (NA = 1.0).

Which events apply to which series:
    * an event with an empty ``channel`` applies to every series;
    * an event with channel ``c`` applies to the series whose id names that channel
      (``channel=c``, optionally behind a metric prefix such as ``orders:channel=c``) and to a
      series whose id *is* ``c`` (store- or product-style ids: a calendar row with channel
      ``store_7`` applies to series ``store_7``), and to the aggregate series (``total``,
      ``orders:total``), which it moves too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "CALENDAR_COLUMNS",
    "aggregates_first",
    "applies_to",
    "base_names",
    "calendar_features",
    "channel_text",
    "check_channels",
    "event_days",
    "expand_store_channels",
    "is_aggregate",
    "listed_channels",
    "normalize_calendar",
    "series_channel",
]

CALENDAR_COLUMNS: tuple[str, ...] = ("name", "start", "end", "kind", "channel", "intensity")
"""Columns of a normalized calendar frame, in order."""

_DAY = np.timedelta64(1, "D")

_YEAR = re.compile(r"[\s\-_/]*(?:(?<![0-9A-Za-z])(?:19|20)\d{2}(?:[-/.]\d{1,2}){0,2}|'\d{2})"
                   r"(?![0-9A-Za-z])[\s\-_/]*")


def base_names(names: pd.Series) -> pd.Series:
    """Event names with the year (and a month or day written after it, '2023-01') taken out:
    'Black Friday 2023' and 'Black Friday 2024' are one event ('Black Friday'). A name that is
    only a year stays as it is."""
    text = names.astype(str)
    base = text.str.replace(_YEAR, " ", regex=True).str.split().str.join(" ")
    return base.where(base.str.len() > 0, text)


_WHOLE = re.compile(r"^(-?\d{1,18})\.0+$")


def channel_text(channel: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A calendar's ``channel`` as text, whole numbers written with a decimal (``44.0``) as
    integers (``44``), and the mask of the values so rewritten.

    pandas writes an integer store column with empty cells (chain-wide events beside each
    store's own) as floats, ``44.0``, where the series file writes the same store as ``44``:
    the channel then matched no series (and the error suggested ``'10' for '1.0'``). As for
    identifiers elsewhere (``12346.0`` is the customer ``12346``), they are one channel.
    """
    text = channel.astype("string").str.strip().replace("", pd.NA)
    whole = text.str.match(_WHOLE).fillna(False).astype(bool)
    return text.where(~whole, text.str.replace(_WHOLE, r"\1", regex=True)), whole


_ZONE_END = re.compile(r"(\d:\d\d(?::\d\d(?:[.,]\d+)?)?)\s?(?:Z|[+-]\d{2}:?\d{2})$")
"""A time of day followed by a UTC offset (``00:00+02:00``, ``22:00Z``)."""


def _day_written(values: pd.Series) -> pd.Series:
    """Calendar times as naive datetimes; a time with a zone (a zoned column, text with UTC
    offsets, mixed ones included) as the wall-clock time written, so ``2024-05-15T00:00+02:00``
    is 15 May, the local day the event is on (a forecaster whose series has a zone reads them
    in it first: ``training._forecast_zone.local_calendar``). Until 2026-12-06 such values
    stopped with a TypeError ('Cannot use .astype to convert from timezone-aware dtype'), or
    'Mixed timezones detected'. Unreadable values are NaT."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_localize(None)
    if not pd.api.types.is_datetime64_any_dtype(values.dtype) and len(values):
        text = values.astype("string").str.strip()
        written = text.str.replace(_ZONE_END, r"\1", regex=True)
        if (written != text).fillna(value=False).any():
            # ISO 8601 as times with offsets are written, each value by itself: beside a
            # plain date ('2025-01-10') the format read from the first value had made the
            # other one NaT ('not dates')
            return pd.to_datetime(written, errors="coerce", format="ISO8601")
    return pd.to_datetime(values, errors="coerce")


def normalize_calendar(calendar: pd.DataFrame | None) -> pd.DataFrame:
    """Return ``calendar`` with every contract column, defaults filled and types fixed.

    Missing optional columns get their documented defaults (``end`` = ``start``, ``kind`` =
    ``"event"``, ``channel`` = NA, ``intensity`` = 1.0). ``None`` gives an empty calendar.

    Raises:
        ValueError: a required column is missing, a date does not parse, or ``end < start``.
    """
    if calendar is None:
        calendar = pd.DataFrame(columns=list(CALENDAR_COLUMNS))
    cal = calendar.copy()
    for col in ("name", "start"):
        if col not in cal.columns:
            msg = (f"calendar: required column {col!r} is missing (columns received: "
                   f"{list(cal.columns)}); a calendar needs name, start and optionally end, kind, "
                   "channel, intensity")
            raise ValueError(msg)
    if "end" not in cal.columns:
        cal["end"] = cal["start"]
    if "kind" not in cal.columns:
        cal["kind"] = "event"
    if "channel" not in cal.columns:
        cal["channel"] = pd.NA
    if "intensity" not in cal.columns:
        cal["intensity"] = 1.0
    for col in ("start", "end"):
        parsed = _day_written(cal[col])
        bad = parsed.isna() & cal[col].notna()
        if bad.any() or parsed.isna().any():
            rows = list(np.flatnonzero(parsed.isna().to_numpy())[:3] + 1)
            msg = (f"calendar: column {col!r} has {int(parsed.isna().sum())} values that are not "
                   f"dates (first rows {rows}); write dates as YYYY-MM-DD")
            raise ValueError(msg)
        cal[col] = parsed.dt.normalize().astype("datetime64[ns]")
    back = cal["end"] < cal["start"]
    if back.any():
        rows = list(np.flatnonzero(back.to_numpy())[:3] + 1)
        msg = (f"calendar: {int(back.sum())} events end before they start (first rows {rows}); "
               "'end' is the inclusive last day and must be >= 'start'")
        raise ValueError(msg)
    cal["name"] = cal["name"].astype("string")
    cal["kind"] = cal["kind"].astype("string").fillna("event")
    cal["channel"] = channel_text(cal["channel"])[0]
    cal["intensity"] = pd.to_numeric(cal["intensity"], errors="coerce").fillna(1.0).astype(float)
    return cal[list(CALENDAR_COLUMNS)].sort_values(["start", "name"]).reset_index(drop=True)


def series_channel(series_id: str) -> str | None:
    """Channel named by a series id: ``'channel=email'`` -> ``'email'``; ``'total'`` -> None.

    A metric prefix (``'orders:channel=email'``) is ignored. Ids that name no channel return
    themselves (store-style ids), except ``'total'``.
    """
    base = series_id.split(":", 1)[1] if ":" in series_id else series_id
    if base.startswith("channel="):
        return base.removeprefix("channel=")
    if base == "total":
        return None
    return base


def is_aggregate(series_id: str) -> bool:
    """Whether ``series_id`` is a sum over every channel (``'total'``, ``'orders:total'``)."""
    base = series_id.split(":", 1)[1] if ":" in series_id else series_id
    return base == "total"


def aggregates_first(series_ids: Iterable[str]) -> list[str]:
    """``series_ids`` (each once) with the sums over every channel first (``total``, then
    ``orders:total``, ...), then the rest in natural order (``natural_key``): the series a
    planner reads first lead every chart and table, not whichever channels sort before them."""
    ids = list(dict.fromkeys(str(s) for s in series_ids))
    return sorted(ids, key=lambda s: (not is_aggregate(s), s != "total", natural_key(s)))


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that reads digit runs as numbers: store '2' before store '10' (as text, '1',
    '10', '100', '101' came first and a chart's 'first 6 of 120 stores' skipped 2-9)."""
    return tuple((0, int(part)) if part.isdecimal() else (1, part.casefold())
                 for part in re.split(r"(\d+)", text) if part)


def applies_to(calendar: pd.DataFrame, series_id: str) -> np.ndarray:
    """Boolean mask of the (normalized) calendar rows that apply to ``series_id``.

    An event without a channel applies to every series. An event with a channel applies to
    that channel's series and to the aggregate series (``total``), which it moves too (by
    less: a newsletter that triples e-mail visits may add a fifth to the total); each series
    learns its own lift. An aggregate with no lift of its own for the event gets the
    channels' lift diluted by their share of it (``EventEffects._dilute``): a regional holiday
    entered once per store is not a closure of the whole chain.
    """
    chan = series_channel(series_id)
    ev_chan = calendar["channel"]
    mask = ev_chan.isna().to_numpy(dtype=bool)
    if chan is not None:
        mask = mask | (ev_chan == chan).fillna(value=False).to_numpy(dtype=bool)
    elif is_aggregate(series_id):
        mask = np.ones(len(calendar), dtype=bool)
    return mask


def check_channels(calendar: pd.DataFrame, series_ids: list[str]) -> None:
    """Reject (normalized) calendar rows whose channel no series has (a misspelt channel would
    otherwise silently give an event no effect anywhere).

    Aggregate series (``total``) take every channel's events, so a panel of aggregates only
    accepts any channel.
    """
    known = {c for c in map(series_channel, series_ids) if c is not None}
    if not known or calendar.empty:
        return
    chan = calendar["channel"]
    bad = chan.notna().to_numpy(dtype=bool) & ~chan.isin(known).fillna(value=False).to_numpy(
        dtype=bool)
    if not bad.any():
        return
    listing = bad & listed_channels(chan, known)

    def shown(rows: pd.DataFrame) -> str:
        text = ", ".join(f"{r.name!r} ({r.start:%Y-%m-%d}, channel {r.channel!r})"
                         for r in rows.head(5).itertuples(index=False))
        return text + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")

    parts = []
    if listing.any():
        rows = calendar[listing]
        parts.append(
            f"calendar column 'channel': {len(rows)} event(s) list several channels in one "
            f"cell: {shown(rows)}. A cell holds one channel: give each channel its own row "
            "(same name, start, end, kind and intensity; the forecaster reads the copies as "
            "one event), e.g. in Python: frame = frame.assign(channel=frame['channel']"
            ".str.split(',')).explode('channel'); frame['channel'] = frame['channel']"
            ".str.strip(); or leave channel empty for an event on every channel.")
    if (bad & ~listing).any():
        rows = calendar[bad & ~listing]
        parts.append(
            f"calendar column 'channel': {len(rows)} event(s) name a channel no series has: "
            f"{shown(rows)}. The series' channels are {_first(known)}. Fix the "
            "spelling, or leave channel empty for an event that concerns every series."
            + _store_part_hint(rows["channel"], known))
    raise ValueError(" ".join(parts))


def _store_part_hint(channels: pd.Series, known: set[str]) -> str:
    """For channels that are the first part of series ids built from several id columns
    (``import-series --id-col store_nbr --id-col family``: ``store_nbr_01 / GROCERY I``), read
    by ``check_channels`` called on a calendar not expanded (fit, predict, the CLI and the API
    expand it first, ``expand_store_channels``, so they never reach it). Until 2026-12-07 it
    said a store's event needs one row per series written by hand, which the expansion had
    made untrue."""
    sep = ID_PART_SEPARATOR
    parts: dict[str, list[str]] = {}
    for sid in sorted(known, key=natural_key):
        if sep in sid:
            parts.setdefault(sid.split(sep, 1)[0], []).append(sid)
    hit = [str(c) for c in pd.unique(channels.astype(str)) if str(c) in parts]
    if not hit:
        return ""
    first = parts[hit[0]]
    return (f" {hit[0]!r} is the first part of {len(first)} series ids ({', '.join(first[:3])}"
            f"{', ...' if len(first) > 3 else ''}): the forecasters read such a channel on "
            "every series of the store; to check a calendar by itself, give it to them first: "
            "features._calendar.expand_store_channels(calendar, series_ids).")


ID_PART_SEPARATOR = " / "
"""How ``import-series --id-col store_nbr --id-col family`` joins its id columns
(``features._import_series.ID_SEPARATOR``): ``store_nbr_01 / GROCERY I``."""


def expand_store_channels(calendar: pd.DataFrame,
                          series_ids: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    """``calendar`` with each row whose channel is the leading part(s) of series ids built
    from several id columns (``store_nbr_01`` for ``store_nbr_01 / GROCERY I``, ...) given
    once per such series (the channel of each), and the notes saying so.

    A store's event (a city's holiday) on series per store and family applies to every
    series of the store: until 2026-12-07 the channel was an error and the user wrote one row
    per series by hand. Only unambiguous channels: one that is a series' own channel keeps
    its meaning, one that is the leading part of no series is left as it is (the channel
    check names it). Other columns are copied; rows keep their order, a store's rows in the
    place of the original row. Works on a loaded or a normalized calendar."""
    if calendar is None or calendar.empty or "channel" not in calendar.columns:
        return calendar, []
    known = {c for c in map(series_channel, map(str, series_ids)) if c is not None}
    parts: dict[str, list[str]] = {}
    for chan in sorted(known, key=natural_key):
        pieces = chan.split(ID_PART_SEPARATOR)
        for k in range(1, len(pieces)):
            parts.setdefault(ID_PART_SEPARATOR.join(pieces[:k]), []).append(chan)
    if not parts:
        return calendar, []
    chan = calendar["channel"]
    text = chan.where(chan.isna(), chan.astype(str).str.strip())
    hit = (text.notna() & text.isin(list(parts)) & ~text.isin(list(known))).to_numpy(dtype=bool)
    if not hit.any():
        return calendar, []
    targets = [parts[str(t)] if h else [c] for t, c, h in zip(text, chan, hit, strict=True)]
    out = calendar.assign(channel=pd.Series(targets, index=calendar.index, dtype=object))
    given = np.repeat(text.astype(object).to_numpy(), [len(t) for t in targets])
    out = out.explode("channel", ignore_index=True)
    out, twice = _once_per_series(out, given)
    out.attrs = dict(calendar.attrs)
    used = pd.unique(text[hit].astype(str))
    shown = ", ".join(f"{c!r} on its {len(parts[c])} series" for c in used[:5])
    more = f" and {len(used) - 5} more channel(s)" if len(used) > 5 else ""
    names = pd.unique(calendar.loc[hit, "name"].astype(str)) if "name" in calendar else []
    named = ", ".join(repr(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
    note = (f"calendar column 'channel': {int(hit.sum())} event row(s) ({named}) name the "
            f"first part of series ids built from several id columns, so each applies to every "
            f"series whose id starts with it: {shown}{more} ({len(out)} rows in all, "
            f"{len(calendar)} given); name a full series id for one series only")
    return out, [note, *twice]


def _once_per_series(out: pd.DataFrame, given: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
    """``out`` (an expanded calendar; ``given``: each row's channel as written) without a
    store's copy of an event a row of its own gives on the same series (same name, start and
    channel): the row written for the series wins (its end, kind and intensity), and a note
    names both. Until 2026-12-07 both were kept and the series read the event twice (one
    event, two occurrences of its kind on the same days)."""
    if "name" not in out.columns or "start" not in out.columns:
        return out, []
    # compared as read (a calendar not normalized yet: ' s1 / A', '2024-03-01 00:00')
    when = pd.to_datetime(out["start"], errors="coerce", format="mixed", utc=True)
    start = when.astype(str).where(when.notna(), out["start"].astype(str))
    key = pd.DataFrame({"n": out["name"].astype(str).str.strip().to_numpy(),
                        "s": start.to_numpy(),
                        "c": out["channel"].astype(str).str.strip().to_numpy()})
    spec = np.array([len(str(g)) if isinstance(g, str) else -1 for g in given])
    most = pd.Series(spec).groupby([key["n"], key["s"], key["c"]]).transform("max").to_numpy()
    drop = (spec < most) & (out["channel"].astype(str).to_numpy() != given.astype(str))
    if not drop.any():
        return out, []
    rows = out.loc[drop]
    shown = "; ".join(f"{n!r} {str(st)[:10]} on {g!r} and on {c!r}"
                      for n, st, g, c in zip(rows["name"].head(3), rows["start"].head(3),
                                             given[drop][:3], rows["channel"].head(3),
                                             strict=True))
    more = f" and {int(drop.sum()) - 3} more" if drop.sum() > 3 else ""
    note = (f"calendar: {int(drop.sum())} event(s) given both on a store's channel and on a "
            f"series of the store by its own row: {shown}{more}; each is read once on that "
            "series, from its own row (its end, kind and intensity)")
    return out.loc[~drop].reset_index(drop=True), [note]


SHOWN_CHANNELS = 30
"""Most channels a misspelt channel's message names: a chain of 300 stores, each its own
channel, had every id in it (2,603 characters for one typo, 2026-12-06)."""


def _first(known: set[str]) -> str:
    """The first ``SHOWN_CHANNELS`` of ``known`` in natural order, and how many more."""
    names = sorted(known, key=natural_key)
    more = len(names) - SHOWN_CHANNELS
    return ", ".join(names[:SHOWN_CHANNELS]) + (f" and {more} more" if more > 0 else "")


def listed_channels(channel: pd.Series, known: set[str]) -> np.ndarray:
    """Mask of the channel cells that list several of the ``known`` channels, separated by
    ',', ';' or '|' (a marketing team's campaign list: 'Email, Paid Social'), and nothing
    else."""
    text = channel.astype("string")
    parts = text.str.split(r"\s*[,;|]\s*", regex=True)
    return np.array([isinstance(p, list) and len(p) > 1 and all(s.strip() in known for s in p)
                     for p in parts], dtype=bool)


def event_days(calendar: pd.DataFrame | None, series_ids: list[str]) -> pd.DataFrame:
    """One row per (series, event, day) the event covers, for the events that apply.

    Columns: ``series_id``, ``date`` (day), ``name``, ``kind``, ``intensity``, ``offset`` (days
    since the event's start), ``length`` (days the event lasts), ``start``.
    """
    cal = normalize_calendar(calendar)
    cols = ["series_id", "date", "name", "kind", "intensity", "offset", "length", "start"]
    if cal.empty or not series_ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    length = ((cal["end"] - cal["start"]) / _DAY).astype(int) + 1
    rep = cal.loc[cal.index.repeat(length)].copy()
    offset = rep.groupby(level=0).cumcount().to_numpy()
    rep["offset"] = offset
    rep["length"] = length.loc[rep.index].to_numpy()
    rep["date"] = rep["start"] + pd.to_timedelta(offset, unit="D")
    out = []
    for sid in series_ids:
        keep = applies_to(cal, sid)
        part = rep[np.repeat(keep, length.to_numpy())].copy()
        part["series_id"] = sid
        out.append(part)
    days = pd.concat(out, ignore_index=True)
    return days[cols].reset_index(drop=True)


def _plain_features(ds: pd.Series, hourly: bool) -> dict[str, np.ndarray]:
    iso = ds.dt.isocalendar()
    feats = {
        "cal_dow": ds.dt.day_of_week.to_numpy(dtype=np.int16),
        "cal_month": ds.dt.month.to_numpy(dtype=np.int16),
        "cal_doy": ds.dt.day_of_year.to_numpy(dtype=np.int16),
        "cal_week": iso["week"].to_numpy(dtype=np.int16),
    }
    if hourly:
        feats["cal_hour"] = ds.dt.hour.to_numpy(dtype=np.int16)
    return feats


def calendar_features(
    frame: pd.DataFrame,
    calendar: pd.DataFrame | None,
    *,
    cap_days: int = 30,
    kinds: list[str] | None = None,
) -> pd.DataFrame:
    """Add calendar and promotion features to a long frame of (``series_id``, ``ds``).

    Added columns (one row per input row, input order kept):
        cal_dow, cal_month, cal_doy, cal_week (ISO), cal_hour (hourly frames only);
        ev_in_event: 1 when an applicable event covers the day; ev_intensity: largest intensity
        among covering events (0 outside); ev_days_to_next: days until the next applicable event
        starts (0 inside, capped at ``cap_days``); ev_days_since_last: days since the last
        applicable event ended (0 inside, capped); ev_name_id: integer code of the covering event
        with the largest intensity (-1 outside; codes follow sorted unique names of the
        calendar); ev_holiday: 1 when a covering event has kind ``holiday``; ev_kind_<kind>: 1
        when a covering event has that kind (one column per kind in ``kinds`` or in the calendar).

    Args:
        frame: long frame with at least ``series_id`` and ``ds``.
        calendar: calendar frame (see ``normalize_calendar``) or None.
        cap_days: cap for the distance features.
        kinds: kinds to one-hot encode (default: the calendar's kinds, sorted), so train and
            predict frames can share columns.
    """
    for col in ("series_id", "ds"):
        if col not in frame.columns:
            msg = (f"calendar_features: frame lacks column {col!r} (columns received: "
                   f"{list(frame.columns)}); pass a long frame with series_id and ds")
            raise ValueError(msg)
    cal = normalize_calendar(calendar)
    out = frame.copy()
    ds = pd.to_datetime(out["ds"])
    hourly = bool((ds.dt.hour != 0).any())
    for key, val in _plain_features(ds, hourly).items():
        out[key] = val
    kinds = sorted(cal["kind"].dropna().unique()) if kinds is None else list(kinds)
    names = sorted(cal["name"].dropna().unique())
    name_code = {n: i for i, n in enumerate(names)}
    day = ds.dt.normalize().to_numpy(dtype="datetime64[D]").astype(np.int64)
    n = len(out)
    in_ev = np.zeros(n, dtype=np.int8)
    inten = np.zeros(n)
    to_next = np.full(n, float(cap_days))
    since = np.full(n, float(cap_days))
    name_id = np.full(n, -1, dtype=np.int32)
    holiday = np.zeros(n, dtype=np.int8)
    kind_cols = {k: np.zeros(n, dtype=np.int8) for k in kinds}
    sid = out["series_id"].astype(str).to_numpy()
    for series in np.unique(sid):
        rows = np.flatnonzero(sid == series)
        sub = cal[applies_to(cal, series)] if not cal.empty else cal
        if sub.empty:
            continue
        s = sub["start"].to_numpy(dtype="datetime64[D]").astype(np.int64)
        e = sub["end"].to_numpy(dtype="datetime64[D]").astype(np.int64)
        d = day[rows]
        cover = (d[:, None] >= s[None, :]) & (d[:, None] <= e[None, :])
        anyc = cover.any(axis=1)
        in_ev[rows] = anyc
        it = np.where(cover, sub["intensity"].to_numpy()[None, :], -np.inf)
        best = it.argmax(axis=1)
        inten[rows] = np.where(anyc, it.max(axis=1), 0.0)
        codes = np.array([name_code.get(x, -1) for x in sub["name"].to_numpy()])
        name_id[rows] = np.where(anyc, codes[best], -1)
        skinds = sub["kind"].to_numpy()
        holiday[rows] = (cover & (skinds == "holiday")[None, :]).any(axis=1)
        for k in kinds:
            kind_cols[k][rows] = (cover & (skinds == k)[None, :]).any(axis=1)
        ahead = np.where(s[None, :] >= d[:, None], s[None, :] - d[:, None], np.inf).min(axis=1)
        behind = np.where(e[None, :] <= d[:, None], d[:, None] - e[None, :], np.inf).min(axis=1)
        to_next[rows] = np.where(anyc, 0.0, np.minimum(ahead, cap_days))
        since[rows] = np.where(anyc, 0.0, np.minimum(behind, cap_days))
    out["ev_in_event"] = in_ev
    out["ev_intensity"] = inten
    out["ev_days_to_next"] = to_next
    out["ev_days_since_last"] = since
    out["ev_name_id"] = name_id
    out["ev_holiday"] = holiday
    for k in kinds:
        out[f"ev_kind_{_slug(k)}"] = kind_cols[k]
    return out


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower())
