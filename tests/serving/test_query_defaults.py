"""An empty query parameter is the parameter left out, on every GET endpoint (2026-12-07):
``/ui/api/history?series_id=`` had answered a 400 ``unknown_series_id`` for the series ''
where ``?periods=`` (and ``GET /customers?limit=``) read the default."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from starlette.requests import Request

from serving import _page


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/ui/api/history",
                    "query_string": query.encode(), "headers": []})


@pytest.fixture
def one_series(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = pd.date_range("2025-01-01", periods=5, freq="D")
    panel = SimpleNamespace(series={"total": SimpleNamespace(ds=ds, y=np.arange(5.0))})
    monkeypatch.setattr(_page, "_live_brain", lambda: None)
    monkeypatch.setattr(_page, "_forecaster", lambda brain: SimpleNamespace(panel_=panel))


@pytest.mark.parametrize("query", ["", "series_id=", "series_id=%20&periods=", "periods=2"])
def test_an_empty_series_id_is_the_default_series(one_series: None, query: str) -> None:
    import json

    res = _page.history(_request(query))
    assert res.status_code == 200, res.body
    body = json.loads(bytes(res.body))
    assert body["series_id"] == "total"
    assert len(body["history"]) == (2 if query == "periods=2" else 5)
