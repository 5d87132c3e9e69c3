"""Regressions from the independent test report h11c (A/B engine and ``brain ab``).

Each test failed before its fix: degenerate arms judged by a zero Welch standard error, variant
labels differing in case or spaces, repeated units (``unit_col``), engine parameter names in
front-end messages, currency-formatted revenue and the CUPED suggestion.
"""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import experiments as ex
from serving._cli_experiments import CLI_NAMES, ab_app

app = typer.Typer()
app.add_typer(ab_app, name="ab")
runner = CliRunner()
API_NAMES = {"expected_shares": "expected_split", "relative=False": '"relative": false'}


def _binary(n_c: int, x_c: int, n_t: int, x_t: int) -> pd.DataFrame:
    return pd.DataFrame({
        "variant": ["control"] * n_c + ["treatment"] * n_t,
        "converted": [1] * x_c + [0] * (n_c - x_c) + [1] * x_t + [0] * (n_t - x_t),
    })


# --- 4. engine parameter names in front-end messages ----------------------------------------

def test_expected_split_lacking_an_arm_names_the_front_ends_option() -> None:
    frame = _binary(100, 10, 100, 12)
    opts = ex.AnalysisOptions(expected_shares={"control": 0.5, "treatmnt": 0.5})
    with pytest.raises(ex.ExperimentInputError) as err:
        ex.analyze(frame, "variant", "control", "converted", options=opts)
    assert "--expected-split lacks arms ['treatment']" in err.value.phrase(CLI_NAMES)
    assert "expected_split lacks arms" in err.value.phrase(API_NAMES)
    assert "expected_shares" not in err.value.phrase(API_NAMES)


def test_plan_leaving_zero_one_names_absolute_on_the_cli() -> None:
    with pytest.raises(ex.ExperimentInputError) as err:
        ex.sample_size(baseline=0.95, mde=0.1)
    assert "or --absolute if you gave" in err.value.phrase(CLI_NAMES)
    assert 'or "relative": false if you gave' in err.value.phrase(API_NAMES)
    res = runner.invoke(app, ["ab", "plan", "--baseline", "0.95", "--mde", "0.1"])
    assert res.exit_code == 2
    assert "relative=False" not in res.output
    assert "--absolute" in res.output
