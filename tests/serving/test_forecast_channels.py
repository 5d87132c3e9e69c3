"""Calendar events with a channel in POST /forecast_traffic: an unknown channel is a 400 that says
what to fix; an event's peak row and lift are on the series it applies to, and a request for
another series says why the event is not there (levels 1 and 2, the served world's forecaster:
series ``total``, ``channel=email``, ``channel=social``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from starlette.testclient import TestClient

from serving._core import BadRequestError, Brain
from serving._schemas import ForecastRequest
from serving.service import build_brain


@pytest.fixture(scope="module")
def brain(served_env) -> Brain:
    return build_brain()


@pytest.fixture(scope="module")
def client(served_env, service_app):
    with TestClient(service_app) as c:
        yield c


def _first_day(brain: Brain) -> str:
    """The first forecast day of the served model's series."""
    grid = brain._model("traffic_forecaster").model.forecaster.panel_.series["total"].ds
    return str((grid[-1] + pd.Timedelta(days=1)).date())


def _event(day: str, channel: str | None, name: str = "Spring newsletter") -> dict[str, Any]:
    return {"name": name, "start": day, "end": day, "kind": "newsletter", "channel": channel,
            "intensity": 1.0}


def _windows(answer: dict[str, Any]) -> list[str]:
    return [p["window"] for p in answer["peaks"]]


# ---------------------------------------------------------------- unknown channels

def test_a_misspelt_channel_is_a_400_naming_the_event_the_channel_and_the_series(
        brain: Brain) -> None:
    day = _first_day(brain)
    req = ForecastRequest(series_id="total", horizon=14, calendar=[_event(day, "emial")])
    with pytest.raises(BadRequestError) as err:
        brain.forecast(req)
    msg = str(err.value)
    assert msg.startswith("calendar column 'channel': 1 event(s) name a channel no series has: "
                          f"'Spring newsletter' ({day}, channel 'emial').")
    assert "The series' channels are email, social." in msg
    assert "Did you mean 'email' for 'emial'?" in msg
    assert "The series are 'channel=email', 'channel=social', 'total'" in msg


def test_a_series_id_given_as_the_channel_is_answered_with_its_channel(brain: Brain) -> None:
    req = ForecastRequest(series_id="total", horizon=14,
                          calendar=[_event(_first_day(brain), "channel=email")])
    with pytest.raises(BadRequestError, match="Did you mean 'email' for 'channel=email'"):
        brain.forecast(req)


def test_a_channel_without_a_close_match_gets_no_suggestion(brain: Brain) -> None:
    req = ForecastRequest(series_id="total", horizon=14,
                          calendar=[_event(_first_day(brain), "billboards")])
    with pytest.raises(BadRequestError, match="channel 'billboards'") as err:
        brain.forecast(req)
    assert "Did you mean" not in str(err.value)


def test_an_unknown_channel_over_http_is_a_400_with_one_message(client: TestClient) -> None:
    from serving.service import _brain

    day = _first_day(_brain())
    r = client.post("/forecast_traffic", json={
        "series_id": "channel=social", "horizon": 14,
        "calendar": [_event(day, "email", "Known"), _event(day, "emial")]})
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"error", "code", "field", "loc", "detail"}  # one message (ErrorAnswer)
    assert (body["code"], body["field"]) == ("invalid_calendar", "calendar")
    assert "'Spring newsletter' (" in body["error"]
    assert "'Known'" not in body["error"]  # only the events at fault are named
    assert "Did you mean 'email' for 'emial'?" in body["error"]
    assert "'channel=email', 'channel=social', 'total'" in body["error"]


def test_an_unknown_channel_is_located_at_its_event(client: TestClient) -> None:
    """loc and detail name the event at fault, as for a bad date (``["calendar", 1, "end"]``):
    a client acts on it without parsing English, and the page names the row of its events
    table (the answer had located it at ``["calendar"]`` with no detail)."""
    from serving.service import _brain

    day = _first_day(_brain())
    r = client.post("/forecast_traffic", json={
        "series_id": "total", "horizon": 14,
        "calendar": [_event(day, "email", "Known"), _event(day, " emial "),
                     _event(day, None, "All"), _event(day, "billboards", "Posters")]})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["loc"] == ["calendar", 1, "channel"]
    assert [d["loc"] for d in body["detail"]] == [["calendar", 1, "channel"],
                                                   ["calendar", 3, "channel"]]
    assert {d["type"] for d in body["detail"]} == {"invalid_calendar"}
    first, second = (d["msg"] for d in body["detail"])
    assert "'Spring newsletter'" in first
    assert "'emial'" in first
    assert "did you mean 'email'?" in first
    assert "'Posters'" in second
    assert "did you mean" not in second
    assert "email, social" in second  # the channels there are, in each entry
    assert "cannot be forecast yet" in second  # perhaps a store or page not in the data yet


# ---------------------------------------------------------------- which series get the window

