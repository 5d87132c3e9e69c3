"""The API as a program reads it (the budget allocator; an independent check, 2026-12-05):
answers match the schemas the served /docs.json declares for their status, every error names
the input at fault in machine-readable fields, and live feature rows say what the model
ignored."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def client(served_env, service_app):
    with TestClient(service_app) as c:
        yield c


def _brain() -> Any:
    from serving.service import _brain as get

    return get()


@pytest.fixture
def horizon_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """The served forecaster answers at most 30 periods (LightGBM forecasters carry their
    trained horizon as ``max_h_``; the test world's seasonal naive one has none)."""
    fc_model = _brain().champions.get("traffic_forecaster").model.forecaster
    monkeypatch.setattr(fc_model, "max_h_", 30, raising=False)
    return 30


def _feature_rows(n: int) -> list[dict[str, Any]]:
    feats = _brain().snapshot.features.iloc[:n].drop(columns=["cutoff"])
    feats = feats.reset_index(names="user_id") if "user_id" not in feats else feats
    feats["user_id"] = feats["user_id"].astype(str)
    return feats.astype(object).where(feats.notna(), None).to_dict("records")


def _check(spec: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """``body`` is valid against the schema ``spec`` declares for ``status`` of the operation."""
    responses = spec["paths"][path][method]["responses"]
    assert str(status) in responses, (path, status, "not declared", sorted(responses))
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": spec["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, (path, status, errors[:5])


def _ab_rows() -> list[dict[str, Any]]:
    return [{"variant": v, "converted": c, "spend": s}
            for v, c, s in [("control", 0, 1.0), ("control", 1, 3.0), ("control", 0, 2.0),
                            ("treatment", 1, 2.5), ("treatment", 1, 2.0),
                            ("treatment", 0, 1.5)] * 50]


def _day_after_history(days: int) -> str:
    fc = _brain().champions.get("traffic_forecaster").model.forecaster
    last = max(g.ds[-1] for g in fc.panel_.series.values())
    return str((pd.Timestamp(last) + pd.Timedelta(days, "D")).date())


def test_peak_and_channel_rows_are_documented_field_by_field(client: TestClient) -> None:
    """A budget allocator reads peaks[].lift_pct and channels[].value_to_cost: /docs.json had
    declared both lists as untyped objects (names and units only in a prose description)."""
    spec = client.get("/docs.json").json()
    schemas = spec["components"]["schemas"]
    for answer, field, row, names in (
            ("ForecastAnswer", "peaks", "PeakRow",
             {"window", "peak_ds", "peak_p50", "baseline_p50", "lift_pct", "window_p10",
              "window_p50", "window_p90", "window_baseline_p50", "window_lift_pct"}),
            ("ChannelValueAnswer", "channels", "ChannelRow",
             {"channel", "customers", "mean_predicted_value", "value_to_cost", "note"})):
        items = schemas[answer]["properties"][field]["items"]
        assert items == {"$ref": f"#/components/schemas/{row}"}, items
        assert names <= set(schemas[row]["properties"])
        assert names <= set(schemas[row]["required"])
    assert "Percent" in schemas["PeakRow"]["properties"]["lift_pct"]["description"]
    # a long event's effect over its window (lift_pct is its peak period's)
    assert "Percent" in schemas["PeakRow"]["properties"]["window_lift_pct"]["description"]
    # the window total's own 80% interval, not the periods' P10s summed
    assert "backtest" in schemas["PeakRow"]["properties"]["window_p10"]["description"]


def test_successful_answers_match_the_schemas_declared_in_docs_json(client: TestClient) -> None:
    spec = client.get("/docs.json").json()
    uid = str(_brain().snapshot.features.index[0])
    cases: list[tuple[str, dict[str, Any]]] = [
        ("/churn_risk", {"user_ids": [uid, int(uid), "ghost"]}),
        ("/purchase_propensity", {"user_ids": [uid], "top_reasons": 5}),  # live, by id
        ("/customer_value", {"rows": _feature_rows(3)}),
        ("/churn_risk", {"rows": [{**_feature_rows(1)[0], "bogus_col": 1}]}),
        ("/segments", {"user_ids": [uid, "ghost"]}),
        ("/forecast_traffic", {"series_id": "total", "horizon": 7, "calendar": [
            {"name": "sale", "start": "2099-01-01", "end": "2099-01-02"}]}),
        ("/channel_value", {"start": "2000-01-01", "end": "2100-01-01"}),
        ("/forecast_traffic", {"series_id": "total", "horizon": 7, "calendar": [
            {"name": "sale", "start": _day_after_history(2), "end": _day_after_history(3),
             "kind": "sale"}]}),  # an event peak row beside the horizon's
        ("/experiments/analyze", {"rows": _ab_rows(), "control": "control",
                                  "metrics": ["converted", "spend"], "bayesian": True,
                                  "sequential": True, "guardrails": {"spend": 0.1}}),
        ("/experiments/analyze", {"rows": _ab_rows(), "control": "control",
                                  "metrics": ["spend"], "caps": {"spend": 2.5}}),
        ("/experiments/plan", {"baseline": 0.1, "mde": 0.05}),
        ("/reload", {}),
    ]
    for path, body in cases:
        r = client.post(path, json=body)
        assert r.status_code == 200, (path, r.text)
        _check(spec, path, "post", 200, r.json())
        schema = spec["paths"][path]["post"]["responses"]["200"]["content"][
            "application/json"]["schema"]
        assert "$ref" in schema, (path, "the 200 answer is an untyped object")


@pytest.mark.usefixtures("horizon_limit")
def test_every_error_kind_matches_the_declared_error_schema(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = client.get("/docs.json").json()
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("/forecast_traffic", {"horizon": 0}, 400),  # request validation
        ("/churn_risk", {"user_ids": []}, 400),
        ("/churn_risk", {"user_ids": [1.5, None]}, 400),  # several problems
        ("/forecast_traffic", {"series_id": "totl", "horizon": 5}, 400),  # the model refuses
        ("/forecast_traffic", {"horizon": 31}, 400),  # longer than the model was trained for
        ("/churn_risk", {"rows": [{"user_id": 1, "visits_7d": 2}]}, 400),
        ("/experiments/plan", {"baseline": 0.1}, 400),
    ]
    for path, body, status in cases:
        r = client.post(path, json=body)
        assert r.status_code == status, (path, r.text)
        _check(spec, path, "post", status, r.json())
    r = client.post("/churn_risk", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400
    _check(spec, "/churn_risk", "post", 400, r.json())
    r = client.post("/churn_risk", data={"user_ids": "1"})  # form body
    assert r.status_code == 415
    _check(spec, "/churn_risk", "post", 415, r.json())
    # a body declared larger than BRAIN_MAX_BODY_MB: 413 before it is read; one below it is
    # read as usual
    monkeypatch.setenv("BRAIN_MAX_BODY_MB", "0.01")  # 10,485 bytes
    big = json.dumps({"user_ids": [str(i) for i in range(3_000)]}).encode()
    r = client.post("/churn_risk", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "payload_too_large"
    assert f"{len(big):,} bytes" in r.json()["error"]
    _check(spec, "/churn_risk", "post", 413, r.json())
    r = client.post("/churn_risk", json={"user_ids": ["1"]})
    assert r.status_code == 200, r.text
    monkeypatch.delenv("BRAIN_MAX_BODY_MB")
    brain = _brain()
    snapshot = brain.snapshot
    brain.snapshot = None  # no snapshot: 503 saying how to make one
    try:
        r = client.post("/segments", json={"user_ids": ["1"]})
    finally:
        brain.snapshot = snapshot
    assert r.status_code == 503
    assert r.json()["code"] == "snapshot_not_available"
    _check(spec, "/segments", "post", 503, r.json())

    def broken(_req: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(_brain(), "plan", broken)
    r = client.post("/experiments/plan", json={"baseline": 0.1, "mde": 0.05})
    assert r.status_code == 500
    _check(spec, "/experiments/plan", "post", 500, r.json())
    monkeypatch.setenv("BRAIN_API_TOKEN", "t0ken")
    r = client.post("/forecast_traffic", json={"horizon": 5})
    assert r.status_code == 401
    _check(spec, "/forecast_traffic", "post", 401, r.json())


def test_every_endpoint_declares_413_415_and_503_and_no_bentoml_error_schema(
        client: TestClient) -> None:
    spec = client.get("/docs.json").json()
    for path, item in spec["paths"].items():
        if "post" not in item:
            continue
        responses = item["post"]["responses"]
        assert {"400", "413", "415", "500", "503"} <= set(responses), (path,
                                                                      sorted(responses))
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorAnswer", (path, status)
    for name in ("InvalidArgument", "NotFound", "InternalServerError"):
        assert name not in spec["components"]["schemas"]


@pytest.mark.parametrize(("body", "code", "field", "loc", "words"), [
    ({"horizon": 31}, "horizon_too_long", "horizon", ["horizon"], "exceeds the 30 days"),
    ({"series_id": "totl", "horizon": 5}, "unknown_series_id", "series_id", ["series_id"],
     "unknown series_id 'totl'"),
    ({"horizon": 0}, "validation_error", "horizon", ["horizon"],
     "horizon: Input should be greater than or equal to 1"),
    ({"horizon": 5, "extra": 1}, "validation_error", "extra", ["extra"],
     "extra: Extra inputs are not permitted"),
    ({"horizon": 5, "calendar": [{"name": "x", "start": "soon", "end": "2025-01-01"}]},
     "invalid_calendar", "calendar", ["calendar", 0, "start"], "not dates (1 item; first: "
     "calendar[0] 'soon')"),
    ({"horizon": 5, "calendar": [{"name": "x", "start": "2025-01-02", "end": "2025-01-03"},
                                 {"name": "y", "start": "2025-01-05", "end": "2025-01-03"}]},
     "invalid_calendar", "calendar", ["calendar", 1, "end"],
     "'end' is before start (1 item; first: calendar[1] '2025-01-03 (start 2025-01-05)')"),
    ({"horizon": 5, "calendar": [{"name": "x", "start": "2025-01-02", "end": "2025-01-03",
                                  "intensity": "high"}]}, "validation_error", "calendar",
     ["calendar", 0, "intensity"], "calendar[0].intensity: Input should be a valid number"),
])
@pytest.mark.usefixtures("horizon_limit")
def test_forecast_errors_name_the_input_in_machine_readable_fields(
        client: TestClient, body: dict[str, Any], code: str, field: str, loc: list[Any],
        words: str) -> None:
    r = client.post("/forecast_traffic", json=body)
    assert r.status_code == 400, r.text
    answer = r.json()
    assert (answer["code"], answer["field"], answer["loc"]) == (code, field, loc)
    assert words in answer["error"]  # the human message stays


def test_models_gives_the_forecaster_s_horizon_limit(client: TestClient,
                                                    horizon_limit: int) -> None:
    # a client had to find the limit in the page's private /ui/api/forecast_options
    models = client.get("/models").json()["models"]
    fc = next(m for m in models if m["name"] == "traffic_forecaster")
    assert fc["max_horizon"] == horizon_limit
    # and why each version is the champion, so a client can see a rollback or a manual move
    assert all(m["promotion"] for m in models), models
    assert client.post("/forecast_traffic", json={"horizon": horizon_limit}).status_code == 200
    too_long = client.post("/forecast_traffic", json={"horizon": horizon_limit + 1}).json()
    assert too_long["code"] == "horizon_too_long"
    assert "GET /models gives the limit as max_horizon" in too_long["error"]


@pytest.mark.parametrize("path", ["/churn_risk", "/segments"])
@pytest.mark.parametrize("bad", [True, False, 1.0])
def test_user_ids_take_no_booleans_or_floats(client: TestClient, path: str, bad: Any) -> None:
    # `true` had been read as the snapshot's user 1 and answered as user_id 1 (not as sent)
    r = client.post(path, json={"user_ids": [bad]})
    assert r.status_code == 400, r.text
    assert (r.json()["code"], r.json()["field"]) == ("validation_error", "user_ids")
    assert r.json()["loc"][:2] == ["user_ids", 0]


def test_a_float_id_is_a_400_that_says_what_to_send(client: TestClient) -> None:
    """`12347.0` (an id column read as floats, as Online Retail's 'Customer ID') had been
    "user_ids[0].str: Input should be a valid string; user_ids[0].int: ...", while files read
    it as 12347."""
    r = client.post("/churn_risk", json={"user_ids": ["1", 12347.0]})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["loc"] == ["user_ids", 1]
    assert "user_ids[1]: 12347.0 is a number with a decimal point" in body["error"]
    assert "send 12347 (an integer) or \"12347\"" in body["error"]
    assert "Input should be" not in body["error"]
    r = client.post("/churn_risk", json={"user_ids": [1.5]})
    assert "1.5 is a number with a decimal point" in r.json()["error"]
    # beyond 64 bits the integer it suggested was refused in turn: the string form only
    r = client.post("/churn_risk", json={"user_ids": [1e20]})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "send the id as a JSON string (\"100000000000000000000\"" in error
    assert "(an integer)" not in error


@pytest.mark.parametrize("bad", [None, [17], {"id": 17}])
def test_a_null_list_or_object_id_is_a_400_that_says_what_to_send(client: TestClient,
                                                                   bad: Any) -> None:
    """A null id (an export's empty cell) had read "user_ids[1].str: Input should be a valid
    string; user_ids[1].int: Input should be a valid integer", pydantic's two union branches."""
    r = client.post("/churn_risk", json={"user_ids": [1, bad]})
    assert r.status_code == 400, r.text
    body = r.json()
    assert (body["code"], body["loc"]) == ("validation_error", ["user_ids", 1])
    assert "is not a customer id; send the id as a JSON string or integer" in body["error"]
    assert "Input should be" not in body["error"]


def test_validation_errors_name_no_internal_class(client: TestClient) -> None:
    for path, body in [("/forecast_traffic", {"horizon": "10"}),
                       ("/churn_risk", {"user_ids": [1.5, None, True]}),
                       ("/churn_risk", {}), ("/experiments/plan", {"baseline": "x"})]:
        r = client.post(path, json=body)
        assert r.status_code == 400, r.text
        answer = r.json()
        assert "IODescriptor" not in r.text, answer
        assert "validation error for" not in answer["error"], answer
        assert not answer["error"].startswith(("Value error", "1 ")), answer
        assert answer["code"] == "validation_error"
        assert answer["detail"]
        assert all("loc" in d and "msg" in d for d in answer["detail"])
    r = client.post("/churn_risk", json={})
    assert r.json()["error"].startswith("invalid request: give exactly one of 'user_ids' or "
                                        "'rows'")
    assert (r.json()["field"], r.json()["loc"]) == (None, [])  # the request as a whole
    r = client.post("/churn_risk", content=b"{nope", headers={"content-type": "application/json"})
    assert r.json()["code"] == "invalid_json"
    assert r.json()["error"].startswith("request body is not valid JSON")


def test_missing_and_non_numeric_feature_columns_are_named_per_column(
        client: TestClient) -> None:
    row = _feature_rows(1)[0]
    model = _brain().champions.get("churn").model.model
    gone = model.numeric_[:2]
    r = client.post("/churn_risk", json={"rows": [{k: v for k, v in row.items()
                                                   if k not in gone}]})
    assert r.status_code == 400, r.text
    answer = r.json()
    assert (answer["code"], answer["field"]) == ("missing_columns", "rows")
    assert {d["loc"][1] for d in answer["detail"]} == set(gone)
    assert "rows lack 2 feature columns the model needs" in answer["error"]
    col = model.numeric_[0]
    r = client.post("/churn_risk", json={"rows": [row, {**row, col: "lots"}]})
    assert r.status_code == 400, r.text
    answer = r.json()
    assert (answer["code"], answer["field"], answer["loc"]) == ("not_a_number", "rows",
                                                                ["rows", 1, col])
    assert "must hold numbers or null" in answer["error"]


def test_experiment_and_channel_errors_name_their_field(client: TestClient) -> None:
    r = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["converted"],
        "expected_split": {"control": -1, "treatment": 1}})
    assert r.status_code == 400, r.text
    assert (r.json()["code"], r.json()["field"], r.json()["loc"]) == (
        "invalid_experiment_input", "expected_split", ["expected_split", "control"])
    r = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "ctl", "metrics": ["converted"]})
    assert r.json()["field"] == "control", r.json()
    # a missing column is blamed on the field that named it (had been variant_col for both)
    r = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["converted", "nope"]})
    assert (r.json()["field"], r.json()["loc"]) == ("metrics", ["metrics"]), r.json()
    assert "Fix: pass the right metrics column names." in r.json()["error"]
    r = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["converted"],
        "cuped": {"converted": "pre_nope"}})
    assert (r.json()["field"], r.json()["loc"]) == ("cuped", ["cuped"]), r.json()
    assert "['pre_nope'] are missing" in r.json()["error"]
    # errors about the data itself name rows (had been null), a bad ratio spec names metrics
    rows = _ab_rows()
    rows[3]["spend"] = None
    r = client.post("/experiments/analyze", json={
        "rows": rows, "control": "control", "metrics": ["spend"]})
    assert (r.json()["field"], r.json()["loc"]) == ("rows", ["rows"]), r.json()
    # the row as a JSON array counts it, like loc (a file's message counts data rows from 1)
    assert "first rows[3]: [" in r.json()["error"], r.json()
    leaked = [dict(row, uid=i // 2) for i, row in enumerate(_ab_rows()[:6])] * 2
    r = client.post("/experiments/analyze", json={
        "rows": leaked, "control": "control", "metrics": ["spend"], "unit_col": "uid"})
    assert "more than one arm" in r.json()["error"], r.json()
    assert r.json()["field"] == "rows", r.json()
    r = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["spend/"]})
    assert r.json()["error"].startswith("metrics: ratio spec 'spend/'"), r.json()
    assert r.json()["field"] == "metrics", r.json()
    r = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["converted"],
        "caps": {"converted": "p99"}})
    assert (r.json()["field"], r.json()["loc"]) == ("caps", ["caps"]), r.json()
    r = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["spend"], "caps": {"spend": "p50"}})
    spend = r.json()["metrics"][0]
    assert (spend["cap"], spend["cap_quantile"], spend["capped_units"]) == (2.0, 0.5, 100)
    r = client.post("/experiments/plan", json={"baseline": 0.1})
    assert (r.json()["code"], r.json()["field"]) == ("missing_field", "mde")
    r = client.post("/channel_value", json={"start": "2024-06-01", "end": "2024-01-01"})
    assert (r.json()["code"], r.json()["field"]) == ("end_before_start", "end")


