"""Answer models of ``POST /forecast_traffic`` (periods, peak rows, the spend plan's
responses); the conventions are ``serving._schemas``'s, which imports them back."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._schemas import Answer

__all__ = ["ChannelPlanResponse", "ChannelRow", "ChannelSpendCheck", "ForecastAnswer",
           "ForecastPoint", "PeakRow", "PlanResponse"]


class ForecastPoint(Answer):
    """One forecast period."""

    ds: str = Field(description="Period start (ISO 8601).", examples=["2026-01-01T00:00:00"])
    p10: float | None = Field(
        description="10th percentile of the period's value (visits, orders or revenue, as the "
                    "series): 10% of outcomes are expected below it; null where the model "
                    "gives no number.")
    p50: float | None = Field(
        description="Median: the forecast of the period, in the series' units (sum periods "
                    "for a window's total).")
    p90: float | None = Field(
        description="90th percentile: 10% of outcomes are expected above it (P10-P90 is the "
                    "80% interval).")


class PeakRow(Answer):
    """One row of a forecast's peak summary (``training._forecast_peaks.PEAK_COLUMNS``)."""

    window: str = Field(description="'horizon' (the whole forecast) or the name of an event "
                                    "that applies to the series.", examples=["Winter sale"])
    start: str = Field(description="First period of the span searched (ISO 8601).")
    end: str = Field(description="Last period of the span searched (ISO 8601).")
    peak_ds: str = Field(description="Period of the largest P50 in the span (ISO 8601).")
    peak_p10: float | None = Field(description="P10 at the peak period.")
    peak_p50: float | None = Field(description="P50 (the forecast) at the peak period.")
    peak_p90: float | None = Field(description="P90 at the peak period.")
    baseline_p50: float | None = Field(
        description="The same forecast without the row's event at the peak (daily: that "
                    "period; hourly: the day's peak), the other events kept: without any "
                    "event for the horizon row and for an event no other event reaches.")
    lift_pct: float | None = Field(
        description="Percent: 100 * (peak_p50 / baseline_p50 - 1), e.g. 131.2 for +131.2%; "
                    "null where the baseline is almost nothing (a note says so).",
        examples=[131.2])
    window_p10: float | None = Field(
        description="10th percentile of the window's total (the 80% interval's lower end), "
                    "calibrated on the model's backtest of window totals (not the periods' "
                    "P10s summed, which assumes every period misses the same way at once); "
                    "null for windows over 28 days or longer than the backtest's folds (train's "
                    "horizon), for models whose backtest had too few (fold, series) pairs, and "
                    "for models trained before 2026-12-07 (a note says so).")
    window_p50: float | None = Field(
        description="P50 summed over the row's periods (start .. end): the window's total "
                    "(the horizon's for the horizon row).")
    window_p90: float | None = Field(
        description="90th percentile of the window's total (the 80% interval's upper end; "
                    "window_p10 <= window_p50 <= window_p90); null as window_p10.")
    window_baseline_p50: float | None = Field(
        description="The same periods summed in the forecast without the row's event (the "
                    "forecast baseline_p50 is read from), the other events kept.")
    window_lift_pct: float | None = Field(
        description="Percent: 100 * (window_p50 / window_baseline_p50 - 1), what the event "
                    "does to its window's total (lift_pct is one period's, at the peak), "
                    "e.g. -10.2 for a school holiday that takes 10.2% off its six weeks; null "
                    "where the baseline is almost nothing.",
        examples=[-10.2])


class ChannelSpendCheck(Answer):
    """Whether a channel's acquisitions moved with its spend over the snapshot's history
    (``serving._channel_spend``): value_to_cost says what more spend would buy only if they
    did."""

    follows_spend: bool | None = Field(
        description="false: the customers first seen per week did not rank with the spend "
                    "of the week and the two before (the 90% interval of "
                    "weekly_rank_correlation lies under 0.4), so value_to_cost does not say "
                    "what more spend would buy; true: they did (the interval lies at or above "
                    "0.4); null: not enough weeks to tell (the interval holds 0.4), or too few "
                    "customers (under 1 a week on average) or weeks (under 26).")
    weekly_rank_correlation: float | None = Field(
        description="Spearman's rank correlation of the customers first seen through the "
                    "channel per week with its spend over that week and the two before (a "
                    "customer is first seen days or weeks after signing up), over start .. "
                    "end; null when either never changed. Until 2026-12-06 with the week's "
                    "spend alone.", examples=[0.66])
    rank_correlation_low: float | None = Field(
        None, description="Lower end of weekly_rank_correlation's 90% interval (Fisher's z "
                          "over effective_weeks); null with it.", examples=[0.45])
    rank_correlation_high: float | None = Field(
        None, description="Upper end of the interval; null with it.", examples=[0.79])
    effective_weeks: float | None = Field(
        None, description="The weeks' effective number the interval is computed on: fewer "
                          "than weeks when both weekly series move slowly (lag-1 "
                          "autocorrelations), as many otherwise; null with the correlation.",
        examples=[49.3])
    weeks: int = Field(description="Whole weeks compared, ending on the snapshot's last day, "
                                   "or on the spend table's last day when it ends earlier.")
    customers: int = Field(description="Customers of the channel first seen in them.")
    start: str = Field(description="First day compared (YYYY-MM-DD): 90 days after the first "
                                   "event (customers there before the records begin are "
                                   "first seen in those days), or two weeks after the spend "
                                   "table's first day when that is later (the first week "
                                   "compared reads the spend of the two before it).")
    end: str = Field(description="Last day compared (YYYY-MM-DD).")
    days_without_spend: int = Field(description="Days of start .. end with no spend on the "
                                                "channel (paused spells).")
    acquired_per_day_without_spend: float | None = Field(
        description="Customers first seen per day on those days (null without such days).")
    acquired_per_day_with_spend: float | None = Field(
        description="Customers first seen per day on the days with spend.")


