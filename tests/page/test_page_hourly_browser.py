"""The Forecast view of an hourly model in headless chromium, against a stubbed API (the page's
own files, canned answers): the peak hour, the hours in the downloads, the horizon's unit and
event windows one day wide.

An independent check of an hourly Europe/Berlin model found the page showing only the peak's
day, a forecast CSV with 24 rows of each date and no hour, "Horizon (days)" for a horizon in
hours, and every one-day holiday shaded over two days.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
URL = "http://brain.test"


def _answer() -> dict[str, Any]:
    ds = pd.date_range("2025-04-17 00:00", periods=72, freq="h")
    p50 = [100.0 + (50.0 if t.hour == 18 else 0.0) - (60.0 if t.day == 18 else 0.0)
           for t in ds]
    fc = [{"ds": t.isoformat(), "p10": v * 0.8, "p50": v, "p90": v * 1.2}
          for t, v in zip(ds, p50, strict=True)]
    peaks = [
        {"window": "horizon", "start": "2025-04-17T00:00:00", "end": "2025-04-19T23:00:00",
         "peak_ds": "2025-04-17T18:00:00", "peak_p10": 120.0, "peak_p50": 150.0,
         "peak_p90": 180.0, "baseline_p50": 150.0, "lift_pct": 0.0},
        {"window": "Karfreitag", "start": "2025-04-18T00:00:00", "end": "2025-04-18T23:00:00",
         "peak_ds": "2025-04-18T18:00:00", "peak_p10": 72.0, "peak_p50": 90.0,
         "peak_p90": 108.0, "baseline_p50": 150.0, "lift_pct": -40.0}]
    return {"model": "traffic_forecaster", "version": "1", "series_id": "north", "horizon": 72,
            "forecast": fc, "peaks": peaks,
            "notes": ["times are local Europe/Berlin time, the business time zone the model "
                      "was trained in"]}


OPTIONS = {"model": "traffic_forecaster", "version": "1", "series": ["north"],
           "default_series": "north", "freq": "h", "last_ds": "2025-04-16T23:00:00",
           "max_horizon": 400, "known_in_advance": [], "known_events": []}


_HISTORY = [{"ds": t.isoformat(), "y": 100.0}
            for t in pd.date_range("2025-04-14 00:00", periods=72, freq="h")]


def test_an_hourly_forecast_shows_and_downloads_its_hours(browser: Any, tmp_path: Path,
                                                          stub_api: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        tab = ctx.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.route(f"{URL}/**", lambda route: stub_api(route, OPTIONS, _HISTORY, _answer))
        tab.goto(f"{URL}/ui/#forecast")
        tab.wait_for_selector("#fc-chart svg polygon.band")
        assert tab.locator("label:has(#fc-horizon)").inner_text().startswith("Horizon (hours)")
        assert tab.locator("#fc-peak-col").inner_text() == "peak hour"
        cells = tab.locator("#fc-peaks tbody tr").nth(1).locator("td").all_inner_texts()
        assert cells[0] == "Karfreitag"
        assert cells[2] == "2025-04-18 18:00"
        assert any("Apr 18 18:00" in c for c in
                   tab.locator("#fc-chart text.callout").all_text_contents())
        # the one-day window is shaded over that day only: 24 hours, the band 71 (00:00 .. 23:00)
        rect = tab.locator("#fc-chart g.events rect").first
        band = tab.locator("#fc-chart svg polygon.band").bounding_box()
        width = float(rect.get_attribute("width"))
        assert band is not None
        assert width == pytest.approx(band["width"] * 24 / 71, rel=0.05)
        with tab.expect_download() as dl:
            tab.click("#fc-download")
        fc = pd.read_csv(dl.value.path())
        assert fc["ds"].is_unique
        assert fc["ds"].iloc[18] == "2025-04-17 18:00"
        with tab.expect_download() as dl:
            tab.click("#fc-download-peaks")
        peaks = pd.read_csv(dl.value.path())
        assert list(peaks["peak_ds"]) == ["2025-04-17 18:00", "2025-04-18 18:00"]
        assert errors == []
    finally:
        ctx.close()


def _two_events() -> dict[str, Any]:
    """An hourly newsletter and a holiday two days later, both peaking near the same level:
    the holiday's call-out, drawn leftwards at the chart's right edge, had been written over the
    newsletter's (their anchors more than 260 px apart counted as no collision)."""
    answer = _answer()
    answer["peaks"] = [
        {"window": "horizon", "start": "2025-04-17T00:00:00", "end": "2025-04-19T23:00:00",
         "peak_ds": "2025-04-17T06:00:00", "peak_p10": 120.0, "peak_p50": 150.0,
         "peak_p90": 180.0, "baseline_p50": 150.0, "lift_pct": 0.0},
        {"window": "Newsletter (hourly)", "start": "2025-04-17T06:00:00",
         "end": "2025-04-17T06:00:00", "peak_ds": "2025-04-17T06:00:00", "peak_p10": 120.0,
         "peak_p50": 150.0, "peak_p90": 180.0, "baseline_p50": 100.0, "lift_pct": 50.0},
        {"window": "Ostersamstag (public holiday)", "start": "2025-04-19T00:00:00",
         "end": "2025-04-19T23:00:00", "peak_ds": "2025-04-19T12:00:00", "peak_p10": 118.0,
         "peak_p50": 148.0, "peak_p90": 178.0, "baseline_p50": 100.0, "lift_pct": 48.0}]
    return answer


