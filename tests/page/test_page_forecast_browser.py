"""The Forecast view in headless chromium: the API's notes, the horizon box, calendar errors
named by their table row, the footer's OpenAPI link and a model with known-in-advance columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from .conftest import TOKEN
from .test_page_browser import _error_text, _shot, _with_token

pytestmark = [pytest.mark.slow, pytest.mark.browser]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _options(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/ui/api/forecast_options", headers=AUTH, timeout=30).json()


def _days_after(last_ds: str, *offsets: int) -> list[str]:
    last = pd.Timestamp(last_ds)
    return [str((last + pd.Timedelta(days=k)).date()) for k in offsets]


def _open_forecast(page: Any, url: str) -> None:
    _with_token(page)
    page.goto(f"{url}/ui/#forecast")
    page.wait_for_selector("#fc-chart svg polygon.band")


def _type_event(page: Any, row: int, **values: str) -> None:
    """Fill row ``row`` (1-based) of the events table, adding rows as needed."""
    while page.locator("#fc-events tbody tr").count() < row:
        page.click("#fc-add")
    tr = page.locator("#fc-events tbody tr").nth(row - 1)
    for field, value in values.items():
        tr.locator(f"input[data-field='{field}']").fill(value)


def test_forecast_notes_are_shown_as_text(page: Any, page_server: str, artifacts: Path) -> None:
    opts = _options(page_server)
    soon, late = _days_after(opts["last_ds"], 3, 25)
    _open_forecast(page, page_server)
    _type_event(page, 1, name="<b>Early</b> drop", start=soon, end=soon, kind="collab")
    _type_event(page, 2, name="Late sale", start=late, end=late, kind="sale")
    page.fill("#fc-horizon", "10")
    page.click("#fc-run")
    notes = page.locator("#fc-notes")
    notes.wait_for(state="visible")
    text = notes.inner_text()
    assert "Notes on this forecast" in text
    assert "fall outside the forecast periods" in text, text  # the late event changes nothing
    assert "Late sale" in text
    assert "a kind the history never had" in text, text  # 'collab' was never seen
    assert "<b>Early</b> drop" in text  # the event's name as text, not markup
    assert notes.locator("b").count() == 0
    assert notes.locator("li").count() >= 2
    _shot(page, artifacts, "forecast-notes")
    assert page.js_errors == []


def test_an_empty_horizon_asks_for_a_horizon(page: Any, page_server: str) -> None:
    _open_forecast(page, page_server)
    page.fill("#fc-horizon", "")
    page.click("#fc-run")
    msg = _error_text(page, "forecast")
    assert "Enter a horizon" in msg, msg
    assert "greater than" not in msg, msg


def test_calendar_errors_name_the_row_of_the_events_table(page: Any, page_server: str) -> None:
    opts = _options(page_server)
    d1, d2 = _days_after(opts["last_ds"], 2, 4)
    _open_forecast(page, page_server)
    # row 1 stays blank (it is not sent), row 2 is fine, row 3 is the bad one
    _type_event(page, 2, name="Good sale", start=d1, end=d1, kind="sale")
    _type_event(page, 3, name="Bad one", start=d2, end=d2, kind="sale", intensity="high")
    page.click("#fc-run")
    msg = _error_text(page, "forecast")
    assert "row 3 of the events table (“Bad one”)" in msg, msg
    assert "row 2 " not in msg, msg
    # a value the data contract rejects (its own row numbers): the same translation
    _type_event(page, 3, intensity="1", start="next friday")
    page.click("#fc-run")
    msg = _error_text(page, "forecast")
    assert "next friday" in msg, msg
    assert "row 3 of the events table (“Bad one”)" in msg, msg
    # the API's examples count events from 0 (calendar[1]): said as the table's row too, not
    # "row 3 of the events table ... first: calendar[1] '2026-13-40'" (independent check,
    # 2026-12-06: one event under two numbers)
    _type_event(page, 3, start="2026-13-40", end="2026-13-40")
    page.click("#fc-run")
    msg = _error_text(page, "forecast")
    assert "row 3 of the events table (“Bad one”)" in msg, msg
    assert "first: row 3 '2026-13-40'" in msg, msg
    assert "calendar[" not in msg, msg
    assert page.js_errors == []


def test_a_rejected_forecast_leaves_no_earlier_forecast_on_show(page: Any,
                                                                 page_server: str) -> None:
    """Independent check (2026-12-06): after a forecast, a planner added an event with a
    misspelt channel and pressed Forecast; the 400 was shown above the previous forecast's
    chart, peaks and download buttons, which read as the forecast of the table with the new
    event. The earlier result is now hidden until a forecast of the current table succeeds."""
    opts = _options(page_server)
    (d1,) = _days_after(opts["last_ds"], 3)
    _open_forecast(page, page_server)  # the first forecast is drawn on opening
    assert page.locator("#fc-result").is_visible()
    _type_event(page, 1, name="Typo promo", start=d1, end=d1, kind="sale", channel="emial")
    page.click("#fc-run")
    msg = _error_text(page, "forecast")
    assert "row 1 of the events table (“Typo promo”)" in msg, msg  # located at its row
    assert "did you mean 'email'?" in msg, msg
    assert page.locator("#fc-result").is_hidden()
    _type_event(page, 1, channel="email")
    page.click("#fc-run")
    page.wait_for_selector("#fc-result", state="visible")
    assert "Typo promo" in page.inner_text("#fc-peaks")
    assert page.js_errors == []


def test_the_lift_is_read_over_the_forecast_without_the_event(page: Any,
                                                               page_server: str) -> None:
    """A row's baseline_p50 is the forecast without that event, the other events kept (the
    API's PeakRow): for a sale after a page's launch, the launched page without the sale.
    The peak table had headed it "no-event baseline" and the call-outs read "+46% vs no
    event", over a no-event forecast of 0 (independent check, 2026-12-06)."""
    opts = _options(page_server)
    d1, d2 = _days_after(opts["last_ds"], 3, 4)
    _open_forecast(page, page_server)
    _type_event(page, 1, name="Two-day sale", start=d1, end=d2, kind="sale")
    page.click("#fc-run")
    page.wait_for_selector("#fc-peaks tbody tr >> text=Two-day sale")
    head = page.inner_text("#fc-peaks thead")
    assert "baseline without the event" in head, head
    assert "no-event" not in head, head
    callouts = " ".join(page.locator("#fc-chart text.callout").evaluate_all(
        "els => els.map((e) => e.textContent)"))
    assert "vs no event" not in callouts, callouts
    assert page.js_errors == []


