"""Series ids and channels as users type them: suggestions for an unknown id or channel.

``unknown_series_text`` answers a request for series a model does not have with the id it most
likely meant; ``check_calendar_channels`` rejects a calendar event whose channel no series has,
with a close match and the series' ids; ``calendar_for_series`` keeps the calendar rows of a
subset of the series.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import pandas as pd

from features._calendar import (
    aggregates_first,
    check_channels,
    expand_store_channels,
    is_aggregate,
    listed_channels,
    normalize_calendar,
    series_channel,
)

from ._forecast_input import ForecastInputError

__all__ = ["calendar_for_series", "check_calendar_channels", "unknown_series_text"]


def _names(ids: list[str], first: int = 5) -> str:
    """Up to ``first`` quoted ids and how many more there are."""
    shown = ", ".join(repr(i) for i in ids[:first])
    return shown + (f" (+{len(ids) - first} more)" if len(ids) > first else "")


def _unpadded(text: str) -> str:
    """``text`` lower-cased, its numbers without leading zeros: 'Store_007' -> 'store_7'."""
    return re.sub(r"\d+", lambda m: str(int(m.group())), text.lower())


def _channel_hint(channel: str, known: list[str]) -> str | None:
    """The series channel ``channel`` most likely meant: the channel of a series id given as the
    channel (``'channel=email'`` -> ``'email'``), else the same text in another case, else the
    same text with its numbers unpadded (``'store_7'`` -> ``'store_07'``), else the closest
    spelling (difflib), else None."""
    own = series_channel(channel)
    if own in known:
        return own
    same = [k for k in known if k.lower() == channel.lower()]  # 'BIG_A' for 'big_A'
    if same:
        return same[0]
    # 'store_07' for 'store_7': the same text with its numbers unpadded (difflib had offered
    # 'store_57', one letter closer)
    numbers = [k for k in known if _unpadded(k) == _unpadded(channel)]
    if numbers:
        return numbers[0]
    close = difflib.get_close_matches(channel.lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_series_text(asked: Sequence[str], own: Sequence[str], lead: str = "") -> str:
    """What a request for series ``asked`` (none of them in ``own``, the model's series) is
    told: each with the series it most likely meant (another case, unpadded numbers, the
    closest spelling: ``'Store_07'`` -> ``'store_07'``), then how many series the model has
    and the first of them, the sums over every channel first. The API had listed the first 20
    ids in sort order, all ``orders:...`` on a chain's model, without a suggestion. ``lead``:
    the words before the ids (``"unknown series_id"``), else they are said not to be series
    of the model."""
    ids = aggregates_first(own)
    named = []
    for sid in asked[:5]:
        hint = _channel_hint(str(sid), ids)
        named.append(f"{sid!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    more = f" and {len(asked) - 5} more" if len(asked) > 5 else ""
    listing = f"{len(ids)} series: {_names(ids, 8)}"
    if lead:
        return f"{lead} {', '.join(named)}{more}; this model forecasts {listing}"
    verb = "is not a series" if len(asked) == 1 else "are not series"
    return f"{', '.join(named)}{more} {verb} of this model; it forecasts {listing}"


def check_calendar_channels(calendar: pd.DataFrame | None, series_ids: list[str],
                            extra_channels: Sequence[str] = ()) -> pd.DataFrame:
    """Normalize ``calendar`` and reject events whose channel no series has.

    The rule is ``features._calendar.check_channels`` (a misspelt channel would otherwise give
    its event no effect on any channel's series). Its message is completed with what helps to
    fix it: a close match among the series' channels (``Did you mean 'email' for 'emial'?``)
    and the series ids themselves. The forecasters check their calendars with it, and so do
    ``brain forecast`` and ``POST /forecast_traffic`` before any model runs (the seasonal naive
    ignores calendars at predict time, and would otherwise accept any channel silently).

    ``extra_channels``: channels accepted beyond the series' own, those of a model's checked
    training calendar that have no series in it (``--only total,channel=paid_search`` keeps
    the e-mail newsletters for the total; ``BaseForecaster.calendar_only_channels``). The
    message names them apart from the series (it had listed a series 'channel=email' the
    model does not have).

    A channel that is the first part of series ids built from several id columns
    (``store_nbr_01`` for ``store_nbr_01 / GROCERY I``) is given once per such series
    (``expand_store_channels``), said in ``attrs["load_notes"]`` of the result.

    Returns:
        The normalized calendar, store channels given per series.

    Raises:
        ValueError: a date does not parse, or an event names a channel no series has.
    """
    cal = normalize_calendar(calendar)
    if calendar is not None and calendar.attrs.get("channels_checked"):
        return cal  # checked against every series of the data (``calendar_for_series``)
    # a store's event on series per store and family: a row per series of the store
    cal, notes = expand_store_channels(cal, series_ids)
    if notes:
        cal.attrs["load_notes"] = [*cal.attrs.get("load_notes", []), *notes]
    extra = [c for c in extra_channels
             if c not in {series_channel(s) for s in series_ids}]
    try:
        check_channels(cal, [*series_ids, *(f"channel={c}" for c in extra)])
    except ValueError as exc:
        known = sorted({c for c in map(series_channel, [*series_ids, *(
            f"channel={c}" for c in extra)]) if c is not None})
        chan = cal["channel"]
        # a cell listing several channels gets its own fix in the message, no close match
        lists = listed_channels(chan, set(known))
        bad = sorted(set(chan[chan.notna() & ~chan.isin(known) & ~lists].astype(str)))
        if not bad:  # only lists: the rest of the message is about misspelt channels
            raise ForecastInputError(str(exc), input="calendar") from None
        hints = [(b, h) for b in bad if (h := _channel_hint(b, known)) is not None]
        said = ", ".join(f"{h!r} for {b!r}" for b, h in hints[:5])
        hint = f" Did you mean {said}?" if hints else ""
        ids = sorted(map(str, series_ids))
        # 'store_17' in a calendar, 'store_17:orders' in the file: the part before ':' is read
        # as a metric, so the store is the series' channel only when its id puts it last
        suffixed = [(b, i) for b in bad for i in ids if i.split(":", 1)[0] == b and ":" in i]
        if suffixed:
            b, i = suffixed[0]
            metric = i.split(":", 1)[1]
            hint += (f" Series ids put the metric first and the channel last: {i!r} reads "
                     f"{b!r} as a metric; name it {metric + ':' + b!r}.")
        # page- or store-style ids are their own channels: the message had listed them twice
        # ("The series' channels are page_01, ... The series are 'page_01', ...")
        sums = [i for i in ids if is_aggregate(i)]
        if {i for i in ids if not is_aggregate(i)} == set(known):
            sums_text = f", and {_names(sums, 5)}" if sums else ""
            listing = f"The series are those channels{sums_text}"
        else:
            listing = f"The series are {_names(ids, 20)}"
        if extra:
            listing += (f"; the model's training calendar also had events of channel(s) "
                        f"{_names(sorted(extra), 10)}, which reach its totals")
        msg = (f"{exc}{hint} {listing} (channel 'c' is the series "
               "'channel=c', also behind a metric prefix, or a series named 'c'). A store or "
               "page that is not in the data yet (a planned opening or launch) cannot be "
               "forecast by a model of these series: leave its events out until it has "
               "history, or give it rows at 0 up to the end of the others' history (as a page "
               "is exported before its launch) and train on them: the LightGBM forecaster "
               "forecasts a series with no live history from the first weeks of the series "
               "that started with an event of its planned event's kind.")
        raise ForecastInputError(msg, input="calendar") from None
    return cal


def calendar_for_series(calendar: pd.DataFrame | None, series_ids: list[str]) -> pd.DataFrame:
    """The (normalized) calendar rows that ``check_calendar_channels`` accepts for a subset of
    the series that the whole calendar was checked against.

    A backtest fold leaves out the series with no rows before its origin (a product launched
    later), and ``--only`` leaves out series on purpose: their channel's events are not
    misspellings, they concern no series of that fit. Events without a channel always stay;
    when the subset holds an aggregate series (``total``) every event stays, as the aggregate
    takes every channel's events (``--only total,channel=email`` keeps the paid campaigns for
    the total). The result is marked as checked (``attrs["channels_checked"]``), so the
    forecasters' own check does not reject the channels of series outside the subset.
    """
    cal, _ = expand_store_channels(normalize_calendar(calendar), series_ids)
    known = {c for c in map(series_channel, series_ids) if c is not None}
    if known and not cal.empty and not any(map(is_aggregate, series_ids)):
        keep = cal["channel"].isna() | cal["channel"].isin(known)
        cal = cal[keep.fillna(value=False).to_numpy(dtype=bool)].reset_index(drop=True)
    cal.attrs["channels_checked"] = True
    return cal