def test_call_outs_do_not_overlap_and_no_favicon_is_asked_for(browser: Any,
                                                             stub_api: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = ctx.new_page()
        asked: list[str] = []
        tab.on("request", lambda r: asked.append(r.url))

        def stub(route: Any) -> None:
            if route.request.url.startswith(f"{URL}/forecast_traffic"):
                route.fulfill(status=200, content_type="application/json",
                              body=json.dumps(_two_events()))
            else:
                stub_api(route, OPTIONS, _HISTORY, _answer)

        tab.route(f"{URL}/**", stub)
        tab.goto(f"{URL}/ui/#forecast")
        tab.wait_for_selector("#fc-chart svg polygon.band")
        boxes = [b for b in (t.bounding_box() for t in
                             tab.locator("#fc-chart text.callout").all()) if b]
        assert len(boxes) == 2
        a, b = boxes
        apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                 or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
        assert apart, boxes
        # every load had logged a 404 for /favicon.ico: the page names its (empty) icon
        assert tab.locator("link[rel=icon]").count() == 1
        assert not [u for u in asked if u.endswith("/favicon.ico")]
    finally:
        ctx.close()


def test_lifts_in_the_peaks_table_keep_their_decimal(browser: Any, stub_api: Any) -> None:
    """Every lift in the peaks table has one decimal: a lift of -16.0 had been printed '-16%'
    beside '-17.2%' (an independent check), as if it were rounded otherwise."""
    answer = _answer()
    answer["peaks"][1]["lift_pct"] = -16.0
    answer["peaks"].append({**answer["peaks"][1], "window": "Ostermontag",
                            "start": "2025-04-19T00:00:00", "end": "2025-04-19T23:00:00",
                            "peak_ds": "2025-04-19T18:00:00", "lift_pct": -17.2})
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = ctx.new_page()

        def stub(route: Any) -> None:
            if route.request.url.startswith(f"{URL}/forecast_traffic"):
                route.fulfill(status=200, content_type="application/json",
                              body=json.dumps(answer))
            else:
                stub_api(route, OPTIONS, _HISTORY, _answer)

        tab.route(f"{URL}/**", stub)
        tab.goto(f"{URL}/ui/#forecast")
        tab.wait_for_selector("#fc-chart svg polygon.band")
        rows = tab.locator("#fc-peaks tbody tr")
        # the peak's lift column (the window's totals and lift follow it)
        lifts = [rows.nth(i).locator("td").all_inner_texts()[6] for i in range(rows.count())]
        assert lifts == ["+0.0%", "-16.0%", "-17.2%"]
    finally:
        ctx.close()
