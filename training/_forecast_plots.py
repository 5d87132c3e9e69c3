"""One chart per forecast or backtest fold: history, actuals, P50 and its P10-P90 band, event
windows shaded and named (``plot_fold``), for the backtest's fold plots and ``brain forecast
predict``'s PNG."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features._calendar import aggregates_first, applies_to, normalize_calendar

__all__ = ["FOLD_PAGE", "FOLD_PLOT_SERIES", "fold_plot_series", "plot_fold", "plot_fold_pages"]


def _drawable(text: str) -> bool:
    """Whether the chart font has a glyph for every character of ``text`` (DejaVu Sans has no
    CJK: '東京 渋谷' would be drawn as empty boxes, with a warning per glyph)."""
    if text.isascii():
        return True
    chars = _font_chars()
    return all(ord(ch) in chars for ch in text if not ch.isspace())


@functools.cache
def _font_chars() -> frozenset[int]:
    """Code points the default chart font draws (read once)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont(font_manager.FontProperties())).get_charmap())


_EVENT_LABELS = 12
"""Most event windows named on one series' chart."""


def _quantity(series_id: str) -> str:
    """The y-axis label of a series: what its values count."""
    metric = series_id.split(":", 1)[0] if ":" in series_id else ""
    if metric in ("orders", "revenue"):
        return metric
    if series_id == "total" or series_id.startswith("channel="):
        return "visits"
    return "value (as in the series file)"


_HEIGHTS = (0.98, 0.55)
"""Where event names start (axes fraction, from the top down)."""

_GAP_X, _GAP_Y = 3.0, 10.0
"""Points two event names keep between them across and along the text: 'Double 11 presale'
over a newsletter's name on the same day read as one name (measured: 9 px apart)."""


def _near(a: Any, b: Any, gap_x: float, gap_y: float) -> bool:
    """Whether two drawn extents (display boxes) come within ``gap_x`` / ``gap_y`` pixels."""
    return bool(a.x0 - gap_x < b.x1 and b.x0 - gap_x < a.x1
                and a.y0 - gap_y < b.y1 and b.y0 - gap_y < a.y1)


def _declutter(fig: Any) -> None:
    """Once the chart is laid out, keep each event name clear of the others by their drawn
    extents: in the order written (the forecast span's first), a name near one kept goes to
    the other height, else it is left out; one past the panel's right edge is written to the
    left of its line, one below the panel's bottom goes up or is left out. (The placement by
    dates alone let 'Double 11 presale' run into a newsletter's name on a short panel.)"""
    renderer = fig.canvas.get_renderer()
    scale = fig.dpi / 72.0
    gap_x, gap_y = _GAP_X * scale, _GAP_Y * scale
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        kept: list[Any] = []
        for text in [t for t in ax.texts if t.get_gid() == "event-name"]:
            y0 = text.get_position()[1]
            for y in (y0, *(h for h in _HEIGHTS if h != y0)):
                text.set_y(y)
                text.set_horizontalalignment("left")
                box = text.get_window_extent(renderer)
                if box.x1 > frame.x1:
                    text.set_horizontalalignment("right")
                    box = text.get_window_extent(renderer)
                if box.y0 >= frame.y0 and not any(_near(box, k, gap_x, gap_y) for k in kept):
                    kept.append(box)
                    break
            else:
                text.remove()


def _name_events(ax: Any, events: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp,
                 begin: pd.Timestamp) -> None:
    """Write event names beside their shaded windows: the forecast span's first, then the
    history's from the most recent back, at most ``_EVENT_LABELS``; a name close to one already
    written goes lower, and a third at the same place is left out (they were drawn over each
    other: 'Payday promo' on 'Newsletter')."""
    ahead = events[events["end"] >= begin]
    before = events[events["end"] < begin].iloc[::-1]
    placed: dict[float, list[pd.Timestamp]] = {h: [] for h in _HEIGHTS}  # names per height
    width = (hi - lo) * 0.025
    for ev in pd.concat([ahead, before]).itertuples(index=False):
        if sum(map(len, placed.values())) >= _EVENT_LABELS or not _drawable(str(ev.name)):
            continue
        x = max(ev.start, lo)
        free = [y for y, xs in placed.items() if all(abs(x - p) >= width for p in xs)]
        if not free:
            continue
        ax.text(x, free[0], str(ev.name)[:30], rotation=90,
                transform=ax.get_xaxis_transform(), ha="left", va="top", fontsize=7,
                color="tab:brown", zorder=1, gid="event-name")  # under the lines
        placed[free[0]].append(x)