def test_footer_links_the_openapi_document(page: Any, page_server: str) -> None:
    _with_token(page)
    page.goto(f"{page_server}/ui/#forecast")
    footer = page.inner_text("#footer")
    link = footer.split("OpenAPI: ")[1].rstrip(")")
    assert link == f"{page_server}/docs.json"
    doc = httpx.get(link, headers=AUTH, timeout=30)
    assert doc.status_code == 200
    assert doc.json()["openapi"].startswith("3.")


def test_options_list_no_known_in_advance_columns_for_a_plain_model(page_server: str) -> None:
    assert _options(page_server)["known_in_advance"] == []


def test_a_model_with_known_in_advance_columns_takes_an_upload_of_their_future(
        page: Any, future_server: str, artifacts: Path, tmp_path: Path) -> None:
    opts = _options(future_server)
    assert opts["known_in_advance"] == ["promo"]
    _with_token(page)
    page.goto(f"{future_server}/ui/#forecast")
    page.locator("#fc-future").wait_for(state="visible")
    note = page.inner_text("#fc-future-note")
    for part in ("promo", "series_id,ds,promo", "--future", "'future'",
                 "for each series you forecast"):
        assert part in note, note
    assert page.locator("#view-forecast .error").is_hidden()  # says what to do, not an error
    _shot(page, artifacts, "forecast-future-needed")
    page.fill("#fc-horizon", "20")
    page.click("#fc-run")
    assert "known-in-advance column(s) promo" in _error_text(page, "forecast")

    missing = tmp_path / "future-no-promo.csv"
    missing.write_text("series_id,ds\ntotal,2030-01-01\n")
    page.set_input_files("#fc-future-upload", str(missing))
    assert "column(s) promo missing" in _error_text(page, "forecast")

    days = pd.date_range(pd.Timestamp(opts["last_ds"]) + pd.Timedelta(days=1), periods=20)
    future = pd.DataFrame([{"series_id": sid, "ds": d.date(), "promo": int(d.day == 15)}
                           for sid in opts["series"] for d in days])
    path = tmp_path / "future.csv"
    future.to_csv(path, index=False)
    page.set_input_files("#fc-future-upload", str(path))
    page.wait_for_selector("#fc-future-note:has-text('sent with every forecast')")
    with page.expect_request("**/forecast_traffic") as sent:
        page.click("#fc-run")
    body = json.loads(sent.value.post_data or "{}")
    # only the shown series' plan is sent (the API needs no other): it had sent every series'
    assert {r["series_id"] for r in body["future"]} == {body["series_id"]}
    assert len(body["future"]) == 20
    page.wait_for_selector("#fc-peaks tbody tr")
    assert page.locator("#view-forecast .error").is_hidden()
    assert page.locator("#fc-chart svg polygon.band").count() == 1
    assert "next 20 days" in page.inner_text("#fc-title")
    _shot(page, artifacts, "forecast-future")
    # too short for a longer horizon: the API's message names the missing periods
    page.fill("#fc-horizon", "25")
    page.click("#fc-run")
    msg = _error_text(page, "forecast")
    assert "lack a value of ['promo']" in msg, msg
    assert page.js_errors == []


def test_a_semicolon_separated_upload_says_so(page: Any, page_server: str, tmp_path: Path) -> None:
    """A promotions file saved by a European spreadsheet (';' between values) had read
    "line 2 has 4 fields but the header has 1 (name;start;end;kind)": the separator, not the
    line, was the problem."""
    path = tmp_path / "promos_semicolon.csv"
    path.write_text("name;start;end;kind;channel;intensity\r\nWinter sale;2026-02-10;"
                    "2026-02-12;sale;;0,3\r\n")
    _open_forecast(page, page_server)
    page.set_input_files("#fc-upload", str(path))
    text = _error_text(page, "forecast")
    assert "promos_semicolon.csv: the values are separated by ';' (semicolons), not commas" \
        in text, text
    assert "decimal points" in text
