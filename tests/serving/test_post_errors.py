"""A POST endpoint's failure of ours is a logged 500, not the client's 400 (2026-12-07).

``_error_body.exception_answer`` had answered a bare ``ValueError``, ``KeyError`` or
``TypeError`` out of a POST endpoint as 400 ``bad_request`` (the client's fault, with our
internal message). Now only ``BadRequestError`` (and pydantic's ``ValidationError``) is a 400:
every check of the request raises it, or converts an engine's typed input error to it where the
endpoint calls the engine, and every other exception is a logged 500 ``internal_error``. Each
failure test patches an internal function to raise a ``ValueError`` and expects the standard
500; its neighbours check that the client's mistakes stay 400 with the field at fault."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from starlette.testclient import TestClient

from serving._error_body import INTERNAL_MESSAGE

INTERNAL = {"error": INTERNAL_MESSAGE, "code": "internal_error", "field": None, "loc": [],
            "detail": None}


@pytest.fixture(scope="module")
def client(served_env: Any, service_app: Any) -> Iterator[TestClient]:
    with TestClient(service_app) as c:
        yield c


def _brain() -> Any:
    from serving.service import _brain as brain

    return brain()


def _raise(exc: BaseException) -> Any:
    def boom(*_: Any, **__: Any) -> Any:
        raise exc

    return boom


def _assert_logged_500(res: Any, caplog: pytest.LogCaptureFixture, cause: BaseException) -> None:
    assert res.status_code == 500, res.text
    assert res.json() == INTERNAL
    logged = [r for r in caplog.records if r.name == "serving.errors" and r.exc_info]
    assert logged, "the 500 was not logged"
    exc = logged[-1].exc_info[1]
    chain = [exc]
    while exc.__cause__ is not None:
        exc = exc.__cause__
        chain.append(exc)
    assert cause in chain  # the trace names what failed


def _row() -> dict[str, Any]:
    feats = _brain().snapshot.features
    return json.loads(feats.iloc[:1].drop(columns=["cutoff"]).to_json(orient="records"))[0]


# ---------------------------------------------------------------- scoring (item: user_ids)
def test_a_scoring_failure_by_user_ids_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The frame of a request by user_ids is the snapshot's: a failure scoring it had been a
    400 invalid_rows at 'rows', a field the request did not send. top_reasons above the cache's
    3 scores live."""
    import training._customer_mlflow as cm

    uid = str(_brain().snapshot.features.index[0])
    boom = ValueError("Length of values (3) does not match length of index (4)")
    monkeypatch.setattr(cm, "score_frame", _raise(boom))
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post("/churn_risk", json={"user_ids": [uid], "top_reasons": 5})
    _assert_logged_500(res, caplog, boom)


def test_a_scoring_failure_of_live_rows_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The rows are checked before they are scored: a failure scoring them is ours. It had
    been answered 400 invalid_rows 'rows could not be scored: <our message>'."""
    import training._customer_mlflow as cm

    boom = ValueError("Length of values (3) does not match length of index (4)")
    monkeypatch.setattr(cm, "score_frame", _raise(boom))
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post("/churn_risk", json={"rows": [_row()]})
    _assert_logged_500(res, caplog, boom)


@pytest.mark.parametrize("value", [["a", "b"], [], {"name": "email"}])
def test_a_list_or_object_in_a_category_of_live_rows_is_a_400_naming_the_cell(
        client: TestClient, value: Any) -> None:
    """It had failed in the unseen-category check with numpy's 'The truth value of an array
    ... is ambiguous', answered 400 bad_request without a field."""
    row = _row()
    res = client.post("/churn_risk", json={"rows": [row, {**row, "acquisition_channel": value}]})
    assert res.status_code == 400, res.text
    body = res.json()
    assert (body["code"], body["field"], body["loc"]) == (
        "invalid_rows", "rows", ["rows", 1, "acquisition_channel"])
    assert "rows[1].acquisition_channel is a" in body["error"]
    assert "ambiguous" not in body["error"]


