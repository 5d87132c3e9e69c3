"""`brain train churn --table` leaves out a whole-number column that is an identifier by its
values (a name in no language it knows), says so in the note of unused columns, and keeps a
tenure in days that is nearly one value per row (features._tables.id_like_numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from serving.cli import app

N = 600


def test_train_leaves_out_an_id_by_its_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    tenure = rng.permutation(np.arange(1, 40 * N, 40))[:N]  # days: every row its own
    orders = rng.poisson(3, N)
    churn = rng.random(N) < 1 / (1 + np.exp(-(1.5 - tenure / (10 * N) - 0.3 * orders)))
    table = pd.DataFrame({
        "client": [f"C{i}" for i in range(N)],
        "asiakas": rng.permutation(N) + 1,  # Finnish 'customer': no id word, values only
        "nb_commandes": orders, "ancienneté_jours": tenure,
        "résilié": np.where(churn, "oui", "non")})
    path = tmp_path / "clients.csv"
    table.to_csv(path, sep=";", index=False)
    res = CliRunner().invoke(app, ["train", "churn", "--table", str(path), "--label-col",
                                   "résilié", "--id-col", "client", "--no-register"])
    said = " ".join(res.output.split())
    assert res.exit_code == 0, said
    assert "not used as features: asiakas (whole numbers, 600 distinct in 600 rows" in said
    assert "ancienneté_jours (" not in said
