"""Bring-your-own customer tables: how text cells get their type, and every change is a note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import features as ft
from features._tables import ID_LIKE_SHARE, ODD_CELLS_MAX, ODD_CELLS_SHARE, parse_table_cutoff

N = 400


def _table(tmp_path: Path, **cols: list[str]) -> pd.DataFrame:
    """Write the columns as a CSV (everything arrives as text) and read it back."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(N)],
                          "plan": rng.choice(["basic", "pro"], N), **cols})
    frame.to_csv(tmp_path / "crm.csv", index=False)
    return ft.read_table(tmp_path / "crm.csv")


def _charges() -> list[str]:
    return [f"{x:.2f}" for x in np.random.default_rng(1).uniform(10, 120, N)]


def test_a_few_text_cells_in_a_number_column_become_missing_with_a_note(tmp_path: Path) -> None:
    charges = _charges()
    charges[4] = charges[9] = "unknown"
    charges[7] = "N/A"  # a missing-value spelling: missing, not an odd cell
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges),
                               keep_text=("customer_id",))
    assert out["monthly_charges"].dtype == "float64"
    assert out["monthly_charges"].isna().tolist() == [i in (4, 7, 9) for i in range(N)]
    notes = "\n".join(out.attrs["load_notes"])
    assert ("crm.csv: column 'monthly_charges' holds numbers; values that are not were read as "
            "missing (2 cells; first at row 5: 'unknown', 10: 'unknown')") in notes
    # the rows of a missing spelling are named, as the odd cells' are
    assert ("column 'monthly_charges': 1 cell such as ['N/A'] (first at row 8) read as "
            "missing") in notes
    assert out["plan"].dtype != "float64"  # a real category stays text


def test_more_odd_cells_than_the_allowance_keep_the_column_text(tmp_path: Path) -> None:
    assert ODD_CELLS_SHARE * N < ODD_CELLS_MAX  # the share binds at N rows
    charges = _charges()
    for i in range(int(ODD_CELLS_SHARE * N) + 1):
        charges[i] = f"plan {i}"
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges))
    # not numbers; with nearly one value per row it is not a category either: dropped, noted
    assert "monthly_charges" not in out.columns
    assert any(f"column 'monthly_charges' has {len(set(charges))} distinct values" in n
               for n in out.attrs["load_notes"])


def test_a_nearly_numeric_column_read_as_text_says_its_numbers_are_lost(tmp_path: Path) -> None:
    charges = _charges()
    for i in range(10, 42):  # 8% '#VALUE!': over the allowance, so the column is text
        charges[i] = "#VALUE!"
    plan = list(np.random.default_rng(2).choice(["a", "b", "c"], N))
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges, tier=plan))
    notes = "\n".join(out.attrs["load_notes"])
    assert ("column 'monthly_charges' is 92.0% numbers, but 32 of its 400 filled cells are not "
            "(first at row 11: '#VALUE!', 12: '#VALUE!', 13: '#VALUE!'): more than a number "
            "column may have (5% of its cells and at most 10,000)") in notes
    assert "its numbers are lost to the model" in notes
    assert "'tier'" not in notes  # a real category gets no such note


def test_odd_cells_among_the_first_rows_only_still_leave_a_number_column(
        tmp_path: Path) -> None:
    charges = _charges()
    for i in range(0, 160, 10):  # 16 of the first 200 cells (8%), 4% of the column
        charges[i] = "#VALUE!"
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges))
    assert out["monthly_charges"].dtype == "float64"
    assert int(out["monthly_charges"].isna().sum()) == 16
    notes = "\n".join(out.attrs["load_notes"])
    assert ("column 'monthly_charges' holds numbers; values that are not were read as missing "
            "(16 cells; first at row 1: '#VALUE!'") in notes
    assert "numbers are lost" not in notes


