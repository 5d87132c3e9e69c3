"""The page's own helpers and static shell, through an in-process client (no browser)."""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd
import pytest

from serving._page import STATIC_DIR, is_public


def _users(client: Any) -> int:
    return int(client.get("/models").json()["snapshot"]["users"])


def test_page_shell_is_served_and_ui_redirects(page_client: Any) -> None:
    r = page_client.get("/ui", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"].endswith("/ui/")
    html = page_client.get("/ui/")
    assert html.status_code == 200
    assert "Marketing Brain" in html.text
    for src in [*re.findall(r'src="(static/[^"]+)"', html.text), "static/page.css"]:
        asset = page_client.get(f"/ui/{src}")
        assert asset.status_code == 200, src


def test_static_shell_is_public_and_data_needs_the_token(page_client: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_public("/ui")
    assert is_public("/ui/")
    assert is_public("/ui/static/common.js")
    assert not is_public("/ui/api/customers_summary")
    assert not is_public("/models")
    monkeypatch.setenv("BRAIN_API_TOKEN", "tok")
    assert page_client.get("/ui/").status_code == 200
    assert page_client.get("/ui/static/common.js").status_code == 200
    assert page_client.get("/ui/api/forecast_options").status_code == 401
    ok = page_client.get("/ui/api/forecast_options", headers={"Authorization": "Bearer tok"})
    assert ok.status_code == 200


def test_page_fetches_nothing_from_the_network() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text()
        urls = [u for u in re.findall(r"https?://[^\s\"')]+", text)
                if u != "http://www.w3.org/2000/svg"]
        assert not urls, (path.name, urls)
        assert "@import" not in text, path.name
        assert "cdn" not in text.lower(), path.name


def test_forecast_options_and_history(page_client: Any) -> None:
    opts = page_client.get("/ui/api/forecast_options").json()
    assert "total" in opts["series"]
    assert opts["default_series"] == "total"
    # which series' plan rows a total answered by its channels reads: none without spend
    assert opts["plan_series"] == {}
    # the served model's own longest horizon (the page's input maximum), within the API's 400
    assert 1 <= opts["max_horizon"] <= 400
    if opts["max_horizon"] < 400:
        over = page_client.post("/forecast_traffic", json={"series_id": "total",
                                                           "horizon": opts["max_horizon"] + 1})
        assert over.status_code == 400
        assert (f"exceeds the {opts['max_horizon']} days traffic_forecaster"
                in over.json()["error"])
        assert "brain forecast train ... --horizon" in over.json()["error"]
    assert opts["freq"] == "D"
    hist = page_client.get("/ui/api/history", params={"series_id": "total", "periods": 30}).json()
    assert len(hist["history"]) == 30
    assert hist["history"][-1]["ds"].startswith(opts["last_ds"][:10])
    bad = page_client.get("/ui/api/history", params={"series_id": "mars"})
    assert bad.status_code == 400
    assert "unknown series_id 'mars'" in bad.json()["error"]
    assert (bad.json()["code"], bad.json()["field"]) == ("unknown_series_id", "series_id")


def test_customer_summary_counts_every_user_once(page_client: Any) -> None:
    n = _users(page_client)
    body = page_client.get("/ui/api/customers_summary", params={"top": 15}).json()
    assert body["users"] == n
    for name in ("churn", "propensity", "value"):
        dist = body["distributions"][name]
        assert sum(dist["counts"]) == n, name
        assert sum(dist["tiers"].values()) == n, name
        assert len(dist["edges"]) == len(dist["counts"]) + 1
    assert sum(s["users"] for s in body["segments"]) == n
    assert abs(sum(s["share"] for s in body["segments"]) - 1) < 1e-9


def test_top_at_risk_users_are_ranked_and_explained(page_client: Any) -> None:
    body = page_client.get("/ui/api/customers_summary",
                           params={"top": 25, "sort": "value_at_risk"}).json()
    risk = [u["value_at_risk"] for u in body["at_risk"]]
    assert len(risk) == 25
    assert risk == sorted(risk, reverse=True)
    assert all(abs(u["value_at_risk"] - u["churn"] * u["value"]) < 1e-9 for u in body["at_risk"])
    assert all(u["reasons"] and all(isinstance(r, str) for r in u["reasons"])
               for u in body["at_risk"])
    by_churn = page_client.get("/ui/api/customers_summary", params={"sort": "churn"}).json()
    churn = [u["churn"] for u in by_churn["at_risk"]]
    assert churn == sorted(churn, reverse=True)
    assert len(churn) == 20


def test_at_risk_reasons_say_what_raises_the_risk(page_client: Any) -> None:
    """The "why" of the at-risk list is what pushes each user's churn risk up, in the API's
    (and `brain score`'s) decision-path sentences. A user ranked by value at risk can sit in
    the low churn tier, whose own reasons say what keeps the risk low: a grocery check's list
    had "expected orders from the buying pattern is high (15 vs typical 1.7)" as why its top
    user was at risk (24 of its top 50 were in the low tier)."""
    body = page_client.get("/ui/api/customers_summary",
                           params={"top": 500, "sort": "value_at_risk"}).json()
    users = body["at_risk"]
    api = page_client.post("/churn_risk", json={"user_ids": [u["user_id"] for u in users]}
                           ).json()["results"]
    assert [a["user_id"] for a in api] == [u["user_id"] for u in users]
    low = [(u, a) for u, a in zip(users, api, strict=True) if a["tier"] == "low"]
    assert low, "the list should reach into the low churn tier"
    for u, a in zip(users, api, strict=True):
        if a["tier"] != "low":
            assert u["reasons"] == a["reasons"], u["user_id"]
    # the low tier's own reasons (what keeps the risk low) are not what the list shows
    assert sum(u["reasons"] != a["reasons"] for u, a in low) >= len(low) / 2
    assert all(u["reasons"] for u, _ in low)


@pytest.mark.parametrize(("params", "expect", "kind"), [
    ({"top": "lots"}, "'top' must be an integer from 1 to 500; received 'lots'", "int_parsing"),
    ({"top": 0}, "'top' must be an integer from 1 to 500; received '0'", "out_of_range"),
    ({"sort": "age"}, "'sort' must be 'value_at_risk' or 'churn'; received 'age'", "enum"),
    ({"topp": 5}, "unknown query parameter 'topp'", "extra_forbidden"),
])
def test_bad_summary_queries_get_a_400_that_says_what_to_fix(page_client: Any, params: dict,
                                                             expect: str, kind: str) -> None:
    r = page_client.get("/ui/api/customers_summary", params=params)
    assert r.status_code == 400
    assert expect in r.json()["error"]
    # the API's one error shape and GET /customers' code for a bad query parameter (it had
    # been 'bad_request' with detail null here, 'validation_error' there; 2026-12-07)
    name = next(iter(params))
    assert r.json() == {"error": r.json()["error"], "code": "validation_error",
                        "field": name, "loc": [name],
                        "detail": [{"loc": [name], "msg": r.json()["error"], "type": kind}]}


def test_customers_csv_has_one_row_per_user(page_client: Any) -> None:
    r = page_client.get("/ui/api/customers.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    frame = pd.read_csv(io.StringIO(r.text), dtype={"user_id": str})
    assert len(frame) == _users(page_client)
    assert frame["user_id"].is_unique
    assert {"user_id", "segment", "churn", "churn_tier", "propensity", "value",
            "value_at_risk"} <= set(frame.columns)
    assert frame["churn"].between(0, 1).all()
    # yes/no as the page's "Download this list" writes them (s13g: True/False here)
    flags = pd.read_csv(io.StringIO(r.text), dtype=str)["early_warning"].dropna()
    assert len(flags)
    assert set(flags) <= {"true", "false"}


def test_customers_csv_and_summary_carry_the_spend_early_warning(page_client: Any) -> None:
    """``early_warning_spend`` beside ``early_warning``, the same flags the API answers by id
    (the page's table and downloads had the visit rule only)."""
    r = page_client.get("/ui/api/customers.csv")
    frame = pd.read_csv(io.StringIO(r.text), dtype=str)
    cols = list(frame.columns)
    assert cols.index("early_warning_spend") == cols.index("early_warning") + 1
    flags = frame["early_warning_spend"].dropna()
    assert len(flags)
    assert set(flags) <= {"true", "false"}
    ids = frame["user_id"].head(200).tolist()
    api = page_client.post("/churn_risk", json={"user_ids": ids}).json()["results"]
    want = {str(a["user_id"]): a["early_warning_spend"] for a in api}
    got = frame.set_index("user_id")["early_warning_spend"].head(200)
    assert {u: (None if pd.isna(v) else v == "true") for u, v in got.items()} == want
    top = page_client.get("/ui/api/customers_summary", params={"top": 50}).json()["at_risk"]
    assert all("early_warning_spend" in u for u in top)
    by_id = page_client.post("/churn_risk", json={"user_ids": [u["user_id"] for u in top]})
    assert [u["early_warning_spend"] for u in top] == [
        a["early_warning_spend"] for a in by_id.json()["results"]]


def test_the_spend_early_warning_is_the_same_scored_live_or_from_the_cache(
        page_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways ``_scores`` reads the churn flags (the score cache, or scoring the snapshot
    live while the cache is not ready) give the CSV the same ``early_warning_spend``."""
    from serving import _page
    from serving.service import _brain

    def csv_flags() -> pd.Series:
        text = page_client.get("/ui/api/customers.csv").text
        return pd.read_csv(io.StringIO(text), dtype=str).set_index("user_id")[
            "early_warning_spend"]

    brain = _brain()
    brain.warm()  # what the server does in the background: the cache is ready after it
    assert brain.score_table(brain.champions.get("churn")) is not None
    monkeypatch.setattr(_page, "_cache", {})
    cached = csv_flags()
    monkeypatch.setattr(brain, "score_table", lambda loaded: None)
    monkeypatch.setattr(_page, "_cache", {})
    live = csv_flags()
    assert live.notna().any()
    pd.testing.assert_series_equal(live, cached)


def test_ids_with_surrounding_spaces_are_found_and_echoed_as_sent(page_client: Any) -> None:
    """The loaders store ids without surrounding spaces (a till export's ' 0055117485 ' is
    customer '0055117485'); a CRM sending the id as it has it had been told "unknown user id"."""
    body = page_client.get("/ui/api/customers_summary", params={"top": 1}).json()
    uid = body["at_risk"][0]["user_id"]
    padded = f" {uid} "
    for endpoint in ("/churn_risk", "/customer_value"):
        got = page_client.post(endpoint, json={"user_ids": [uid, padded]}).json()
        assert got["errors"] == []
        assert [r["user_id"] for r in got["results"]] == [uid, padded]
        assert got["results"][0]["score"] == got["results"][1]["score"]
    seg = page_client.post("/segments", json={"user_ids": [padded]}).json()
    assert seg["errors"] == []
    assert seg["results"][0]["user_id"] == padded


def test_summary_is_of_the_snapshot_served_even_where_an_old_one_lay(page_world: Any,
                                                                    page_client: Any) -> None:
    """The page's score cache had been keyed by ``id()`` of the snapshot: a snapshot loaded
    after the one it was computed for is freed usually lands at its address, and the page then
    showed the old snapshot's customers (counts, tiers, at-risk users and the CSV)."""
    import dataclasses
    import gc

    from serving._core import Brain
    from serving._page import customers_summary
    from serving._registry import Champions
    from serving._snapshot import Snapshot
    from serving.service import _loader

    champions = Champions(loader=_loader)
    champions.refresh()
    base = Snapshot.load(page_world["home"] / "snapshots")
    assert base is not None
    brain = Brain(champions, dataclasses.replace(base, features=base.features.copy()))
    n = len(base.features)
    assert customers_summary(brain, top=5)["users"] == n
    where = id(brain.snapshot)
    brain.snapshot = None
    gc.collect()
    feats, segs = base.features.iloc[:100].copy(), base.segments.iloc[:100].copy()
    kept = []  # snapshots not at the old address stay alive, so the next try gets another
    for _ in range(100_000):
        small = dataclasses.replace(base, features=feats, segments=segs)
        if id(small) == where:
            break
        kept.append(small)
    else:
        pytest.skip("no snapshot was allocated where the old one lay")
    brain.snapshot = small
    assert customers_summary(brain, top=5)["users"] == 100
