"""The Forecast view of a model trained with channel spend: what the uploaded plan buys (the
answer's ``response_at_plan`` as a table) and a scenario that scales one channel's plan."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from .conftest import TOKEN, spend_plan_rows
from .test_page_browser import _shot, _with_token

pytestmark = [pytest.mark.slow, pytest.mark.browser]
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HORIZON = 28


def _fmt(v: float, digits: int | None = None) -> str:
    """The page's ``Brain.num``: exactly ``digits`` decimals when given, else by size (0 from
    100, 1 from 10, else 2) with trailing zeros dropped; thousands with commas."""
    d = digits if digits is not None else 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2
    text = f"{v:,.{d}f}"
    if digits is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("+", "").replace("−", "-").split()[0])


def _p50_sum(answer: dict[str, Any]) -> float:
    return sum(f["p50"] for f in answer["forecast"])


def _future(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"series_id": r.series_id, "ds": str(pd.Timestamp(r.ds).date()), "spend": r.spend}
            for r in rows.itertuples()]


@pytest.fixture
def planned(page: Any, spend_server: str, spend_world: dict[str, Any],
            tmp_path: Path) -> dict[str, Any]:
    """The page with the spend plan (every series, each channel at its recent mean) uploaded
    and forecast for ``total``; the API's answer the page drew, and the plan's rows."""
    opts = httpx.get(f"{spend_server}/ui/api/forecast_options", headers=AUTH, timeout=30).json()
    rows = spend_plan_rows(spend_world["spend"], opts["series"], HORIZON)
    path = tmp_path / "plan.csv"
    rows.assign(ds=rows["ds"].dt.date).to_csv(path, index=False)
    _with_token(page)
    page.goto(f"{spend_server}/ui/#forecast")
    page.locator("#fc-future").wait_for(state="visible")
    page.set_input_files("#fc-future-upload", str(path))
    page.wait_for_selector("#fc-future-note:has-text('sent with every forecast')")
    page.fill("#fc-horizon", str(HORIZON))
    with page.expect_response("**/forecast_traffic") as resp:
        page.click("#fc-run")
    page.wait_for_selector("#fc-peaks tbody tr")
    return {"options": opts, "rows": rows, "answer": resp.value.json()}


def test_options_say_which_channels_each_series_spend_summed(spend_server: str) -> None:
    opts = httpx.get(f"{spend_server}/ui/api/forecast_options", headers=AUTH, timeout=30).json()
    assert opts["known_in_advance"] == ["spend"]
    assert opts["built_from"] == {"spend": {"channel=email": ["email"], "channel=organic": [],
                                            "channel=paid_search": ["paid_search"],
                                            "total": ["email", "paid_search"]}}


def test_the_plan_table_shows_the_answers_response_at_the_plan(
        page: Any, planned: dict[str, Any], artifacts: Path) -> None:
    answer = planned["answer"]
    spend = answer["response_at_plan"]["spend"]
    assert spend["answered"] == "sum_of_channels"  # the total is its channels' sum
    page.wait_for_selector("#fc-plan-table tbody tr")
    body = page.locator("#fc-plan-table tbody tr")
    cells = [[c.strip() for c in body.nth(i).locator("td").all_inner_texts()]
             for i in range(body.count())]
    expected = [(ch, r) for ch, r in spend["channels"].items()] + [("all channels", spend)]
    assert [c[0] for c in cells] == [name for name, _ in expected], cells
    for row, (name, r) in zip(cells, expected, strict=True):
        assert row[1] == "spend", row
        assert row[2] == _fmt(r["planned_sum"]), (row, r)
        assert row[3] == ("–" if r["elasticity"] is None else _fmt(r["elasticity"], 2)), (row, r)
        assert row[4] == _fmt(r["d_p50_sum_per_unit"]), (row, r)
        step = 10 ** round(math.log10(r["planned_sum"] / 10))
        said = (f"+{_fmt(step)} of spend {'on ' + name if name != 'all channels' else ''}")
        assert said.strip() in row[5], row
        assert f"adds about {_fmt(step * r['d_p50_sum_per_unit'])} visits" in row[5], row
        assert f"over the {HORIZON} days" in row[5], row
    head = page.inner_text("#fc-plan-table thead")
    assert "visits per extra unit" in head, head
    _shot(page, artifacts, "forecast-plan")
    assert page.js_errors == []


def test_a_scenario_of_paid_search_plus_20_percent_shows_what_it_adds(
        page: Any, planned: dict[str, Any], spend_server: str, spend_world: dict[str, Any],
        artifacts: Path) -> None:
    answer, rows = planned["answer"], planned["rows"]
    page.locator("#fc-plan").wait_for(state="visible")
    page.select_option("#fc-scn-channel", label="paid_search")
    page.fill("#fc-scn-pct", "20")
    with page.expect_request("**/forecast_traffic") as sent:
        page.click("#fc-scn-run")
    page.wait_for_selector("#fc-scn-table:not([hidden]) tbody tr")
    body = json.loads(sent.value.post_data or "{}")
    # paid search's rows x 1.2, e-mail's as uploaded, the total's their sum
    got = pd.DataFrame(body["future"]).pivot(index="ds", columns="series_id", values="spend")
    was = rows.assign(ds=rows["ds"].dt.strftime("%Y-%m-%d")).pivot(
        index="ds", columns="series_id", values="spend")
    assert set(got.columns) == {"total", "channel=email", "channel=paid_search"}
    pd.testing.assert_series_equal(got["channel=paid_search"], was["channel=paid_search"] * 1.2)
    pd.testing.assert_series_equal(got["channel=email"], was["channel=email"])
    pd.testing.assert_series_equal(got["total"], got["channel=email"] + got["channel=paid_search"],
                                   check_names=False)
    # the scenario's P50 sum is the API's at the plan built with paid search x 1.2 by the spend
    # rules (as brain forecast predict --spend-plan builds it), independently of the page
    scaled = spend_plan_rows(spend_world["spend"], planned["options"]["series"], HORIZON,
                             {"paid_search": 1.2})
    direct = httpx.post(f"{spend_server}/forecast_traffic", headers=AUTH, timeout=120, json={
        "series_id": "total", "horizon": HORIZON, "future": _future(scaled)}).json()
    table = page.locator("#fc-scn-table tbody tr")
    cells = [[c.strip() for c in table.nth(i).locator("td").all_inner_texts()]
             for i in range(table.count())]
    assert [c[0] for c in cells] == ["plan as uploaded (the forecast shown)",
                                     "scenario: paid_search +20%", "difference"], cells
    plan_sum, scn_sum = _p50_sum(answer), _p50_sum(direct)
    assert scn_sum > plan_sum  # more paid search buys visits
    assert abs(_number(cells[0][2]) - plan_sum) <= 0.5, (cells, plan_sum)
    assert abs(_number(cells[1][2]) - scn_sum) <= 0.5, (cells, scn_sum)
    assert cells[2][2].startswith("+"), cells
    assert abs(_number(cells[2][2]) - (scn_sum - plan_sum)) <= 1, (cells, scn_sum - plan_sum)
    # the channel's planned spend, as each answer's response_at_plan gives it
    chan = answer["response_at_plan"]["spend"]["channels"]["paid_search"]["planned_sum"]
    assert cells[0][1] == _fmt(chan), cells
    assert cells[1][1] == _fmt(chan * 1.2), cells
    _shot(page, artifacts, "forecast-plan-scenario")
    # the chart and the downloads keep the plan as uploaded, not the scenario
    with page.expect_download() as dl:
        page.click("#fc-download")
    csv = pd.read_csv(dl.value.path())
    assert abs(csv["p50"].sum() - plan_sum) < 1e-4 * plan_sum
    assert abs(csv["p50"].sum() - scn_sum) > 1e-3 * plan_sum
    assert page.js_errors == []


def test_a_series_that_responds_to_no_column_says_the_plan_does_not_move_it(
        page: Any, planned: dict[str, Any]) -> None:
    """Organic visits never moved with the spend: their answer's response_at_plan is empty,
    and the page says so instead of an empty table and a scenario that changes nothing."""
    page.select_option("#fc-series", "channel=organic")
    with page.expect_response("**/forecast_traffic") as resp:
        page.click("#fc-run")
    assert resp.value.json()["response_at_plan"] == {}
    page.wait_for_selector("#fc-plan-none:not([hidden])")
    text = page.inner_text("#fc-plan-none")
    assert "channel=organic has no response to the uploaded column(s) spend" in text, text
    assert "the plan does not move its forecast" in text, text
    assert page.locator("#fc-plan-table").is_hidden()
    assert page.locator("#fc-scn-run").is_hidden()
    assert page.js_errors == []
