"""Request and response models of the prediction API (pydantic).

Requests reject unknown fields. The answer models (``ModelsAnswer``, ``ScoreAnswer``,
``ForecastAnswer``, ``AnalysisAnswer``, ..., ``ErrorAnswer``) document answers in the OpenAPI
document at ``/docs.json``; endpoints do not validate their answers against them (see
``service.FastJSON``), the tests do (``tests/serving/test_api_contract.py`` validates real
answers against the served document). Their JSON schemas (pydantic's, JSON Schema
2020-12: ``type: "null"`` in ``anyOf``, numeric ``exclusiveMinimum``) go into the document
unchanged, which therefore declares OpenAPI 3.1.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)

from ._finite import not_finite

MAX_BATCH = 10_000
MAX_ROWS = 500_000
MAX_HORIZON = 400
"""Longest horizon POST /forecast_traffic answers (and at most the served model's own)."""
INT_ID_MIN, INT_ID_MAX = -(2**63), 2**64 - 1
"""Integer ids are echoed as sent, and JSON integers outside 64 bits cannot be written back."""


def _int_id(value: str | int) -> str | int:
    if isinstance(value, int) and not INT_ID_MIN <= value <= INT_ID_MAX:
        raise ValueError("an integer id must fit in 64 bits; send a longer id as a string")
    return value


def _id_kind(value: Any) -> Any:
    """A clear 400 for a number with a decimal point (or true/false) sent as an id: pydantic's
    own message had read "user_ids[3].str: Input should be a valid string; user_ids[3].int:
    Input should be a valid integer" for `12347.0`, which a file's id column read as floats
    (Online Retail's 'Customer ID') writes and which ``brain`` reads in files as 12347."""
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a customer id; send the id as a JSON "
                         "string or integer")
    if value is None or isinstance(value, list | dict):
        # pydantic's "user_ids[0].str: Input should be a valid string; user_ids[0].int: ..."
        kind = "list" if isinstance(value, list) else "object"
        what = "null" if value is None else f"a JSON {kind}"
        raise ValueError(f"{what} is not a customer id; send the id as a JSON string or "
                         "integer (leave out a customer without one)")
    if isinstance(value, float):
        fix = (f"send {int(value)} (an integer) or \"{int(value)}\"; files read "
               f"'{value!r}' as the id {int(value)}, an id column read as floats writes it so"
               if value.is_integer() and INT_ID_MIN <= int(value) <= INT_ID_MAX else
               f"send the id as a JSON string (\"{int(value)}\"; beyond 64 bits an integer "
               "cannot be echoed, and a number this large read as a float may not be the exact "
               "id: take it from the source)"
               if value.is_integer() else "send the id as a JSON string")
        raise ValueError(f"{value!r} is a number with a decimal point, and a customer id is a "
                         f"JSON string or integer: {fix}")
    return value


UserId = Annotated[StrictStr | StrictInt, AfterValidator(_int_id), BeforeValidator(_id_kind)]
"""A customer id as sent: a JSON string or integer (within 64 bits: one beyond could not be
echoed, and had failed the whole answer with a 500). Strict, so `true` (or `1.0`) is a 400
rather than silently the snapshot's user 1 answered as `1`; the 400 says what to send
(``_id_kind``)."""


SNAPSHOT_CUTOFF = (
    "Cutoff of the feature snapshot the answer is from (YYYY-MM-DD, with a time of day for a "
    "snapshot cut within a day): its features use only events before it, so it says how old "
    "the scores are; 'brain snapshot' sets it (its --asof option, default the day after the "
    "last event). The same value as GET /models' snapshot.cutoff and every other answer's "
    "snapshot_cutoff; a new snapshot (POST /reload) changes it.")
"""What ``snapshot_cutoff`` is, in every answer that has it (one concept, one name)."""


def deprecated_name(new: str, since: str = "2026-12-07") -> str:
    """Description of an answer field kept under its old name beside ``new``."""
    return (f"Deprecated since {since}: the same value as '{new}', under the name it had "
            f"before; read '{new}' (this field will be removed in a later release).")


