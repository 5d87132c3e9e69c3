"""A POST endpoint's failure of ours is a logged 500, not the client's 400 (2026-12-07).

``_error_body.exception_answer`` answers a bare ``ValueError``, ``KeyError`` or ``TypeError``
out of a POST endpoint as 400 ``bad_request`` (its engines check the body with them). Where such
an exception comes from our own data or arithmetic rather than the request, the endpoint raises
``InternalError`` from it (a logged 500 ``internal_error``) and refuses the client's faults
explicitly with ``BadRequestError`` (400 with their own codes). Each test patches an internal
function to raise a ``ValueError`` and expects the standard 500; its neighbour checks that the
documented client errors stay 400."""

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


def test_a_scoring_failure_of_live_rows_stays_400_invalid_rows(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import training._customer_mlflow as cm

    monkeypatch.setattr(cm, "score_frame", _raise(ValueError("cannot parse 'last_order'")))
    res = client.post("/churn_risk", json={"rows": [_row()]})
    assert res.status_code == 400, res.text
    body = res.json()
    assert (body["code"], body["field"]) == ("invalid_rows", "rows")
    assert "cannot parse 'last_order'" in body["error"]


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