def test_errors_outside_our_endpoints_have_the_same_shape(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    for r in (client.get("/no_such_endpoint"), client.get("/churn_risk"),
              client.post("/churn_risk", data={"user_ids": "1"})):
        assert r.status_code >= 400
        answer = r.json()
        assert {"error", "code", "field", "loc", "detail"} <= set(answer), (r.status_code, answer)
    monkeypatch.setenv("BRAIN_API_TOKEN", "t0ken")
    answer = client.get("/models").json()
    assert answer["code"] == "unauthorized"
    assert "Bearer" in answer["error"]


def test_live_rows_say_which_columns_and_category_values_were_ignored(
        client: TestClient) -> None:
    model = _brain().champions.get("churn").model.model
    col = model.categorical_[0]
    rows = _feature_rows(3)
    clean = client.post("/churn_risk", json={"rows": rows})
    assert clean.status_code == 200, clean.text
    assert clean.json()["warnings"] == []
    junk = [{**rows[0], "bogus_col": 1, "other": "x"}, {**rows[1], col: "tiktok"},
            {**rows[2], col: "tiktok"}]
    r = client.post("/churn_risk", json={"rows": junk})
    assert r.status_code == 200, r.text  # still answered: callers are not broken
    warnings = {w["code"]: w for w in r.json()["warnings"]}
    assert warnings["unknown_columns"]["columns"] == ["bogus_col", "other"]
    assert "'bogus_col'" in warnings["unknown_columns"]["message"]
    unseen = warnings["unseen_categories"]
    assert (unseen["column"], unseen["values"], unseen["rows"]) == (col, ["tiktok"], 2)
    assert unseen["field"] == "rows"
    # the extra column changes nothing; the first row's answer is the clean one
    assert r.json()["results"][0] == clean.json()["results"][0]
    # a spelling that differs only in case is read as the level: nothing to warn about
    level = model.levels_[col][0]
    r = client.post("/churn_risk", json={"rows": [{**rows[0], col: f" {level.upper()} "}]})
    assert r.json()["warnings"] == [], r.json()["warnings"]
    # by id nothing is ignored
    uid = str(_brain().snapshot.features.index[0])
    assert client.post("/churn_risk", json={"user_ids": [uid]}).json()["warnings"] == []


@pytest.mark.parametrize(("answer", "record"), [
    ("AnalysisAnswer", "ExperimentResult"), ("SRMAnswer", "SRMResult"),
    ("ArmCountAnswer", "ArmCount"), ("ComparisonAnswer", "Comparison"),
    ("GuardrailAnswer", "GuardrailResult"), ("PlanAnswer", "Plan"),
])
def test_experiment_answer_models_name_every_field_of_the_engine_records(
        answer: str, record: str) -> None:
    import experiments
    from serving import _schemas_ab

    fields = {f.name for f in dataclasses.fields(getattr(experiments, record))}
    assert set(getattr(_schemas_ab, answer).model_fields) == fields


def test_the_api_takes_the_unit_column_like_the_cli(client: TestClient) -> None:
    """Session rows of the same users: with unit_col they are summed per user first (the
    independent check saw intervals 3.8x too narrow treating sessions as units)."""
    rows = []
    for u in range(40):
        arm = "control" if u % 2 else "treatment"
        rows += [{"user": f"u{u}", "variant": arm, "orders": float((u + s) % 3 == 0)}
                 for s in range(5)]
    per_row = client.post("/experiments/analyze", json={
        "rows": rows, "control": "control", "metrics": ["orders"]})
    per_user = client.post("/experiments/analyze", json={
        "rows": rows, "control": "control", "metrics": ["orders"], "unit_col": "user"})
    assert per_row.status_code == 200, per_row.text
    assert per_user.status_code == 200, per_user.text
    assert per_row.json()["n_units"] == 200
    assert per_user.json()["n_units"] == 40
    assert [a["n"] for a in per_user.json()["metrics"][0]["arms"]] == [20, 20]
    both = [dict(r, user="u0") for r in rows[:1]] + [dict(rows[5], user="u0")]
    bad = client.post("/experiments/analyze", json={
        "rows": rows + both, "control": "control", "metrics": ["orders"], "unit_col": "user"})
    assert bad.status_code == 400, bad.text


def test_an_exception_escaping_a_route_gets_the_error_shape() -> None:
    """Review: a route that raised (BentoML's own, outside our endpoints) answered Starlette's
    plain-text 'Internal Server Error'."""
    import asyncio
    import json
    import threading

    from serving._error_body import ErrorBodyMiddleware

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    # in a thread of its own: other tests of the session may leave an event loop running here
    call = ErrorBodyMiddleware(broken)({"type": "http", "path": "/metrics"}, receive, send)
    worker = threading.Thread(target=asyncio.run, args=(call,))
    worker.start()
    worker.join()
    assert sent[0]["status"] == 500
    body = json.loads(sent[1]["body"])
    assert body["code"] == "internal_error"
    assert set(body) == {"error", "code", "field", "loc", "detail"}


def _dated_rows() -> list[dict[str, Any]]:
    """Dated outcome rows of 600 users over 16 days, a +40% effect in the first 3 days of
    exposure only."""
    import numpy as np

    rng = np.random.default_rng(7)
    rows = []
    for u in range(600):
        arm = "treatment" if u % 2 else "control"
        first = int(rng.integers(0, 6))
        for k in range(16 - first):
            lift = 1.4 if arm == "treatment" and k < 3 else 1.0
            orders = int(rng.poisson(0.6 * lift))
            if orders or k == 0:
                rows.append({"user": f"u{u}", "variant": arm, "orders": orders,
                             "day": str((pd.Timestamp("2026-11-02")
                                         + pd.Timedelta(first + k, "D")).date())})
    return rows


def test_the_api_answers_the_time_view_like_the_engine(client: TestClient) -> None:
    """time_col adds 'time' to the answer, valid against /docs.json, and the fading-effect
    warning; bad dates name the rows, a missing column names time_col."""
    import experiments as ex

    spec = client.get("/docs.json").json()
    rows = _dated_rows()
    body = {"rows": rows, "control": "control", "metrics": ["orders"], "unit_col": "user",
            "time_col": "day"}
    r = client.post("/experiments/analyze", json=body)
    assert r.status_code == 200, r.text
    _check(spec, "/experiments/analyze", "post", 200, r.json())
    time = r.json()["time"]
    ref = ex.analyze(pd.DataFrame(rows), "variant", "control", "orders", unit_col="user",
                     time_col="day")
    assert ref.time is not None
    assert time == json.loads(json.dumps(ref.time.to_dict()))
    assert time["level"] == "event"
    assert time["trends"][0]["direction"] == "fades"
    assert time["trends"][0]["message"] in r.json()["warnings"]
    assert "time" in spec["components"]["schemas"]["AnalysisAnswer"]["properties"]
    bad = [dict(row) for row in rows]
    bad[5]["day"] = "2026-11-31"
    r = client.post("/experiments/analyze", json={**body, "rows": bad})
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "rows", r.json()
    assert "first rows[5]: ['2026-11-31']" in r.json()["error"]
    r = client.post("/experiments/analyze", json={**body, "time_col": "date"})
    assert (r.status_code, r.json()["field"]) == (400, "time_col"), r.json()
    r = client.post("/experiments/analyze", json={k: v for k, v in body.items()
                                                  if k != "time_col"})
    assert r.json()["time"] is None


def test_the_api_time_view_honours_segment_col(client: TestClient) -> None:
    """segment_col split the headline but not the time view (s16d): the answer's time view
    now holds every point and check per segment too, as the engine's, valid against the
    schema."""
    import experiments as ex

    rows = [dict(row, plan="pro" if int(row["user"][1:]) % 3 else "free")
            for row in _dated_rows()]
    body = {"rows": rows, "control": "control", "metrics": ["orders"], "unit_col": "user",
            "time_col": "day", "segment_col": "plan"}
    r = client.post("/experiments/analyze", json=body)
    assert r.status_code == 200, r.text
    _check(client.get("/docs.json").json(), "/experiments/analyze", "post", 200, r.json())
    time = r.json()["time"]
    assert time["segment_col"] == "plan"
    assert {p["segment"] for p in time["points"]} == {None, "free", "pro"}
    assert {t["segment"] for t in time["trends"]} == {None, "free", "pro"}
    ref = ex.analyze(pd.DataFrame(rows), "variant", "control", "orders", unit_col="user",
                     time_col="day", segment_col="plan")
    assert ref.time is not None
    assert time == json.loads(json.dumps(ref.time.to_dict()))


def test_the_api_takes_the_exposure_column_like_the_engine(client: TestClient) -> None:
    """exposure_col (s16h): rows dated before their unit's exposure are left out, with a
    warning, as the engine does; without unit_col the error names exposure_col."""
    import experiments as ex

    rows = _dated_rows()
    # each user's exposure one day after its first row
    first = pd.DataFrame(rows).groupby("user")["day"].min()
    for row in rows:
        row["seen"] = str((pd.Timestamp(first[row["user"]]) + pd.Timedelta(1, "D")).date())
    body = {"rows": rows, "control": "control", "metrics": ["orders"], "unit_col": "user",
            "time_col": "day", "exposure_col": "seen"}
    r = client.post("/experiments/analyze", json=body)
    assert r.status_code == 200, r.text
    _check(client.get("/docs.json").json(), "/experiments/analyze", "post", 200, r.json())
    ref = ex.analyze(pd.DataFrame(rows), "variant", "control", "orders", unit_col="user",
                     time_col="day", exposure_col="seen", source="request rows")
    assert r.json() == json.loads(ref.to_json())
    note = next(w for w in r.json()["warnings"] if w.startswith("exposure column 'seen':"))
    assert "first rows[" in note  # the request's rows, counted from 0
    r = client.post("/experiments/analyze", json={k: v for k, v in body.items()
                                                  if k != "unit_col"})
    assert (r.status_code, r.json()["field"]) == (400, "exposure_col"), r.json()


def test_customers_pages_through_every_snapshot_customer(client: TestClient) -> None:
    """Independent check: a client had no way to list the snapshot's customers (it had to
    bring its ids from its own data; GET /models gave only their count)."""
    spec = client.get("/docs.json").json()
    snap = _brain().snapshot
    seen: list[Any] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        res = client.get("/customers", params={"offset": offset, "limit": 400})
        assert res.status_code == 200, res.text
        page = res.json()
        _check(spec, "/customers", "get", 200, page)
        assert page["total"] == len(snap.features) == client.get("/models").json()[
            "snapshot"]["users"]
        assert page["snapshot_cutoff"] == str(snap.cutoff.date())
        assert len(page["user_ids"]) <= 400
        seen += page["user_ids"]
        offset = page["next_offset"]
        pages += 1
    assert pages == -(-len(snap.features) // 400)
    assert seen == snap.features["user_id"].tolist()  # every one, once, in snapshot order
    scored = client.post("/churn_risk", json={"user_ids": seen[:500]}).json()
    assert scored["errors"] == []
    assert len(scored["results"]) == 500
    default = client.get("/customers").json()
    assert (default["offset"], default["limit"]) == (0, 1000)
    past = client.get("/customers", params={"offset": len(seen) + 5}).json()
    assert past["user_ids"] == []
    assert past["next_offset"] is None


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 10_001}, "limit"), ({"limit": "ten"}, "limit"),
    ({"offset": -1}, "offset"), ({"offset": "1.5"}, "offset"), ({"page": 2}, "page")])
def test_customers_limits_are_400s_naming_the_parameter(client: TestClient, params: dict,
                                                        field: str) -> None:
    spec = client.get("/docs.json").json()
    res = client.get("/customers", params=params)
    assert res.status_code == 400
    body = res.json()
    _check(spec, "/customers", "get", 400, body)
    assert (body["code"], body["field"], body["loc"]) == ("validation_error", field, [field])
    assert field in body["error"]
