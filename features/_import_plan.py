"""A store-by-day plan (the export's shape without the value: Kaggle's Rossmann ``test.csv``)
into the forecast's known-in-advance values and calendar, the way its history was imported.

After training on ``brain data import-series EXPORT --out DIR``, the planner has the shop's
plan for the coming weeks: one row per store and day with the same flags (``Open``, ``Promo``,
``StateHoliday``, ``SchoolHoliday``) and no sales. ``store_plan_to_future`` reads it with the
history import's ``settings`` (``ImportedSeries.settings``, the CLI's ``DIR/import.json``):

- the same columns by name (a name differing only in case, spaces or ``_`` is read, noted);
- the same series ids (``store_07``: prefix and padding of the history), one row per series
  of every metric (``customers:store_07``) in the future values;
- known-in-advance flags as the same columns (``promo``), event flags as events with the same
  names and kinds on each store's channel, closed days outside the store's weekly closure and
  without an event flag as ``closed`` events, as the history's closures were.

The plan must start the day after each store's history ends and run without gaps
(``brain forecast predict`` forecasts from there and needs a value of every known-in-advance
column for each day). Bad input is one ``DataContractError`` naming the file, the column, the
rows and the fix: a plan day on or before the history's last day, a store the history never
had, a column of the history missing from the plan, gaps, two rows for one store and day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._contracts import DataContractError, LoadReport, Problem, problem_rows
from ._import import _column_problem
from ._import_series import (
    _DAYS,
    DETECTED_NAMES,
    _dated_days,
    _flag_events,
    _flag_numbers,
    _flag_text,
    _joined_ids,
    _runs,
    _snake,
    _squash,
)
from ._io import validate_calendar
from ._parse import _blank, _duplicate_key_problem

__all__ = ["ImportedPlan", "store_plan_to_future"]


@dataclass(frozen=True)
class ImportedPlan:
    """What ``store_plan_to_future`` made of a plan.

    Attributes:
        future: known-in-advance values for ``brain forecast predict --future``: ``series_id``,
            ``ds`` and the history's known-in-advance columns, one row per series (of every
            metric) and plan day; no columns besides ``series_id`` and ``ds`` when the history
            had none.
        calendar: the plan's events (``name``, ``start``, ``end``, ``kind``, ``channel``) for
            ``predict --calendar``, possibly empty.
        columns: each role with the plan's columns, and the columns not read.
        notes: everything the import assumed or decided, each naming the file.
        summary: rows, stores, first and last day, ``horizon`` (the days every planned store
            covers from the day after its history), events per kind, closed days, rows whose
            open flag was empty, the planned series and the history's stores without a plan.
    """

    future: pd.DataFrame
    calendar: pd.DataFrame
    columns: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)


def _find(raw: pd.DataFrame, name: str, role: str, report: LoadReport,
          probs: list[Problem], fix: str) -> str | None:
    """The plan's column for the history's column ``name``: the same name, else one that
    differs only in case, spaces or '_' (noted); a problem (did you mean) when none."""
    if name in raw.columns:
        return name
    near = [str(c) for c in raw.columns if _squash(c) == _squash(name)]
    if near:
        report.note(f"column '{near[0]}' is read as the history's '{name}' ({role})")
        return near[0]
    got = _column_problem(raw, name, f"history's {role}")
    probs.append(Problem(got.column, got.rule, 0, fix=f"{fix}; {got.fix}"))
    return None


def _closed_plan_events(days: pd.DataFrame, weekly: Mapping[str, list[int]]) -> pd.DataFrame:
    """``closed`` events of the plan: runs of closed days that no event flag covers, outside
    the weekdays each store is closed on as a rule in its history."""
    days = days.sort_values(["channel", "ds"], kind="stable").reset_index(drop=True)
    rule = np.array([d in weekly.get(c, ()) for c, d in
                     zip(days["channel"], days["ds"].dt.day_of_week, strict=True)], dtype=bool)
    odd = days.loc[days["closed"] & ~days["flagged"] & ~rule].copy()
    odd["run"] = _runs(odd, ["channel"])
    got = odd.groupby("run").agg(channel=("channel", "first"), start=("ds", "min"),
                                 end=("ds", "max"))
    got["label"], got["kind"] = "Closed", "closed"
    return got[["label", "kind", "start", "end", "channel"]].reset_index(drop=True)


def _store_text(ids: pd.Series, mask: np.ndarray, ds: pd.Series | None = None) -> str:
    """The first few series ids (with days) under ``mask``, for messages."""
    pos = np.flatnonzero(mask)[:3]
    return ", ".join(f"{ids.iloc[i]} {ds.iloc[i]:%Y-%m-%d}" if ds is not None else
                     str(ids.iloc[i]) for i in pos)


def store_plan_to_future(raw: pd.DataFrame, settings: Mapping[str, object], *,
                         tz: str | None = None, source: str = "plan",
                         history: str = "the history") -> ImportedPlan:
    """The future values and calendar of a store-by-day plan, read as its history was.

    Args:
        raw: the plan as read (``read_table``): the history export's columns without the
            value (an ``Id`` or ``DayOfWeek`` column is left out, a value column too).
        settings: ``ImportedSeries.settings`` of the history's import.
        tz: as for ``store_days_to_series``: ``None`` reads a date with a UTC offset as the
            day written, a zone converts such dates to it.
        source: the plan's file name, used in errors and notes.
        history: how messages name the history's import (its folder).

    Raises:
        DataContractError: every problem of the plan at once, each naming the column, the
            rows and the fix.
    """
    raw = raw.reset_index(drop=True)
    report = LoadReport(source, rows_read=len(raw))
    report.notes.extend(raw.attrs.get("read_notes", []))
    cols = settings["columns"]
    assert isinstance(cols, dict)
    stores = settings["stores"]
    assert isinstance(stores, dict)
    probs: list[Problem] = []
    id_cols = settings.get("id_columns") or [cols["id"]]  # one id column before 2026-12-07
    assert isinstance(id_cols, list)
    id_found = [_find(raw, str(c), "store id" if i == 0 else "id column", report, probs,
                      "rename it") for i, c in enumerate(id_cols)]
    date_name = _find(raw, cols["date"], "date", report, probs, "rename it")
    known = {c: _find(raw, c, "known-in-advance column", report, probs,
                      f"the model reads {_snake(c)!r} for every forecast day: add it to the "
                      "plan (0 where the flag is off)") for c in cols["known"]}
    events = {c: _find(raw, c, "event column", report, probs,
                       "its events (holidays) shape the forecast: add it to the plan ('0' on "
                       "days without one)") for c in cols["events"]}
    open_name = None
    if cols["open"]:
        open_name = next((str(c) for c in raw.columns if _squash(c) == _squash(cols["open"])),
                         None)
        if open_name is None:
            report.note(f"has no column '{cols['open']}' (open or closed): every plan day is "
                        "taken as open, except each store's weekly closed day of its history; "
                        "a planned closure needs the column (0 on that day)")
    if probs:
        raise DataContractError(source, probs)
    id_names = [c for c in id_found if c is not None]
    assert len(id_names) == len(id_cols)
    id_name = id_names[0]
    assert date_name is not None
    if raw.empty:
        raise DataContractError(source, [Problem(
            "", "has no rows: only a header", 0, fix="export the plan's store days again")])

    ds = _dated_days(raw, date_name, tz, probs, report)
    prefixes = settings.get("id_prefixes") or [settings["id_prefix"]]
    widths = settings.get("id_widths") or [settings.get("id_width")]
    assert isinstance(prefixes, list)
    assert isinstance(widths, list)
    ids, _, _ = _joined_ids(raw, id_names, None, probs, report,
                            prefixes=[str(p) for p in prefixes],
                            widths=[int(w) if isinstance(w, int) else None for w in widths])
    unknown = (ids.notna() & ~ids.isin(list(stores))).to_numpy()
    if unknown.any():
        n, rows, ex = problem_rows(unknown, raw[id_name] if len(id_names) == 1 else ids)
        new = pd.unique(ids[unknown])
        probs.append(Problem(id_name, f"has {len(new):,} store{'s' if len(new) != 1 else ''} "
                                      f"{history} never had ({', '.join(map(str, new[:5]))}"
                                      f"{', ...' if len(new) > 5 else ''}): the model has no "
                                      "history to forecast them from", n, rows, ex,
                             fix="remove their rows (a new store needs weeks of sales in the "
                                 "history and a model trained on it), or check the store "
                                 "ids"))
    weekly = {str(k): list(v.get("weekly_closed", [])) for k, v in stores.items()}
    on_rule = np.array([d in weekly.get(c, ()) for c, d in
                        zip(ids, ds.dt.day_of_week, strict=True)], dtype=bool)
    closed = on_rule if open_name is None else np.zeros(len(raw), dtype=bool)
    assumed = np.zeros(len(raw), dtype=bool)
    if open_name is not None:
        # an empty open flag is the store's usual day: closed on its weekly closed day
        assumed = _blank(raw[open_name])
        usual = pd.Series(np.where(on_rule, "0", "1"), index=raw.index)
        is_open = _flag_numbers(raw[open_name].mask(assumed, usual), open_name, probs,
                                fix="write 1 for open days and 0 for closed ones")
        closed = (is_open == 0).to_numpy()
    values = {}
    for col, name in known.items():
        assert name is not None
        values[_snake(col)] = _flag_numbers(
            raw[name], name, probs, fix="fill every row (0 when the flag is off): the model "
                                        "reads it for every forecast day")
    key_name = "+".join(id_names)
    key = pd.DataFrame({key_name: ids, date_name: ds})
    dup = _duplicate_key_problem(
        key.assign(**{c: raw[c] for c in raw.columns if c not in key.columns}),
        (key_name, date_name), "keep one row per store and day",
        valid=(ds.notna() & ids.notna()).to_numpy())
    if dup:
        probs.append(dup)
    last = pd.to_datetime(ids.map({k: v["last"] for k, v in stores.items()}))
    early = (ds.notna() & last.notna() & (ds <= last)).to_numpy()
    if early.any():
        n, rows, ex = problem_rows(early, raw[date_name])
        ends = sorted({f"{d:%Y-%m-%d}" for d in last[early]})
        probs.append(Problem(date_name, f"has days on or before the last day of their store's "
                                        f"history ({_store_text(ids, early, ds)}; {history} "
                                        f"ends on {', '.join(ends[:3])})", n, rows, ex,
                             fix="give the plan from the day after the history's last day: "
                                 "drop the plan's rows up to it, or import a history that ends "
                                 "before the plan starts (and train on it)"))
    if probs:
        raise DataContractError(source, probs)

    # every planned store from the day after its history to its last plan day, no gaps:
    # predict forecasts from there and needs a value for every day
    span = pd.DataFrame({"channel": ids, "ds": ds, "last": last})
    holes = []
    for sid, g in span.groupby("channel", sort=True):
        want = pd.date_range(g["last"].iloc[0] + pd.Timedelta(days=1), g["ds"].max())
        lack = want.difference(pd.DatetimeIndex(g["ds"]))
        if len(lack):
            holes.append((sid, lack))
    if holes:
        shown = "; ".join(f"{sid}: {', '.join(f'{d:%Y-%m-%d}' for d in lack[:3])}"
                          f"{f' (+{len(lack) - 3} more)' if len(lack) > 3 else ''}"
                          for sid, lack in holes[:3])
        n_days = sum(len(lack) for _, lack in holes)
        raise DataContractError(source, [Problem(
            date_name, f"misses {n_days:,} day{'s' if n_days != 1 else ''} between the day "
                       f"after {history}'s last day and the plan's last day of "
                       f"{len(holes):,} store{'s' if len(holes) != 1 else ''} ({shown}"
                       f"{'; ...' if len(holes) > 3 else ''})", 0,
            fix="give a row for every day of each store from the day after its history's last "
                "day (brain forecast predict forecasts from there)")])

    names = settings.get("event_names") or {}
    kinds = settings.get("event_kinds") or {}
    assert isinstance(names, dict)
    assert isinstance(kinds, dict)
    flags = pd.DataFrame({"channel": ids, "ds": ds})
    for col, name in events.items():
        assert name is not None
        flags[col] = _flag_text(raw[name])
    cal = _flag_events(flags, names, kinds)
    days = flags[["channel", "ds"]].assign(
        closed=closed, flagged=(flags[list(events)] != "").any(axis=1).to_numpy())
    cal = pd.concat([cal, _closed_plan_events(days, weekly)], ignore_index=True)
    cal["name"] = cal["label"] + " " + cal["start"].dt.strftime("%Y-%m-%d")
    cal = cal.sort_values(["start", "channel"], kind="stable")
    calendar = cal[["name", "start", "end", "kind", "channel"]].reset_index(drop=True)
    if len(calendar):
        validate_calendar(calendar, "calendar.csv")

    if assumed.any():
        n, rows, _ = problem_rows(assumed)
        shut = int((assumed & on_rule).sum())
        report.note(f"column '{open_name}' is empty on {n:,} row{'s' if n != 1 else ''} (first "
                    f"at row {rows[0]}: {_store_text(ids, assumed, ds)}): taken as the store's "
                    f"usual day, open (1) on {n - shut:,}"
                    + (f" and closed (0) on {shut:,} on its weekly closed day" if shut else "")
                    + "; write 0 where it will be closed, 1 where it will open")
    opens = ~closed & on_rule
    if opens.any():
        n, rows, _ = problem_rows(opens)
        report.note(f"{n:,} open plan day{'s' if n != 1 else ''} fall on a weekday the store is "
                    f"closed on as a rule in {history} (first at row {rows[0]}: "
                    f"{_store_text(ids, opens, ds)}): the model learned those weekdays at 0 "
                    "and forecasts them near 0")
    metrics = settings.get("metrics") or [""]
    assert isinstance(metrics, list)
    order = np.lexsort((ds.to_numpy(), ids.to_numpy(dtype=str)))
    future = pd.concat([pd.DataFrame({"series_id": m + ids, "ds": ds, **values}).iloc[order]
                        for m in metrics], ignore_index=True)
    read = {*id_names, date_name, *(n for n in known.values() if n), *(
        n for n in events.values() if n), *([open_name] if open_name else [])}
    left = [str(c) for c in raw.columns if str(c) not in read]
    untrained = [c for c in left if _squash(c) in DETECTED_NAMES["known"] + DETECTED_NAMES[
        "event"] + DETECTED_NAMES["open"]]
    if untrained:
        report.note(f"column{'s' if len(untrained) != 1 else ''} {', '.join(untrained)} "
                    f"{'are' if len(untrained) != 1 else 'is'} not in {history}'s import: not "
                    "read (the model was not trained with it; import a history with it and "
                    "train again to use it)")
    planned = sorted(set(ids))
    missing = [s for s in stores if s not in set(planned)]
    if missing:
        report.note(f"{len(missing):,} of the {len(stores):,} stores of {history} "
                    f"{'has' if len(missing) == 1 else 'have'} no plan rows "
                    f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}): "
                    "brain forecast predict needs a plan for every series it forecasts; "
                    "forecast the planned ones with --series")
    reach = span.groupby("channel").agg(first=("last", "first"), end=("ds", "max"))
    horizon = int(((reach["end"] - reach["first"]).dt.days).min())
    columns = {"id": id_names, "date": [date_name],
               "known in advance": [n for n in known.values() if n],
               "events": [n for n in events.values() if n],
               "open": [open_name] if open_name else [], "not imported": left}
    summary: dict[str, object] = {
        "rows": len(raw), "stores": len(planned) if len(id_names) == 1 else int(
            raw[id_name].nunique()), "first": ds.min(), "last": ds.max(),
        "horizon": horizon, "known": list(values),
        "events": {str(k): int(n) for k, n in calendar["kind"].value_counts().items()},
        "closed_days": int(closed.sum()), "weekly_closed": int((closed & on_rule).sum()),
        "assumed_open": int(assumed.sum()),
        "series": [m + s for m in metrics for s in planned], "unplanned": missing,
        "weekly_closed_days": [_DAYS[d] for d in sorted({d for v in weekly.values() for d in v})]}
    return ImportedPlan(future, calendar, columns, list(report.notes), summary)