class Strict(BaseModel):
    """Base of the request models: unknown fields are refused, numbers must be finite."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _finite_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """NaN and Infinity (JSON literals or strings) in a number field are a 400 saying so,
        not a range error (``_finite``)."""
        name = info.field_name
        return value if name is None else not_finite(name, cls.model_fields[name], value)


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
                    "your own table the model was trained on); include 'user_id' (or, for a "
                    "model of a customer table, its own id column, e.g. 'customerID') to "
                    "label them. An optional 'cutoff' is the day the features were computed "
                    "as of (YYYY-MM-DD; a time of day and a UTC offset may follow, read on "
                    "the snapshot's events' clock); the season is given for rows of the "
                    "snapshot's day.")
    top_reasons: int = Field(3, ge=0, le=10, description="Reasons returned per user.")
    allow_empty_columns: bool = Field(
        False, description="With 'rows' of a model trained on a customer table: score 20 rows "
                           "or more even when a number column the model learned from holds no "
                           "number in any row (null, '' or 'n/a' everywhere), as if the value "
                           "were unknown for everyone; without it such rows are a 400 "
                           "'unreadable_columns' (brain score --table --allow-empty-columns).")

    def model_post_init(self, _ctx: Any) -> None:
        if (self.user_ids is None) == (self.rows is None):
            raise ValueError("give exactly one of 'user_ids' or 'rows'")



class SegmentsRequest(Strict):
    user_ids: list[UserId] = Field(min_length=1, max_length=MAX_BATCH, examples=[[1, 2]])


class CalendarEvent(Strict):
    name: str = Field(min_length=1, examples=["Double 11"])
    start: str = Field(examples=["2026-11-11"], description="First day, YYYY-MM-DD.")
    end: str = Field(examples=["2026-11-11"], description="Last day (inclusive), YYYY-MM-DD.")
    kind: str = Field(
        "promotion", examples=["sale"],
        description="The event's kind, as in the calendar the model was trained with (its lift "
                    "is learned per kind, then per name): 'promotion' when left out, the "
                    "planner page's default; the CLI's calendar file requires it.")
    channel: str | None = Field(
        None,
        description="Channel the event concerns: empty for every series; else a channel of the "
                    "model's series ('email' for 'channel=email', or a series id such as "
                    "'store_7'): the event then applies, and has peak rows, only on that "
                    "channel's series and the aggregate 'total'. Another channel is a 400 "
                    "(unless every series is an aggregate).")
    intensity: float | None = Field(
        None, ge=0, le=10, examples=[0.3],
        description="Strength of the event (e.g. discount depth 0.3). Empty: the event "
                    "name's usual intensity in the model's history (its past occurrences, the "
                    "year left out of the name), else the kind's usual one (the median of its "
                    "past events; 1.0 for a kind it never had), named in the answer's notes. "
                    "0 is read as empty "
                    "(the model reads 0 as 'not given'), with a note.")
    locale: str | None = Field(
        None, examples=["Local"],
        description="Where a holiday is kept, as Favorita's holidays file writes it: "
                    "'National' (or empty: every series), 'Regional' (a state's, named in "
                    "locale_name) or 'Local' (a city's). A Regional or Local event without a "
                    "channel applies to the series of the stores in that state or city, by "
                    "the stores file the model was trained with (brain forecast train "
                    "--stores; GET /models lists it as 'stores'); a place no store is in is "
                    "a 400. With a model trained without one, it is a 400 when the model "
                    "learned that holiday on some series only (on every series the others "
                    "would take its lift), else it applies to every series, with a note.")
    locale_name: str | None = Field(
        None, examples=["Quito"],
        description="The city (locale 'Local') or state ('Regional') the holiday is kept in, "
                    "as the stores file writes it (any case).")


class ForecastRequest(Strict):
    series_id: str = Field("total", description="Series to forecast, e.g. 'total' or "
                                                "'channel=email'.", examples=["total"])
    horizon: int = Field(60, strict=True, ge=1, le=MAX_HORIZON,
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


class ErrorDetail(Answer):
    """One bad input of a request."""

    loc: list[str | int] = Field(description="Path to the input inside the request body, e.g. "
                                             "['rows', 3, 'visits_7d'] (list positions from 0).")
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description="Machine-readable kind (pydantic's error types for request "
                                  "validation, e.g. 'greater_than_equal'; 'missing_column', "
                                  "'not_a_number' for feature rows).")


class ErrorAnswer(Answer):
    """Every 4xx/5xx answer of the API (one shape: ``serving/_error_body.py``)."""

    error: str = Field(description="What went wrong and, for a client error, what to fix "
                                   "(human text; match on 'code', not on this).")
    code: str = Field(
        description="Machine-readable kind: 'validation_error' and 'invalid_json' (the body "
                    "does not match the request schema), 'unknown_series_id', "
                    "'horizon_too_long', 'missing_columns', 'not_a_number', 'invalid_calendar', "
                    "'invalid_experiment_input', ... for requests the models cannot answer, "
                    "'unauthorized' (401), 'payload_too_large' (413), "
                    "'unsupported_media_type' (415), "
                    "'model_not_available', 'snapshot_not_available', 'not_ready' (503), "
                    "'internal_error' (500), 'timeout' (504).",
        examples=["horizon_too_long"])
    field: str | None = Field(description="The top-level request field at fault, e.g. "
                                          "'horizon' or 'rows'; null when the request as a "
                                          "whole is (or for server-side errors).",
                              examples=["horizon"])
    loc: list[str | int] = Field(description="Path to the bad input inside the request body "
                                             "(empty when there is none).",
                                 examples=[["horizon"]])
    detail: list[ErrorDetail] | None = Field(
        None, description="One entry per bad input when there may be several (request "
                          "validation, missing or non-numeric feature columns); else null.")


class ScoreResult(Answer):
    """One scored customer."""

    user_id: str | int = Field(description="The id as sent (a number stays a number); "
                                           "'row-<position>' for a feature row without one.")
    score: float | None = Field(description="Churn or purchase probability, or predicted "
                                            "revenue in the model's horizon.")
    tier: str = Field(description="Risk or value tier, e.g. 'high'.", examples=["high"])
    early_warning: bool | None = Field(description="Visits (or orders) fell by 50%+; null when "
                                                   "it cannot be judged.")
    early_warning_basis: Literal["visits", "orders"] | None = Field(
        description="What the flag was judged on.")
    early_warning_chance: float | None = Field(
        description="Beside a raised flag: how often a customer at an unchanged rate would fall "
                    "this far (below 0.05: unlikely to be noise); else null.")
    early_warning_spend: bool | None = Field(
        None, description="Churn: spend in the last 30 days at most half of the customer's own "
                          "monthly average over the 11 months before (customers known 60 days "
                          "or more who buy about monthly); reported beside early_warning, not "
                          "instead of it. Null when it cannot be judged.")
    reasons: list[str] = Field(description=(
        "Top reasons, strongest first: what pushes the score up, or for the lowest tier what "
        "keeps it low; a customer of another tier whom no feature pushes up gets what holds "
        "the score down, each sentence starting 'lowers the risk: ' (propensity: 'chance', "
        "value: 'value')."))


class UnknownUser(Answer):
    """A requested id that could not be answered (the rest of the batch is)."""

    user_id: str | int = Field(description="The id as sent.")
    error: str = Field(description="Why it was not answered.")


class RowWarning(Answer):
    """Something in live feature rows that the model ignores (the rows are still scored)."""

    code: Literal["unknown_columns", "unseen_categories", "empty_rows", "numbers_as_text",
                  "snapshot_date"] = Field(
        description="'unknown_columns': columns the model does not read; 'unseen_categories': "
                    "values of a categorical column never seen in training (scored as "
                    "missing); 'empty_rows': rows without a value in any feature the model "
                    "reads (scored as a customer about whom nothing is known); "
                    "'numbers_as_text': a number column of a model trained on a customer "
                    "table sent as text ('31', '$17.71', 'N/A'), read as brain score --table "
                    "reads the table's cells; 'snapshot_date': the rows' 'asof' (or 'cutoff') "
                    "does not fit their dates as training's did (most dates after it where the "
                    "model learned past dates, or most rows more days after a date than any "
                    "row trained on), as brain score --table warns.")
    field: str = Field(description="Request field: always 'rows'.", examples=["rows"])
    message: str = Field(description="The same in words.")
    columns: list[str] | None = Field(None, description="unknown_columns: the ignored columns; "
                                                       "snapshot_date: the date columns.")
    column: str | None = Field(None, description="unseen_categories, numbers_as_text: the "
                                                 "column.")
    values: list[str] | None = Field(None, description="unseen_categories: the distinct unseen "
                                                       "values (as text).")
    rows: int | None = Field(None, description="unseen_categories, numbers_as_text: rows "
                                               "holding one; snapshot_date: rows off.")
    positions: list[int] | None = Field(None, description="empty_rows: their positions in "
                                                          "'rows' (from 0); numbers_as_text: "
                                                          "the first 10 of them; "
                                                          "snapshot_date: the first 3.")


SeasonUnknownReason = Literal[
    "pending", "no_snapshot", "customer_table", "label_not_on_purchases",
    "snapshot_without_purchases", "model_without_windows", "history_too_short",
    "no_reference_buyers", "other_window", "not_read"]
SEASON_UNKNOWN_TEXT = (
    "Why 'season' is null, else null: 'pending' (read once per champion version and snapshot "
    "in the background, seconds after a start or reload: ask again), 'no_snapshot' (no "
    "feature snapshot is loaded, whose purchases it is read from), 'customer_table' (a model "
    "trained on a customer table: brain score --table reads no season either), "
    "'label_not_on_purchases' (a churn label of no order and no visit: the season is read on "
    "purchases alone), 'snapshot_without_purchases' (a snapshot written before snapshots kept "
    "the events' purchases: rebuild it), 'model_without_windows' (not fitted on cutoff "
    "windows of up to 364 days), 'history_too_short' (purchases start less than 90 days "
    "before last year's copies of the windows), 'no_reference_buyers' (nobody, or everybody, "
    "in the base bought in a window's copy: no ratio), 'other_window' (live rows whose "
    "'cutoff' is another day than the snapshot's, one with a UTC offset read in the events' "
    "time zone), 'not_read' (reading it failed: the server log). The notes say the same in "
    "words.")


class SeasonAnswer(Answer):
    """The season gap of the scored window as numbers: what ``brain score --season-adjust``
    applies for the same champion, snapshot and date (the API's scores are not adjusted)."""

    factor: float = Field(
        description="Last year's gap: value: revenue per customer in last year's copy of the "
                    "scored window over that of the window the model's level was set on; "
                    "churn and propensity: the ratio of purchase hazards, -log(1 - share "
                    "buying), of the same two copies. 1.0 = same season.", examples=[0.849])
    applied: float = Field(
        description="The factor brain score --season-adjust applies: 'factor' shrunk towards "
                    "1 by the share of new customers, 1 + (factor - 1) * returning, when the "
                    "start of the data cut the look-back short of a year, else 'factor' (churn "
                    "and propensity: 1.0 when nobody bought in "
                    "last year's copy of the scored window, whose scores the CLI leaves as "
                    "they are). Apply it as 'rule' says.", examples=[0.886])
    measure: Literal["revenue_per_customer", "purchase_hazard"] = Field(
        description="What 'factor' is a ratio of: 'revenue_per_customer' (value) or "
                    "'purchase_hazard' (churn, propensity).")
    rule: Literal["score * applied", "1 - (1 - score) ** applied", "score ** applied"] = Field(
        description="How --season-adjust moves each score: value 'score * applied' (a "
                    "total scales by the same), propensity '1 - (1 - score) ** applied' "
                    "(P(purchase)), churn 'score ** applied' (P(churn) = 1 - P(purchase)); "
                    "ranks do not change, probability tiers follow the moved score.")
    window_start: str = Field(description="First day of the scored window (YYYY-MM-DD): the "
                                          "snapshot's cutoff.", examples=["2025-12-31"])
    window_days: int | None = Field(description="Length of the scored window: the model's "
                                                "horizon in days.", examples=[90])
    reference_start: str = Field(
        description="First day of the window the model's level was set on (YYYY-MM-DD): its "
                    "validation cutoff when refitted, else its calibration cutoff.")
    last_year_window_start: str = Field(
        description="First day of last year's copy of the scored window (364 days back, the "
                    "same weekdays).")
    last_year_reference_start: str = Field(
        description="First day of last year's copy of the reference window.")
    last_year_per_customer: float = Field(
        description="In last year's copy of the scored window: revenue per customer (value) "
                    "or share of customers buying (churn, propensity), among the customers "
                    "with a purchase in the look-back before it.")
    last_year_reference_per_customer: float = Field(
        description="The same in last year's copy of the reference window; factor is the "
                    "ratio of the two (of their hazards for churn and propensity).")
    lookback_days: int = Field(
        description="Days before each copy in which a customer's purchase makes them part of "
                    "the base: 365, fewer (at least 90) when the start of the data cuts it "
                    "short, which shrinks 'applied' by 'returning'.", examples=[365])
    returning: float = Field(
        description="Share of the later copy's base (of the two copies, by start) that was "
                    "already in the earlier copy's base, i.e. not new between them; 'applied' "
                    "is shrunk by it when the look-back is short.", examples=[0.97])


class ScoreAnswer(Answer):
    """Answer of POST /churn_risk, /purchase_propensity and /customer_value."""

    model: str = Field(description="Registered model that answered.", examples=["churn"])
    version: str = Field(description="Its registry version.", examples=["3"])
    snapshot_cutoff: str | None = Field(
        None, examples=["2026-11-30"],
        description=SNAPSHOT_CUTOFF + " Users given by user_ids are scored from that "
                    "snapshot; null for live rows, whose features are the caller's (their "
                    "own 'cutoff' column says when those were taken).")
    features_asof: str | None = Field(
        None, examples=["2026-11-30"], json_schema_extra={"deprecated": True},
        description=deprecated_name("snapshot_cutoff"))
    results: list[ScoreResult] = Field(description="Scored users, in request order.")
    errors: list[UnknownUser] = Field(description="Ids not in the snapshot (by user_ids).")
    warnings: list[RowWarning] = Field(
        default_factory=list,
        description="Live rows only: ignored columns and unseen category values (empty for "
                    "requests by user_ids and for clean rows).")
    notes: list[str] = Field(
        default_factory=list,
        description="By user_ids: the caveats brain score prints for this champion's scores "
                    "of the snapshot, the same text (e.g. that the model does not know the "
                    "season and its total for this window is likely 13% high; that 90% of the "
                    "customers are 'cold'), computed once per champion version and snapshot; "
                    "until the snapshot is scored in the background, one note saying so. "
                    "Live rows: the season's notes only (they depend on the champion and the "
                    "window; the others describe the scored population), the probability "
                    "models' means being those of the rows sent.",
        examples=[["90% of the customers are 'cold' (the tiers are fixed probabilities: "
                   "0.5 / 0.2); ..."]])
    season: SeasonAnswer | None = Field(
        None,
        description="The season gap of the scored window as numbers, the factor the season "
                    "note gives in words (present also when the gap is under the 10% a note "
                    "needs), computed once per champion version and snapshot: multiply a "
                    "value total by 'applied', or move each probability as 'rule' says, for "
                    "what brain score --season-adjust answers. Live rows get the season of "
                    "the window from the snapshot's cutoff (window_start). Null when unknown "
                    "(season_unknown_reason says why).")
    season_unknown_reason: SeasonUnknownReason | None = Field(None,
                                                              description=SEASON_UNKNOWN_TEXT)


class SegmentResult(Answer):
    """One user's RFM scores and segment."""

    user_id: str | int = Field(description="The id as sent.")
    r_score: int | None = Field(description="Recency quintile among buyers, 1 (longest since "
                                            "the last order) to 5 (most recent); null without "
                                            "an order.")
    f_score: int | None = Field(description="Frequency score, 1 (fewest orders) to 5 (most); "
                                            "null without an order.")
    m_score: int | None = Field(description="Monetary score, 1 (least revenue) to 5 (most); "
                                            "null without an order.")
    rfm: str | None = Field(description="The three scores as one code, e.g. '545'.")
    segment: str = Field(description="Lifecycle segment.")
    scene: str | None = Field(description="Marketing scene for the segment.")


class SegmentsAnswer(Answer):
    """Answer of POST /segments."""

    snapshot_cutoff: str = Field(description=SNAPSHOT_CUTOFF + " The segments are computed "
                                 "at it.", examples=["2025-12-31"])
    asof: str = Field(description=deprecated_name("snapshot_cutoff"),
                      json_schema_extra={"deprecated": True}, examples=["2025-12-31"])
    results: list[SegmentResult] = Field(description="Known users, in request order.")
    errors: list[UnknownUser] = Field(description="Ids not in the snapshot.")


class ChannelModel(Answer):
    """A champion POST /channel_value read its scores from."""

    name: str = Field(description="Registered model.", examples=["customer_value"])
    version: str = Field(description="Its registry version.", examples=["1"])
    horizon_days: int | None = Field(
        None, description="value_model only: the days after the snapshot the predicted value "
                          "is for.", examples=[90])
    scores: Literal["cached", "live"] = Field(
        description="'cached' (the snapshot's scores computed once per champion version in "
                    "the background) or 'live' (scored for this request, until that has run); "
                    "the numbers are the same.")
    season: SeasonAnswer | None = Field(
        None, description="The model's season gap for the window after the snapshot, as in "
                          "ScoreAnswer.season: value: mean_predicted_value and value_to_cost "
                          "times 'applied' are what brain score --season-adjust would give; "
                          "null when unknown.")
    season_unknown_reason: SeasonUnknownReason | None = Field(
        None, description=SEASON_UNKNOWN_TEXT)


class ChannelValueAnswer(Answer):
    """Answer of POST /channel_value."""

    window: dict[str, str] = Field(description="start and end of the acquisition window.")
    snapshot_cutoff: str = Field(
        description=SNAPSHOT_CUTOFF + " The customers and scores are from that snapshot.",
        examples=["2025-12-31"])
    value_model: ChannelModel = Field(
        description="The value champion: name, version, horizon_days, scores ('cached' or "
                    "'live'), and its season gap (season, season_unknown_reason).")
    churn_model: ChannelModel = Field(
        description="The churn champion: name, version, scores, season, "
                    "season_unknown_reason (as for value_model).")
    channels: list[ChannelRow] = Field(
        description="Per acquisition channel: channel, customers, mean/total predicted value, "
                    "mean predicted churn, spend, acquisition cost, value_to_cost, "
                    "acquisitions_vs_spend, note.")
    notes: list[str] = Field(
        default_factory=list,
        description="The value and churn champions' caveats on their scores of the snapshot, "
                    "each starting with the version ('customer_value v1 (@champion): ...'), "
                    "as in ScoreAnswer.notes: a season gap moves mean_predicted_value and "
                    "value_to_cost by as much; and one naming the channels whose acquisitions "
                    "did not follow their spend.")


class CustomersAnswer(Answer):
    """Answer of GET /customers: one page of the snapshot's customer ids."""

    user_ids: list[str | int] = Field(
        description="Customer ids of the feature snapshot, in its order (the same on every "
                    "page of one snapshot), as its events wrote them (a number stays a "
                    "number): send them as user_ids to the scoring endpoints.",
        examples=[[1, 2, 3]])
    total: int = Field(description="Customers in the snapshot (GET /models: snapshot.users).")
    offset: int = Field(description="Position of the first id of this page (from 0).")
    limit: int = Field(description="Most ids a page holds, as asked (default 1,000; at most "
                                   "10,000, a scoring batch).")
    next_offset: int | None = Field(
        description="The offset of the next page; null on the last one.", examples=[1000])
    snapshot_cutoff: str = Field(
        description=SNAPSHOT_CUTOFF + " The ids are from that snapshot: a new one may hold "
                    "other customers in another order, so a client paging through should "
                    "check it is the same on every page.",
        examples=["2025-12-31"])


# The answers of GET /models and POST /reload live in ``_schemas_models``; imported here so
# ``from serving._schemas import ModelsAnswer`` keeps working (Answer is defined above).
# The answers of POST /forecast_traffic live in ``_schemas_forecast``; imported here so
# ``from serving._schemas import ForecastAnswer`` keeps working (Answer is defined above).
from ._schemas_forecast import (  # noqa: E402, F401
    ChannelPlanResponse,
    ChannelRow,
    ChannelSpendCheck,
    ForecastAnswer,
    ForecastPoint,
    PeakRow,
    PlanResponse,
)
from ._schemas_models import (  # noqa: E402, F401
    BatchingInfo,
    ColumnResponseInfo,
    ModelInfo,
    ModelsAnswer,
    ReloadAnswer,
    SnapshotInfo,
)
