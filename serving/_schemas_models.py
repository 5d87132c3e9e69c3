"""Answer models of ``GET /models`` (the loaded champions, the snapshot, the micro-batcher)
and ``POST /reload``; the conventions are ``serving._schemas``'s."""

from __future__ import annotations

from pydantic import Field

from ._schemas import SNAPSHOT_CUTOFF, Answer

__all__ = ["BatchingInfo", "ColumnResponseInfo", "ModelInfo", "ModelsAnswer", "ReloadAnswer",
           "SnapshotInfo", "StoreInfo", "StoresInfo", "TotalAnswerInfo"]


class ReloadAnswer(Answer):
    """Answer of POST /reload."""

    changes: dict[str, str] = Field(description="Model name -> 'v1 -> v2' for moved champions.")
    loaded: dict[str, str] = Field(description="Model name -> loaded version.")
    errors: dict[str, str] = Field(description="Model name -> why it is not loaded.")
    cannot_score_snapshot: dict[str, str] = Field(
        default_factory=dict,
        description="Customer champion -> why it cannot score the loaded feature snapshot and "
                    "what to do: a version trained on a customer table (brain train --table, "
                    "made champion by brain promote) reads the table's columns, which the "
                    "snapshot of event features lacks, so requests by user_ids answer 400 "
                    "missing_columns; score its customers with brain score --table, or send "
                    "the table's rows as rows. Empty when every champion can.")
    registry_error: str | None = Field(
        None, description="Why the MLflow registry could not be read (its server did not "
                          "answer): the models loaded before are kept. Null when it was read.")
    snapshot_cutoff: str | None = Field(
        description=SNAPSHOT_CUTOFF + " The snapshot now served; null without one.",
        examples=["2025-12-31"])


class ColumnResponseInfo(Answer):
    """Which series of a forecaster respond to one known-in-advance column, and how much."""

    series: list[str] | None = Field(
        description="Series with a fitted response to the column: a plan of it moves their "
                    "forecast. Null when the model keeps no per-series response (Prophet, the "
                    "naive yardsticks).", examples=[["total", "channel=paid_search"]])
    no_response: list[str] | None = Field(
        description="Series that read the column without a response to it (it never moved in "
                    "their history, e.g. organic visits at spend 0): a plan of it does not move "
                    "them. Null as for series.", examples=[["channel=organic"]])
    elasticity: dict[str, float] | None = Field(
        description="Per responding series, the fitted elasticity: percent change of the "
                    "series per percent change of the column (the slope of log(1 + y) on "
                    "log(column + a floor of 1% of its median); 0.75 means +20% spend gives "
                    "1.2^0.75 = +14.7%). Only series and columns on a log scale (a column with "
                    "negative values, or a series with negative values, has a slope per unit "
                    "instead and is not listed). Null as for series.",
        examples=[{"channel=paid_search": 0.768, "total": 0.41}])
    built_from: dict[str, list[str]] | None = Field(
        description="For a column joined from a spend file (brain forecast train --spend), "
                    "per series the channels whose spend its column holds: a total the sum "
                    "over every channel of the file, a channel's series that channel; series "
                    "whose column is 0 are left out. A spend plan must give every channel "
                    "listed here (brain forecast predict --spend-plan refuses one that leaves "
                    "one out). Null when not recorded: a column of a --series file, or a model "
                    "trained before 2026-12-06.",
        examples=[{"total": ["paid_search", "social"], "channel=paid_search": ["paid_search"]}])
    channels: list[str] | None = Field(
        description="The channels of the spend file the column was joined from (null as for "
                    "built_from).", examples=[["paid_search", "social"]])
    totals: dict[str, TotalAnswerInfo] | None = Field(
        None, description="Per total series whose column summed channels (total, "
                          "orders:total, revenue:total): how its response to a plan is "
                          "answered. Null as for built_from.")


class TotalAnswerInfo(Answer):
    """How a total's response to a plan of the channels' spend is answered."""

    coherent_with_channels: bool = Field(
        description="True: its change under a plan is the sum of its channels' series' "
                    "changes (each from its reference, the mean spend of its last 28 days), "
                    "and POST /forecast_traffic reads the channels' future rows (the total's "
                    "own rows, if sent, must be their sum). False: its own response to the "
                    "summed spend (one elasticity: it cannot rank channels), and its own rows "
                    "are read; reason says why.")
    channels: dict[str, str | None] = Field(
        description="The channels its column summed, with the series of each in the model "
                    "(null: none).", examples=[{"paid_search": "channel=paid_search"}])
    reason: str | None = Field(
        description="Why it is not answered by its channels (a channel without a series of "
                    "its own, e.g. train --only total); null when it is.")


class StoreInfo(Answer):
    """One store of a forecaster's series, as its stores file placed it."""

    city: str | None = Field(description="The store's city (null when the file has none).")
    state: str | None = Field(description="The store's state (null when the file has none).")
    series: int = Field(description="The model's series of the store.")


class StoresInfo(Answer):
    """The stores file a forecaster was trained with (brain forecast train --stores)."""

    source: str = Field(description="The file's name.", examples=["stores.csv"])
    stores: int = Field(description="Stores of the model's series in it.")
    series: int = Field(description="The model's series those stores hold.")
    by_store: dict[str, StoreInfo] = Field(
        description="Each store as the series ids write it (e.g. 'store_nbr_01'): its city, "
                    "state and series count.")


