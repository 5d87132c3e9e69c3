"""The latest feature snapshot the API scores users from.

``write_snapshot`` (called by ``brain demo`` and ``brain snapshot``) stores, under
``<BRAIN_HOME>/snapshots/``: ``user_features.parquet`` (one row per user as of the cutoff),
``segments.parquet``, ``purchases.parquet`` (the events' purchases: user_id, ts, revenue; the
season the customer champions' scores stand in is read from them, ``serving._score_notes``), and
copies of ``spend`` and ``calendar`` when given, plus ``meta.json`` (cutoff, source, row count,
and the events' time zone ``tz``, the clock the cutoff and the purchases' times are on).
``Snapshot.load`` reads them back, indexed by ``user_id`` as a string so JSON clients can send
ids as numbers or strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

import features as ft
from training import brain_home

from . import _channel_spend

__all__ = ["Snapshot", "snapshot_dir", "snapshot_stamp", "write_snapshot"]


def snapshot_dir() -> Path:
    return brain_home() / "snapshots"


def write_snapshot(events: pd.DataFrame, asof: str | pd.Timestamp, *,
                   calendar: pd.DataFrame | None = None, spend: pd.DataFrame | None = None,
                   source: str = "", out: Path | None = None, tz: str = "UTC") -> Path:
    """Compute user features and segments as of ``asof`` and store them for serving.

    ``tz``: the time zone the events' times were read into (``brain snapshot --tz``): their
    times, and ``asof``, are on that clock without an offset; a live row's ``cutoff`` with a
    UTC offset is read on it (``Snapshot.tz``)."""
    out = out or snapshot_dir()
    out.mkdir(parents=True, exist_ok=True)
    feats = ft.user_features(events, asof, calendar=calendar)
    segs = ft.rfm_segments(feats)
    tmp = out / ".user_features.parquet.tmp"
    feats.to_parquet(tmp, index=False)
    tmp.replace(out / "user_features.parquet")
    segs.to_parquet(out / "segments.parquet", index=False)
    buys = events.loc[events["event_type"] == "purchase",
                      [c for c in PURCHASE_COLUMNS if c in events.columns]]
    buys.to_parquet(out / "purchases.parquet", index=False)
    if spend is not None:
        spend.to_parquet(out / "spend.parquet", index=False)
    if calendar is not None:
        calendar.to_parquet(out / "calendar.parquet", index=False)
    meta = {"cutoff": str(pd.Timestamp(asof)), "source": source, "users": len(feats), "tz": tz}
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return out


PURCHASE_COLUMNS = ("user_id", "ts", "revenue")
"""What ``purchases.parquet`` keeps of each purchase event (every one of the events given, as
``brain score`` reads them for the season note)."""
_FILES = ("user_features.parquet", "segments.parquet", "spend.parquet", "calendar.parquet",
          "purchases.parquet", "meta.json")


def snapshot_stamp(path: Path | None = None) -> tuple[tuple[str, int, int], ...]:
    """Size and modification time of each file of the snapshot in ``path``: what changes when
    ``write_snapshot`` writes a new one (``Snapshot.load`` records it as ``stamp``)."""
    path = path or snapshot_dir()
    out = []
    for name in _FILES:
        try:
            st = (path / name).stat()
        except OSError:
            continue
        out.append((name, st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(frozen=True)
class Snapshot:
    """Features, segments, spend and calendar as of one cutoff."""

    features: pd.DataFrame
    segments: pd.DataFrame
    spend: pd.DataFrame | None
    calendar: pd.DataFrame | None
    cutoff: pd.Timestamp
    path: Path
    stamp: tuple[tuple[str, int, int], ...] = ()
    """``snapshot_stamp`` of the files when they were read."""
    purchases: pd.DataFrame | None = None
    """The events' purchases (``user_id``, ``ts``, ``revenue``, ``event_type``); None for a
    snapshot written before 2026-12-06, which did not keep them."""
    tz: str = "UTC"
    """The events' time zone (``write_snapshot``'s ``tz``): ``cutoff`` and the purchases' times
    are local times on it; UTC for a snapshot written before it was recorded (2026-12-06),
    ``brain snapshot``'s default."""

    @cached_property
    def spend_checks(self) -> dict[str, dict[str, Any]]:
        """Per channel with spend, whether its acquisitions followed it over the snapshot's
        history (``_channel_spend.acquisitions_vs_spend``), read once per snapshot: it reads
        every customer, and ``POST /channel_value`` had read it on each request (0.37 s of
        CPU for 1,000,000 customers, as much as the rest of the answer)."""
        return _channel_spend.acquisitions_vs_spend(self.features, self.cutoff, self.spend)

    @classmethod
    def load(cls, path: Path | None = None) -> Snapshot | None:
        path = path or snapshot_dir()
        if not (path / "user_features.parquet").exists():
            return None
        stamp = snapshot_stamp(path)
        feats = pd.read_parquet(path / "user_features.parquet")
        feats.index = feats["user_id"].astype(str)
        segs = pd.read_parquet(path / "segments.parquet")
        segs.index = segs["user_id"].astype(str)
        spend = pd.read_parquet(path / "spend.parquet") if (path / "spend.parquet").exists() \
            else None
        cal = pd.read_parquet(path / "calendar.parquet") if (path / "calendar.parquet").exists() \
            else None
        buys = (pd.read_parquet(path / "purchases.parquet")
                if (path / "purchases.parquet").exists() else None)
        if buys is not None:
            buys["event_type"] = "purchase"
        meta = json.loads((path / "meta.json").read_text())
        return cls(feats, segs, spend, cal, pd.Timestamp(meta["cutoff"]), path, stamp, buys,
                   str(meta.get("tz") or "UTC"))

    def lookup(self, user_ids: list[str]) -> tuple[pd.DataFrame, list[str]]:
        """Feature rows of the known ids (in request order) and the unknown ids."""
        known = [u for u in user_ids if u in self.features.index]
        unknown = [u for u in user_ids if u not in self.features.index]
        return self.features.loc[known], unknown