def test_score_jobs_of_two_models_is_an_internal_error_not_a_400() -> None:
    """The micro-batcher's invariant had been a ValueError, which a POST answers 400."""
    from serving._answers import InternalError, ScoreJob, score_jobs
    from serving._error_body import exception_answer

    brain = _brain()
    a, b = brain.champions.get("churn"), brain.champions.get("purchase_propensity")
    assert a is not None
    assert b is not None
    jobs = [ScoreJob(a, _empty(), 3, []), ScoreJob(b, _empty(), 3, [])]
    with pytest.raises(InternalError) as err:
        score_jobs(jobs)
    assert exception_answer(err.value, "churn_risk") == (500, INTERNAL)


def _empty() -> Any:
    return pd.DataFrame()


# ---------------------------------------------------------------- POST /segments
def test_segments_of_a_snapshot_without_a_column_is_a_503_naming_it(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """An older snapshot's segments lack 'scene': pandas' KeyError "['scene'] not in index" had
    been answered 400 bad_request, as if the request were at fault."""
    import dataclasses

    brain = _brain()
    snap = brain.snapshot
    old = dataclasses.replace(snap, segments=snap.segments.drop(columns=["scene", "rfm"]))
    monkeypatch.setattr(brain, "snapshot", old)
    uid = str(snap.segments.index[0])
    res = client.post("/segments", json={"user_ids": [uid]})
    assert res.status_code == 503, res.text
    body = res.json()
    assert body["code"] == "snapshot_not_available"
    assert "['rfm', 'scene']" in body["error"]
    assert "brain snapshot" in body["error"]
    assert "not in index" not in body["error"]


def test_segments_of_a_full_snapshot_answer_every_column(client: TestClient) -> None:
    uid = str(_brain().snapshot.segments.index[0])
    res = client.post("/segments", json={"user_ids": [uid, "no-such-user"]})
    assert res.status_code == 200, res.text
    body = res.json()
    assert set(body["results"][0]) == {"user_id", "r_score", "f_score", "m_score", "rfm",
                                       "segment", "scene"}
    assert body["errors"] == [{"user_id": "no-such-user", "error": "unknown user id"}]


# ---------------------------------------------------------------- POST /experiments/*
def _ab_rows(**extra: Any) -> list[dict[str, Any]]:
    return [{"variant": v, "converted": c, "spend": s, **{k: f(i) for k, f in extra.items()}}
            for i, (v, c, s) in enumerate([("control", 0, 1.0), ("control", 1, 3.0),
                                           ("control", 0, 2.0), ("treatment", 1, 2.5),
                                           ("treatment", 1, 2.0), ("treatment", 0, 1.5)] * 20)]


@pytest.mark.parametrize(("path", "engine", "body"), [
    ("/experiments/analyze", "analyze",
     {"rows": _ab_rows(), "control": "control", "metrics": ["converted"]}),
    ("/experiments/plan", "sample_size", {"baseline": 0.1, "mde": 0.05}),
    ("/experiments/plan", "minimum_detectable_effect", {"baseline": 0.1, "n_control": 1000}),
])
def test_an_experiment_engine_value_error_that_is_not_an_input_error_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        path: str, engine: str, body: dict[str, Any]) -> None:
    """Had been 400 invalid_experiment_input with the engine's internal message."""
    import experiments

    boom = ValueError("operands could not be broadcast together with shapes (2,) (3,)")
    monkeypatch.setattr(experiments, engine, _raise(boom))
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post(path, json=body)
    _assert_logged_500(res, caplog, boom)