class ChannelRow(Answer):
    """One acquisition channel of POST /channel_value."""

    channel: str = Field(description="Acquisition channel.", examples=["email"])
    customers: int = Field(description="Snapshot customers whose first event is in the window.")
    mean_predicted_value: float | None = Field(
        description="Mean predicted revenue per customer over the value model's horizon after "
                    "the snapshot (value_model.horizon_days), not revenue so far.")
    total_predicted_value: float | None = Field(description="The same summed over customers.")
    mean_predicted_churn: float | None = Field(description="Mean churn probability (0-1).")
    spend: float | None = Field(description="Spend on the channel in the window (null "
                                            "without a spend table in the snapshot).")
    acquisition_cost: float | None = Field(description="spend / customers; null without spend.")
    value_to_cost: float | None = Field(description="mean_predicted_value / acquisition_cost; "
                                                    "null without spend.")
    acquisitions_vs_spend: ChannelSpendCheck | None = Field(
        None, description="Whether the channel's acquisitions followed its spend over the "
                          "snapshot's history; null for a channel without spend (or a "
                          "snapshot without a spend table).")
    note: str = Field(description="Why a figure is missing (e.g. no spend recorded), or that "
                                  "the acquisitions did not follow the spend, else empty.")


class ChannelPlanResponse(Answer):
    """A coherent total's response at the plan to one channel's spend (its channel series')."""

    series: str = Field(description="The channel's series whose response the total's sums.",
                        examples=["channel=paid_search"])
    elasticity: float | None = Field(
        description="The channel series' fitted elasticity (percent change per percent change "
                    "of its spend); null where series or column is not on a log scale.",
        examples=[0.75])
    planned_sum: float | None = Field(
        description="The channel's planned spend summed over the forecast periods.")
    d_p50_sum_per_unit: float | None = Field(
        description="Extra P50 of the total, summed over the forecast, per extra unit of this "
                    "channel's spend over the forecast (spread over the days as planned): the "
                    "channel series' own, times the total's calendar lift where it differs. "
                    "Null when the channel's plan is 0 throughout.", examples=[0.8])


class PlanResponse(Answer):
    """The series' response at the plan to one known-in-advance column (the marginal return)."""

    answered: Literal["own_response", "sum_of_channels"] = Field(
        description="'own_response': the series' own fitted response to the column; "
                    "'sum_of_channels': a total answered as the sum of its channels' series' "
                    "responses (GET /models responds_to.totals), given per channel in "
                    "'channels'.")
    elasticity: float | None = Field(
        description="The series' fitted elasticity (percent change per percent change of the "
                    "column, both on a log scale); null for a total answered by its channels "
                    "(see channels) or a column not on a log scale.", examples=[0.75])
    planned_sum: float | None = Field(
        description="The plan's column summed over the forecast periods (a total's: its "
                    "channels' summed).")
    d_p50_sum_per_unit: float | None = Field(
        description="Marginal return at the plan: extra P50 summed over the forecast per "
                    "extra unit of the column summed over it, spread over the periods as "
                    "planned (a column that can be negative: evenly), from the fitted response "
                    "at the plan: sum_t w_t (1 + P50_t) beta / (x_t + floor) with w_t = x_t / "
                    "sum x on a series modelled as log(1 + y) (without the 1 + P50_t factor "
                    "on one modelled as is). With a constant plan it is the extra P50 sum per "
                    "extra unit a day divided by the days. The trees' stepwise reading of the "
                    "column is not in it. A total answered by its channels: per unit of their "
                    "summed spend spread as planned. Null when the plan is 0 throughout (a "
                    "paused channel's first unit is a jump: ask at two plans).",
        examples=[0.8])
    channels: dict[str, ChannelPlanResponse] | None = Field(
        description="A total answered by its channels: the response per channel (the "
                    "total's change is the sum of the channels'); null otherwise.")


class ForecastAnswer(Answer):
    """Answer of POST /forecast_traffic."""

    model: str = Field(description="Registered model that answered.",
                       examples=["traffic_forecaster"])
    version: str = Field(description="Its registry version (a reload may move it between two "
                                     "requests).", examples=["3"])
    series_id: str = Field(description="The series forecast (the request's, 'total' when it "
                                       "gave none).", examples=["total"])
    horizon: int = Field(description="Periods forecast (the request's, 60 when it gave none).",
                         examples=[60])
    forecast: list[ForecastPoint] = Field(description="P10/P50/P90 per period.")
    peaks: list[PeakRow] = Field(
        description="Peak summary: a row for the horizon and one per applicable event window "
                    "(window, peak date, magnitude with interval, lift).")
    notes: list[str] = Field(description="Calendar events outside the periods, channel scope, "
                                         "novelty of the events, withheld lifts.")
    response_at_plan: dict[str, PlanResponse] | None = Field(
        None, description="Per known-in-advance column the series responds to, its response at "
                          "the request's plan: elasticity and marginal P50 per unit "
                          "(d_p50_sum_per_unit), per channel for a total answered by its "
                          "channels; empty when it responds to none (organic visits), null for "
                          "a model without known-in-advance columns.")
