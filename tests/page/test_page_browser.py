"""End to end: the planner's page in headless chromium against a real ``bentoml serve``.

Each test uses one view as a planner would, including a bad upload, and saves screenshots to the
artifacts folder (see conftest). The server runs with ``BRAIN_API_TOKEN`` set, so the page's
token field is exercised too.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from .conftest import TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TOKEN_KEY = "marketing-brain.api-token"


def _with_token(page: Any) -> None:
    page.add_init_script(f"sessionStorage.setItem({TOKEN_KEY!r}, {TOKEN!r})")


def _shot(page: Any, artifacts: Path, name: str) -> Path:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _error_text(page: Any, view: str) -> str:
    box = page.locator(f"#view-{view} .error")
    box.wait_for(state="visible")
    return box.inner_text()


def _read_download(dl: Any) -> list[list[str]]:
    with Path(dl.path()).open(newline="") as fh:
        return list(csv.reader(fh))


def test_forecast_view_with_promotions_and_bad_upload(page: Any, page_server: str,
                                                      artifacts: Path, tmp_path: Path) -> None:
    page.goto(f"{page_server}/ui/")
    assert "needs an API token" in _error_text(page, "forecast")
    _shot(page, artifacts, "forecast-no-token")
    page.fill("#token", TOKEN)
    page.click("#token-form button")
    page.wait_for_selector("#fc-chart svg polygon.band")
    assert page.locator("#view-forecast .error").is_hidden()

    opts = httpx.get(f"{page_server}/ui/api/forecast_options",
                     headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).json()
    last = pd.Timestamp(opts["last_ds"])
    d = [str((last + pd.Timedelta(days=k)).date()) for k in (10, 12, 20)]
    good = tmp_path / "promotions.csv"
    good.write_text("name,start,end,kind,channel,intensity\n"
                    f"Spring sale,{d[0]},{d[1]},sale,,0.6\n"
                    f"Email blast,{d[2]},{d[2]},newsletter,,0.3\n")
    page.set_input_files("#fc-upload", str(good))
    # the page reads the file asynchronously: run only once it has been read
    page.wait_for_selector("#fc-note:has-text('from promotions.csv')")
    page.fill("#fc-horizon", "45")
    page.click("#fc-run")
    page.wait_for_selector("#fc-peaks tbody tr:has-text('Spring sale')")
    assert page.locator("#fc-peaks tbody tr").count() == 3  # horizon + the two events
    assert page.locator("#fc-chart g.events rect").count() == 2
    assert page.locator("#fc-chart g.peak").count() >= 2  # each event (+ the horizon)
    assert "Spring sale" in page.locator("#fc-chart").inner_text()
    with page.expect_download() as info:
        page.click("#fc-download")
    rows = _read_download(info.value)
    assert rows[0] == ["ds", "p10", "p50", "p90", "events"]
    assert len(rows) == 1 + 45
    assert sum("Spring sale" in r[4] for r in rows[1:]) == 3
    assert all(float(r[1]) <= float(r[2]) <= float(r[3]) for r in rows[1:])
    _shot(page, artifacts, "forecast")

    # a bad upload: a date the API cannot read -> a readable message, not a crash
    bad = tmp_path / "bad-promotions.csv"
    bad.write_text(f"name,start,end,kind\nLaunch party,next friday,{d[2]},launch\n")
    page.set_input_files("#fc-upload", str(bad))
    page.wait_for_selector("#fc-note:has-text('from bad-promotions.csv')")
    page.click("#fc-run")
    msg = _error_text(page, "forecast")
    for part in ("HTTP 400", "not dates", "next friday"):
        assert part in msg, msg
    _shot(page, artifacts, "forecast-bad-upload")

    missing = tmp_path / "no-dates.csv"
    missing.write_text("name,when\nPromo,2025-01-01\n")
    page.set_input_files("#fc-upload", str(missing))
    msg = _error_text(page, "forecast")
    assert "no-dates.csv: column(s) start, end missing" in msg, msg
    assert page.js_errors == []


def test_customers_view_distributions_segments_and_at_risk(page: Any, page_server: str,
                                                           artifacts: Path) -> None:
    _with_token(page)
    page.goto(f"{page_server}/ui/#customers")
    page.wait_for_selector("#cu-atrisk tbody tr")
    assert page.locator("#cu-atrisk tbody tr").count() == 20
    for name in ("churn", "propensity", "value"):
        assert page.locator(f"#cu-hist-{name} svg rect.bar").count() == 20, name
    assert page.locator("#cu-segments tbody tr").count() >= 3
    assert page.locator("#cu-atrisk tbody li").count() >= 20  # reasons per user
    users = int(page.locator("#cu-cards .card .v").first.inner_text().replace(",", ""))
    # the snapshot's date, read from the summary's snapshot_cutoff (its name since 2026-12-07)
    assert re.search(r"snapshot as of \d{4}-\d{2}-\d{2};", page.locator("#cu-note").inner_text())
    with page.expect_download() as info:
        page.click("#cu-download-all")
    rows = _read_download(info.value)
    assert len(rows) == users + 1
    assert rows[0][:2] == ["user_id", "segment"]
    _shot(page, artifacts, "customers")
    page.select_option("#cu-sort", "churn")
    page.wait_for_selector("#cu-atrisk-title:has-text('churn probability')")
    page.select_option("#cu-top", "50")
    page.wait_for_function("document.querySelectorAll('#cu-atrisk tbody tr').length === 50")
    with page.expect_download() as info:
        page.click("#cu-download-top")
    top = _read_download(info.value)
    churn = [float(r[3]) for r in top[1:]]
    assert len(churn) == 50
    assert churn == sorted(churn, reverse=True)
    assert page.js_errors == []


def test_customers_table_shows_the_spend_early_warning_beside_the_visit_one(
        page: Any, page_server: str) -> None:
    """The at-risk table and its download had the visit rule's flag only, while ``brain score``
    and the API's answers carry ``early_warning_spend`` beside it (2026-12-07)."""
    _with_token(page)
    page.goto(f"{page_server}/ui/#customers")
    page.wait_for_selector("#cu-atrisk tbody tr")
    heads = page.locator("#cu-atrisk thead th")
    names = [h.strip() for h in heads.all_inner_texts()]
    spend = names.index("spend halved")
    assert spend == names.index("visits or orders halved") + 1
    title = heads.nth(spend).get_attribute("title") or ""
    assert ("spend of the last 30 days at most half the customer's own monthly average over "
            "days 30-365") in title
    summary = httpx.get(f"{page_server}/ui/api/customers_summary", params={"top": 20},
                        headers={"Authorization": f"Bearer {TOKEN}"}).json()
    want = [{True: "yes", False: "no", None: "–"}[u["early_warning_spend"]]
            for u in summary["at_risk"]]
    cells = page.locator(f"#cu-atrisk tbody tr td:nth-child({spend + 1})").all_inner_texts()
    assert [c.strip() for c in cells] == want
    with page.expect_download() as info:
        page.click("#cu-download-top")
    top = _read_download(info.value)
    col = top[0].index("early_warning_spend")
    assert col == top[0].index("early_warning") + 1
    assert [r[col] for r in top[1:]] == [
        {True: "true", False: "false", None: ""}[u["early_warning_spend"]]
        for u in summary["at_risk"]]
    assert page.js_errors == []