@pytest.mark.parametrize("series_id", ["channel=email", "total"])
def test_a_channel_event_has_a_peak_row_on_its_channel_and_on_total(brain: Brain,
                                                                   series_id: str) -> None:
    day = _first_day(brain)
    out = brain.forecast(ForecastRequest(series_id=series_id, horizon=14,
                                         calendar=[_event(day, "email")]))
    assert _windows(out) == ["horizon", "Spring newsletter"]
    row = out["peaks"][1]
    assert (row["start"], row["end"]) == (f"{day}T00:00:00", f"{day}T00:00:00")
    assert out["notes"] == []


def test_a_channel_event_on_another_channels_series_has_no_row_and_a_note(brain: Brain) -> None:
    day = _first_day(brain)
    out = brain.forecast(ForecastRequest(series_id="channel=social", horizon=14,
                                         calendar=[_event(day, "email")]))
    assert _windows(out) == ["horizon"]
    assert out["notes"] == [
        "1 calendar event(s) with a channel do not apply to series 'channel=social', so they "
        "change nothing on it and have no peak row: 'Spring newsletter' (channel 'email'). An "
        "event with a channel applies to that channel's series and to the aggregate series "
        "(total) only; leave channel empty for an event that concerns every series."]
    plain = brain.forecast(ForecastRequest(series_id="channel=social", horizon=14))
    assert out["forecast"] == plain["forecast"]  # the event changes nothing on this series



def test_no_note_when_one_of_the_channel_events_applies(brain: Brain) -> None:
    day = _first_day(brain)
    out = brain.forecast(ForecastRequest(series_id="channel=social", horizon=14,
                                         calendar=[_event(day, "email"), _event(day, "social")]))
    # the e-mail one is taken as meant for the e-mail series: no channel-scope note (the
    # social series never had a newsletter, which its own note says)
    assert not any("do not apply" in n for n in out["notes"]), out["notes"]
    assert any("never had a past event of the kind" in n for n in out["notes"])


def test_a_shared_calendar_s_other_channel_events_are_not_noted(brain: Brain) -> None:
    """Independent check: a shared calendar (a holiday for every series, an e-mail newsletter)
    sent for one series at a time got 'does not apply to series ...' on every other series'
    answer; another channel's event is expected in a shared calendar."""
    day = _first_day(brain)
    shared = [_event(day, "email"), _event(day, None, name="Spring holiday")]
    for sid in ("channel=social", "channel=email", "total"):
        out = brain.forecast(ForecastRequest(series_id=sid, horizon=14, calendar=shared))
        assert not any("do not apply" in n for n in out["notes"]), (sid, out["notes"])
    # an event for every series outside the forecast periods still makes the calendar shared
    later = [_event(day, "email"), _event("2031-01-01", None, name="Spring holiday")]
    out = brain.forecast(ForecastRequest(series_id="channel=social", horizon=14,
                                         calendar=later))
    assert not any("do not apply" in n for n in out["notes"]), out["notes"]


@pytest.mark.parametrize("channel", [None, ""])
def test_an_event_without_a_channel_has_a_row_on_every_series(brain: Brain,
                                                               channel: str | None) -> None:
    day = _first_day(brain)
    for sid in ("total", "channel=email", "channel=social"):
        out = brain.forecast(ForecastRequest(series_id=sid, horizon=14,
                                             calendar=[_event(day, channel)]))
        assert _windows(out) == ["horizon", "Spring newsletter"], sid
        # the demo's newsletters went out on the e-mail channel: the social series never had
        # one, and its lift is borrowed (said once); the others had theirs
        want = ["never had a past event of the kind"] if sid == "channel=social" else []
        assert [w for w in want for n in out["notes"] if w in n] == want, out["notes"]
        assert len(out["notes"]) == len(want), out["notes"]


def test_an_event_outside_the_forecast_periods_is_not_noted_twice(brain: Brain) -> None:
    out = brain.forecast(ForecastRequest(series_id="channel=social", horizon=14,
                                         calendar=[_event("2031-01-01", "email")]))
    assert len(out["notes"]) == 1
    assert "fall outside the forecast periods" in out["notes"][0]


def test_the_note_reaches_the_client_over_http(client: TestClient) -> None:
    from serving.service import _brain

    r = client.post("/forecast_traffic", json={
        "series_id": "channel=social", "horizon": 14,
        "calendar": [_event(_first_day(_brain()), "email")]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["window"] for p in body["peaks"]] == ["horizon"]
    assert "do not apply to series 'channel=social'" in body["notes"][0]


def test_the_answer_says_which_clock_its_times_are_on(brain: Brain) -> None:
    """An independent check's hourly Berlin model answered naive times and no note: the CLI
    said 'times are local Europe/Berlin time', the API (and so the page) nothing."""
    model = brain._model("traffic_forecaster").model.forecaster
    was = getattr(model, "time_zone_", None)
    try:
        model.time_zone_ = "Europe/Berlin"
        answer = brain.forecast(ForecastRequest(series_id="total", horizon=7, calendar=[]))
        assert any(n.startswith("times are local Europe/Berlin time") for n in answer["notes"])
        model.time_zone_ = "UTC"
        brain._forecasts.clear()  # the same request to the same version is answered as kept
        answer = brain.forecast(ForecastRequest(series_id="total", horizon=7, calendar=[]))
        assert not any("times are local" in n for n in answer["notes"])
    finally:
        model.time_zone_ = was
