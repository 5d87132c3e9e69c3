"""The same fault gets the same answer on every endpoint, numbers are finite, and the snapshot's
date has one name (2026-12-07, for the budget allocator and the planners).

Before: a bad query parameter was code ``validation_error`` on ``GET /customers`` but
``bad_request`` (no ``detail``) on the page's helpers, which also took unknown parameters
silently; an unknown helper answered Starlette's plain text; ``intensity: NaN`` was "less than
or equal to 10"; and the snapshot's cutoff was ``features_asof``, ``asof`` or
``snapshot_cutoff`` depending on the answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

ERROR_KEYS = {"error", "code", "field", "loc", "detail"}


@pytest.fixture(scope="module")
def client(served_env, service_app):
    with TestClient(service_app) as c:
        yield c


@pytest.fixture(scope="module")
def error_schema(client: TestClient) -> Draft202012Validator:
    spec = client.get("/docs.json").json()
    return Draft202012Validator({"$ref": "#/components/schemas/ErrorAnswer",
                                 "components": spec["components"]})


def _error(res: Any, validator: Draft202012Validator, status: int) -> dict[str, Any]:
    assert res.status_code == status, (res.request.url, res.status_code, res.text)
    assert res.headers["content-type"].startswith("application/json"), res.text
    body = res.json()
    assert set(body) == ERROR_KEYS, body
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, (res.request.url, errors)
    return body


# ---------------------------------------------------------------- bad query parameters
GET_ENDPOINTS = ["/customers", "/models", "/ui/api/forecast_options", "/ui/api/history",
                 "/ui/api/customers_summary", "/ui/api/customers.csv"]
INT_PARAMS = [("/customers", "limit"), ("/customers", "offset"),
              ("/ui/api/history", "periods"), ("/ui/api/customers_summary", "top")]


def _shape(body: dict[str, Any]) -> tuple[Any, ...]:
    """What a program branches on: everything but the words."""
    return (body["code"], body["field"], body["loc"],
            [(d["loc"], d["type"]) for d in body["detail"]])


@pytest.mark.parametrize("path", GET_ENDPOINTS)
def test_an_unknown_query_parameter_is_the_same_400_on_every_get_endpoint(
        client: TestClient, error_schema: Draft202012Validator, path: str) -> None:
    """GET /customers refused an unknown parameter; the page's helpers ignored it."""
    body = _error(client.get(path, params={"pgae": "2"}), error_schema, 400)
    assert _shape(body) == ("validation_error", "pgae", ["pgae"],
                            [(["pgae"], "extra_forbidden")])
    assert "'pgae'" in body["error"]
    assert path in body["error"]
    assert body["detail"][0]["msg"] == body["error"]


@pytest.mark.parametrize(("value", "kind"), [("ten", "int_parsing"), ("1.5", "int_parsing"),
                                             ("-3", "out_of_range"),
                                             ("-0x1", "int_parsing")])
def test_a_bad_integer_parameter_is_the_same_400_on_every_get_endpoint(
        client: TestClient, error_schema: Draft202012Validator, value: str, kind: str) -> None:
    """The same fault, the same answer but for the parameter's name: /customers had answered
    'validation_error', the helpers 'bad_request' with detail null."""
    shapes = set()
    for path, name in INT_PARAMS:
        body = _error(client.get(path, params={name: value}), error_schema, 400)
        assert _shape(body) == ("validation_error", name, [name], [([name], kind)]), path
        assert f"query parameter '{name}' must be an integer" in body["error"]
        assert repr(value) in body["error"]
        shapes.add(tuple(str(x).replace(name, "NAME") for x in _shape(body)))
    assert len(shapes) == 1


def test_a_bad_choice_parameter_is_a_validation_error(
        client: TestClient, error_schema: Draft202012Validator) -> None:
    body = _error(client.get("/ui/api/customers_summary", params={"sort": "age"}),
                  error_schema, 400)
    assert _shape(body) == ("validation_error", "sort", ["sort"], [(["sort"], "enum")])
    assert "'value_at_risk' or 'churn'; received 'age'" in body["error"]


