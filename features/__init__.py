"""features: raw events and calendars in; point-in-time user features, labels, series out.

Contract at the boundary
------------------------
In (loaded and validated by ``load_*``; see docs/data-contracts.md):

- events: ``user_id`` (int64 or string), ``ts`` (datetime64[ns], naive, business time zone),
  ``event_type`` (category: visit, add_to_cart, purchase, ...), ``channel`` (category),
  ``revenue`` (float64; > 0 on purchases, < 0 on refunds, else 0), optional ``category``,
  ``order_id``, ``acquisition_channel``; sorted by ``ts``.
- calendar: ``name`` (string), ``start``/``end`` (datetime64 day, end inclusive), ``kind``
  (string), ``channel`` (string or NA = all channels), ``intensity`` (float64).
- spend: ``date`` (datetime64 day), ``channel`` (string), ``spend`` (float64 >= 0).
- series: ``series_id`` (string), ``ds`` (datetime64), ``y`` (float64) + numeric
  known-in-advance columns.

Out:

- ``user_features``: one row per (user_id, cutoff) with the columns in ``CATALOGUE``, computed
  only from events strictly before the cutoff; share columns for the ``MAX_CATEGORIES`` /
  ``MAX_CHANNELS`` most frequent values (``Vocabulary``), the rest pooled into ``..._other``;
- ``make_labels`` / ``build_training_set``: ``label_churn`` (int8), ``label_purchase`` (int8),
  ``label_value`` (float64) for ``[cutoff, cutoff + horizon)``, stacked over cutoffs;
- ``rfm_segments``: user_id, cutoff, r/f/m scores (1-5), ``rfm``, ``segment``, ``scene``;
- ``store_days_to_series``: a store-by-day export with flag columns (Rossmann's) as a series
  frame (``series_id``, ``ds``, ``y`` + known-in-advance flags) and a calendar of its holiday
  and closure events, one per store (``ImportedSeries``);
- ``store_plan_to_future``: the plan of such a shop (the export's shape without the value) as
  the future known-in-advance values (``series_id``, ``ds`` + the same flags) and the plan's
  calendar, read with the history import's settings (``ImportedPlan``);
- ``traffic_series``: long format ``series_id``, ``ds``, ``y``; ``calendar_features`` adds
  calendar and promotion columns for each (series_id, ds).

``generate_world`` makes a seeded synthetic world under the same contracts, with ground truth.
"""

from ._calendar import (
    CALENDAR_COLUMNS,
    applies_to,
    calendar_features,
    event_days,
    normalize_calendar,
    series_channel,
)
from ._catalogue import CATALOGUE, MAX_CATEGORIES, MAX_CHANNELS, describe
from ._contracts import KNOWN_EVENT_TYPES, DataContractError
from ._import import orders_to_events
from ._import_fx import read_fx_rates
from ._import_lines import NON_PRODUCT_CODES, non_product_note
from ._import_notes import common_last_day_note, mixed_currency_note, single_order_note
from ._import_plan import ImportedPlan, store_plan_to_future
from ._import_series import ImportedSeries, store_days_to_series
from ._io import (
    load_calendar,
    load_events,
    load_series,
    load_spend,
    read_table,
    validate_calendar,
    validate_events,
    validate_series,
    validate_spend,
)
from ._labels import LABELS, build_training_set, cutoff_schedule, make_labels
from ._refunds import RefundPrior
from ._segments import SCENE_GROUPS, SEGMENTS, rfm_segments
from ._stores import apply_store_locales, load_stores
from ._synthetic import World, generate_world, write_world
from ._tables import infer_table_types, number_cells, table_ids
from ._traffic import METRICS as TRAFFIC_METRICS
from ._traffic import traffic_series
from ._users import (
    Vocabulary,
    partition_of,
    refund_prior,
    user_features,
    user_features_partitioned,
)

__all__ = [
    "CALENDAR_COLUMNS",
    "CATALOGUE",
    "KNOWN_EVENT_TYPES",
    "LABELS",
    "MAX_CATEGORIES",
    "MAX_CHANNELS",
    "NON_PRODUCT_CODES",
    "SCENE_GROUPS",
    "SEGMENTS",
    "TRAFFIC_METRICS",
    "DataContractError",
    "ImportedPlan",
    "ImportedSeries",
    "RefundPrior",
    "Vocabulary",
    "World",
    "applies_to",
    "apply_store_locales",
    "build_training_set",
    "calendar_features",
    "common_last_day_note",
    "cutoff_schedule",
    "describe",
    "event_days",
    "generate_world",
    "infer_table_types",
    "load_calendar",
    "load_events",
    "load_series",
    "load_spend",
    "load_stores",
    "make_labels",
    "mixed_currency_note",
    "non_product_note",
    "normalize_calendar",
    "number_cells",
    "orders_to_events",
    "partition_of",
    "read_fx_rates",
    "read_table",
    "refund_prior",
    "rfm_segments",
    "series_channel",
    "single_order_note",
    "store_days_to_series",
    "store_plan_to_future",
    "table_ids",
    "traffic_series",
    "user_features",
    "user_features_partitioned",
    "validate_calendar",
    "validate_events",
    "validate_series",
    "validate_spend",
    "write_world",
]