def test_an_experiment_input_error_stays_400_invalid_experiment_input(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import experiments
    from experiments import ExperimentInputError, Param

    monkeypatch.setattr(experiments, "analyze", _raise(ExperimentInputError(
        "the ", Param("control"), " arm is empty. Fix: pass another.")))
    res = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["converted"]})
    assert res.status_code == 400, res.text
    assert (res.json()["code"], res.json()["field"]) == ("invalid_experiment_input", "control")


@pytest.mark.parametrize(("extra", "field"), [
    ({"segment_col": "seg"}, "segment_col"),
    ({"unit_col": "uid"}, "unit_col"),
])
def test_list_labels_in_rows_are_a_400_naming_the_field(
        client: TestClient, extra: dict[str, str], field: str) -> None:
    """A JSON row's list in a segment or unit column had reached pandas' groupby ('unhashable
    type: list', a TypeError): an input error now, not one the API must guess at."""
    rows = _ab_rows(seg=lambda i: [i % 2], uid=lambda i: [i])
    res = client.post("/experiments/analyze", json={
        "rows": rows, "control": "control", "metrics": ["converted"], **extra})
    assert res.status_code == 400, res.text
    body = res.json()
    assert (body["code"], body["field"]) == ("invalid_experiment_input", field)
    assert "lists or objects (first rows[0], rows[1], rows[2]; rows[0] holds [0])" in body["error"]


@pytest.mark.parametrize("field", ["segment_col", "unit_col"])
def test_a_segment_or_unit_column_naming_the_variant_column_is_a_400(
        client: TestClient, field: str) -> None:
    """The client named one column for two roles: pandas' ValueError out of the engine had
    become a 500 once only ExperimentInputError was answered 400."""
    res = client.post("/experiments/analyze", json={
        "rows": _ab_rows(), "control": "control", "metrics": ["converted"], field: "variant"})
    assert res.status_code == 400, res.text
    assert (res.json()["code"], res.json()["field"]) == ("invalid_experiment_input", field)


def test_a_plan_whose_size_the_search_cannot_bracket_is_a_400(client: TestClient) -> None:
    """brentq's ValueError had become a 500 once only ExperimentInputError was a 400."""
    res = client.post("/experiments/plan", json={"baseline": 0.0001, "mde": 0.01,
                                                  "relative": False, "ratio": 0.001})
    assert res.status_code == 400, res.text
    assert (res.json()["code"], res.json()["field"]) == ("invalid_experiment_input", "mde")


