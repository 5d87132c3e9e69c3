"""Identifiers among a customer table's whole-number columns, in any language: by their names
(``Kundennummer``, ``numéro_client``, ``klantnummer``, ``código``) when nearly one value per row,
and by their values whatever the name (nearly one value per row and not related to the label),
while a count or a tenure in days stays a feature, even when nearly every row has its own.

Until 2026-12-07 only English and German words were read (``AccountNo``), split at ASCII
letters, so ``numéro_client`` and ``Kundennummer`` were number features: on a generated French
CRM table four id columns took 28.2% of the churn model's gain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import features as ft
from features._tables import id_like_numbers, name_words

N = 600


def _crm(seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    tenure = rng.permutation(np.arange(1, 40 * N, 40))[:N]  # days: every row its own
    orders = rng.poisson(3, N)
    churn = rng.random(N) < 1 / (1 + np.exp(-(1.5 - tenure / (10 * N) - 0.3 * orders)))
    frame = pd.DataFrame({
        "Kundennummer": rng.permutation(N) + 5_000_000,
        "numéro_client": rng.permutation(3 * N)[:N] + 100_000,
        "klantnummer": rng.permutation(N) + 70_000,
        "código": rng.permutation(10 * N)[:N] + 10**8,
        "asiakas": rng.permutation(N) + 1,  # Finnish 'customer': no id word, values only
        "nb_commandes": orders,
        "ancienneté_jours": tenure,
    })
    return frame, pd.Series(churn.astype(float))


@pytest.mark.parametrize("name", ["Kundennummer", "numéro_client", "klantnummer", "código",
                                  "KdNr", "codice_cliente", "identificador"])
def test_id_names_in_other_languages_are_read_as_ids(name: str) -> None:
    frame, _ = _crm()
    table = frame[["Kundennummer", "nb_commandes", "ancienneté_jours"]].rename(
        columns={"Kundennummer": name}).astype(str)
    out = ft.infer_table_types(table)
    assert name not in out.columns
    assert any(f"column '{name}' holds whole numbers" in n for n in out.attrs["load_notes"])
    # counts and days keep their numbers
    assert out["nb_commandes"].dtype == "float64"
    assert out["ancienneté_jours"].dtype == "float64"


@pytest.mark.parametrize("name", ["nb_commandes", "ancienneté_jours", "aantal_bestellingen",
                                  "Anzahl_Bestellungen", "partner", "dinner_count"])
def test_names_of_quantities_are_not_id_words(name: str) -> None:
    from features._tables import _named_as_id

    assert not _named_as_id(name_words(name))


def test_an_unnamed_id_is_found_by_its_values_and_a_unique_tenure_is_kept() -> None:
    frame, churn = _crm()
    assert frame["ancienneté_jours"].nunique() == N  # as unique as an id
    found = id_like_numbers(frame, churn, classifier=True)
    assert "asiakas" in found
    assert "related to the label neither in their order (AUC" in found["asiakas"]
    assert "ancienneté_jours" not in found
    assert "nb_commandes" not in found


def test_a_unique_column_related_by_its_deciles_only_is_kept() -> None:
    rng = np.random.default_rng(4)
    x = rng.permutation(N) + 1
    middle = (x > N / 3) & (x < 2 * N / 3)  # churn in the middle third: no order relation
    y = pd.Series((rng.random(N) < np.where(middle, 0.6, 0.1)).astype(float))
    frame = pd.DataFrame({"x": x})
    assert "x" not in id_like_numbers(frame, y, classifier=True)
    assert "x" in id_like_numbers(frame, pd.Series(rng.random(N) < 0.3).astype(float), True)


def test_value_labels_spend_in_cents_kept_an_id_dropped() -> None:
    rng = np.random.default_rng(5)
    cents = rng.permutation(np.arange(100, 100 * N * 7, 7))[:N]
    revenue = pd.Series(cents / 100 * rng.gamma(2, 0.5, N))
    frame = pd.DataFrame({"spend_cents": cents, "numer": rng.permutation(N) + 1})
    found = id_like_numbers(frame, revenue, classifier=False)
    assert list(found) == ["numer"]
    assert "Spearman" in found["numer"]


def test_kept_columns_are_never_left_out_as_identifiers() -> None:
    """``keep_columns`` (``brain train --keep-column``): a number named as an id stays a
    number (a Parquet int column and a CSV text column alike), and a text column of one value
    per row stays a category; the notes on the numbers name the option, and the note on a
    text column does not (kept, it is a category of one-row levels: no help)."""
    rng = np.random.default_rng(2)
    cells = pd.DataFrame({"AccountNo": (rng.permutation(N) + 10_000).astype(str),
                          "email": [f"c{i}@example.com" for i in range(N)]})
    ints = pd.DataFrame({"Kundennummer": rng.permutation(N) + 5_000_000})
    for frame in (cells, ints):
        dropped = ft.infer_table_types(frame)
        assert dropped.columns.empty
        notes = " ".join(dropped.attrs["load_notes"])
        for col in frame.columns:
            assert (f"pass --keep-column {col}" in notes) == (col != "email"), notes
        kept = ft.infer_table_types(frame, keep_columns=tuple(frame.columns))
        assert list(kept.columns) == list(frame.columns)
        assert "--keep-column" not in " ".join(kept.attrs["load_notes"])
    kept = ft.infer_table_types(cells, keep_columns=("AccountNo", "email"))
    assert pd.api.types.is_float_dtype(kept["AccountNo"].dtype)
    assert kept["email"].iloc[0] == "c0@example.com"


def test_free_text_is_not_pointed_at_keep_column() -> None:
    """A comment field (several words per cell, one value per row) is left out with a note that
    calls it free text and says how to use it, without suggesting --keep-column, which would
    only make it a category of one-row levels."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"Notes": [f"Customer said {w} on call {i}" for i, w in enumerate(
        rng.choice(["thanks", "too expensive", "slow support"], N))],
                          "Ref": [f"T-{i:06d}" for i in range(N)]})
    typed = ft.infer_table_types(frame)
    notes = " ".join(typed.attrs["load_notes"])
    assert typed.columns.empty
    assert "--keep-column" not in notes, notes
    assert (f"column 'Notes' has {N:,} distinct values in {N:,} rows (free text: most cells are "
            "several words): not used as a feature. To use it, derive a few categories") in notes
    assert (f"column 'Ref' has {N:,} distinct values in {N:,} rows (an identifier or free "
            "text): not used as a feature") in notes


