"""The snapshot-date checks of a customer-table model (an ``--asof`` that does not fit the
table's dates) made by ``brain score --table``, the prediction API's live rows and the MLflow
pyfunc alike, and the in-sample note that counts a row at another ``--asof`` as another
snapshot (2026-12-08)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli import app

ASOF = pd.Timestamp("2026-06-30")


def _run(args: list[str], code: int = 0) -> str:
    res = CliRunner().invoke(app, args, terminal_width=400)
    assert res.exit_code == code, res.output
    return " ".join(res.output.split())


def _crm(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """One row per customer; churn follows the days since the last order and the plan."""
    rng = np.random.default_rng(seed)
    recency = rng.integers(0, 200, n)
    plan = rng.choice(["basic", "pro"], n)
    p = 1 / (1 + np.exp(-(-1.5 + 0.015 * recency + np.where(plan == "basic", 0.5, 0.0))))
    return pd.DataFrame({
        "cust_no": [f"{i:07d}" for i in range(n)],
        "tenure_m": rng.integers(1, 72, n),
        "plan": plan,
        "last_order": (ASOF - pd.to_timedelta(recency, unit="D")).strftime("%Y-%m-%d"),
        "churned": np.where(rng.random(n) < p, "yes", "no"),
    })


def _train(tmp_path: Path) -> pd.DataFrame:
    crm = _crm()
    crm.to_csv(tmp_path / "crm.csv", index=False)
    _run(["train", "churn", "--table", str(tmp_path / "crm.csv"), "--label-col", "churned",
          "--id-col", "cust_no", "--asof", f"{ASOF:%Y-%m-%d}"])
    return crm


def _rows(crm: pd.DataFrame, asof: str, n: int = 50) -> list[dict[str, Any]]:
    return crm.drop(columns="churned").head(n).assign(asof=asof).to_dict("records")


def test_the_api_warns_of_rows_whose_asof_does_not_fit_their_dates(
        tmp_path: Path, service_app: Any) -> None:
    """Rows of a 2026-06-30 export sent with asof 2020-01-01 had been scored with days since
    the last order of about -2,360 without a word (only brain score --table warned); now the
    answer's warnings carry the CLI's words, and the rows are still scored."""
    from starlette.testclient import TestClient

    from serving._schemas import RowWarning

    crm = _train(tmp_path)
    with TestClient(service_app) as client:
        early = client.post("/churn_risk", json={"rows": _rows(crm, "2020-01-01")})
        assert early.status_code == 200, early.text
        body = early.json()
        assert len(body["results"]) == 50
        got = [w for w in body["warnings"] if w["code"] == "snapshot_date"]
        assert len(got) == 1, body["warnings"]
        assert got[0]["columns"] == ["last_order"]
        assert got[0]["rows"] == 50
        assert got[0]["positions"] == [0, 1, 2]
        assert got[0]["message"].startswith(
            "rows: column 'last_order': 50 of 50 dates are after the row's snapshot date "
            "(first at rows[0], rows[1], rows[2]; a median of "), got[0]["message"]
        assert "send the export date as each row's 'asof'" in got[0]["message"]
        RowWarning(**got[0])
        late = client.post("/churn_risk", json={"rows": _rows(crm, "2027-06-30")}).json()
        msg = [w["message"] for w in late["warnings"] if w["code"] == "snapshot_date"]
        assert len(msg) == 1, late["warnings"]
        assert "50 of 50 rows are more days after their date than any row the model " \
            "learned from" in msg[0]
        right = client.post("/churn_risk", json={"rows": _rows(crm, f"{ASOF:%Y-%m-%d}")})
        assert right.status_code == 200, right.text
        assert [w for w in right.json()["warnings"] if w["code"] == "snapshot_date"] == []


def test_the_mlflow_model_logs_the_warning(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """The registered pyfunc, fed the table with an asof column of 2020-01-01, logs the
    warning brain score --table prints (it had scored in silence); the right date logs none."""
    import mlflow

    crm = _train(tmp_path)
    model = mlflow.pyfunc.load_model("models:/churn@champion")
    table = crm.drop(columns="churned")
    with caplog.at_level(logging.WARNING, logger="training._customer_models"):
        model.predict(table.assign(asof="2020-01-01"), params={"reasons": False})
    said = " ".join(r.getMessage() for r in caplog.records)
    assert ("column 'last_order': 600 of 600 dates are after the row's snapshot date (first "
            "at rows 0, 1, 2; a median of") in said, said
    assert "the table's 'asof' or 'cutoff' column" in said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="training._customer_models"):
        model.predict(table.assign(asof=f"{ASOF:%Y-%m-%d}"), params={"reasons": False})
    assert "snapshot date" not in " ".join(r.getMessage() for r in caplog.records)


def test_the_same_cells_at_another_asof_are_not_in_sample(tmp_path: Path) -> None:
    """The in-sample note hashed the date cells, not the days since them: a later export in
    which dormant customers' rows had not moved (same plan, tenure and last order) was called
    in-sample for them, though its --asof makes them another snapshot with outcomes of a window
    the model never saw; so was the training table scored at another --asof. A row at the
    training's --asof is still in-sample."""
    crm = _train(tmp_path)
    score = ["score", "churn", "--table", str(tmp_path / "crm.csv"), "--id-col", "cust_no",
             "--no-reasons"]
    out = _run([*score, "--asof", f"{ASOF:%Y-%m-%d}", "--out", str(tmp_path / "a.csv")])
    assert "600 of the 600 rows are rows this model was fitted or calibrated on" in out, out
    out = _run([*score, "--asof", "2026-09-28", "--out", str(tmp_path / "b.csv")])
    assert "in-sample" not in out, out
    # a later export: the first 200 customers ordered again (dates moved), the rest unchanged
    later = crm.drop(columns="churned")
    later.loc[:199, "last_order"] = "2026-09-20"
    later.to_csv(tmp_path / "later.csv", index=False)
    out = _run(["score", "churn", "--table", str(tmp_path / "later.csv"), "--id-col",
                "cust_no", "--no-reasons", "--asof", "2026-09-28", "--out",
                str(tmp_path / "c.csv")])
    assert "in-sample" not in out, out
