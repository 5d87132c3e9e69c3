"""A customer table's date columns as days since the snapshot date (``--asof`` or ``cutoff``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli import app
from training._customer_models import CustomerModel

runner = CliRunner()
ASOF = pd.Timestamp("2026-06-30")


def _run(args: list[str], code: int = 0) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == code, res.output
    return " ".join(res.output.split())  # rich wraps long lines


def _crm(n: int = 1200, seed: int = 0, asof: pd.Timestamp = ASOF) -> pd.DataFrame:
    """One row per customer; churn follows the days since the last purchase."""
    rng = np.random.default_rng(seed)
    recency = rng.exponential(60, n).round()
    tenure = recency + rng.integers(30, 900, n)
    p = 1 / (1 + np.exp(-(-2.0 + 0.03 * recency)))
    last = asof - pd.to_timedelta(recency, unit="D")
    return pd.DataFrame({
        "customer": [f"C{i:05d}" for i in range(n)],
        "last_purchase_date": last.strftime("%Y-%m-%d"),
        "signup_date": (asof - pd.to_timedelta(tenure, unit="D")).strftime("%Y-%m-%d"),
        "contract_end": (asof + pd.to_timedelta(rng.integers(-30, 300, n), unit="D")
                         ).strftime("%Y-%m-%d"),
        "plan": rng.choice(["basic", "gold"], n),
        "churned": (rng.random(n) < p).astype(int),
    })


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    out = table.rename(columns={"customer": "user_id"})
    for c in ("last_purchase_date", "signup_date", "contract_end"):
        out[c] = pd.to_datetime(out[c])
    return out


def test_date_columns_become_days_since_the_snapshot_and_the_model_derives_them_again() -> None:
    frame = _typed(_crm()).assign(asof=ASOF)
    frame.loc[5, "signup_date"] = pd.NaT
    model = CustomerModel("churn", label_col="churned", n_estimators=60).fit(frame)
    assert model.date_days_ == ("last_purchase_date", "signup_date", "contract_end")
    for c in model.date_days_:
        assert f"days_since_{c}" in model.features_
        assert c not in model.features_
        assert c in model.input_features_
    assert "last_purchase_date" not in model.report_.skipped_columns
    x = model.augment(frame.head(10))
    want = (ASOF - frame["last_purchase_date"].head(10)).dt.days.astype(float)
    np.testing.assert_array_equal(x["days_since_last_purchase_date"].to_numpy(), want.to_numpy())
    assert np.isnan(x.loc[5, "days_since_signup_date"])  # empty stays missing
    ends = (ASOF - frame["contract_end"].head(10)).dt.days
    np.testing.assert_array_equal(x["days_since_contract_end"].to_numpy(), ends.to_numpy())
    assert (x["days_since_contract_end"] < 0).any()  # a future date counts negative
    # the snapshot moves, the days move: the same dates a month later are 30 days older
    later = model.augment(frame.head(10).assign(asof=ASOF + pd.Timedelta(days=30)))
    np.testing.assert_array_equal(later["days_since_last_purchase_date"], want + 30)
    # a per-row cutoff wins over the asof column
    cut = model.augment(frame.head(3).assign(cutoff=ASOF - pd.Timedelta(days=10)))
    np.testing.assert_array_equal(cut["days_since_last_purchase_date"], want.head(3) - 10)
    # recency drives churn: the derived column is the model's strongest feature
    assert model.importance().index[0] == "days_since_last_purchase_date"
    # text cells (the API, the MLflow model) are read as dates; a cell that is no date is
    # an error naming the column and the row
    text = _crm().head(4).rename(columns={"customer": "user_id"}).assign(asof=ASOF)
    np.testing.assert_allclose(model.score(text), model.score(frame.head(4)))
    text.loc[2, "signup_date"] = "soon"
    with pytest.raises(ValueError, match=r"signup_date.*row.*3") as err:
        model.score(text)
    assert "soon" in str(err.value)


def test_a_frame_without_the_snapshot_date_is_an_error_naming_asof() -> None:
    frame = _typed(_crm()).assign(asof=ASOF)
    model = CustomerModel("churn", label_col="churned", n_estimators=30).fit(frame)
    with pytest.raises(ValueError, match="pass --asof DATE") as err:
        model.score(frame.drop(columns="asof").head(5))
    assert "'last_purchase_date'" in str(err.value)


def test_without_a_snapshot_date_dates_stay_out_with_a_note_naming_asof() -> None:
    model = CustomerModel("churn", label_col="churned", n_estimators=30).fit(_typed(_crm()))
    assert model.date_days_ == ()
    assert not any(f.startswith("days_since_") for f in model.features_)
    assert model.report_.skipped_columns["last_purchase_date"] == (
        "date column: pass --asof with the date the table was exported (or a cutoff column) "
        "to use it as days since")


def test_table_cli_asof_leak_note_scoring_error_and_registered_round_trip(
        tmp_path: Path) -> None:
    import mlflow

    train = _crm(seed=1)
    # three last purchases after the export date: written later than the snapshot
    train.loc[[4, 9, 20], "last_purchase_date"] = "2026-07-15"
    path = tmp_path / "crm.csv"
    train.to_csv(path, index=False)
    out = _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
                "customer", "--asof", "2026-06-30"])
    assert ("column 'last_purchase_date': 3 of 1,200 dates are after the row's snapshot date "
            "(first at rows 5, 10, 21)") in out
    assert "last_purchase_date as days_since_last_purchase_date" in out
    assert "contract_end" not in out.split("column 'last_purchase_date'")[1].split(".")[0]
    later = ASOF + pd.Timedelta(days=90)
    score = _crm(n=300, seed=2, asof=later).assign(renewal_date="2026-12-01")
    spath = tmp_path / "crm_later.csv"
    score.to_csv(spath, index=False)
    base = ["score", "churn", "--table", str(spath), "--id-col", "customer"]
    out = _run([*base, "--out", str(tmp_path / "x.csv")], code=2)
    assert "crm_later.csv" in out
    assert "pass --asof DATE" in out
    assert "'last_purchase_date'" in out
    # the error comes before the notes on the model's columns and before any scoring (it
    # had come after 'not used by the model' and the progress bar)
    assert "not used by the model" not in out, out
    assert "scoring 300 customers" not in out, out
    out = _run([*base, "--asof", f"{later:%Y-%m-%d}", "--out", str(tmp_path / "s.csv")])
    assert "'renewal_date'" in out
    assert "not used by the model" in out
    cli = pd.read_csv(tmp_path / "s.csv")
    assert "days since last_purchase_date" in " ".join(cli["reason_1"].fillna(""))
    # the registered model, loaded as MLflow serves it, derives the same columns from an
    # asof column of the table's text cells
    pyfunc = mlflow.pyfunc.load_model("models:/churn@champion")
    got = pyfunc.predict(score.drop(columns="renewal_date").assign(asof=f"{later:%Y-%m-%d}"),
                         params={"reasons": False})
    np.testing.assert_allclose(got["score"].to_numpy(), cli["score"].to_numpy(), atol=1e-9)
    # a day-later snapshot scores the same customers as less recent buyers: higher churn
    _run([*base, "--asof", f"{later + pd.Timedelta(days=60):%Y-%m-%d}", "--out",
          str(tmp_path / "s2.csv")])
    assert pd.read_csv(tmp_path / "s2.csv")["score"].mean() > cli["score"].mean()


def test_live_rows_send_the_dates_and_the_snapshot_date() -> None:
    from serving._answers import BadRequestError, _missing_inputs, _score_rows, row_warnings

    frame = _typed(_crm()).assign(asof=ASOF)
    model = CustomerModel("churn", label_col="churned", n_estimators=30).fit(frame)
    rows = _crm().head(3).drop(columns="churned").rename(columns={"customer": "user_id"})
    # the API asks for the dates, not for the days the model counts from them
    assert _missing_inputs(model, rows) == []
    assert _missing_inputs(model, rows.drop(columns="signup_date")) == ["signup_date"]
    live = rows.assign(asof="2026-06-30")
    assert row_warnings(model, live) == []  # 'asof' labels the rows; the dates are read
    got = _score_rows(model, live, top=3)
    np.testing.assert_allclose([r["score"] for r in got], model.score(frame.head(3)))
    assert any(r["reasons"][0].startswith("days since last_purchase_date") for r in got)
    # rows without the table's date are refused before scoring (a 400 naming 'asof'), as
    # the endpoint checks them; the model's own error inside the scoring would be a 500
    from serving._answers import check_table_dates

    with pytest.raises(BadRequestError, match="give each row that date as 'asof'") as err:
        check_table_dates(model, rows)
    assert err.value.loc == ["rows", "asof"]
    check_table_dates(model, live)  # the date given: nothing to refuse


def test_asof_fills_an_asof_column_and_a_cutoff_or_own_asof_column_is_named() -> None:
    from serving._cli_common import err_console
    from serving._cli_customers_inputs import _with_asof

    table = pd.DataFrame({"user_id": ["a", "b"], "x": [1, 2]})
    out = _with_asof(table, pd.Timestamp("2026-06-30 14:00"), "crm.csv")
    assert list(out["asof"]) == [ASOF, ASOF]
    assert "asof" not in table.columns  # a copy
    cut = table.assign(cutoff=pd.Timestamp("2026-05-31"))
    with err_console.capture() as cap:
        assert _with_asof(cut, ASOF, "crm.csv") is cut
        own = _with_asof(table.assign(asof="2020-01-01"), ASOF, "crm.csv")
    assert list(own["asof"]) == [ASOF, ASOF]
    said = " ".join(cap.get().split())
    assert "crm.csv: the table has a 'cutoff' column" in said
    assert "--asof is not used" in said
    assert "the table's own 'asof' column is replaced by --asof 2026-06-30" in said


def test_training_asof_is_for_tables(tmp_path: Path) -> None:
    out = _run(["train", "churn", "--events", str(tmp_path / "e.csv"), "--asof", "2026-06-30"],
               code=2)
    assert "--asof (the date a --table was exported) applies to --table" in out
    assert "--last-cutoff" in out


def _day_first(dates: pd.Series, sep: str = ".") -> pd.Series:
    return pd.to_datetime(dates).dt.strftime(f"%d{sep}%m{sep}%Y")


def test_a_scoring_table_of_ambiguous_day_first_dates_reads_as_training_read_them(
        tmp_path: Path) -> None:
    """Training read '31/05/2026' day-first (days past 12 settle it); a later table whose every
    day is 12 or less ('03/04/2026') had been an 'ambiguous day/month' error at scoring."""
    train = _crm(seed=3)
    for c in ("last_purchase_date", "signup_date", "contract_end"):
        train[c] = _day_first(train[c], "/")
    path = tmp_path / "crm.csv"
    train.to_csv(path, index=False)
    out = _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
                "customer", "--asof", "2026-06-30"])
    assert "column 'last_purchase_date' read as dates: format %d/%m/%Y" in out
    small = pd.DataFrame({"customer": ["A1", "A2", "A3"],
                          "last_purchase_date": ["03/04/2026", "11/05/2026", "01/06/2026"],
                          "signup_date": ["02/01/2024", "12/12/2025", "05/03/2023"],
                          "contract_end": ["01/09/2026", "10/10/2026", "04/07/2026"],
                          "plan": ["basic", "gold", "basic"]})
    spath = tmp_path / "small.csv"
    small.to_csv(spath, index=False)
    base = ["score", "churn", "--table", str(spath), "--id-col", "customer", "--asof",
            "2026-06-30"]
    out = _run([*base, "--out", str(tmp_path / "s.csv")])
    assert "ambiguous" not in out
    got = pd.read_csv(tmp_path / "s.csv")
    # the same customers written in ISO 8601 score the same: 03/04/2026 is 3 April
    iso = small.copy()
    for c in ("last_purchase_date", "signup_date", "contract_end"):
        iso[c] = pd.to_datetime(iso[c], format="%d/%m/%Y").dt.strftime("%Y-%m-%d")
    ipath = tmp_path / "iso.csv"
    iso.to_csv(ipath, index=False)
    _run(["score", "churn", "--table", str(ipath), "--id-col", "customer", "--asof",
          "2026-06-30", "--out", str(tmp_path / "i.csv")])
    np.testing.assert_allclose(got["score"], pd.read_csv(tmp_path / "i.csv")["score"])
    # the registered model keeps how each date column was read
    import mlflow

    model = mlflow.pyfunc.load_model("models:/churn@champion").unwrap_python_model().model
    assert model.date_formats_["last_purchase_date"] == "%d/%m/%Y"
    # a scoring table that contradicts the order read at training (a month past 12 in the
    # month's place: month-first) is an error naming the column, the rows and the fix
    small.loc[[0, 2], "last_purchase_date"] = ["04/13/2026", "05/28/2026"]
    small.to_csv(spath, index=False)
    out = _run([*base, "--out", str(tmp_path / "x.csv")], code=2)
    assert "small.csv" in out
    assert "last_purchase_date" in out
    assert "%d/%m/%Y" in out
    # the rows of the whole table (they had been numbered within a scoring chunk: 'row 1')
    assert "(2 rows; first at row 1: '04/13/2026', 3: '05/28/2026')" in out
    assert "against the day/month order the model read this column with at training" in out
    assert "ISO 8601" in out


def test_a_model_keeps_the_date_format_of_each_column_and_reads_text_cells_with_it() -> None:
    """The Python route: a table typed by ``infer_table_types`` records each date column's
    format; the fitted model reads text cells (the pyfunc, the API's live rows) with it."""
    from features import infer_table_types

    raw = _crm(seed=4).rename(columns={"customer": "user_id"})
    raw["last_purchase_date"] = _day_first(raw["last_purchase_date"], "/")
    raw["signup_date"] = pd.to_datetime(raw["signup_date"]).dt.strftime("%m/%d/%Y")
    typed = infer_table_types(raw.astype(str), keep_text=("user_id",), exact=("churned",))
    assert typed.attrs["date_formats"] == {"last_purchase_date": "%d/%m/%Y",
                                           "signup_date": "%m/%d/%Y",
                                           "contract_end": "ISO8601"}
    model = CustomerModel("churn", label_col="churned", n_estimators=30).fit(
        typed.assign(asof=ASOF))
    assert model.date_formats_ == typed.attrs["date_formats"]
    rows = pd.DataFrame({"user_id": ["a", "b"], "asof": ["2026-06-30"] * 2,
                         "last_purchase_date": ["03/04/2026", "11/05/2026"],
                         "signup_date": ["04/03/2024", "05/11/2025"],
                         "contract_end": ["2026-09-01", "2026-10-10"],
                         "plan": ["basic", "gold"]})
    x = model.augment(rows)
    np.testing.assert_array_equal(x["days_since_last_purchase_date"], [88.0, 50.0])
    np.testing.assert_array_equal(x["days_since_signup_date"], [
        (ASOF - pd.Timestamp("2024-04-03")).days, (ASOF - pd.Timestamp("2025-05-11")).days])
    rows.loc[1, "signup_date"] = "25/11/2025"  # a day in the month's place of a month-first column
    with pytest.raises(ValueError, match=r"signup_date.*%m/%d/%Y") as err:
        model.augment(rows)
    assert "row 2" in str(err.value)
    assert "'25/11/2025'" in str(err.value)


def test_a_later_export_whose_dates_moved_is_not_in_sample(tmp_path: Path) -> None:
    """The in-sample note compares the date columns too: a later export of the same customers
    whose plan is unchanged but whose dates moved is not the rows the model learned (it had
    been called in-sample wherever the other columns matched: every row of this table, whose
    only other feature is a plan of two levels); the training table itself is."""
    train = _crm(400)
    path, later = tmp_path / "crm.csv", tmp_path / "later.csv"
    train.to_csv(path, index=False)
    moved = train.drop(columns="churned")
    for c in ("last_purchase_date", "signup_date", "contract_end"):
        moved[c] = (pd.to_datetime(moved[c]) + pd.Timedelta(days=91)).dt.strftime("%Y-%m-%d")
    moved.to_csv(later, index=False)
    said = _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
                 "customer", "--asof", "2026-06-30", "--no-register"])
    uri = said.split("; model ")[1].split()[0]
    again = _run(["score", "churn", "--table", str(path), "--id-col", "customer", "--asof",
                  "2026-06-30", "--model", uri, "--out", str(tmp_path / "a.csv")])
    assert "400 of the 400 rows are rows this model was fitted or calibrated on" in again, again
    scored = _run(["score", "churn", "--table", str(later), "--id-col", "customer", "--asof",
                   "2026-09-29", "--model", uri, "--out", str(tmp_path / "b.csv")])
    assert "in-sample" not in scored, scored
