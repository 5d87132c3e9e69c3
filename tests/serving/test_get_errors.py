"""A GET endpoint's ValueError is a failure of ours, not the client's (2026-12-07).

A GET's only input is its query, which ``serving._query`` reads and refuses with
``BadRequestError`` (400 ``validation_error``); an unknown series is a ``BadRequestError`` too
(400 ``unknown_series_id``) and a model not loaded a ``NotReadyError`` (503). Any other
``ValueError``, ``KeyError`` or ``TypeError`` coming out of ``GET /models``, ``GET /customers``
or the page's helpers had answered 400 ``bad_request`` with the internal message, as if the
client had sent something wrong; it is a logged 500 ``internal_error`` now, as on the POST
endpoints (``test_post_errors.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from serving._answers import BadRequestError, NotReadyError
from serving._error_body import INTERNAL_MESSAGE, exception_answer

ERROR_KEYS = {"error", "code", "field", "loc", "detail"}
INTERNAL = {"error": INTERNAL_MESSAGE, "code": "internal_error", "field": None, "loc": [],
            "detail": None}


@pytest.fixture(scope="module")
def client(served_env: Any, service_app: Any) -> Iterator[TestClient]:
    with TestClient(service_app) as c:
        yield c


def _raise(exc: BaseException) -> Any:
    def boom(*_: Any, **__: Any) -> Any:
        raise exc

    return boom


def _brain() -> Any:
    from serving.service import _brain as brain

    return brain()


# (path, where the route's work is patched, what it raises): one per GET route, each with the
# function that route itself calls
ROUTES: list[tuple[str, str, BaseException]] = [
    ("/models", "brain.models", ValueError("cannot convert float NaN to integer")),
    ("/customers", "brain.customers", KeyError("user_id")),
    ("/ui/api/forecast_options", "_page._live_brain", TypeError("'NoneType' is not iterable")),
    ("/ui/api/history", "_page._forecaster", KeyError("total")),
    ("/ui/api/customers_summary", "_page.customers_summary", ValueError("bins must be > 0")),
    ("/ui/api/customers.csv", "_page._scores", ValueError("Length of values does not match")),
]


def _patch(monkeypatch: pytest.MonkeyPatch, target: str, exc: BaseException) -> None:
    from serving import _page

    owner, name = target.split(".")
    monkeypatch.setattr(_brain() if owner == "brain" else _page, name, _raise(exc))


@pytest.mark.parametrize(("path", "target", "exc"), ROUTES, ids=[r[0] for r in ROUTES])
def test_an_internal_value_error_on_a_get_route_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        path: str, target: str, exc: BaseException) -> None:
    """Each had answered 400 bad_request with the internal message ('user_id', 'bins must be
    > 0'), as if the client had sent something wrong."""
    _patch(monkeypatch, target, exc)
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.get(path)
    assert res.status_code == 500, (path, res.text)
    assert res.headers["content-type"].startswith("application/json")
    assert res.json() == INTERNAL
    logged = [r for r in caplog.records if r.name == "serving.errors"]
    assert logged, path
    assert logged[-1].exc_info is not None
    assert logged[-1].exc_info[1] is exc
    assert logged[-1].levelno == logging.ERROR


@pytest.mark.parametrize(("path", "target", "exc"), ROUTES, ids=[r[0] for r in ROUTES])
def test_a_get_route_still_answers_503_when_a_model_is_missing(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str, target: str,
        exc: BaseException) -> None:
    _patch(monkeypatch, target, NotReadyError("model 'churn' is not available: ...",
                                              code="model_not_available"))
    res = client.get(path)
    assert res.status_code == 503, (path, res.text)
    assert res.json()["code"] == "model_not_available"


@pytest.mark.parametrize(("path", "params", "status", "code", "field"), [
    ("/ui/api/history", {"series_id": "mars"}, 400, "unknown_series_id", "series_id"),
    ("/ui/api/history", {"periods": "0"}, 400, "validation_error", "periods"),
    ("/customers", {"limit": "x"}, 400, "validation_error", "limit"),
    # beyond 64 bits: echoed in the answer, which orjson could not write (a 500, found by
    # schemathesis on 2026-12-07)
    ("/customers", {"offset": str(2**63)}, 400, "validation_error", "offset"),
    ("/ui/api/customers_summary", {"sort": "age"}, 400, "validation_error", "sort"),
    ("/models", {"page": "2"}, 400, "validation_error", "page"),
    ("/ui/api/forecast_options", {"x": "1"}, 400, "validation_error", "x"),
    ("/ui/api/customers.csv", {"x": "1"}, 400, "validation_error", "x"),
    ("/ui/api/no_such_helper", {}, 404, "not_found", None),
])
def test_the_documented_client_errors_of_get_routes_stay_400_and_404(
        client: TestClient, path: str, params: dict[str, str], status: int, code: str,
        field: str | None) -> None:
    res = client.get(path, params=params)
    assert res.status_code == status, (path, res.text)
    body = res.json()
    assert set(body) == ERROR_KEYS
    assert (body["code"], body["field"]) == (code, field)


def test_exception_answer_is_the_same_with_a_body_or_without() -> None:
    """A bare ValueError, KeyError or TypeError is ours: a 500 for every endpoint (until
    2026-12-07 a POST endpoint's was a 400 bad_request, a GET endpoint's a 500)."""
    bad = BadRequestError("b", code="unknown_series_id", field="series_id")
    for exc in (ValueError("v"), KeyError("k"), TypeError("t")):
        assert exception_answer(exc, "churn_risk") == (500, INTERNAL), exc
    assert exception_answer(bad)[0] == 400
    assert exception_answer(NotReadyError("n"))[0] == 503


def test_a_value_error_out_of_post_reload_is_a_logged_500(
        client: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """POST /reload takes no body: a snapshot whose meta.json cannot be read (a
    JSONDecodeError, a ValueError) had answered 400 bad_request 'Expecting value: ...'."""
    import json

    try:
        json.loads("")
    except ValueError as exc:
        broken = exc
    monkeypatch.setattr(_brain(), "reload", _raise(broken))
    with caplog.at_level(logging.ERROR, logger="serving.errors"):
        res = client.post("/reload")
    assert res.status_code == 500, res.text
    assert res.json() == INTERNAL
    assert any(r.exc_info is not None and r.exc_info[1] is broken for r in caplog.records)


@pytest.mark.parametrize("path", ["/models", "/customers"])
def test_the_get_endpoints_document_their_500(client: TestClient, path: str) -> None:
    """/docs.json listed 400 and 503 for them; a failure of ours answers 500 there too."""
    answer = client.get("/docs.json").json()["paths"][path]["get"]["responses"]["500"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorAnswer")
