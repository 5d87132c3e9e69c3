"""A scored table whose number column cannot be read in any row (a French CRM export's
``panier_moyen`` written 'n/a' everywhere, or left blank) stops ``brain score --table`` with an
error naming the file, the column, its cells and the rows, unless ``--allow-empty-columns``;
a column unreadable in some rows only is a note that counts them and names the first rows.

Until 2026-12-07 the whole column was a note and every customer was scored as if the value
were unknown (on a generated French CRM table the mean P(churn) moved from 0.125 to 0.159)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli import app

N = 400
runner = CliRunner()


def _table(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    orders = rng.poisson(4, N)
    basket = rng.gamma(3, 15, N).round(2)
    logit = 1.0 - 0.4 * orders - 0.02 * basket
    return pd.DataFrame({
        "client": [f"FR{i:05d}" for i in range(N)], "nb_commandes": orders,
        "panier_moyen": [f"{v:.2f}".replace(".", ",") for v in basket],
        "résilié": np.where(rng.random(N) < 1 / (1 + np.exp(-logit)), "oui", "non")})


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    path = tmp_path / "clients.csv"
    _table().to_csv(path, sep=";", index=False)
    res = runner.invoke(app, ["train", "churn", "--table", str(path), "--label-col", "résilié",
                              "--id-col", "client"])
    assert res.exit_code == 0, res.output
    return tmp_path


def _score(table: pd.DataFrame, folder: Path, *extra: str) -> tuple[int, str, Path]:
    path, out = folder / "nouveaux.csv", folder / "scores.csv"
    table.drop(columns="résilié").to_csv(path, sep=";", index=False)
    res = runner.invoke(app, ["score", "churn", "--table", str(path), "--id-col", "client",
                              "--out", str(out), *extra])
    return res.exit_code, " ".join(res.output.split()), out


@pytest.mark.parametrize("cell", ["n/a", ""])
def test_a_number_column_unreadable_in_every_row_is_an_error(trained: Path, cell: str) -> None:
    code, said, out = _score(_table(4).assign(panier_moyen=cell), trained)
    assert code != 0, said
    assert not out.exists()
    written = "'n/a' 400 rows" if cell else "<empty> 400 rows"  # as written
    assert (f"nouveaux.csv: column 'panier_moyen' ({written}) has no value that reads as a "
            "number in any row (all 400 rows scored)") in said
    assert "Fix: write numbers in that column as at training, with decimal commas such as " \
        "'37,03'" in said
    assert "--allow-empty-columns" in said
    # the flag scores anyway, with the note of before
    code, said, out = _score(_table(4).assign(panier_moyen=cell), trained,
                             "--allow-empty-columns")
    assert code == 0, said
    assert "'panier_moyen' has no value in any row" in said
    assert len(pd.read_csv(out)) == N


def test_a_number_column_unreadable_in_some_rows_is_a_note_naming_them(trained: Path) -> None:
    table = _table(4)
    table.loc[[3, 17], "panier_moyen"] = "inconnu"
    table.loc[[5], "panier_moyen"] = "n/a"
    code, said, out = _score(table, trained)
    assert code == 0, said
    assert ("column 'panier_moyen' holds numbers; values that are not were read as missing "
            "(2 cells; first at row 4: 'inconnu', 18: 'inconnu')") in said
    assert "column 'panier_moyen': 1 cell such as ['n/a'] (first at row 6) read as missing" in said
    assert len(pd.read_csv(out)) == N
