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


def test_a_plan_far_beyond_the_history_s_spend_is_named_as_extrapolated(served) -> None:
    """Paid search's spend x50 had been answered without a word: the note on a P50 over 5x
    the history's largest visits reads the forecast, not the plan, and x50 spend at an
    elasticity of 0.75 is x19 visits over the plan's level, under 5x the history's busiest
    day. The note names the series, the days, the planned value and the history's range."""
    hist = served.model.forecaster.panel_.series[_PAID].regressors["spend"]
    at = _ask(served, _rows(spend=200.0))
    assert not any("extrapolated" in n for n in at["notes"]), at["notes"]
    big = float(hist.max()) * 50
    notes = [n for n in _ask(served, _rows(spend=big))["notes"] if "extrapolated" in n]
    assert len(notes) == 1, notes
    assert _PAID in notes[0]
    assert "14 periods (2025-04-01, 2025-04-02" in notes[0]
    assert f"{big:,.6g}" in notes[0]
    assert f"0 .. {float(hist.max()):,.6g}" in notes[0]


def test_a_series_whose_column_never_moved_is_forecast_at_its_history_s_value(served) -> None:
    """Organic (spend 0 all its history, no response) had moved +-2% with a spend sent for it
    through the shared trees; it is forecast at spend 0 whatever the plan says, with a note."""
    def organic(spend: float) -> dict:
        req = ForecastRequest(series_id="channel=organic", horizon=14,
                              future=_rows("channel=organic", spend))
        return forecast_answer(served, req)

    zero, some = organic(0.0), organic(1000.0)
    assert [p["p50"] for p in some["forecast"]] == [p["p50"] for p in zero["forecast"]]
    assert not any("not read" in n for n in zero["notes"]), zero["notes"]
    said = [n for n in some["notes"] if "was not read" in n]
    assert len(said) == 1, some["notes"]
    assert "always 0" in said[0]
    assert "1,000" in said[0]


def test_plan_range_notes_are_what_brain_forecast_predict_shows(served) -> None:
    """The CLI shows the same notes for every series it forecasts."""
    from training._forecast_future import check_future_regressors, plan_range_notes

    panel = served.model.forecaster.panel_
    rows = pd.DataFrame(_rows(spend=1e6) + _rows("channel=organic", 5.0))
    future = check_future_regressors(panel, 14, rows, "plan.csv")
    notes = plan_range_notes(panel, future, 14)
    assert len(notes) == 2, notes
    assert any(_PAID in n and "extrapolated" in n for n in notes), notes
    assert any("'channel=organic'" in n and "not read" in n for n in notes), notes


def test_a_spend_sent_as_text_is_refused_naming_the_row_and_column(served) -> None:
    """'188.28' had been read as the number without a word; feature rows of a model not
    trained on a table refuse text for a number too (not_a_number at the row and column)."""
    rows = _rows()
    rows[3]["spend"] = "188.28"
    with pytest.raises(BadRequestError, match=r"future\[3\]\.spend is '188\.28'") as e:
        _ask(served, rows)
    assert e.value.code == "not_a_number"
    assert e.value.loc == ["future", 3, "spend"]
    rows[3]["spend"] = 188.28
    assert len(_ask(served, rows)["forecast"]) == 14


def test_plan_rows_beyond_the_horizon_are_named_as_not_read(served) -> None:
    more = [{"series_id": _PAID, "ds": d.strftime("%Y-%m-%d"), "spend": 200.0}
            for d in pd.date_range("2025-04-15", periods=5, freq="D")]
    notes = _ask(served, _rows() + more)["notes"]
    said = [n for n in notes if "outside the forecast periods" in n]
    assert len(said) == 1, notes
    assert "5 'future' rows" in said[0]
    assert "2025-04-15, 2025-04-16, 2025-04-17 (+2 more)" in said[0]
    assert not any("outside the forecast" in n for n in _ask(served, _rows())["notes"])


def test_models_gives_the_horizon_the_backtest_measured_beside_the_longest_answered(
        served) -> None:
    """max_horizon was 90 for a model trained with --horizon 28, with nothing saying that
    only 28 days had been measured: it is the longest horizon the model was trained for and
    answers (LightGBM's max_horizon_days), and evaluated_horizon the backtest's."""
    from serving._schemas import ModelInfo

    model = served.model.forecaster
    assert ModelInfo.model_validate(served.describe()).evaluated_horizon is None  # not kept
    model.default_horizon_ = 7
    try:
        info = ModelInfo.model_validate(served.describe())
    finally:
        del model.default_horizon_
    assert info.max_horizon == 14
    assert info.evaluated_horizon == 7


@pytest.mark.parametrize("ds", [20250401, ["2025-04-01"], {"day": "2025-04-01"}])
def test_a_plan_day_that_is_not_text_is_a_400_at_its_row(served, ds) -> None:
    """pandas read a number as nanoseconds since 1970 and failed on a list or an object: its
    TypeError had been answered 400 invalid_future with pandas' message and no row."""
    rows = _rows()
    rows[2] = {**rows[2], "ds": ds}
    with pytest.raises(BadRequestError, match=r"future\[2\]\.ds is .*must be a period as text") \
            as e:
        _ask(served, rows)
    assert (e.value.code, e.value.loc) == ("invalid_future", ["future", 2, "ds"])


def test_a_failure_of_the_plan_check_that_is_not_an_input_error_is_ours(
        served, monkeypatch) -> None:
    """Only the check's ForecastInputError is the plan's fault: a plain ValueError out of it
    had been answered 400 invalid_future (the API now answers it a logged 500)."""
    import training._forecast_future as ff

    def boom(*_a, **_k):
        raise ValueError("cannot reindex on an axis with duplicate labels")

    monkeypatch.setattr(ff, "check_future_regressors", boom)
    with pytest.raises(ValueError, match="duplicate labels") as e:
        _ask(served, _rows())
    assert not isinstance(e.value, BadRequestError)


def test_duplicate_plan_rows_stay_a_400(served) -> None:
    """The plan check's duplicate rule raised a plain ValueError, which only the check's broad
    catch made a 400: it is a ForecastInputError now, the one the endpoint answers 400."""
    with pytest.raises(BadRequestError, match="duplicate \\(series_id, ds\\) rows") as e:
        _ask(served, _rows() + _rows())
    assert (e.value.code, e.value.field) == ("invalid_future", "future")