class ModelInfo(Answer):
    """One loaded champion."""

    name: str = Field(description="Registered model name.", examples=["churn"])
    version: str = Field(description="Registry version that is loaded.", examples=["3"])
    aliases: list[str] = Field(description="Registry aliases served: ['champion'], or [] "
                                           "when the alias was removed from the registry "
                                           "after this version was loaded (it is served "
                                           "until a version gets the alias).")
    metrics: dict[str, float | None] = Field(
        description="Evaluation metrics of the version (its eval.* tags; null if not a "
                    "number).")
    evaluation: str | None = Field(description="Evaluation key: candidates are compared with "
                                               "the champion on the same evaluation.")
    data_cutoff: str | None = Field(
        description="Last day of data the model learned from: a forecaster's last observed "
                    "period, a customer model's last label day (its latest cutoff + label "
                    "window - 1); null when unknown (an uplift model or a customer table "
                    "without cutoffs, or a customer model registered before 2026-12-05).",
        examples=["2025-12-30"])
    data_start: str | None = Field(
        None, description="First day of the data the model learned from (with data_cutoff, "
                          "its training window): a forecaster's first period, a customer "
                          "model's first event; null when unknown (a customer table).",
        examples=["2024-01-01"])
    n_series: int | None = Field(
        None, description="Forecasters only: the number of series it was fitted on.")
    n_customers: int | None = Field(
        None, description="Customer and uplift models: customers (uplift: experiment units) "
                          "in the training data, every split; null when not recorded (a "
                          "version registered before 2026-12-05).")
    run_id: str | None = Field(description="MLflow run that produced the version.")
    label: str | None = Field(
        None, description="Customer models only: what the label means, e.g. 'churn = no "
                          "order and no visit in the 90-day window after the cutoff' (versions "
                          "registered before 2026-12-05: read from the evaluation key, and "
                          "said); null for forecasters.",
        examples=["churn = no order in the 90-day window after the cutoff"])
    kept_columns: list[str] | None = Field(
        None, description="Customer table models only, and only when some were kept: the "
                          "table columns brain train --keep-column kept as features although "
                          "the identifier rules would have left them out (absent otherwise).",
        examples=[["CustomerNo"]])
    promotion: str | None = Field(
        None, description="Why this version is the champion: the comparison it won, or "
                          "'promoted by hand: <reason>' (brain models NAME lists every move).")
    loaded_at: float = Field(description="When the server loaded it (unix time, seconds).")
    known_in_advance: list[str] | None = Field(
        None, description="Forecasters only: columns POST /forecast_traffic needs under "
                          "'future' (empty when the model uses none).")
    series: list[str] | None = Field(
        None, description="Forecasters only: the series_id values it forecasts.")
    freq: str | None = Field(None, description="Forecasters only: 'D' (daily) or 'h' (hourly).")
    max_horizon: int | None = Field(
        None, description="Forecasters only: the longest horizon POST /forecast_traffic "
                          "answers with this model (periods): the longest it was trained for "
                          "(LightGBM: 90 days unless train --horizon asked for more), which "
                          "may exceed evaluated_horizon.")
    evaluated_horizon: int | None = Field(
        None, description="Forecasters only: the horizon its backtest measured (brain forecast "
                          "train --horizon; the metrics are over these periods); forecasts "
                          "further out, up to max_horizon, are not measured. Null for a model "
                          "registered without it.")
    responds_to: dict[str, ColumnResponseInfo] | None = Field(
        None, description="Forecasters only: per known-in-advance column, which series respond "
                          "to it and how much (which plans move what); empty when the model "
                          "uses none.")
    stores: StoresInfo | None = Field(
        None, description="Forecasters only: the stores file it was trained with (brain "
                          "forecast train --stores): POST /forecast_traffic gives a calendar "
                          "event of locale Local/Regional to the series of the stores in that "
                          "city or state. Null for a model trained without one (or before "
                          "2026-12-07).")


class SnapshotInfo(Answer):
    """The feature snapshot requests by user id are answered from."""

    cutoff: str = Field(description="The snapshot's cutoff: what the other answers call "
                                    "snapshot_cutoff (features use events before it).")
    users: int = Field(description="Users in the snapshot.")
    path: str = Field(description="Snapshot file on the server.")
    scored_by: list[str] = Field(
        description="Models whose scores of the whole snapshot are cached (requests by id "
                    "for them are lookups).")


class BatchingInfo(Answer):
    """Micro-batching counters of live scoring since start-up."""

    requests: int = Field(description="Live scoring requests.")
    model_calls: int = Field(description="Model calls they were scored in.")
    mean_requests_per_call: float = Field(description="requests / model_calls.")
    largest_call: int = Field(description="Most requests scored in one call.")
    retried_alone: int = Field(description="Requests retried alone after a combined call "
                                           "failed.")


class ModelsAnswer(Answer):
    """The answer of ``GET /models``."""

    models: list[ModelInfo] = Field(description="Loaded champions.")
    missing: dict[str, str] = Field(description="Model name -> why it is not loaded.")
    snapshot: SnapshotInfo | None = Field(description="null until a snapshot is written.")
    batching: BatchingInfo | None = Field(description="null when the service runs without "
                                                      "its micro-batcher.")
