"""Independent check 2026-12-07: a grocery chain's store-by-family export with a holidays
file of its own shape, a grocery transaction log of four months, and an hourly power-demand
file in naive local times (the autumn hour twice, the spring hour absent)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import features as ft


def _hourly_local(zone: str = "America/New_York") -> pd.DataFrame:
    """Two years of hourly values written as naive local times, as a utility's export: the
    hour repeated in autumn appears twice, the hour skipped in spring is absent."""
    idx = pd.date_range("2016-01-01", "2017-12-31 23:00", freq="h", tz=zone)
    local = idx.tz_localize(None)
    y = 30000 + 5000 * np.sin(local.hour.to_numpy() / 24 * 2 * np.pi)
    return pd.DataFrame({"Datetime": local.strftime("%Y-%m-%d %H:%M:%S"), "PJME_MW": y})


def test_the_repeated_autumn_hour_of_one_series_is_not_read_as_several_series() -> None:
    """A one-series hourly file in naive local time repeats the autumn hour: the error had
    said the file holds several series and to add a series_id joining 'store' and 'family';
    it names the value column to rename to y and the clock change with the zones it fits."""
    raw = _hourly_local()
    with pytest.raises(ft.DataContractError) as err:
        ft.validate_series(raw, "PJME_hourly.csv")
    text = str(err.value)
    assert "several series" not in text
    assert "'family'" not in text
    assert "rename column 'PJME_MW' to 'y'" in text
    renamed = raw.rename(columns={"Datetime": "ds", "PJME_MW": "y"})
    with pytest.raises(ft.DataContractError) as err:
        ft.validate_series(renamed, "PJME_hourly.csv")
    text = str(err.value)
    assert "hour repeated when clocks go back" in text
    assert "America/New_York" in text
    assert "Europe/" not in text
    got = ft.validate_series(renamed, "PJME_hourly.csv", tz="America/New_York")
    assert got["ds"].is_unique


def test_a_file_whose_dates_repeat_in_every_row_still_asks_for_a_series_id() -> None:
    two = pd.DataFrame({"ds": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"],
                        "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ft.DataContractError) as err:
        ft.validate_series(two, "s.csv")
    assert "several series" in str(err.value)


def _holidays_events() -> pd.DataFrame:
    """A national holidays file in its own shape (Favorita's holidays_events.csv), renamed as
    the calendar's error suggests: 'transferred' True marks a holiday NOT kept on that date
    (its 'Transfer' row is the day off), 'locale_name' a city's own holiday."""
    raw = pd.DataFrame({
        "date": ["2016-05-24", "2016-05-27", "2016-12-06", "2016-11-12"],
        "type": ["Holiday", "Transfer", "Holiday", "Work Day"],
        "locale": ["National", "National", "Local", "National"],
        "locale_name": ["Ecuador", "Ecuador", "Quito", "Ecuador"],
        "description": ["Batalla de Pichincha", "Traslado Batalla de Pichincha",
                        "Fundacion de Quito", "Recupero puente"],
        "transferred": [True, False, False, False]})
    cal = raw.rename(columns={"description": "name", "date": "start", "type": "kind"})
    return cal.assign(end=cal["start"])


def test_calendar_columns_that_are_not_read_are_named_with_what_they_mark() -> None:
    """A calendar's extra columns were dropped in silence: a holiday marked transferred (not
    taken on that date) was an event on that date, and a city's holiday one on every store."""
    cal = ft.validate_calendar(_holidays_events(), "holidays_events.csv")
    notes = " ".join(cal.attrs["load_notes"])
    # since 2026-12-07 a city's holiday is named with how to map it (test_store_locales.py)
    assert "1 row is a holiday of one city or state" in notes
    assert "--stores stores.csv" in notes
    # since 2026-12-07 the transferred holiday is left out (test_store_family_panel.py)
    assert "'transferred' is true on 1 row: it is left out of the events" in notes
    assert "Batalla de Pichincha 2016-05-24" in notes
    assert "channel" in notes
    plain = ft.validate_calendar(_holidays_events()[["name", "start", "end", "kind"]], "c.csv")
    assert not any("not read" in n for n in plain.attrs["load_notes"])


def _four_months() -> pd.DataFrame:
    """A grocery log of four months (Ta-Feng's November to February): purchases only."""
    days = pd.date_range("2000-11-01", "2001-02-28", freq="D")
    rng = np.random.default_rng(3)
    rows = [(u, d) for u in range(60) for d in days if rng.random() < 0.1]
    return pd.DataFrame({"user_id": [r[0] for r in rows], "ts": [r[1] for r in rows],
                         "event_type": "purchase", "channel": "store", "revenue": 10.0})


def test_cutoffs_that_do_not_fit_a_short_log_name_its_span_and_settings_that_fit() -> None:
    """Four months of data and the default 90-day churn window: the error had said only 'use
    fewer cutoffs or a smaller step', and neither fits (two cutoffs still start on the first
    event); it names the span and options that fit with 4 weeks of history."""
    ev = _four_months()
    with pytest.raises(ValueError, match="cover 120 days") as err:
        ft.cutoff_schedule(ev, 90, 4, 30)
    text = str(err.value)
    assert "--horizon 30 --step-days 20" in text
    assert len(ft.cutoff_schedule(ev, 30, 4, 20)) == 4
    with pytest.raises(ValueError, match="--step-days 20") as err:
        ft.cutoff_schedule(ev, 30, 4, 30)  # 30-day propensity: a smaller step fits
    assert "--horizon" not in str(err.value)


def test_a_store_by_family_export_is_told_which_column_splits_a_store_day() -> None:
    """A grocery chain's export has one row per store, day and product family: the error had
    said to sum 'one row per till or department' without naming the column; it names
    'family' and both ways on (sum per store and day, or a series per store and family)."""
    days = pd.date_range("2017-01-01", periods=20, freq="D").strftime("%Y-%m-%d")
    raw = pd.DataFrame([(i, d, s, f, 10.0, 2) for i, (d, s, f) in enumerate(
        (d, s, f) for d in days for s in (1, 2) for f in ("GROCERY I", "BEVERAGES"))],
        columns=["id", "date", "store_nbr", "family", "sales", "onpromotion"])
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(raw, source="train.csv")
    text = str(err.value)
    assert "has duplicate keys" in text
    assert "differ in 'family'" in text
    assert "groupby(['store_nbr', 'date']" in text
    assert "--id-col store_nbr --id-col family" in text


def test_events_outside_the_data_are_named_with_their_day_when_the_name_recurs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A yearly holidays file: the note named 'Dia de Difuntos' as outside the data, though
    two of its three occurrences were inside; an outside row whose name recurs inside now
    carries its day."""
    from serving import _cli_forecast_inputs

    said: list[str] = []
    monkeypatch.setattr(_cli_forecast_inputs, "show_note", said.append)
    cal = pd.DataFrame({"name": ["Dia de Difuntos", "Dia de Difuntos", "Old launch"],
                        "start": pd.to_datetime(["2016-11-02", "2017-11-02", "2010-01-01"]),
                        "end": pd.to_datetime(["2016-11-02", "2017-11-02", "2010-01-01"]),
                        "kind": "holiday"})
    _cli_forecast_inputs.calendar_outside_note(
        cal, pd.Timestamp("2015-01-01"), pd.Timestamp("2017-08-16"), "h.csv", "the data")
    assert len(said) == 1
    assert "(Old launch, Dia de Difuntos 2017-11-02)" in said[0]


def _grocery_lines() -> pd.DataFrame:
    """Ta-Feng's layout: AMOUNT is the number of items, SALES_PRICE the line's total."""
    rng = np.random.default_rng(8)
    n = 400
    unit = rng.choice([19.0, 39.0, 65.0, 129.0], n)
    qty = rng.choice([1, 1, 1, 2, 3], n)
    return pd.DataFrame({"TRANSACTION_DT": "11/21/2000", "CUSTOMER_ID": rng.integers(1, 50, n),
                         "AMOUNT": qty, "SALES_PRICE": unit * qty})


def test_an_item_count_given_as_the_amount_or_a_line_total_as_the_unit_price_is_named() -> None:
    """Ta-Feng's AMOUNT is the item count and SALES_PRICE the line total: given as the amount,
    the revenue was the item count; given as quantity and unit price, twice the revenue. Both
    were imported without a word."""
    raw = _grocery_lines()
    ev = ft.orders_to_events(raw, customer="CUSTOMER_ID", time="TRANSACTION_DT",
                             amount="AMOUNT", source="t.csv")
    notes = " ".join(ev.attrs["load_notes"])
    assert "column 'AMOUNT' holds whole numbers with a median of 1" in notes
    assert "--quantity-col" in notes
    ev = ft.orders_to_events(raw, customer="CUSTOMER_ID", time="TRANSACTION_DT",
                             quantity="AMOUNT", price="SALES_PRICE", source="t.csv")
    notes = " ".join(ev.attrs["load_notes"])
    assert "'SALES_PRICE' reads as the line's total" in notes
    assert "--amount-col SALES_PRICE" in notes
    ev = ft.orders_to_events(raw, customer="CUSTOMER_ID", time="TRANSACTION_DT",
                             amount="SALES_PRICE", source="t.csv")
    assert not any("line's total" in n or "whole numbers with a median" in n
                   for n in ev.attrs["load_notes"])


def test_a_new_holiday_name_whose_kind_holds_closures_is_noted() -> None:
    """Stores closed on New Year's Day and open on the other holidays: kind 'holiday' learned
    -93%, and a holiday name seen for the first time was forecast at -82.6% with no word on
    why (the peak table showed the lift)."""
    from types import SimpleNamespace

    from training._forecast_peak_notes import closed_kind_note

    ds = pd.date_range("2015-01-01", "2017-07-31", freq="D")
    y = np.where((ds.month == 1) & (ds.day == 1), 0.0, 100.0)
    series = {f"store_{i}": SimpleNamespace(ds=ds, y=y) for i in range(3)}
    past = pd.DataFrame({"name": ["Primer dia del ano 2016", "Primer dia del ano 2017",
                                  "Dia del Trabajo 2016"],
                         "start": pd.to_datetime(["2016-01-01", "2017-01-01", "2016-05-01"]),
                         "kind": "holiday"})
    past["end"] = past["start"]
    model = SimpleNamespace(calendar_=past, panel_=SimpleNamespace(series=series))
    plan = pd.DataFrame({"name": ["Primer Grito de Independencia", "Dia del Trabajo 2018"],
                         "start": pd.to_datetime(["2017-08-10", "2018-05-01"]),
                         "kind": "holiday"})
    plan["end"] = plan["start"]
    note = closed_kind_note(model, plan, pd.Timestamp("2017-08-01"))
    assert note is not None
    assert "'Primer Grito de Independencia' (kind 'holiday', 2017-08-10)" in note
    assert "'Primer dia del ano'" in note
    assert "Dia del Trabajo" not in note  # a name seen before keeps its own lift
    assert "'closed'" in note
    open_days = {k: SimpleNamespace(ds=ds, y=np.full(len(ds), 100.0)) for k in series}
    model.panel_ = SimpleNamespace(series=open_days)
    assert closed_kind_note(model, plan, pd.Timestamp("2017-08-01")) is None
