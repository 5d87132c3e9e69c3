"""Events -> traffic series: counts per channel, orders, revenue, partial last period."""

from __future__ import annotations

import pandas as pd

from features._traffic import traffic_series


def _events() -> pd.DataFrame:
    ts = pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:00", "2024-01-01 11:00",
                         "2024-01-02 09:30", "2024-01-03 12:00", "2024-01-03 12:05",
                         "2024-01-03 23:59"])
    return pd.DataFrame({
        "user_id": ["a", "b", "a", "c", "a", "a", "b"], "ts": ts,
        "event_type": ["visit", "visit", "purchase", "visit", "visit", "purchase", "visit"],
        "channel": ["email", "social", "email", "email", "social", "social", "email"],
        "revenue": [0, 0, 30.0, 0, 0, 20.0, 0],
        "order_id": [None, None, "o1", None, None, "o2", None]})


def test_daily_visits_per_channel_and_total() -> None:
    s = traffic_series(_events(), "D").set_index(["series_id", "ds"])["y"]
    assert s[("total", pd.Timestamp("2024-01-01"))] == 2
    assert s[("channel=email", pd.Timestamp("2024-01-02"))] == 1
    assert s[("channel=social", pd.Timestamp("2024-01-02"))] == 0  # gap filled, not dropped
    assert s[("orders:total", pd.Timestamp("2024-01-03"))] == 1
    assert s[("revenue:total", pd.Timestamp("2024-01-01"))] == 30.0
    assert s[("revenue:channel=social", pd.Timestamp("2024-01-03"))] == 20.0


def test_partial_last_period_is_left_out_and_noted() -> None:
    ev = pd.concat([_events(), pd.DataFrame({
        "user_id": ["z"], "ts": [pd.Timestamp("2024-01-04 00:03")], "event_type": ["purchase"],
        "channel": ["email"], "revenue": [5.0], "order_id": ["o3"]})], ignore_index=True)
    s = traffic_series(ev, "D")
    assert s["ds"].max() == pd.Timestamp("2024-01-03")
    assert any("partial" in n for n in s.attrs["load_notes"])


def test_hourly_series() -> None:
    s = traffic_series(_events(), "h", metrics=("visits",), by_channel=False)
    assert set(s["series_id"]) == {"total"}
    assert s["y"].sum() == 5


def test_trailing_refunds_do_not_add_zero_days_at_the_end() -> None:
    """An order export's refunds dated after its last visit had become days of 0 visits,
    0 orders and 0 revenue at the end of every series (read as a collapse by the forecaster)."""
    ev = pd.concat([_events(), pd.DataFrame({
        "user_id": ["a", "b"], "ts": pd.to_datetime(["2024-01-05 10:00", "2024-01-06 18:00"]),
        "event_type": ["refund", "email_open"], "channel": ["social", "email"],
        "revenue": [-20.0, 0.0], "order_id": ["o2", None]})], ignore_index=True)
    s = traffic_series(ev, "D")
    assert s["ds"].max() == pd.Timestamp("2024-01-03")
    assert s.set_index(["series_id", "ds"])["y"][("total", pd.Timestamp("2024-01-03"))] == 2
    note = next(n for n in s.attrs["load_notes"] if "outside the periods" in n)
    assert "refund (1)" in note
    assert "email_open (1)" in note
    assert "2024-01-01 .. 2024-01-03" in note
    assert not any("partial" in n for n in s.attrs["load_notes"])


def test_leading_rows_that_no_series_counts_are_left_out() -> None:
    ev = pd.concat([pd.DataFrame({
        "user_id": ["a"], "ts": [pd.Timestamp("2023-12-20 10:00")], "event_type": ["email_open"],
        "channel": ["email"], "revenue": [0.0], "order_id": [None]}), _events()],
        ignore_index=True)
    s = traffic_series(ev, "D")
    assert s["ds"].min() == pd.Timestamp("2024-01-01")
    assert any("outside the periods" in n for n in s.attrs["load_notes"])


def test_an_index_of_repeated_labels_changes_nothing() -> None:
    # the counted rows are found by position: with labels repeated (frames concatenated
    # without ignore_index), a visit's label had marked the refund sharing it as counted
    ev = pd.concat([_events(), pd.DataFrame({
        "user_id": ["a"], "ts": pd.to_datetime(["2024-01-05 23:00"]), "event_type": ["refund"],
        "channel": ["social"], "revenue": [-20.0], "order_id": ["o2"]})], ignore_index=True)
    same = ev.set_axis([0] * len(ev))
    pd.testing.assert_frame_equal(traffic_series(same, "D"), traffic_series(ev, "D"))
    assert traffic_series(same, "D")["ds"].max() == pd.Timestamp("2024-01-03")
