"""The planner's page in headless chromium: details of the Forecast view and its footer."""

from __future__ import annotations

from typing import Any

import httpx
import pandas as pd
import pytest

from .conftest import TOKEN
from .test_page_browser import _with_token

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


def test_footer_links_the_openapi_document(page: Any, page_server: str) -> None:
    _with_token(page)
    page.goto(f"{page_server}/ui/#forecast")
    footer = page.inner_text("#footer")
    link = footer.split("OpenAPI: ")[1].rstrip(")")
    assert link == f"{page_server}/docs.json"
    doc = httpx.get(link, headers=AUTH, timeout=30)
    assert doc.status_code == 200
    assert doc.json()["openapi"].startswith("3.")