def test_experiment_view_verdict_srm_and_bad_upload(page: Any, page_server: str,
                                                    page_world: dict[str, Path], artifacts: Path,
                                                    tmp_path: Path) -> None:
    _with_token(page)
    page.goto(f"{page_server}/ui/#experiment")
    exp = page_world["data"] / "experiment.csv"
    page.set_input_files("#ex-upload", str(exp))
    page.wait_for_selector("#ex-setup:not([hidden])")
    assert page.input_value("#ex-variant-col") == "variant"
    assert page.input_value("#ex-control") == "control"
    guards = page.locator("#ex-metrics th.guard").first.is_visible()
    if guards:  # the API accepts guardrails: make visits one
        row = page.locator("#ex-metrics tr[data-col='visits']")
        row.locator(".guard-metric").check()
    page.click("#ex-run")
    page.wait_for_selector("#srm-banner")
    assert "Sample ratio check passed" in page.inner_text("#srm-banner")
    n_metrics = 3 if guards else 2  # converted, revenue (+ visits as a guardrail)
    verdicts = page.locator("#ex-verdict p.verdict")
    assert verdicts.count() == 1 + n_metrics  # overall + one per metric
    assert "Overall:" in verdicts.first.inner_text()
    assert page.locator("#ex-plot g.interval").count() == n_metrics
    assert page.locator("#ex-table tbody tr").count() == n_metrics
    if guards:
        assert page.locator("#ex-guardrails .badge").count() == 1
    with page.expect_download() as info:
        page.click("#ex-download")
    rows = _read_download(info.value)
    assert rows[0][:2] == ["metric", "variant"]
    assert len(rows) == 1 + n_metrics
    _shot(page, artifacts, "experiment")

    # broken assignment: a third of control is missing -> the SRM warning is the headline
    frame = pd.read_csv(exp)
    ctrl = frame.index[frame["variant"] == "control"]
    skewed = tmp_path / "skewed.csv"
    frame.drop(index=ctrl[: len(ctrl) // 3]).to_csv(skewed, index=False)
    page.set_input_files("#ex-upload", str(skewed))
    # read asynchronously: a click before it is read had run the previous file (a 60 s timeout
    # under load waiting for an error the previous file does not give)
    page.wait_for_selector("#ex-file:has-text('skewed.csv')")
    page.click("#ex-run")
    page.wait_for_selector("#srm-banner.bad")
    assert "Sample ratio mismatch" in page.inner_text("#srm-banner")
    assert "not trustworthy" in page.locator("#ex-verdict p.verdict").first.inner_text()
    _shot(page, artifacts, "experiment-srm")
    # ... unless the design was unequal: the designed split settles it (and a typo is explained)
    page.fill("#ex-split", "control 2, treatment=3")
    page.click("#ex-run")
    assert "Designed split" in _error_text(page, "experiment")
    page.fill("#ex-split", "control=2, treatment=3")
    page.click("#ex-run")
    page.wait_for_selector("#srm-banner.good")
    page.fill("#ex-split", "")

    # bad upload: a non-numeric outcome -> the API's message, shown readably
    broken = tmp_path / "broken.csv"
    frame["converted"] = frame["converted"].astype(object)
    frame.loc[frame.index[[3, 8]], "converted"] = "yes"
    frame.to_csv(broken, index=False)
    page.set_input_files("#ex-upload", str(broken))
    page.wait_for_selector("#ex-file:has-text('broken.csv')")
    page.click("#ex-run")
    msg = _error_text(page, "experiment")
    for part in ("HTTP 400", "column 'converted'", "'yes'"):
        assert part in msg, msg
    assert page.locator("#ex-result").is_hidden()
    _shot(page, artifacts, "experiment-bad-upload")

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    page.set_input_files("#ex-upload", str(empty))
    assert "empty.csv: the file is empty" in _error_text(page, "experiment")
    assert page.js_errors == []