def plot_fold(history: pd.DataFrame, forecast: pd.DataFrame, calendar: pd.DataFrame | None,
              title: str, path: Path, max_series: int = 4, context: int | None = None,
              all_in: str | None = None, last_year: bool = False,
              scores: dict[str, str] | None = None, series: list[str] | None = None,
              note: str | None = None) -> Path:
    """Save one fold's chart: history, actuals, P50, P10-P90 band, event windows shaded.

    Only the first ``max_series`` series are drawn, the sums over every channel (``total``)
    first; when there are more, the chart's title says how many of how many, and that all are
    in ``all_in`` (a file name) when given. ``last_year`` also draws the history of the same
    days 52 weeks before the forecast (same weekdays), where the history has them: a planner
    sizing a promotion compares it with last year's (the chart shows 3 horizons of history,
    which never reached back that far). ``scores`` (series id -> text, e.g. a backtest fold's
    'MASE 0.41, 80% band held 83%') goes in that series' panel title. ``series`` draws those
    series, in that order, instead of the first ``max_series``, and ``note`` is then the
    chart's heading (``plot_fold_pages``: which page of the fold's series this is).
    """
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    cal = normalize_calendar(calendar)
    every = aggregates_first(forecast["series_id"])
    ids = every[:max_series] if series is None else [s for s in series if s in every]
    fig, axes = plt.subplots(len(ids), 1, figsize=(11, 3.2 * len(ids)), squeeze=False)
    heading = note is not None or len(every) > len(ids)
    if note is not None:
        fig.suptitle(f"{title}: {note}", fontsize=11)
    elif len(every) > len(ids):
        where = f"; all in {all_in}" if all_in else ""
        fig.suptitle(f"{title}: {len(ids)} of {len(every)} series shown{where}", fontsize=11)
    for ax, sid in zip(axes[:, 0], ids, strict=True):
        f = forecast[forecast["series_id"] == sid]
        n_ctx = context or 3 * len(f)
        hist = history[history["series_id"] == sid].tail(n_ctx)
        ax.plot(hist["ds"], hist["y"], color="0.4", lw=1, label="history")
        if "y" in f.columns:
            ax.plot(f["ds"], f["y"], color="black", lw=1.2, label="actual")
        ax.plot(f["ds"], f["p50"], color="tab:blue", lw=1.5, label="P50")
        ax.fill_between(f["ds"], f["p10"], f["p90"], color="tab:blue", alpha=0.25,
                        label="P10-P90")
        if last_year:
            before = history[history["series_id"] == sid].set_index("ds")["y"]
            ago = before.reindex(f["ds"] - pd.Timedelta(weeks=52))
            if ago.notna().any():
                ax.plot(f["ds"], ago.to_numpy(), color="0.45", lw=1, ls=":",
                        label="52 weeks before")
        lo, hi = hist["ds"].min() if len(hist) else f["ds"].min(), f["ds"].max()
        begin = f["ds"].min()
        ax.axvline(begin, color="0.5", ls="--", lw=0.8, label="forecast start")
        sub = cal[applies_to(cal, sid)] if not cal.empty else cal
        shown = sub[(sub["end"] >= lo) & (sub["start"] <= hi)] if len(sub) else sub
        for n, ev in enumerate(shown.itertuples(index=False)):
            ax.axvspan(ev.start, ev.end + pd.Timedelta(days=1), color="tab:orange",
                       alpha=0.2, label="event" if n == 0 else None)
        _name_events(ax, shown, lo, hi, begin)
        # the chart ends with the forecast: an event running past it (a summer break to the
        # end of July) had stretched the axis and left an empty month on the right
        step = f["ds"].diff().min() if len(f) > 1 else pd.Timedelta(days=1)
        ax.set_xlim(lo, hi + (step if pd.notna(step) else pd.Timedelta(days=1)))
        # a band far above everything else (an event beyond the intensities seen) would
        # flatten the chart: cut it at 1.5x the highest line and say where it goes (in the
        # title: a note inside the panel ran into the event names)
        cut = ""
        lines = [hist["y"].max(), f["p50"].max(), f["y"].max() if "y" in f.columns else np.nan]
        top = 1.5 * float(np.nanmax([v for v in lines if pd.notna(v)] or [np.nan]))
        if np.isfinite(top) and top > 0 and f["p90"].max() > top:
            low = float(np.nanmin([hist["y"].min(), f["p10"].min(), 0.0]))
            ax.set_ylim(bottom=low - 0.05 * (top - low), top=top)
            cut = f" (P90 reaches {f['p90'].max():,.0f}, above the chart)"
        ax.set_ylabel(_quantity(sid), fontsize=9)
        # a few dates, written once each ('Dec', '21', '24' ...): the default ticks ran into
        # each other on hourly and 5-month charts
        import matplotlib.dates as mdates

        loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        where = f" in {all_in}" if all_in else ""
        name = (sid if _drawable(sid)
                else f"series {every.index(sid) + 1} of {len(every)}{where}")
        score = f": {scores[sid]}" if scores and scores.get(sid) else ""
        ax.set_title(f"{title} - {name}{score}{cut}", fontsize=10)
        # under the panel: inside it, it hid the first event's name (written at the top)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=7, fontsize=8,
                  frameon=False)
    fig.tight_layout()
    if heading:
        fig.subplots_adjust(top=1 - 0.35 / len(ids))
    _declutter(fig)  # on the final layout: the names' extents depend on the panels' size
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