@pytest.mark.parametrize("bad", [["Yes", "maybe", "??x"], ["maybe", "??x"]])
def test_a_label_column_gets_no_column_type_note(tmp_path: Path, bad: list[str]) -> None:
    labels = [str(x) for x in np.random.default_rng(3).integers(0, 2, N)]
    for i, word in zip((3, 10, 20), bad, strict=False):
        labels[i] = word
    out = ft.infer_table_types(_table(tmp_path, churned=labels), keep_text=("customer_id",),
                               exact=("churned",))
    assert out["churned"].tolist() == labels  # as written: the label check reads and judges it
    assert not [n for n in out.attrs["load_notes"] if "churned" in n]
    # the same cells in a feature column: within the allowance, numbers with a note
    feature = ft.infer_table_types(_table(tmp_path, score=labels), keep_text=("customer_id",))
    assert feature["score"].dtype == "float64"


def test_blank_cells_in_a_number_column_are_counted_in_the_note(tmp_path: Path) -> None:
    charges = _charges()
    charges[3] = charges[8] = " "  # a CSV keeps a blank cell as text
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges))
    assert out["monthly_charges"].isna().sum() == 2
    assert ("column 'monthly_charges': 2 cells such as [' '] (first at rows 4, 9) read as "
            "missing") in "\n".join(out.attrs["load_notes"])


def test_currency_symbols_and_thousands_separators_are_removed_with_a_note(
        tmp_path: Path) -> None:
    charges = ["$" + c for c in _charges()]
    charges[3] = "$1,250.00"
    charges[5] = "-$4.50"
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges))
    assert out["monthly_charges"].iloc[[3, 5]].tolist() == [1250.0, -4.5]
    assert out["monthly_charges"].notna().all()
    assert any("column 'monthly_charges' read as numbers: currency symbols and thousands "
               "separators removed" in n for n in out.attrs["load_notes"])


def test_day_first_dates_are_a_date_column_not_a_category(tmp_path: Path) -> None:
    days = pd.date_range("2019-01-01", periods=N, freq="3D")
    out = ft.infer_table_types(_table(tmp_path, signup=list(days.strftime("%d/%m/%Y")),
                                      iso=list(days.strftime("%Y-%m-%d"))))
    assert out["signup"].tolist() == list(days)
    assert out["iso"].tolist() == list(days)
    assert any("column 'signup' read as dates: format %d/%m/%Y" in n
               for n in out.attrs["load_notes"])


def test_iso_times_with_a_utc_offset_are_a_date_column_not_a_category(tmp_path: Path) -> None:
    # a CRM export's '2026-03-08T10:00:00Z' (Salesforce, HubSpot): it had become a category of
    # one level per distinct time, or left out as an identifier, so --asof never used it
    days = pd.date_range("2019-01-01", periods=N, freq="3D")
    zulu = list(days.strftime("%Y-%m-%dT10:30:00Z"))
    zoned = list(days.strftime("%Y-%m-%dT23:30:00-05:00"))  # 04:30 the next day in UTC
    out = ft.infer_table_types(_table(tmp_path, last_order=zulu, renewal=zoned))
    assert out["last_order"].tolist() == list(days + pd.Timedelta(hours=10, minutes=30))
    assert out["renewal"].tolist() == list(days + pd.Timedelta(days=1, hours=4, minutes=30))
    assert out.attrs["date_formats"] == {"last_order": "ISO8601", "renewal": "ISO8601"}


def test_iso_dates_with_a_few_cells_that_are_not_dates_stay_a_date_column(
        tmp_path: Path) -> None:
    # two 'unknown' cells among 400 ISO dates had turned the column into text (no format but
    # ISO 8601 reads it, and ISO was tried only when every cell was one), in silence
    days = pd.date_range("2019-01-01", periods=N, freq="3D")
    iso = list(days.strftime("%Y-%m-%d"))
    iso[5] = iso[6] = "unknown"
    out = ft.infer_table_types(_table(tmp_path, last_order=iso))
    assert pd.api.types.is_datetime64_any_dtype(out["last_order"].dtype)
    assert out["last_order"].isna().tolist() == [i in (5, 6) for i in range(N)]
    assert ("crm.csv: column 'last_order' holds dates; values that are not were read as missing "
            "(2 cells; first at row 6: 'unknown', 7: 'unknown')") in out.attrs["load_notes"]


