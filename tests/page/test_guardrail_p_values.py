"""Guardrails are outside the multiplicity family: the page and the demo's A/B summary give
them no adjusted p-value and do not count them as comparisons (as the markdown report does)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from experiments import Metric, analyze

from .test_page_browser import _read_download, _with_token


def test_demo_summary_gives_a_guardrail_its_unadjusted_p(page_world: dict[str, Path]) -> None:
    from serving._cli_ab_print import ab_summary  # the line `brain demo` prints

    frame = pd.read_csv(page_world["data"] / "experiment.csv")
    result = analyze(frame, "variant", "control",
                     [Metric("converted", "converted"), Metric("revenue", "revenue"),
                      Metric("visits", "visits", guardrail_margin=0.02)])
    line = ab_summary(result)
    visits = next(c for c in result.comparisons if c.metric == "visits")
    parts = dict(part.split(" ", 1) for part in line.split("; "))
    assert parts["visits"] == (f"{visits.relative_effect:+.2%} (guardrail, unadjusted p "
                               f"{visits.p_value:.2g})")
    for name in ("converted", "revenue"):
        c = next(c for c in result.comparisons if c.metric == name)
        assert parts[name] == f"{c.relative_effect:+.2%} (adj. p {c.p_value_adjusted:.2g})"


@pytest.mark.slow
@pytest.mark.browser
def test_page_keeps_guardrails_out_of_the_family(page: Any, page_server: str,
                                                 page_world: dict[str, Path]) -> None:
    _with_token(page)
    page.goto(f"{page_server}/ui/#experiment")
    page.set_input_files("#ex-upload", str(page_world["data"] / "experiment.csv"))
    page.wait_for_selector("#ex-setup:not([hidden])")
    page.locator("#ex-metrics tr[data-col='visits'] .guard-metric").check()
    assert not page.locator("#ex-metrics tr[data-col='visits'] .primary-metric").is_checked()
    page.click("#ex-run")
    page.wait_for_selector("#srm-banner")
    rows = {r.locator("td").first.inner_text(): r for r in page.locator("#ex-table tbody tr").all()}
    assert set(rows) == {"converted", "revenue", "visits"}
    cells = rows["visits"].locator("td")
    assert cells.nth(7).inner_text() == "– (guardrail)"
    assert "(unadjusted p)" in cells.nth(8).inner_text()
    assert re.fullmatch(r"[01](\.\d{1,4})?", cells.nth(6).inner_text())  # the raw p is shown
    for name in ("converted", "revenue"):
        assert re.fullmatch(r"[01](\.\d{1,4})?", rows[name].locator("td").nth(7).inner_text())
    verdicts = [v.inner_text() for v in page.locator("#ex-verdict p.verdict").all()]
    # the seeded world's visits guardrail is inconclusive, so the headline counts comparisons
    assert re.search(r"\b2 comparison\(s\)", verdicts[0]), verdicts[0]  # not visits
    on_visits = [v for v in verdicts[1:] if "visits" in v]
    assert len(on_visits) == 1, verdicts
    assert "unadjusted p = " in on_visits[0], on_visits[0]
    assert " adjusted p = " not in on_visits[0], on_visits[0]
    with page.expect_download() as info:
        page.click("#ex-download")
    table = _read_download(info.value)
    head = table[0]
    by_metric = {r[0]: dict(zip(head, r, strict=True)) for r in table[1:]}
    assert by_metric["visits"]["guardrail"] == "true"
    assert by_metric["visits"]["p_value_adjusted"] == ""
    assert by_metric["revenue"]["guardrail"] == "false"
    assert page.js_errors == []
