"""POST /channel_value's answer: what each acquisition channel's new customers are worth.

Reads the ``Brain``'s feature snapshot (customers by ``tenure_days``, their
``acquisition_channel``, the snapshot's spend) and its value and churn champions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from training._forecast_text import period_text

from ._answers import BadRequestError, NotReadyError
from ._channel_spend import not_following_note
from ._schemas import ChannelValueRequest

if TYPE_CHECKING:
    from ._core import Brain
    from ._snapshot import Snapshot

__all__ = ["NO_CHANNEL", "channel_value"]

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?!\d)")
"""How a window's day starts (a time of day or an offset after it gets its own 400)."""

NO_CHANNEL = "(not recorded)"
"""/channel_value's row for customers whose acquisition channel is missing."""
_NO_CHANNEL_NOTE = ("no acquisition channel recorded for these customers (an events file "
                    "without an 'acquisition_channel' column, or an empty cell)")


def _source(scores: np.ndarray | None) -> str:
    """Where /channel_value took a model's scores from: the snapshot score cache or live."""
    return "live" if scores is None else "cached"


def _live_scores(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """``model``'s scores of ``frame`` computed as the snapshot score cache computes them
    (``score_frame``'s decision-path pass, ``warm``): a value model's log link is applied by
    numpy there, ~1e-15 relative from LightGBM's own, so /channel_value's numbers do not move
    in their last digits when the cache becomes ready, and equal /customer_value's by id."""
    from training._customer_mlflow import as_read, score_frame

    if not hasattr(model, "path_score_only"):  # not a CustomerModel: the plain scores
        return score_frame(model, frame, reasons=False)["score"].to_numpy()
    return np.asarray(model.path_score_only(as_read(model, model.augment(frame)),
                                           allow_empty_columns=True), dtype=float)


def channel_value(brain: Brain, req: ChannelValueRequest) -> dict[str, Any]:
    """POST /channel_value: per acquisition channel, the customers first seen in the window,
    their mean and total predicted value and churn (the snapshot score cache's scores where
    ``brain.warm`` has made them, else live), the channel's spend in the window and value to
    cost."""
    snap = brain._snap()
    dates: dict[str, pd.Timestamp] = {}
    for name in ("start", "end"):
        given = getattr(req, name)
        if given.strip() and not _ISO_DAY.match(given.strip()):
            # pandas reads any text it can: '02/01/2025' had been 1 February (month first),
            # '31/03/2025' 31 March (day first) in the same request, '2025' 1 January
            raise BadRequestError(
                f"{name} {given[:40]!r} is not a date; send the day as YYYY-MM-DD (a day/month "
                "date is ambiguous: 02/01/2025 is 2025-01-02 or 2025-02-01)",
                code="invalid_date", field=name)
        try:
            day = pd.Timestamp(given)
        except ValueError as exc:
            raise BadRequestError(f"start/end must be dates (YYYY-MM-DD): {exc}",
                                  code="invalid_date", field=name) from exc
        if pd.isna(day):
            # an empty string (or 'NaT') had answered 200 with no channel before 2026-12-06,
            # then a 500 ("'NaTType' object has no attribute 'normalize'")
            raise BadRequestError(f"{name} {given!r} is not a date; send the day as YYYY-MM-DD",
                                  code="invalid_date", field=name)
        if day.tzinfo is not None or day != day.normalize():
            # a UTC offset had failed as a 400 'bad_request' reading "Cannot compare tz-naive
            # and tz-aware timestamps", and a time of day had silently left out the
            # customers and spend of the first day (and kept the last day's)
            raise BadRequestError(
                f"{name} {given!r} holds a time of day or a UTC offset; the window is whole "
                f"days of the snapshot: send the day as YYYY-MM-DD, e.g. "
                f"{str(day.date())!r} for the day written", code="invalid_date", field=name)
        dates[name] = day
    start, end = dates["start"], dates["end"]
    if end < start:
        raise BadRequestError(f"end {end.date()} is before start {start.date()}",
                              code="end_before_start", field="end")
    last_day = (snap.cutoff - pd.Timedelta(1, "ns")).normalize()  # features: events before
    if start > last_day:
        # an empty 'channels' list had answered a window no snapshot customer can be in
        raise BadRequestError(
            f"the window starts {start.date()}, after the feature snapshot's last day "
            f"{last_day.date()} (cutoff {snap.cutoff.date()}): no customer in it can have "
            f"been acquired then; ask for a window starting by {last_day.date()}, or write "
            "a newer snapshot (brain snapshot --data DIR) and POST /reload",
            code="invalid_date", field="start")
    lacks = [c for c in ("tenure_days", "acquisition_channel") if c not in snap.features]
    if lacks:  # an older snapshot: pandas' KeyError had been a 400 naming the column alone
        raise NotReadyError(
            f"the loaded feature snapshot (cutoff {period_text(snap.cutoff)}) has no column "
            f"{lacks}: it was written by an older version. Rebuild it with 'brain snapshot "
            "--data DIR' (or 'brain demo'), then POST /reload", code="snapshot_not_available")
    # the request's only inputs are its dates, checked above: what fails from here on
    # (pandas' grouping, the spend checks' arithmetic) is ours, a logged 500
    return _answer(brain, snap, start, end)


def _answer(brain: Brain, snap: Snapshot, start: pd.Timestamp,
            end: pd.Timestamp) -> dict[str, Any]:
    """The answer for the checked window ``start`` .. ``end`` (whole days)."""
    feats = snap.features
    first_seen = (snap.cutoff - pd.to_timedelta(feats["tenure_days"], unit="D")).dt.normalize()
    cohort = feats.loc[(first_seen >= start) & (first_seen <= end)]
    value = brain._model("customer_value")
    churn = brain._model("churn")
    out_rows = []
    # the snapshot's scores where the background scoring has cached them (the same numbers:
    # every call had re-scored the cohort live, 1-3.5 s); live until it has
    cached = {m.name: brain._cached_scores(m, snap, cohort.index) for m in (value, churn)}
    if len(cohort):
        v, c = (cached[m.name] if cached[m.name] is not None else
                _live_scores(m.model.model, cohort) for m in (value, churn))
        # customers without a recorded acquisition channel (every customer of an events
        # file without the column, e.g. an imported order export) are a row of their own:
        # pandas' groupby dropped their missing channel, and 1,796 customers of a
        # retailer's year had answered "channels": [] without a word
        acq = cohort["acquisition_channel"]
        unknown = acq.isna().to_numpy()
        channel = np.where(unknown, NO_CHANNEL, acq.astype(object).astype(str).to_numpy())
        df = pd.DataFrame({"channel": channel, "value": v, "churn": c})
        spend = None
        # whether each channel's customers moved with its spend over the history: where they
        # did not (spend bought visits, the sign-ups came anyway) value_to_cost had been
        # answered as if it said what more spend would buy
        checks = snap.spend_checks  # read once per snapshot
        if snap.spend is not None:
            sp = snap.spend
            in_win = sp.loc[(sp["date"] >= start) & (sp["date"] <= end)]
            spend = in_win.groupby("channel")["spend"].sum()
        for ch, g in df.groupby("channel", sort=True):
            s = float(spend.get(ch, 0.0)) if spend is not None else None
            n = len(g)
            cac = None if not s else s / n
            check = checks.get(str(ch))
            out_rows.append({
                "channel": ch, "customers": n, "mean_predicted_value": float(g["value"].mean()),
                "total_predicted_value": float(g["value"].sum()),
                "mean_predicted_churn": float(g["churn"].mean()),
                "spend": s, "acquisition_cost": cac,
                "value_to_cost": None if cac is None else float(g["value"].mean()) / cac,
                "acquisitions_vs_spend": check,
                "note": "; ".join(filter(None, (
                    _NO_CHANNEL_NOTE if ch == NO_CHANNEL else "",
                    "" if s else "no spend recorded for this channel in the window",
                    not_following_note(check) if check and check["follows_spend"] is False
                    and s else "")))})
    not_following = [r["channel"] for r in out_rows if r["spend"] and r[
        "acquisitions_vs_spend"] and r["acquisitions_vs_spend"]["follows_spend"] is False]
    return {"window": {"start": str(start.date()), "end": str(end.date())},
            "snapshot_cutoff": period_text(snap.cutoff),
            "value_model": {"name": value.name, "version": value.version,
                            "horizon_days": getattr(value.model.model, "horizon_days", None),
                            "scores": _source(cached[value.name]), **brain.season(value)},
            "churn_model": {"name": churn.name, "version": churn.version,
                            "scores": _source(cached[churn.name]), **brain.season(churn)},
            "channels": out_rows,
            "notes": [f"{m.name} v{m.version} (@champion): {note}" for m in (value, churn)
                      for note in brain.score_notes(m)] + ([
                f"the customers acquired through {', '.join(not_following)} did not follow "
                "their spend over the snapshot's history (each row's acquisitions_vs_spend and "
                "note): their value_to_cost does not say what more spend would buy"]
                if not_following else [])}