def test_an_empty_parameter_is_its_default_everywhere(client: TestClient) -> None:
    """?limit= had been a 400 on /customers and the default on the helpers."""
    assert client.get("/customers", params={"limit": ""}).json()["limit"] == 1000
    assert client.get("/ui/api/history", params={"periods": ""}).status_code == 200


def test_query_and_body_validation_errors_share_code_and_detail_entries(
        client: TestClient, error_schema: Draft202012Validator) -> None:
    """A client handles 'validation_error' once: a bad body field and a bad query parameter
    both name the input in field/loc and list it in detail (loc, msg, type)."""
    query = _error(client.get("/customers", params={"limit": 0}), error_schema, 400)
    body = _error(client.post("/churn_risk", json={"user_ids": [1], "top_reasons": 99}),
                  error_schema, 400)
    for b, field in ((query, "limit"), (body, "top_reasons")):
        assert (b["code"], b["field"], b["loc"]) == ("validation_error", field, [field])
        assert [d["loc"] for d in b["detail"]] == [[field]]
        assert {"loc", "msg", "type"} <= set(b["detail"][0])


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("get", "/no_such_endpoint", 404, "not_found"),
    ("get", "/ui/api/no_such_helper", 404, "not_found"),
    ("post", "/customers", 405, "method_not_allowed"),
    ("post", "/ui/api/history", 405, "method_not_allowed")])
def test_unknown_routes_and_methods_answer_the_one_shape_on_the_page_helpers_too(
        client: TestClient, error_schema: Draft202012Validator, method: str, path: str,
        status: int, code: str) -> None:
    """The page's helpers had answered Starlette's plain-text 404/405."""
    body = _error(getattr(client, method)(path), error_schema, status)
    assert body["code"] == code