def test_an_id_like_text_column_is_not_a_category_feature(tmp_path: Path) -> None:
    emails = [f"user{i}@example.com" for i in range(N)]
    emails[0] = emails[1]
    assert len(set(emails)) >= ID_LIKE_SHARE * N
    out = ft.infer_table_types(_table(tmp_path, email=emails), keep_text=("customer_id",))
    assert "email" not in out.columns
    assert "customer_id" in out.columns
    assert any(f"column 'email' has {N - 1} distinct values in {N} rows (an identifier or free "
               "text): not used as a feature" in n for n in out.attrs["load_notes"])
    kept = ft.infer_table_types(_table(tmp_path, email=emails), categorical=("email",))
    assert "email" in kept.columns  # a column the model uses as a category is never dropped


def test_at_scoring_a_numeric_feature_takes_every_number(tmp_path: Path) -> None:
    tenure = [str(i % 70) for i in range(N)]
    for i in range(60):  # far more than the allowance, but the model knows the column is numeric
        tenure[i] = "unknown"
    out = ft.infer_table_types(_table(tmp_path, tenure_months=tenure),
                               numeric=("tenure_months",))
    assert out["tenure_months"].isna().sum() == 60
    assert out["tenure_months"].iloc[60:].tolist() == [float(i % 70) for i in range(60, N)]
    assert any("60 cells; first at row 1: 'unknown'" in n for n in out.attrs["load_notes"])


