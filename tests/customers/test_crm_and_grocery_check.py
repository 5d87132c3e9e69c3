"""Defects found by an outside check (2026-12-07): a CRM snapshot table and a grocery chain's
order lines run through the documented CLI."""

from __future__ import annotations

from pathlib import Path

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
    """One row per customer, ids with leading zeros; churn follows the days since the last
    order (a date column) and the plan."""
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


def _assert_scores_as_plain(tmp_path: Path) -> None:
    """The scores in ``tmp_path / 's.csv'`` equal those of ``_crm()`` written plainly."""
    _crm().to_csv(tmp_path / "plain.csv", index=False)
    _run(["score", "churn", "--table", str(tmp_path / "plain.csv"), "--id-col", "cust_no",
          "--asof", f"{ASOF:%Y-%m-%d}", "--no-reasons", "--out", str(tmp_path / "p.csv")])
    np.testing.assert_allclose(pd.read_csv(tmp_path / "s.csv")["score"],
                               pd.read_csv(tmp_path / "p.csv")["score"])


def _events(path: Path, users: list[str]) -> None:
    """A small purchase log of ``users`` over the half year before ``ASOF``."""
    rng = np.random.default_rng(1)
    rows = [(u, ASOF - pd.Timedelta(days=int(d)), "purchase", "store", 12.5)
            for u in users for d in rng.integers(1, 180, 3)]
    pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "channel", "revenue"]).to_csv(
        path, index=False)


def test_scoring_events_with_a_table_model_names_the_table_not_a_bare_column(
        tmp_path: Path) -> None:
    """A churn model trained on a CRM table with --asof (its date column read as days since)
    scored from an events file stopped with "error: 'last_order'" (a KeyError) after the
    progress bar; without a date column, with a fix about the table the user never gave."""
    table = tmp_path / "crm.csv"
    crm = _crm()
    crm.to_csv(table, index=False)
    _run(["train", "churn", "--table", str(table), "--label-col", "churned", "--id-col",
          "cust_no", "--asof", f"{ASOF:%Y-%m-%d}"])
    events = tmp_path / "events.csv"
    _events(events, list(crm["cust_no"].head(50)))
    out = _run(["score", "churn", "--events", str(events), "--asof", f"{ASOF:%Y-%m-%d}",
                "--out", str(tmp_path / "s.csv")], code=2)
    assert "error: churn v1 (@champion) was trained on a customer table" in out, out
    assert "'last_order'" in out
    assert "'tenure_m'" in out
    assert "brain score churn --table FILE" in out
    assert "scoring 50 customers" not in out  # before the scores, not after
    assert not (tmp_path / "s.csv").exists()
    # an output the CLI cannot write stops before any scoring (it had scored every customer)
    out = _run(["score", "churn", "--table", str(table), "--id-col", "cust_no", "--asof",
                f"{ASOF:%Y-%m-%d}", "--out", str(tmp_path / "s.xlsx")], code=2)
    assert "unsupported output extension '.xlsx'; use .parquet or .csv" in out
    assert "scoring 600 customers" not in out


def test_the_library_names_the_missing_date_column_of_a_table_model() -> None:
    """``score_features`` on a frame with a snapshot date but without the model's date column
    raised a bare KeyError; the model's input check names the columns now."""
    from training._customer_models import CustomerModel
    from training._customer_scoring import score_features

    frame = _crm().rename(columns={"cust_no": "user_id"}).assign(
        last_order=lambda f: pd.to_datetime(f["last_order"]), asof=ASOF,
        churned=lambda f: (f["churned"] == "yes").astype(int))
    model = CustomerModel("churn", label_col="churned", n_estimators=30).fit(frame)
    assert model.date_days_ == ("last_order",)
    with pytest.raises(ValueError, match=r"the input lacks 1 of them: \['last_order'\]"):
        score_features(model, frame.drop(columns=["last_order", "churned"]).head(20),
                       reasons=False)


def test_a_snapshot_date_that_does_not_fit_the_dates_gets_a_warning(tmp_path: Path) -> None:
    """--asof typed years early scored every customer with a negative 'days since the last
    order' (reasons read "days since last_order is low (-2362 vs typical 97)") without a word,
    and years late with days past any the model learned from; a column of dates mostly after
    the snapshot at training too (a contract end) gets no warning for the early date."""
    crm = _crm()
    rng = np.random.default_rng(5)
    crm["contract_end"] = (ASOF + pd.to_timedelta(rng.integers(10, 300, len(crm)), unit="D")
                           ).strftime("%Y-%m-%d")
    table = tmp_path / "crm.csv"
    crm.to_csv(table, index=False)
    _run(["train", "churn", "--table", str(table), "--label-col", "churned", "--id-col",
          "cust_no", "--asof", f"{ASOF:%Y-%m-%d}"])
    score = ["score", "churn", "--table", str(table), "--id-col", "cust_no", "--no-reasons"]
    out = _run([*score, "--asof", "2020-01-01", "--out", str(tmp_path / "early.csv")])
    assert ("warning: crm.csv: column 'last_order': 600 of 600 dates are after the row's "
            "snapshot date (first at rows 1, 2, 3; a median of") in out, out
    assert "Is the snapshot date (--asof, or the table's cutoff column) the date" in out
    assert "'contract_end'" not in out.split("warning: crm.csv")[1].split("note:")[0]
    assert len(pd.read_csv(tmp_path / "early.csv")) == 600  # a warning: still scored
    # a year late: every row more days after its last order than any row trained on (199)
    out = _run([*score, "--asof", "2027-06-30", "--out", str(tmp_path / "late.csv")])
    assert ("warning: crm.csv: column 'last_order': 600 of 600 rows are more days after their "
            "date than any row the model learned from (first at rows 1, 2, 3; a median of ") in out
    assert "at most 199 at training): the trees read each of them as that most" in out
    out = _run([*score, "--asof", f"{ASOF:%Y-%m-%d}", "--out", str(tmp_path / "s.csv")])
    assert "warning: crm.csv" not in out
    ids = pd.read_csv(tmp_path / "s.csv", dtype=str)["cust_no"]
    assert ids.tolist() == crm["cust_no"].tolist()  # leading zeros kept, every row scored
    # a missing column's error lists the columns the file has, not the 'asof' --asof added
    crm.drop(columns="tenure_m").to_csv(tmp_path / "short.csv", index=False)
    out = _run(["score", "churn", "--table", str(tmp_path / "short.csv"), "--id-col", "cust_no",
                "--asof", f"{ASOF:%Y-%m-%d}", "--out", str(tmp_path / "x.csv")], code=2)
    assert "the input lacks 1 of them: ['tenure_m']; received columns ['cust_no', 'plan', " \
        "'last_order', 'churned', 'contract_end']." in out, out