def test_a_stacked_table_judges_one_value_per_row_within_one_cutoff() -> None:
    """A table of several snapshots (a 'cutoff' column) repeats each customer's e-mail, account
    number and comment once per cutoff: over the stack they are half as many values as rows,
    and had been kept (the account number as a number, the e-mail and the comments as
    categories the model learned customers from). Judged within one cutoff, they are left out
    with a note saying so; a real category and a count stay features."""
    rng = np.random.default_rng(6)
    one = pd.DataFrame({
        "AccountNo": (rng.permutation(N) + 10_000).astype(str),
        "email": [f"c{i}@example.com" for i in range(N)],
        "notes": [f"said {w} on call {i}" for i, w in enumerate(rng.choice(["a", "b"], N))],
        "plan": rng.choice(["basic", "pro"], N),
        "orders": rng.poisson(3, N).astype(str)})
    stacked = pd.concat([one.assign(cutoff="2026-03-31"), one.assign(cutoff="2026-06-30")],
                        ignore_index=True)
    typed = ft.infer_table_types(stacked)
    notes = " ".join(typed.attrs["load_notes"])
    assert sorted(typed.columns) == ["cutoff", "orders", "plan"], notes
    assert (f"column 'email' has {N:,} distinct values in {N:,} rows of one cutoff (an "
            "identifier or free text)") in notes
    assert f"'AccountNo' holds whole numbers, {N:,} distinct in {N:,} rows of one cutoff" in notes
    # the value rule (an id unrelated to the label, whatever its name) too
    numer = pd.concat([pd.Series(rng.permutation(N) + 1)] * 2, ignore_index=True)
    frame = pd.DataFrame({"numer": numer, "cutoff": stacked["cutoff"]})
    label = pd.Series(rng.integers(0, 2, 2 * N))
    found = id_like_numbers(frame, label, classifier=True)
    assert list(found) == ["numer"]
    assert f"{N:,} distinct in {N:,} rows of one cutoff" in found["numer"]


def test_a_stack_of_small_snapshots_is_judged_as_a_whole() -> None:
    """Snapshots under ID_LIKE_MIN_ROWS rows each are too small to judge alone: the rules look
    at the whole stack, so an e-mail column of other customers at each cutoff is still left
    out."""
    cells = pd.DataFrame({"email": [f"c{i}@example.com" for i in range(180)],
                          "cutoff": np.repeat(["2026-01-31", "2026-02-28", "2026-03-31"], 60)})
    typed = ft.infer_table_types(cells)
    assert "email" not in typed.columns, typed.attrs["load_notes"]
