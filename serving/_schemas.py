"""Request and response models of the prediction API (pydantic).

Requests reject unknown fields. The answer models (``ModelsAnswer``, ``ErrorAnswer``) document
answers in the OpenAPI document at ``/docs.json``; endpoints do not validate their answers
against them (see ``service.FastJSON``), the tests do. Their JSON schemas (pydantic's, JSON Schema
2020-12: ``type: "null"`` in ``anyOf``, numeric ``exclusiveMinimum``) go into the document
unchanged, which therefore declares OpenAPI 3.1.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictStr

MAX_BATCH = 10_000
MAX_ROWS = 500_000
UserId = str | int


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """Base of the answer models: answers may gain fields, so unknown fields are allowed."""


class UsersRequest(Strict):
    """Score users by id from the latest snapshot, or given feature rows."""

    user_ids: list[UserId] | None = Field(
        None, min_length=1, max_length=MAX_BATCH,
        description="Ids to score from the latest feature snapshot.", examples=[[1, 2, 3]])
    rows: list[dict[str, Any]] | None = Field(
        None, min_length=1, max_length=MAX_BATCH,
        description="Feature rows (one per customer, columns as in the feature catalogue or "
                    "your own table the model was trained on); include 'user_id' to label "
                    "them.")
    top_reasons: int = Field(3, ge=0, le=10, description="Reasons returned per user.")

    def model_post_init(self, _ctx: Any) -> None:
        if (self.user_ids is None) == (self.rows is None):
            raise ValueError("give exactly one of 'user_ids' or 'rows'")



class SegmentsRequest(Strict):
    user_ids: list[UserId] = Field(min_length=1, max_length=MAX_BATCH, examples=[[1, 2]])


class CalendarEvent(Strict):
    name: str = Field(min_length=1, examples=["Double 11"])
    start: str = Field(examples=["2026-11-11"], description="First day, YYYY-MM-DD.")
    end: str = Field(examples=["2026-11-11"], description="Last day (inclusive), YYYY-MM-DD.")
    kind: str = Field("promotion", examples=["sale"])
    channel: str | None = Field(
        None,
        description="Channel the event concerns: empty for every series; else a channel of the "
                    "model's series ('email' for 'channel=email', or a series id such as "
                    "'store_7'): the event then applies, and has peak rows, only on that "
                    "channel's series and the aggregate 'total'. Another channel is a 400 "
                    "(unless every series is an aggregate).")
    intensity: float = Field(1.0, ge=0, le=10)


class ForecastRequest(Strict):
    series_id: str = Field("total", description="Series to forecast, e.g. 'total' or "
                                                "'channel=email'.", examples=["total"])
    horizon: int = Field(60, strict=True, ge=1, le=400,
                         description="Periods ahead (days, or hours for hourly models).")
    calendar: list[CalendarEvent] = Field(default_factory=list, max_length=2_000,
                                          description="Future events known in advance.")
    future: list[dict[str, Any]] = Field(
        default_factory=list, max_length=MAX_ROWS,
        description="Known-in-advance values for models trained with such columns (e.g. a "
                    "promo flag): one row per series and forecast period with series_id, ds "
                    "and every such column (GET /models lists them as known_in_advance).",
        examples=[[]])


class ChannelValueRequest(Strict):
    start: str = Field(description="First day of the acquisition window (YYYY-MM-DD).",
                       examples=["2025-01-01"])
    end: str = Field(description="Last day of the window (inclusive).", examples=["2025-06-30"])


class AnalyzeRequest(Strict):
    rows: list[dict[str, Any]] = Field(min_length=2, max_length=MAX_ROWS,
                                       description="One row per assigned unit.")
    variant_col: str = Field("variant", examples=["variant"])
    control: str = Field(examples=["control"])
    metrics: list[str] = Field(min_length=1, max_length=50, examples=[["converted", "revenue"]])
    segment_col: str | None = None
    guardrails: dict[str, StrictFloat | StrictStr] = Field(
        default_factory=dict,
        description="Guardrail metric -> tolerated deterioration: a number is relative to "
                    "control's mean (0.02 = must not get worse by more than 2%), 'abs:0.5' is "
                    "in metric units (must not get worse by more than 0.5). Metrics not in "
                    "'metrics' are added.",
        examples=[{"visits": 0.02, "revenue": "abs:0.5"}])
    cuped: dict[str, str] = Field(default_factory=dict, description="Metric -> pre-period "
                                                                    "covariate column for CUPED.",
                                  examples=[{"revenue": "pre_revenue"}])
    lower_is_better: list[str] = Field(
        default_factory=list, max_length=50,
        description="Metrics where lower is better (e.g. churn): effects and guardrails read "
                    "the other way.", examples=[[]])
    expected_split: dict[str, float] = Field(
        default_factory=dict, description="Designed traffic share per arm for the sample-ratio "
                                          "check (weights; default equal), e.g. "
                                          "{\"control\": 0.7, \"treatment\": 0.3}.",
        examples=[{}])
    alpha: float = Field(0.05, strict=True, gt=0, lt=0.5)
    test: Literal["welch", "z"] = "welch"
    correction: Literal["holm", "bh", "none"] = "holm"
    sequential: bool = False
    tuning_n: float = Field(5000.0, strict=True, gt=1,
                            description="Total units at which the confidence sequence is "
                                        "tightest (planned size).")
    bayesian: bool = False


class PlanRequest(Strict):
    baseline: float = Field(strict=True, description="Control mean (a rate for proportions).",
                            examples=[0.1])
    kind: Literal["proportion", "mean"] = "proportion"
    sd: float | None = Field(None, strict=True, gt=0,
                             description="Standard deviation (means only).")
    mde: float | None = Field(None, strict=True, gt=0,
                              description="Effect to detect; give it for the sample size.")
    relative: bool = True
    n_control: int | None = Field(None, strict=True, ge=2,
                                  description="Give it (without mde) for the minimum "
                                              "detectable effect.")
    alpha: float = Field(0.05, strict=True, gt=0, lt=0.5)
    power: float = Field(0.8, strict=True, gt=0.5, lt=1)
    variance_reduction: float = Field(0.0, strict=True, ge=0, lt=1,
                                      description="CUPED variance reduction (0-1).")
    variants: int = Field(1, strict=True, ge=1, le=20)


class ErrorAnswer(Answer):
    """Every 4xx/5xx answer of the API."""

    error: str = Field(description="What went wrong and, for a client error, what to fix.")
    detail: list[dict[str, Any]] | None = Field(
        None, description="Request validation only: one entry per failing field (loc, msg).")


class ModelInfo(Answer):
    """One loaded champion."""

    name: str = Field(description="Registered model name.", examples=["churn"])
    version: str = Field(description="Registry version that is loaded.", examples=["3"])
    aliases: list[str] = Field(description="Registry aliases served (always 'champion').")
    metrics: dict[str, float | None] = Field(
        description="Evaluation metrics of the version (its eval.* tags; null if not a "
                    "number).")
    evaluation: str | None = Field(description="Evaluation key: candidates are compared with "
                                               "the champion on the same evaluation.")
    data_cutoff: str | None = Field(description="Last date of the training data.")
    run_id: str | None = Field(description="MLflow run that produced the version.")
    loaded_at: float = Field(description="When the server loaded it (unix time, seconds).")
    known_in_advance: list[str] | None = Field(
        None, description="Forecasters only: columns POST /forecast_traffic needs under "
                          "'future' (empty when the model uses none).")


class SnapshotInfo(Answer):
    """The feature snapshot requests by user id are answered from."""

    cutoff: str = Field(description="Snapshot cutoff (features use events before it).")
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