# ---------------------------------------------------------------- POST /forecast_traffic
def test_a_forecast_failure_that_is_not_an_input_problem_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A ValueError out of the forecaster's predict or the answer's assembly (after the
    request's checks) had been answered 400 bad_request with the internal message."""
    import training

    boom = ValueError("cannot reshape array of size 7 into shape (6,3)")
    monkeypatch.setattr(training, "forecast_with_peaks", _raise(boom))
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post("/forecast_traffic", json={"horizon": 6})
    _assert_logged_500(res, caplog, boom)


def test_a_forecast_input_error_found_late_by_predict_stays_400(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """predict's own input rules raise ForecastInputError: still the request's fault."""
    import training
    from training._forecast_input import ForecastInputError

    monkeypatch.setattr(training, "forecast_with_peaks", _raise(ForecastInputError(
        "calendar: event 'sale' names channel 'emial' no series has", input="calendar")))
    res = client.post("/forecast_traffic", json={"horizon": 7})
    assert res.status_code == 400, res.text
    body = res.json()
    assert (body["code"], body["field"]) == ("invalid_calendar", "calendar")
    assert "'emial'" in body["error"]


@pytest.mark.parametrize(("module", "name", "calendar"), [
    ("training._forecast_peak_notes", "calendar_novelty_notes", False),
    ("training._forecast_peak_notes", "time_zone_note", False),
    ("training._forecast_starts", "start_notes", False),
    ("training._forecast_ids", "check_calendar_channels", True),
])
def test_a_failure_building_the_forecast_s_notes_or_checks_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        module: str, name: str, calendar: bool) -> None:
    """The notes built between the calendar check and the plan (and a bug in the calendar's
    channel check, which answers ForecastInputError for the client's channels) had answered a
    ValueError 400 (bad_request, or invalid_calendar) with the internal message."""
    import importlib

    boom = ValueError("cannot convert float NaN to integer")
    monkeypatch.setattr(importlib.import_module(module), name, _raise(boom))
    body: dict[str, Any] = {"horizon": 6}
    if calendar:
        day = str((_brain().snapshot.cutoff + pd.Timedelta(days=2)).date())
        body["calendar"] = [{"name": "Sale", "start": day, "end": day}]
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post("/forecast_traffic", json=body)
    _assert_logged_500(res, caplog, boom)


def test_a_calendar_event_of_centuries_is_a_400_not_a_500(client: TestClient) -> None:
    """An event from 1700 to 2200 had overflowed the event-day arithmetic (a 500)."""
    res = client.post("/forecast_traffic", json={"horizon": 5, "calendar": [
        {"name": "Era", "start": "1700-01-01", "end": "2200-01-01"}]})
    assert res.status_code == 400, res.text
    body = res.json()
    assert (body["code"], body["loc"]) == ("invalid_calendar", ["calendar", 0, "end"])
    assert "an event lasts at most 3,653 days" in body["error"]


def test_the_forecast_s_documented_client_errors_stay_400(client: TestClient) -> None:
    for body, code, field in [
        ({"horizon": 5, "series_id": "mars"}, "unknown_series_id", "series_id"),
        ({"horizon": 5, "calendar": [{"name": "x", "start": "soon", "end": "2025-01-01"}]},
         "invalid_calendar", "calendar"),
    ]:
        res = client.post("/forecast_traffic", json=body)
        assert res.status_code == 400, (body, res.text)
        assert (res.json()["code"], res.json()["field"]) == (code, field), res.json()


def test_predict_s_input_rules_raise_forecast_input_error() -> None:
    """The forecaster's own input rules are told apart from its failures (still ValueErrors,
    so callers catching ValueError see no change)."""
    from training._forecast_input import ForecastInputError

    fc_model = _brain().champions.get("traffic_forecaster").model.forecaster
    with pytest.raises(ForecastInputError) as err:
        fc_model.predict(0)
    assert err.value.input == "horizon"
    with pytest.raises(ForecastInputError) as err:
        fc_model.predict(3, series=["no-such-series"])
    assert err.value.input == "series"
    assert isinstance(err.value, ValueError)


# ---------------------------------------------------------------- POST /channel_value
def _window() -> dict[str, str]:
    cutoff = _brain().snapshot.cutoff
    return {"start": str((cutoff - pd.Timedelta(days=365)).date()),
            "end": str((cutoff - pd.Timedelta(days=1)).date())}


def test_a_channel_value_failure_after_the_date_checks_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The spend checks' arithmetic (rank_correlation_interval's length invariant) and pandas'
    grouping had been answered 400 bad_request with the internal message."""
    import dataclasses

    from serving import _channel_spend

    brain = _brain()
    fresh = dataclasses.replace(brain.snapshot)  # its spend checks not read yet
    monkeypatch.setattr(brain, "snapshot", fresh)
    boom = ValueError("rank_correlation_interval: x and y need the same length, got 12 and 11")
    monkeypatch.setattr(_channel_spend, "acquisitions_vs_spend", _raise(boom))
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post("/channel_value", json=_window())
    _assert_logged_500(res, caplog, boom)


def test_channel_value_of_a_snapshot_without_acquisition_channel_is_a_503(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    brain = _brain()
    old = dataclasses.replace(brain.snapshot, features=brain.snapshot.features.drop(
        columns=["acquisition_channel"]))
    monkeypatch.setattr(brain, "snapshot", old)
    res = client.post("/channel_value", json=_window())
    assert res.status_code == 503, res.text
    assert res.json()["code"] == "snapshot_not_available"
    assert "['acquisition_channel']" in res.json()["error"]
    assert "brain snapshot" in res.json()["error"]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"start": "02/01/2025", "end": "2025-03-01"}, "invalid_date", "start"),
    ({"start": "2025-03-01", "end": "2025-02-01"}, "end_before_start", "end"),
    ({"start": "2025-03-01T10:00", "end": "2025-04-01"}, "invalid_date", "start"),
])
def test_channel_value_s_date_errors_stay_400(client: TestClient, body: dict[str, str],
                                               code: str, field: str) -> None:
    res = client.post("/channel_value", json=body)
    assert res.status_code == 400, res.text
    assert (res.json()["code"], res.json()["field"]) == (code, field)


@pytest.mark.parametrize("path", ["/churn_risk", "/segments", "/channel_value",
                                  "/forecast_traffic", "/experiments/analyze",
                                  "/experiments/plan"])
def test_docs_json_lists_the_500_and_the_older_snapshot_s_503(client: TestClient,
                                                               path: str) -> None:
    answers = client.get("/docs.json").json()["paths"][path]["post"]["responses"]
    assert answers["500"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorAnswer")
    assert "never the request's" in answers["500"]["description"]
    assert "lacks a column the endpoint reads" in answers["503"]["description"]


# ---------------------------------------------------------------- every POST endpoint
def _ab_body() -> dict[str, Any]:
    return {"rows": _ab_rows(), "control": "control", "metrics": ["converted"]}


ENDPOINTS = [("/churn_risk", "prepare_score", lambda: {"user_ids": ["u1"]}),
             ("/purchase_propensity", "prepare_score", lambda: {"rows": [_row()]}),
             ("/customer_value", "prepare_score", lambda: {"user_ids": ["u1"]}),
             ("/segments", "segments", lambda: {"user_ids": ["u1"]}),
             ("/channel_value", "channel_value", _window),
             ("/forecast_traffic", "forecast", lambda: {"horizon": 3}),
             ("/experiments/analyze", "analyze", _ab_body),
             ("/experiments/plan", "plan", lambda: {"baseline": 0.1, "mde": 0.05})]


@pytest.mark.parametrize(("path", "method", "body"), ENDPOINTS)
@pytest.mark.parametrize("kind", [ValueError, KeyError, TypeError])
def test_a_bare_value_key_or_type_error_of_any_post_endpoint_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        path: str, method: str, body: Any, kind: type[Exception]) -> None:
    """The mechanism: exception_answer no longer answers them 400 bad_request for a request
    with a body."""
    boom = kind("'recency_days'")
    monkeypatch.setattr(_brain(), method, _raise(boom))
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post(path, json=body())
    _assert_logged_500(res, caplog, boom)


def _event(**kw: Any) -> dict[str, Any]:
    return {"name": "Sale", "start": "2099-01-01", "end": "2099-01-02", **kw}


@pytest.mark.parametrize(("path", "body", "code", "loc"), [
    ("/churn_risk", lambda: {"rows": [{**_row(), "top_channel": ["email"]}]},
     "invalid_rows", ["rows", 0, "top_channel"]),
    ("/purchase_propensity", lambda: {"rows": [{"user_id": "u1"}]},
     "missing_columns", None),
    ("/customer_value", lambda: {"user_ids": ["u1"], "top_reasons": 11},
     "validation_error", ["top_reasons"]),
    ("/segments", lambda: {"user_ids": []}, "validation_error", ["user_ids"]),
    ("/channel_value", lambda: {"start": "2025-13-45", "end": "2025-12-31"},
     "invalid_date", ["start"]),
    ("/forecast_traffic", lambda: {"horizon": 5, "calendar": [_event(end="soon")]},
     "invalid_calendar", None),
    ("/experiments/analyze", lambda: {**_ab_body(), "control": "ctrl"},
     "invalid_experiment_input", ["control"]),
    ("/experiments/plan", lambda: {"baseline": 0.1}, "missing_field", ["mde"]),
])
def test_a_client_mistake_on_each_post_endpoint_is_a_400_naming_the_field(
        client: TestClient, path: str, body: Any, code: str, loc: list[Any] | None) -> None:
    res = client.post(path, json=body())
    assert res.status_code == 400, res.text
    answer = res.json()
    assert answer["code"] == code, answer
    assert answer["field"], answer
    if loc is not None:
        assert answer["loc"] == loc, answer
        assert answer["field"] == loc[0], answer
    assert INTERNAL_MESSAGE not in answer["error"]


# ---------------------------------------------------------------- a customer table's dates
@pytest.fixture(scope="module")
def dated_table_model() -> Any:
    """A churn model trained on a customer table whose dates it reads as days since its
    'asof' (``CustomerModel.date_days_``)."""
    import numpy as np

    from training._customer_models import CustomerModel

    rng = np.random.default_rng(0)
    n, asof = 600, pd.Timestamp("2026-06-30")
    recency = rng.exponential(60, n).round()
    frame = pd.DataFrame({
        "last_purchase_date": asof - pd.to_timedelta(recency, unit="D"),
        "plan": rng.choice(["basic", "gold"], n), "asof": asof,
        "churned": (rng.random(n) < 1 / (1 + np.exp(2.0 - 0.03 * recency))).astype(int)})
    model = CustomerModel("churn", label_col="churned", n_estimators=20).fit(frame)
    assert model.date_days_ == ("last_purchase_date",)
    model.id_col_ = "customer"
    return model


@pytest.mark.parametrize(("change", "code", "loc", "says"), [
    ({"asof": None}, "missing_columns", ["rows", "asof"], "give each row that date as 'asof'"),
    ({"asof": "soon"}, "invalid_rows", ["rows", 1, "asof"], "rows[1].asof 'soon' is not a date"),
    ({"last_purchase_date": "someday"}, "invalid_rows", ["rows", 1, "last_purchase_date"],
     "'last_purchase_date' has values that are not dates"),
    ({"last_purchase_date": "0001-01-01"}, "invalid_rows", ["rows", 1, "last_purchase_date"],
     "outside the years"),
    ({"plan": ["gold"]}, "invalid_rows", ["rows", 1, "plan"], "rows[1].plan is a list"),
])
def test_a_customer_table_s_dates_are_checked_before_scoring(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, dated_table_model: Any,
        change: dict[str, Any], code: str, loc: list[Any], says: str) -> None:
    """The model's own errors about its date columns had answered them from inside the
    scoring (400 invalid_rows at 'rows', 'rows could not be scored: ...'), where a failure of
    ours looked the same; they are checked first, each at its row and column."""
    from dataclasses import replace
    from types import SimpleNamespace

    brain = _brain()
    real_get = brain.champions.get
    table = replace(real_get("churn"), version="97",
                    model=SimpleNamespace(model=dated_table_model))
    monkeypatch.setattr(brain.champions, "get",
                        lambda name: table if name == "churn" else real_get(name))
    rows = [{"customer": f"C{i}", "last_purchase_date": "2026-05-01", "plan": "gold",
             "asof": "2026-06-30"} for i in range(3)]
    ok = client.post("/churn_risk", json={"rows": rows})
    assert ok.status_code == 200, ok.text
    if change.get("asof", "") is None:
        rows = [{k: v for k, v in r.items() if k != "asof"} for r in rows]
    else:
        rows[1] = {**rows[1], **change}
    res = client.post("/churn_risk", json={"rows": rows})
    assert res.status_code == 400, res.text
    body = res.json()
    assert (body["code"], body["field"], body["loc"]) == (code, "rows", loc), body
    assert says in body["error"]
    assert "could not be scored" not in body["error"]