def test_an_unexpected_failure_is_the_same_500_on_api_and_helpers(
        client: TestClient, error_schema: Draft202012Validator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from serving import _page
    from serving.service import _brain

    def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(_brain(), "forecast", boom)
    monkeypatch.setattr(_brain(), "customers", boom)
    monkeypatch.setattr(_page, "_forecaster", boom)
    answers = [client.post("/forecast_traffic", json={"horizon": 5}),
               client.get("/customers"), client.get("/ui/api/history")]
    bodies = [_error(r, error_schema, 500) for r in answers]
    assert all(b == bodies[0] for b in bodies), bodies
    assert bodies[0]["code"] == "internal_error"
    assert "secret" not in bodies[0]["error"]


def test_exceptions_map_to_statuses_in_one_place() -> None:
    from pydantic import BaseModel, ValidationError

    from serving._answers import BadRequestError, NotReadyError
    from serving._error_body import INTERNAL_MESSAGE, exception_answer

    class M(BaseModel):
        n: int

    with pytest.raises(ValidationError) as invalid:
        M(n="x")  # type: ignore[arg-type]
    cases = [(BadRequestError("b", code="horizon_too_long", field="horizon"), 400,
              "horizon_too_long"),
             (invalid.value, 400, "validation_error"),
             (NotReadyError("n", code="model_not_available"), 503, "model_not_available"),
             # a bare ValueError/KeyError/TypeError is ours, with or without a body (until
             # 2026-12-07 a POST endpoint's was a 400 bad_request with the internal message)
             (ValueError("v"), 500, "internal_error"), (KeyError("k"), 500, "internal_error"),
             (TypeError("t"), 500, "internal_error"), (RuntimeError("r"), 500, "internal_error")]
    for exc, status, code in cases:
        got_status, body = exception_answer(exc)
        assert (got_status, body["code"]) == (status, code), exc
        assert set(body) == ERROR_KEYS
    for exc in (RuntimeError("r"), KeyError("k"), ValueError("v")):
        assert exception_answer(exc)[1]["error"] == INTERNAL_MESSAGE


# ---------------------------------------------------------------- NaN and Infinity
def _event(**kw: Any) -> dict[str, Any]:
    return {"name": "Sale", "start": "2099-01-01", "end": "2099-01-02", **kw}


def _raw(body: str) -> dict[str, Any]:
    return {"content": body.encode(), "headers": {"content-type": "application/json"}}


CAL = ('{"horizon": 5, "calendar": [{"name": "A", "start": "2099-01-01", "end": "2099-01-01"}, '
       '{"name": "B", "start": "2099-01-02", "end": "2099-01-02", "intensity": %s}]}')
NOT_FINITE = [
    ("/forecast_traffic", CAL % "NaN", ["calendar", 1, "intensity"], "at most 10"),
    ("/forecast_traffic", CAL % "Infinity", ["calendar", 1, "intensity"], "at most 10"),
    ("/forecast_traffic", CAL % '"nan"', ["calendar", 1, "intensity"], "at most 10"),
    ("/forecast_traffic", CAL % "-Infinity", ["calendar", 1, "intensity"], "at least 0"),
    ("/forecast_traffic", '{"horizon": NaN}', ["horizon"], "at most 400"),
    ("/churn_risk", '{"user_ids": [1], "top_reasons": NaN}', ["top_reasons"], "at most 10"),
    ("/experiments/plan", '{"baseline": NaN, "mde": 0.01}', ["baseline"], "send a finite"),
    ("/experiments/plan", '{"baseline": 0.1, "mde": "inf"}', ["mde"], "above 0"),
    ("/experiments/plan", '{"baseline": 0.1, "mde": 0.01, "alpha": Infinity}', ["alpha"],
     "below 0.5"),
    ("/experiments/plan", '{"baseline": 0.1, "mde": 0.01, "ratio": "Infinity"}', ["ratio"],
     "at most 1000"),
    ("/experiments/analyze", '{"rows": [{"variant": "a", "x": 1}, {"variant": "b", "x": 2}], '
     '"control": "a", "metrics": ["x"], "tuning_n": NaN}', ["tuning_n"], "above 1"),
    ("/experiments/analyze", '{"rows": [{"variant": "a", "x": 1}, {"variant": "b", "x": 2}], '
     '"control": "a", "metrics": ["x"], "expected_split": {"a": 1, "b": NaN}}',
     ["expected_split"], "'b'"),
    ("/experiments/analyze", '{"rows": [{"variant": "a", "x": 1}, {"variant": "b", "x": 2}], '
     '"control": "a", "metrics": ["x"], "guardrails": {"x": NaN}}', ["guardrails"], "'x'"),
]


@pytest.mark.parametrize(("path", "body", "loc", "fix"), NOT_FINITE)
def test_nan_and_infinity_are_a_400_saying_not_a_finite_number(
        client: TestClient, error_schema: Draft202012Validator, path: str, body: str,
        loc: list[Any], fix: str) -> None:
    """``intensity: NaN`` had answered "less than or equal to 10": a NaN is no number out of
    range. The message names the field and row, says what was wrong and what to send."""
    answer = _error(client.post(path, **_raw(body)), error_schema, 400)
    assert (answer["code"], answer["field"], answer["loc"]) == ("validation_error", loc[0], loc)
    where = loc[0] + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
    assert f"{where}: " in answer["error"]
    assert "is not a finite number" in answer["error"]
    assert fix in answer["error"]
    assert "less than" not in answer["error"]
    assert "greater than" not in answer["error"]
    assert answer["detail"][0]["type"] == "finite_number"


@pytest.mark.parametrize("value", ["Infinity", "-Infinity"])
def test_infinity_in_a_feature_row_is_a_400_naming_the_cell(
        client: TestClient, error_schema: Draft202012Validator, value: str) -> None:
    """A live row's Infinity had been scored as a huge number without a word (NaN is read as
    a missing value, as null is)."""
    from serving.service import _brain

    feats = _brain().snapshot.features.iloc[:2].drop(columns=["cutoff"])
    rows = feats.astype(object).where(feats.notna(), None).to_dict("records")
    col = next(c for c, v in rows[1].items() if isinstance(v, float))
    rows[1][col] = "__V__"
    for r in rows:
        r["user_id"] = str(r.get("user_id", "u"))
    text = json.dumps({"rows": rows}).replace('"__V__"', value)
    answer = _error(client.post("/churn_risk", **_raw(text)), error_schema, 400)
    assert (answer["code"], answer["field"], answer["loc"]) == ("not_a_number", "rows",
                                                                ["rows", 1, col])
    assert f"rows[1] {value}" in answer["error"]
    assert answer["detail"][0]["type"] == "finite_number"
    assert "not a finite number" in answer["detail"][0]["msg"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_or_infinity_in_a_future_row_is_a_400_naming_the_cell(value: float) -> None:
    from serving._answers import BadRequestError
    from serving._forecast_answer import _future_numbers

    rows = [{"series_id": "total", "ds": "2099-01-01", "spend": 10.0},
            {"series_id": "total", "ds": "2099-01-02", "spend": value}]
    with pytest.raises(BadRequestError) as err:
        _future_numbers(rows, ["spend"])
    assert (err.value.field, err.value.loc) == ("future", ["future", 1, "spend"])
    assert "future[1].spend" in str(err.value)
    assert "not a finite number" in str(err.value)
    assert err.value.detail is not None
    assert err.value.detail[0]["type"] == "finite_number"


def test_finite_numbers_still_answer(client: TestClient) -> None:
    ok = client.post("/forecast_traffic", json={"horizon": 5, "calendar": [
        _event(intensity=0.3), _event(name="Other", intensity="0.5")]})
    assert ok.status_code == 200, ok.text
    plan = client.post("/experiments/plan", json={"baseline": 0.1, "mde": 0.01})
    assert plan.status_code == 200, plan.text


# ---------------------------------------------------------------- the snapshot's one name
def test_every_answer_names_the_snapshot_date_snapshot_cutoff(client: TestClient) -> None:
    """One concept (the feature snapshot's cutoff), one name: the answers had called it
    features_asof (scores), asof (segments, the page's summary) and snapshot_cutoff
    (customers, channel value, reload). The old names stay beside it, with the same value."""
    cutoff = client.get("/models").json()["snapshot"]["cutoff"]
    page = client.get("/customers", params={"limit": 2}).json()
    assert page["snapshot_cutoff"] == cutoff
    ids = page["user_ids"]
    scored = client.post("/churn_risk", json={"user_ids": ids}).json()
    assert scored["snapshot_cutoff"] == scored["features_asof"] == cutoff
    segs = client.post("/segments", json={"user_ids": ids}).json()
    assert segs["snapshot_cutoff"] == segs["asof"] == cutoff
    summary = client.get("/ui/api/customers_summary", params={"top": 1}).json()
    assert summary["snapshot_cutoff"] == summary["asof"] == cutoff
    value = client.post("/channel_value", json={"start": "2000-01-01", "end": "2099-12-31"})
    assert value.json()["snapshot_cutoff"] == cutoff, value.text


def test_live_rows_have_no_snapshot_cutoff(client: TestClient) -> None:
    from serving.service import _brain

    feats = _brain().snapshot.features.iloc[:1].drop(columns=["cutoff"])
    row = feats.astype(object).where(feats.notna(), None).to_dict("records")[0]
    row["user_id"] = "live"
    out = client.post("/churn_risk", json={"rows": [row]}).json()
    assert out["snapshot_cutoff"] is None
    assert out["features_asof"] is None


def test_docs_describe_snapshot_cutoff_once_and_mark_the_old_names_deprecated(
        client: TestClient) -> None:
    from serving._schemas import SNAPSHOT_CUTOFF

    schemas = client.get("/docs.json").json()["components"]["schemas"]
    having = {name: s["properties"]["snapshot_cutoff"] for name, s in schemas.items()
              if "snapshot_cutoff" in s.get("properties", {})}
    assert {"ScoreAnswer", "SegmentsAnswer", "ChannelValueAnswer", "CustomersAnswer",
            "ReloadAnswer"} <= set(having)
    assert all(p["description"].startswith(SNAPSHOT_CUTOFF) for p in having.values()), having
    for answer, old in (("ScoreAnswer", "features_asof"), ("SegmentsAnswer", "asof")):
        prop = schemas[answer]["properties"][old]
        assert prop.get("deprecated") is True, prop
        assert "'snapshot_cutoff'" in prop["description"]


def test_the_deprecated_names_description_names_the_new_field_every_time() -> None:
    """The deprecated fields' description said "read '{new}'" (a literal placeholder: half of
    it was not an f-string) in /docs.json."""
    from serving._schemas import ScoreAnswer, SegmentsAnswer

    for answer, old in ((ScoreAnswer, "features_asof"), (SegmentsAnswer, "asof")):
        text = answer.model_fields[old].description or ""
        assert "{" not in text, text
        assert text.count("'snapshot_cutoff'") == 2, text