def test_a_time_on_the_day_after_the_data_is_no_gap_to_warn_about() -> None:
    """--asof '2025-12-03 08:30' on a log ending 2025-12-02 10:12 was warned "0 days after the
    last event", with '--asof 2025-12-03' as the fix: the day the user had given."""
    from serving._cli_common import err_console
    from serving._cli_customers_inputs import _check_asof

    ev = pd.DataFrame({"ts": pd.to_datetime(["2025-06-01 09:00", "2025-12-02 10:12"])})
    with err_console.capture() as cap:
        _check_asof(ev, pd.Timestamp("2025-12-03 08:30"))
    assert cap.get() == ""
    with err_console.capture() as cap:
        _check_asof(ev, pd.Timestamp("2025-12-04 08:30"))
    assert "--asof 2025-12-04 is 2 days after the last event" in " ".join(cap.get().split())
    # calendar days: a late last event and an --asof two days on had been "1 day after", the
    # fix (the day after the last event) being 1 day after too
    ev = pd.DataFrame({"ts": pd.to_datetime(["2025-06-01 09:00", "2025-12-03 23:00"])})
    with err_console.capture() as cap:
        _check_asof(ev, pd.Timestamp("2025-12-05"))
    said = " ".join(cap.get().split())
    assert "--asof 2025-12-05 is 2 days after the last event" in said, said
    assert "--asof 2025-12-04" in said, said


def test_a_date_column_mixing_plain_dates_and_utc_times_scores_as_it_trained(
        tmp_path: Path) -> None:
    """Every other `last_order` written '2026-03-08T10:00:00Z': training read the column (in
    UTC, with a note), and scoring the same table stopped with pandas' "Mixed timezones
    detected. Pass utc=True ..." (the in-sample check) or the error that the column mixes
    times with and without offsets."""
    crm = _crm()
    crm.loc[::2, "last_order"] = crm.loc[::2, "last_order"] + "T10:00:00Z"
    table = tmp_path / "crm.csv"
    crm.to_csv(table, index=False)
    out = _run(["train", "churn", "--table", str(table), "--label-col", "churned", "--id-col",
                "cust_no", "--asof", f"{ASOF:%Y-%m-%d}"])
    assert ("column 'last_order' read as dates: 300 of 600 times have a UTC offset and are read "
            "in UTC, the others as written") in out
    assert "last_order as days_since_last_order" in out
    out = _run(["score", "churn", "--table", str(table), "--id-col", "cust_no", "--asof",
                f"{ASOF:%Y-%m-%d}", "--no-reasons", "--out", str(tmp_path / "s.csv")])
    assert "600 of the 600 rows are rows this model was fitted or calibrated on" in out
    _assert_scores_as_plain(tmp_path)


@pytest.mark.parametrize("summer", [False, True], ids=["one offset", "two offsets"])
def test_hour_only_utc_offsets_are_dates_in_utc(tmp_path: Path, summer: bool) -> None:
    """PostgreSQL writes a ``timestamptz`` as '2026-01-11 13:00:00+01' (+02 in summer): the
    table's date pattern took them for dates, the offset check did not (it wanted '+01:00'),
    so training stopped with pandas' 'Mixed timezones detected' (two offsets) or a TypeError
    traceback (one). Read in UTC, they score as the same days written plainly."""
    crm = _crm()
    offsets = np.where(np.arange(len(crm)) % 2 == 0, "+02", "+01") if summer else "+01"
    crm["last_order"] = crm["last_order"] + " 13:00:00" + pd.Series(offsets, index=crm.index)
    table = tmp_path / "pg.csv"
    crm.to_csv(table, index=False)
    out = _run(["train", "churn", "--table", str(table), "--label-col", "churned", "--id-col",
                "cust_no", "--asof", f"{ASOF:%Y-%m-%d}"])
    assert "last_order as days_since_last_order" in out
    _run(["score", "churn", "--table", str(table), "--id-col", "cust_no", "--asof",
          f"{ASOF:%Y-%m-%d}", "--no-reasons", "--out", str(tmp_path / "s.csv")])
    _assert_scores_as_plain(tmp_path)