def test_exact_columns_are_typed_only_when_every_cell_reads(tmp_path: Path) -> None:
    label = ["1", "0"] * (N // 2)
    label[3] = "maybe"
    out = ft.infer_table_types(_table(tmp_path, churn=label), exact=("churn",))
    assert out["churn"].iloc[3] == "maybe"  # left for the label check to report


def test_a_bad_cutoff_column_names_the_file_column_rows_and_fix(tmp_path: Path) -> None:
    cut = ["2024-01-31"] * N
    cut[2] = "2024-13-45"
    with pytest.raises(ft.DataContractError, match=r"crm.csv: column 'cutoff' has values that are "
                       r"not dates \(1 row; first at row 3: '2024-13-45'\)\. Fix: use ISO 8601"):
        ft.infer_table_types(_table(tmp_path, cutoff=cut))
    cut[2] = "31/01/2024"
    good = parse_table_cutoff(pd.Series(["31/01/2024", "29/02/2024"]))
    assert good.tolist() == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")]


def test_a_percentage_column_is_numbers_with_a_note(tmp_path: Path) -> None:
    # a CRM export's 'Discount' of '5%', '12%', ...: it had become a category (levels '5%',
    # '12%'; a new '15%' at scoring was a level the model never saw) without a note
    discount = [f"{(i * 7) % 25}%" for i in range(N)]
    discount[4] = "N/A"
    discount[6] = "-2.5 %"
    out = ft.infer_table_types(_table(tmp_path, discount=discount))
    assert pd.api.types.is_float_dtype(out["discount"].dtype)
    assert out["discount"].iloc[[0, 1, 6]].tolist() == [0.0, 7.0, -2.5]
    assert np.isnan(out["discount"].iloc[4])
    assert any("column 'discount' read as numbers: percent signs removed (399 cells; '12%' is "
               "12)" in n for n in out.attrs["load_notes"])
    # at scoring the model's numeric column takes '15%' as 15 too
    scored = ft.infer_table_types(_table(tmp_path, discount=["15%"] + ["3"] * (N - 1)),
                                  numeric=("discount",))
    assert scored["discount"].iloc[:2].tolist() == [15.0, 3.0]
    # text that merely ends in '%' stays text; a label is never stripped
    words = ft.infer_table_types(_table(tmp_path, note=["about 5%", "n%"] * (N // 2)))
    assert words["note"].iloc[0] == "about 5%"
    label = ft.infer_table_types(_table(tmp_path, churn=["1%", "0"] * (N // 2)),
                                 exact=("churn",))
    assert label["churn"].iloc[0] == "1%"


def test_free_text_kept_as_a_category_gets_a_note_at_training(tmp_path: Path) -> None:
    """A CRM export's agent notes, most with a reference number ('called about bill (ref
    51266)'), are under the id-like share, so they stay a category: one of thousands of one-row
    levels the trees cannot learn from. Only scoring had said so (as unseen levels); training
    now notes it. A category of a few repeated levels gets no note."""
    rng = np.random.default_rng(0)
    phrases = ["called about bill", "asked for discount", "moving house", "upgrade enquiry"]
    notes = [f"{rng.choice(phrases)} (ref {i})" if i % 10 < 7 else str(rng.choice(phrases))
             for i in range(N)]
    out = ft.infer_table_types(_table(tmp_path, notes=notes,
                                      plan=[str(rng.choice(["Basic", "Plus"])) for _ in range(N)]))
    assert "notes" in out.columns  # still a category (under ID_LIKE_SHARE distinct)
    said = [n for n in out.attrs["load_notes"] if "'notes'" in n]
    assert len(said) == 1, said
    assert "hold a value no other row has" in said[0]
    assert f"in {N:,} filled rows" in said[0]
    assert not any("'plan'" in n for n in out.attrs["load_notes"])
    scored = ft.infer_table_types(_table(tmp_path, notes=notes), categorical=("notes",))
    assert not any("'notes'" in n for n in scored.attrs["load_notes"])


def test_empty_cells_in_a_number_column_are_counted_in_a_note_with_their_rows(
        tmp_path: Path) -> None:
    charges = _charges()
    charges[2] = charges[6] = charges[11] = ""  # empty in the CSV: read back as missing
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges),
                               keep_text=("customer_id",))
    assert out["monthly_charges"].isna().sum() == 3
    notes = [n for n in out.attrs["load_notes"] if "empty" in n]
    assert notes == ["crm.csv: empty cells read as missing: column 'monthly_charges' 3 of 400 "
                     "(first at rows 3, 7, 12)"]


def test_empty_and_spelled_missing_cells_of_one_column_are_one_note(tmp_path: Path) -> None:
    charges = _charges()
    charges[2] = charges[6] = ""
    charges[4] = "N/A"
    out = ft.infer_table_types(_table(tmp_path, monthly_charges=charges),
                               keep_text=("customer_id",))
    notes = [n for n in out.attrs["load_notes"] if "monthly_charges" in n]
    assert notes == ["crm.csv: column 'monthly_charges': 1 cell such as ['N/A'] (first at "
                     "row 5) read as "
                     "missing, and 2 empty cells (first at rows 3, 7)"]


def test_empty_cells_in_many_number_columns_are_one_note_not_one_per_column(
        tmp_path: Path) -> None:
    cols = {}
    for k in range(12):
        values = _charges()
        for i in range(k + 1):
            values[5 * i + k] = ""
        cols[f"x{k:02d}"] = values
    labels = [str(x) for x in np.random.default_rng(3).integers(0, 2, N)]
    labels[9] = ""  # the label's empty cells are the label check's ('rows without a label')
    out = ft.infer_table_types(_table(tmp_path, churned=labels, **cols),
                               keep_text=("customer_id",), exact=("churned",))
    notes = [n for n in out.attrs["load_notes"] if "empty" in n]
    assert len(notes) == 1
    assert notes[0].startswith("crm.csv: empty cells read as missing in 12 columns (78 cells): "
                               "column 'x00' 1 of 400 (first at row 1); column 'x01' 2 of 400 "
                               "(first at rows 2, 7); ")
    assert notes[0].endswith("and 7 more columns")
    assert "churned" not in notes[0]


def test_a_semicolon_table_reads_decimal_commas_as_numbers(tmp_path: Path) -> None:
    """A German or Excel CRM export (';'-separated) writes '19,19' for 19.19, as the events and
    series readers already read such files. Until 2026-12-06 a customer table's charges column
    so written became a category of 4,687 levels without a note (a Telco-like check of 7,000
    rows) and its total charges column was dropped as "an identifier or free text". At scoring
    the model's number columns read the same cells the same way."""
    rng = np.random.default_rng(2)
    monthly = rng.uniform(18, 118, N)
    total = monthly * rng.integers(1, 72, N)
    cells = {"MonthlyCharges": [f"{x:.2f}".replace(".", ",") for x in monthly],
             "TotalCharges": [" " if i == 3 else f"{x:.2f}".replace(".", ",")
                              for i, x in enumerate(total)],
             "Big": ["1.234,50"] + [f"{x:.1f}".replace(".", ",") for x in total[1:]],
             "tenure": [str(i % 72) for i in range(N)]}
    frame = pd.DataFrame({"customerID": [f"C{i}" for i in range(N)], **cells})
    frame.to_csv(tmp_path / "telco.csv", sep=";", index=False)
    out = ft.infer_table_types(ft.read_table(tmp_path / "telco.csv"), keep_text=("customerID",))
    assert out["MonthlyCharges"].dtype == "float64"
    np.testing.assert_allclose(out["MonthlyCharges"], np.round(monthly, 2))
    assert out["TotalCharges"].dtype == "float64"
    assert np.isnan(out["TotalCharges"].iloc[3])
    np.testing.assert_allclose(out["TotalCharges"].drop(index=3),
                               np.round(np.delete(total, 3), 2))
    assert out["Big"].iloc[0] == 1234.5
    assert out["tenure"].tolist()[:3] == [0.0, 1.0, 2.0]
    notes = " ".join(out.attrs["load_notes"])
    assert ("column 'MonthlyCharges' read as numbers: ',' read as the decimal mark, as "
            "';'-separated files write numbers (" in notes)
    assert "column 'tenure' read as numbers" not in notes  # plain integers need no note
    assert "identifier or free text" not in notes
    # scoring: the model's number columns read the cells the same way
    scored = ft.infer_table_types(ft.read_table(tmp_path / "telco.csv"),
                                  keep_text=("customerID",),
                                  numeric=("MonthlyCharges", "TotalCharges", "Big", "tenure"))
    np.testing.assert_allclose(scored["MonthlyCharges"], out["MonthlyCharges"])
    # a comma file's decimal comma is no number in a comma-separated file: a category there,
    # as documented (a ',' inside a cell needs quotes and is ambiguous: '1,250')
    frame.to_csv(tmp_path / "comma.csv", index=False)
    plain = ft.infer_table_types(ft.read_table(tmp_path / "comma.csv"), keep_text=("customerID",))
    assert ("MonthlyCharges" not in plain.columns
            or plain["MonthlyCharges"].dtype != "float64")


def test_a_semicolon_tables_number_column_with_an_odd_cell_names_only_what_was_removed(
        tmp_path: Path) -> None:
    """In a ';'-separated file a column of plain integers with one text cell goes through the
    decimal-comma reading; its note had said 'currency symbols and thousands separators
    removed' where there were none. The odd cell is named, nothing else; a first ',' cell that
    is no number is not shown as 'nan'."""
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(N)],
                          "tenure": ["abc" if i == 4 else str(i % 72) for i in range(N)],
                          "charges": ["1,234.50" if i == 0 else f"{i},5" for i in range(N)]})
    frame.to_csv(tmp_path / "crm.csv", sep=";", index=False)
    out = ft.infer_table_types(ft.read_table(tmp_path / "crm.csv"), keep_text=("customer_id",))
    assert out["tenure"].dtype == "float64"
    assert np.isnan(out["tenure"].iloc[4])
    notes = out.attrs["load_notes"]
    tenure = [n for n in notes if "'tenure'" in n]
    assert not [n for n in tenure if "removed" in n], tenure
    assert any("first at row 5: 'abc'" in n for n in tenure), tenure
    charges = " ".join(n for n in notes if "'charges'" in n)
    assert "('1,5' is 1.5)" in charges, charges
    assert "nan" not in charges


def test_a_number_column_with_no_number_at_scoring_is_named_as_such_not_as_odd_cells() -> None:
    # an export that writes the unit beside every number ('19 months'): at scoring, a column
    # the model learned as numbers reads nothing; the note says so instead of counting
    # "values that are not" as if a few cells were odd
    raw = pd.DataFrame({"tenure": [f"{i % 60 + 1} months" for i in range(1200)],
                        "plan": ["basic", "pro"] * 600})
    out = ft.infer_table_types(raw, numeric=["tenure"], categorical=["plan"])
    assert out["tenure"].isna().all()
    notes = " ".join(out.attrs["load_notes"])
    assert ("column 'tenure' was numbers at training, but none of its 1,200 filled cells here "
            "is a number (first at row 1: '1 months'") in notes
    assert "values that are not were read as missing" not in notes
    few = raw.assign(tenure=["7"] * 1199 + ["unknown"])  # one odd cell: counted as before
    notes = " ".join(ft.infer_table_types(few, numeric=["tenure"]).attrs["load_notes"])
    assert "values that are not were read as missing (1 cell; first at row 1200" in notes


def test_whole_numbers_named_as_an_identifier_or_a_code_are_not_number_features() -> None:
    rng = np.random.default_rng(4)
    n = 400
    raw = pd.DataFrame({
        "AccountNo": [str(100000 + i) for i in range(n)],        # one per customer: an id
        "ZipCode": [str(z) for z in rng.integers(10000, 10040, n)],  # 40 areas: a category
        "phone": [str(4915100000000 + i) for i in range(n)],      # one per customer: an id
        "num_orders": [str(k) for k in rng.integers(0, 9, n)],    # a quantity
        "lifetime_spend": [str(1000 + 7 * i) for i in range(n)],  # distinct, not named an id
        "plan": ["basic", "pro"] * (n // 2)})
    out = ft.infer_table_types(raw)
    assert "AccountNo" not in out.columns
    assert "phone" not in out.columns
    assert not pd.api.types.is_numeric_dtype(out["ZipCode"])
    assert out["num_orders"].dtype == "float64"
    assert out["lifetime_spend"].dtype == "float64"
    notes = " ".join(out.attrs["load_notes"])
    assert ("column 'AccountNo' holds whole numbers, 400 distinct in 400 rows, and its name "
            "reads as an identifier") in notes
    assert "column 'ZipCode' holds whole numbers, but its name says they are codes" in notes
    # at scoring the model's own types decide: nothing is dropped or re-typed by name
    scored = ft.infer_table_types(raw, numeric=["num_orders"], categorical=["ZipCode", "plan"])
    assert "AccountNo" in scored.columns


def test_an_integer_column_of_a_parquet_table_named_as_an_identifier_is_dropped_too() -> None:
    n = 300
    raw = pd.DataFrame({"AccountNo": np.arange(100000, 100000 + n),
                        "PLZ": np.tile(np.arange(10115, 10145), n // 30),
                        "orders": np.arange(n) % 7, "plan": ["basic", "pro"] * (n // 2)})
    out = ft.infer_table_types(raw)
    assert "AccountNo" not in out.columns
    assert not pd.api.types.is_numeric_dtype(out["PLZ"])
    assert pd.api.types.is_integer_dtype(out["orders"])


def test_a_stack_of_snapshots_concatenated_with_their_own_index_is_typed() -> None:
    """Two snapshots stacked with ``pd.concat`` (index labels repeated) and an e-mail column
    with blanks: typing stopped with "cannot reindex on an axis with duplicate labels". It
    gives what the same stack with a fresh index gives, on the frame's own index."""
    n = 150
    first = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "cutoff": "2024-01-31",
                          "Email": [f"x{i}@a.com" if i % 10 else None for i in range(n)],
                          "plan": ["a", "b", "c"] * 50})
    stacked = pd.concat([first, first.assign(cutoff="2024-02-29")])
    typed = ft.infer_table_types(stacked)
    fresh = ft.infer_table_types(stacked.reset_index(drop=True))
    assert list(typed.index) == list(stacked.index)
    pd.testing.assert_frame_equal(typed.reset_index(drop=True), fresh)
    assert typed.attrs["load_notes"] == fresh.attrs["load_notes"]
    assert "Email" not in typed.columns  # one value per customer in one cutoff: an identifier
