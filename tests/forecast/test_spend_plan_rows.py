"""POST /forecast_traffic's ``future`` rows of a spend plan (level 1: ``forecast_answer`` with a
small LightGBM fitted on a paid channel whose visits follow its spend): rows the model would
read otherwise than meant are a 400 that says what to send, not a forecast of another plan."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from features._calendar import normalize_calendar
from serving._answers import BadRequestError
from serving._forecast_answer import forecast_answer
from serving._registry import LoadedModel
from serving._schemas import ForecastRequest
from training._forecast_gbm import LightGBMForecaster

_FAST = {"n_estimators": 60, "max_rows": 4000, "horizons_per_origin": 8,
         "max_horizon_days": 14}
_PAID = "channel=paid_search"


@pytest.fixture(scope="module")
def served() -> LoadedModel:
    """Paid visits = 6 x spend^0.75 (monthly budgets, a paused week); organic without spend."""
    rng = np.random.default_rng(5)
    ds = pd.date_range("2024-01-01", "2025-03-31", freq="D")
    month = ds.to_period("M")
    budget = pd.Series(rng.uniform(100, 300, len(month.unique())), index=month.unique())
    spend = budget.reindex(month).to_numpy() * rng.uniform(0.85, 1.15, len(ds))
    spend[(ds >= "2024-06-10") & (ds <= "2024-06-16")] = 0.0
    paid = rng.poisson(6 * spend**0.75).astype(float)
    organic = rng.poisson(400, len(ds)).astype(float)
    series = pd.concat([pd.DataFrame({"series_id": _PAID, "ds": ds, "y": paid, "spend": spend}),
                        pd.DataFrame({"series_id": "channel=organic", "ds": ds, "y": organic,
                                      "spend": 0.0})], ignore_index=True)
    model = LightGBMForecaster(**_FAST).fit(series, normalize_calendar(None))
    assert model.response_[_PAID]["spend"].log
    return LoadedModel("traffic_forecaster", "1", SimpleNamespace(forecaster=model), {}, {},
                       None)


def _rows(sid: str = _PAID, spend: float = 200.0, ds: str = "%Y-%m-%d") -> list[dict]:
    days = pd.date_range("2025-04-01", periods=14, freq="D")
    return [{"series_id": sid, "ds": d.strftime(ds), "spend": spend} for d in days]


def _ask(served: LoadedModel, rows: list[dict]) -> dict:
    return forecast_answer(served, ForecastRequest(series_id=_PAID, horizon=14, future=rows))


def test_a_negative_planned_spend_is_refused_not_read_as_a_paused_channel(served) -> None:
    """A spend of -50 a day had been answered as a paused channel (P50 near 0) without a
    word; brain forecast predict --spend-plan refuses a negative spend."""
    with pytest.raises(BadRequestError, match=r"future\[0\]\.spend is -50.*send 0 or more") as e:
        _ask(served, _rows(spend=-50.0))
    assert e.value.loc == ["future", 0, "spend"]
    assert e.value.code == "invalid_future"
    paused = sum(p["p50"] for p in _ask(served, _rows(spend=0.0))["forecast"])
    planned = sum(p["p50"] for p in _ask(served, _rows())["forecast"])
    assert paused < 0.2 * planned


def test_plan_days_with_a_utc_offset_are_the_model_s_days(served) -> None:
    """'2025-04-01T00:00:00Z' is that day for a model in UTC: it had matched no forecast day,
    and the answer said all 14 days lacked a spend."""
    plain = _ask(served, _rows())
    zoned = _ask(served, _rows(ds="%Y-%m-%dT00:00:00Z"))
    assert zoned["forecast"] == plain["forecast"]
    with pytest.raises(BadRequestError, match=r"future\[0\]\.ds .*not the start of a day") as e:
        _ask(served, _rows(ds="%Y-%m-%dT10:00:00+00:00"))
    assert e.value.loc == ["future", 0, "ds"]


def test_plan_rows_of_a_series_the_model_lacks_are_named_with_the_likely_one(served) -> None:
    """Rows under the spend file's channel name ('paid_search') had been ignored, and the 400
    said only that every day lacked a value."""
    with pytest.raises(BadRequestError, match=r"lack a value.*'paid_search' \(did you mean "
                                              r"'channel=paid_search'\?\)"):
        _ask(served, _rows(sid="paid_search"))