FOLD_PAGE = 4
"""Series per fold chart (one PNG per page of a fold's series)."""

FOLD_PLOT_SERIES = 24
"""Most series drawn per backtest fold (6 pages); past it, the largest and the worst scored
(``fold_plot_series``)."""


def fold_plot_series(ids: list[str], volume: dict[str, float], mase: dict[str, float],
                     cap: int = FOLD_PLOT_SERIES) -> tuple[list[str], str]:
    """The series a fold's charts draw, in order, and what they are in words.

    Every series (sums over channels first, ``aggregates_first``) up to ``cap``; past it, the
    first half of ``cap`` by ``volume`` (sums over channels first) then the rest by the worst
    ``mase`` in the fold (a panel of hundreds of stores would be hundreds of PNGs per fold)."""
    from features._calendar import aggregates_first, is_aggregate

    every = aggregates_first(ids)
    if len(every) <= cap:
        return every, f"all {len(every)} series"
    big = sorted(every, key=lambda s: (not is_aggregate(s), -volume.get(s, 0.0)))[: cap // 2]
    rest = [s for s in every if s not in big and np.isfinite(mase.get(s, np.nan))]
    worst = sorted(rest, key=lambda s: -mase[s])[: cap - len(big)]
    return big + worst, (f"{len(big) + len(worst)} of {len(every)} series: the {len(big)} "
                         f"largest by volume and the {len(worst)} with the worst MASE in the "
                         "fold; the scores of all are in backtest_folds.csv")


def plot_fold_pages(history: pd.DataFrame, forecast: pd.DataFrame,
                    calendar: pd.DataFrame | None, title: str, path: Path,
                    scores: dict[str, str] | None = None, mase: dict[str, float] | None = None,
                    per_page: int = FOLD_PAGE, cap: int = FOLD_PLOT_SERIES) -> list[Path]:
    """One backtest fold's charts: ``per_page`` series each (``fold_plot_series`` picks them),
    the first at ``path`` (the name the fold's single chart had), the next at
    ``<stem>_p2.png``, ``<stem>_p3.png`` ... Until 2026-12-07 a fold drew its first 4 series
    only: the demo's 5 channel series had fold forecasts drawn nowhere."""
    ids = [str(s) for s in forecast["series_id"].unique()]
    volume = {str(k): float(v) for k, v in history.groupby("series_id")["y"].sum().items()}
    drawn, what = fold_plot_series(ids, volume, mase or {}, cap)
    pages = [drawn[i:i + per_page] for i in range(0, len(drawn), per_page)]
    out = []
    for n, page in enumerate(pages, 1):
        at = path if n == 1 else path.with_name(f"{path.stem}_p{n}{path.suffix}")
        note = None
        if len(pages) > 1 or len(drawn) < len(ids):
            first = drawn.index(page[0]) + 1
            span = f"{first}-{first + len(page) - 1}" if len(page) > 1 else f"{first}"
            note = f"page {n} of {len(pages)}, series {span} of {what}"
        out.append(plot_fold(history, forecast, calendar, title, at, scores=scores,
                             series=page, note=note))
    return out
