"""Call-outs of close events and the forecast CSV's numbers, in headless chromium against a
stubbed API (the page's own files, a canned daily answer).

An independent check (2026-12-06) of a page launch on Jul 15 and a sale on Jul 20 found the
launch's call-out drawn to the right of its dot, over the sale's peak, and the sale's (anchored
at its end near the chart's right edge) left of its dot, over the launch's: each read as the
other's. The page's forecast CSV wrote P50 with 13 decimals beside whole P10 and P90.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
URL = "http://brain.test"
LAST = pd.Timestamp("2026-06-25")

OPTIONS = {"model": "traffic_forecaster", "version": "3", "series": ["total"],
           "default_series": "total", "freq": "D", "last_ds": LAST.isoformat(),
           "max_horizon": 400, "known_in_advance": [], "known_events": []}


def _peak(window: str, day: str, p50: float, lift: float | None) -> dict[str, Any]:
    ts = pd.Timestamp(day).isoformat()
    return {"window": window, "start": ts, "end": ts, "peak_ds": ts, "peak_p10": p50 - 300.0,
            "peak_p50": p50, "peak_p90": p50 + 300.0, "baseline_p50": 2_500.0, "lift_pct": lift}


def _answer(horizon: int, launch: str, sale: str) -> dict[str, Any]:
    """A flat forecast of about 2,500 a day with a launch peak (3,658) and a sale peak (3,908)."""
    ds = pd.date_range(LAST + pd.Timedelta(days=1), periods=horizon, freq="D")
    peaks = {pd.Timestamp(launch): 3_658.0, pd.Timestamp(sale): 3_908.0}
    fc = []
    for i, t in enumerate(ds):
        p50 = peaks.get(t, 2_500.0 + 0.0663115876007 * (i % 3) + 7.0)
        fc.append({"ds": t.isoformat(), "p10": float(round(p50 - 300.0)), "p50": p50,
                   "p90": float(round(p50 + 300.0))})
    fc[0]["p50"] = 765.0663115876007  # a P50 with 13 decimals, as the API sends it
    return {"model": "traffic_forecaster", "version": "3", "series_id": "total",
            "horizon": horizon, "forecast": fc, "notes": [],
            "peaks": [_peak("horizon", sale, 3_908.0, None),
                      _peak("Launch page_21", launch, 3_658.0, 46.3),
                      _peak("Summer sale 2026", sale, 3_908.0, 6.8)]}


def _open(browser: Any, stub_api: Any, answer: dict[str, Any], history: int = 120
          ) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = ctx.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))

    ds = pd.date_range(end=LAST, periods=history, freq="D")
    days = [{"ds": t.isoformat(), "y": 2_400.0 + 50.0 * (t.day_of_week == 5)} for t in ds]
    tab.route(f"{URL}/**", lambda route: stub_api(route, OPTIONS, days, answer))
    tab.goto(f"{URL}/ui/#forecast")
    tab.wait_for_selector("#fc-chart svg g.peak text.callout")
    return ctx, tab, errors


# each call-out: its text's box, its dot and where its leader line meets the label (SVG units)
CALLOUTS = """els => els.map((g) => {
  const t = g.querySelector("text.callout"), c = g.querySelector("circle"),
        l = g.querySelector("line"), b = t.getBBox();
  return {label: t.textContent, x0: b.x, x1: b.x + b.width, y0: b.y, y1: b.y + b.height,
          cx: +c.getAttribute("cx"), cy: +c.getAttribute("cy"),
          lx: +l.getAttribute("x2"), ly: +l.getAttribute("y2")};
})"""


@pytest.mark.parametrize(("history", "horizon", "launch", "sale"), [
    # both labels drawn rightwards: the launch's across the sale's dot
    (30, 60, "2026-07-15", "2026-07-20"),
    # the check's case: the sale's label drawn leftwards (the chart's right edge), over the
    # launch's dot, and the launch's rightwards, over the sale's
    (30, 60, "2026-07-27", "2026-08-01"),
    # both near the right edge, both labels leftwards
    (120, 25, "2026-07-15", "2026-07-20"),
], ids=["mid-chart", "one-each-way", "right-edge"])
def test_call_outs_of_close_events_sit_by_their_own_dot(
        browser: Any, stub_api: Any, artifacts: Path, history: int, horizon: int, launch: str,
        sale: str) -> None:
    ctx, tab, errors = _open(browser, stub_api, _answer(horizon, launch, sale), history)
    try:
        tab.fill("#fc-horizon", str(horizon))
        tab.click("#fc-run")
        tab.wait_for_selector(f"#fc-title:has-text('next {horizon} days')")
        got = tab.locator("#fc-chart g.peak").evaluate_all(CALLOUTS)
        shot = artifacts / f"callouts-{history}-{horizon}-{launch}.png"
        tab.locator("#fc-chart").screenshot(path=str(shot))
        assert [g["label"].split(":")[0] for g in got] == ["Launch page_21", "Summer sale 2026"]
        for own, other in (got, got[::-1]):
            # the label covers no part of the other event's dot (radius 4.5), nor its column
            # within the label's height: read left to right, it was written across it
            assert not (own["x0"] - 5 <= other["cx"] <= own["x1"] + 5
                        and own["y0"] - 12 <= other["cy"] <= own["y1"] + 12), (own, other)
            # the leader meets the label nearer its own dot than the other's
            near = (own["lx"] - own["cx"]) ** 2 + (own["ly"] - own["cy"]) ** 2
            far = (own["lx"] - other["cx"]) ** 2 + (own["ly"] - other["cy"]) ** 2
            assert near < far, (own, other)
            # and the label's near end is by the leader's end (no label floating off it)
            assert min(abs(own["lx"] - own["x0"]), abs(own["lx"] - own["x1"])) <= 4, own
        a, b = got
        assert (a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["y1"] <= b["y0"]
                or b["y1"] <= a["y0"]), got  # the two labels do not overlap
        assert errors == []
    finally:
        ctx.close()


def test_forecast_csv_rounds_every_quantile_as_the_cli_does(browser: Any, stub_api: Any) -> None:
    """The CLI's forecast.csv keeps 6 significant digits of each column's largest value
    (``_csv_ready``): here 2 decimals (largest 4,208). The page wrote 765.0663115876007."""
    ctx, tab, errors = _open(browser, stub_api, _answer(60, "2026-07-15", "2026-07-20"))
    try:
        with tab.expect_download() as dl:
            tab.click("#fc-download")
        text = Path(dl.value.path()).read_text()
        fc = pd.read_csv(dl.value.path(), dtype=str)
        assert fc.loc[0, "p50"] == "765.07", text[:300]
        assert list(fc.loc[1:3, "p50"]) == ["2507.07", "2507.13", "2507"], text[:300]
        for col in ("p10", "p50", "p90"):
            decimals = fc[col].str.partition(".")[2].str.len()
            assert decimals.max() <= 2, (col, text[:300])
        with tab.expect_download() as dl:
            tab.click("#fc-download-peaks")
        peaks = pd.read_csv(dl.value.path(), dtype=str)
        assert list(peaks["lift_pct"].fillna("")) == ["", "46.3", "6.8"]
        assert errors == []
    finally:
        ctx.close()


def test_the_peaks_table_and_csv_give_each_window_total_and_its_lift(browser: Any,
                                                                     stub_api: Any) -> None:
    """A six-week holiday's row read +7.9% on its peak day (a sale's first day inside it)
    while it takes 10.2% off its window (independent check, 2026-12-07): the table and the
    peaks CSV now give the window's total with and without the event and its lift."""
    answer = _answer(60, "2026-07-15", "2026-07-20")
    answer["peaks"][1].update(window="Summer holidays BE", lift_pct=7.9, window_p50=214_130.4,
                              window_baseline_p50=238_416.2, window_lift_pct=-10.1862)
    answer["peaks"][2].update(window_p50=48_192.0, window_baseline_p50=32_448.0,
                              window_lift_pct=48.5183)
    ctx, tab, errors = _open(browser, stub_api, answer)
    try:
        head = tab.inner_text("#fc-peaks thead")
        assert "window lift" in head, head
        row = tab.locator("#fc-peaks tbody tr", has_text="Summer holidays BE").inner_text()
        for part in ("+7.9%", "-10.2%", "214,130", "238,416"):
            assert part in row, row
        horizon = tab.locator("#fc-peaks tbody tr", has_text="whole horizon").inner_text()
        assert horizon.rstrip().endswith("–"), horizon  # no window figures sent: none shown
        with tab.expect_download() as dl:
            tab.click("#fc-download-peaks")
        peaks = pd.read_csv(dl.value.path(), dtype=str)
        assert list(peaks["window_lift_pct"].fillna("")) == ["", "-10.1862", "48.5183"]
        assert list(peaks["window_baseline_p50"].fillna("")) == ["", "238416", "32448"]
        assert errors == []
    finally:
        ctx.close()
