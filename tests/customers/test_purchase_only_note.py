"""The note on a re-exported event log: a purchase-only order file beside a version trained on a
log with visits is a normal input, said so, not rows lost (independent check, 2026-12-06)."""

from __future__ import annotations

import json

import mlflow
import pandas as pd
from mlflow import MlflowClient

from training._customer_changes import rows_changed_since_last_training
from training._mlflow import configure_mlflow


def _log(n_visits: int, n_purchases: int) -> pd.DataFrame:
    """A log from 2024-01-01 to 2024-03-31 12:00: ``n_visits`` visits and ``n_purchases``
    purchases, each kind spread evenly over it (both on the first and the last day)."""
    def spread(n: int, kind: str) -> pd.DataFrame:
        return pd.DataFrame({"user_id": "u1", "event_type": kind,
                             "ts": pd.date_range("2024-01-01", "2024-03-31 12:00", periods=n)})

    both = pd.concat([spread(n_visits, "visit"), spread(n_purchases, "purchase")])
    return both.sort_values("ts", kind="stable").reset_index(drop=True)


def _register(ev: pd.DataFrame, *, by_type: bool) -> None:
    """A churn version whose run carries the data tags ``brain train`` sets for ``ev``."""
    configure_mlflow()
    tags = {"data.start": str(ev["ts"].min().date()), "data.end": str(ev["ts"].max().date()),
            "data.n_events": str(len(ev))}
    if by_type:
        tags["data.n_events_by_type"] = json.dumps(
            {str(k): int(v) for k, v in ev["event_type"].value_counts().items()})
    with mlflow.start_run() as run:
        mlflow.set_tags(tags)
    client = MlflowClient()
    if not client.search_registered_models("name='churn'"):
        client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run.info.run_id}/model", run.info.run_id)


def test_a_purchase_only_file_is_named_as_such_not_as_lost_rows() -> None:
    full = _log(300, 40)
    _register(full, by_type=True)
    orders = full[full["event_type"] == "purchase"]
    assert orders["ts"].min().date() == full["ts"].min().date()  # the same first day
    note = rows_changed_since_last_training("churn", orders)
    assert note is not None
    assert "fewer events" not in note
    assert "edited or deleted" not in note
    assert note.startswith("this file holds no visit rows; churn v1 was trained on a log "
                           "with them (it held 300 visit rows this file lacks, dated "
                           "2024-01-01 .. 2024-03-31)")
    assert "is a normal input" in note
    assert "learns from orders alone" in note
    assert note.endswith("The kinds both hold match: 40 purchase rows, as then")
    # the purchases themselves changed since: that part is still told
    note = rows_changed_since_last_training("churn", orders.drop(index=orders.index[5:8]))
    assert note is not None
    assert "3 fewer purchase (40 then, 37 now) rows: rows that arrived late" in note
    # the full log re-exported with rows lost keeps the plain note
    note = rows_changed_since_last_training("churn", full.drop(index=full.index[5:8]))
    assert note is not None
    assert note.startswith("this file holds 3 fewer events dated 2024-01-01 .. 2024-03-31")


def test_a_version_without_counts_per_kind_says_the_two_cannot_be_told_apart() -> None:
    full = _log(300, 40)
    _register(full, by_type=False)  # recorded before the counts per kind were
    note = rows_changed_since_last_training("churn", full[full["event_type"] == "purchase"])
    assert note is not None
    assert note.startswith("this file holds no visit rows and 300 fewer events")
    assert "cannot be told here" in note
    assert "is a normal input" in note
