"""Error messages name inputs in the terms of the front end that shows them.

The engine names an input by ``Param`` (its own parameter name); the CLI prints its options
(``--variant-col``), the API its JSON fields (tests/serving/test_http.py), a Python caller sees
the engine's names.
"""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import experiments as ex
from serving._cli_ab import ab_app
from serving._cli_ab_inputs import CLI_NAMES
from serving._cli_uplift import uplift_app

REPO = Path(__file__).resolve().parents[2]
ENGINE_SOURCES = sorted((REPO / "experiments").glob("*.py"))
# the experiments CLI: _cli_ab (analyze, plan), _cli_ab_inputs, _cli_ab_print, _cli_uplift
NAMING_SOURCES = [*ENGINE_SOURCES, *sorted((REPO / "serving").glob("_cli_ab*.py")),
                  REPO / "serving" / "_cli_uplift.py"]
FLAG = re.compile(r"(?<![\w-])--[a-z]")

app = typer.Typer()
app.add_typer(ab_app, name="ab")
app.add_typer(uplift_app, name="uplift")
runner = CliRunner()


def _error_calls(path: Path, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name]


def _params_named_in_sources() -> set[str]:
    return {str(ex.Param(*(ast.literal_eval(a) for a in call.args)))
            for path in NAMING_SOURCES for call in _error_calls(path, "Param")}


def test_the_message_keeps_engine_names_until_a_front_end_phrases_it() -> None:
    err = ex.ExperimentInputError("a larger ", ex.Param("mde"), " unless ",
                                  ex.Param("relative", False), " or ", ex.Param("sd"), ".")
    assert str(err) == "a larger mde unless relative=False or sd."
    assert err.params == ("mde", "relative=False", "sd")
    assert err.phrase({"mde": "--mde", "relative=False": "--absolute"}) == (
        "a larger --mde unless --absolute or sd.")
    assert isinstance(err, ValueError)
    assert str(ex.ExperimentInputError("plain text")) == "plain text"
    assert str(pickle.loads(pickle.dumps(err))) == str(err)  # crosses process pools intact


def test_engine_messages_spell_no_command_line_option() -> None:
    found = [f"{path.name}:{node.lineno}: {node.value!r}"
             for path in ENGINE_SOURCES for call in _error_calls(path, "ExperimentInputError")
             for node in ast.walk(call)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and FLAG.search(node.value)]
    assert not found, found


def test_every_named_input_has_an_existing_cli_option() -> None:
    named = _params_named_in_sources()
    assert {"variant_col", "control", "metrics", "mde", "relative=False", "n_control",
            "expected_shares", "treatment_col", "outcome", "features"} <= named
    assert named - set(CLI_NAMES) == set(), "named in a message but without a CLI spelling"
    options = set(_options(typer.main.get_command(app)))
    assert set(CLI_NAMES.values()) - options == set(), "a CLI spelling that is no option"


def _options(command: Any) -> list[str]:
    """Every option spelling of a (click) ``command`` and its subcommands."""
    subs = getattr(command, "commands", {})
    return [o for sub in subs.values() for o in _options(sub)] + [
        o for p in command.params if p.param_type_name == "option" for o in p.opts]


def _csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    n = 400
    path = tmp_path / "e.csv"
    pd.DataFrame({"arm": np.resize(["control", "new"], n), "converted": rng.random(n) < 0.3,
                  "pre": rng.random(n), "x1": rng.random(n)}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("args", "expect"), [
    (["ab", "analyze", "--metrics", "converted"],
     "Fix: pass --variant-col with the arm label column."),
    (["ab", "analyze", "--metrics", "converted", "--variant-col", "arm", "--control", "ctl"],
     "Fix: pass --control with one of those labels"),
    (["ab", "analyze", "--metrics", "converted,spend", "--variant-col", "arm"],
     "Fix: pass the right --metrics column names."),
    (["ab", "analyze", "--metrics", "converted", "--variant-col", "arm", "--segment-col", "c"],
     "Fix: pass an existing pre-period column as --segment-col."),
    (["ab", "analyze", "--metrics", "converted", "--variant-col", "arm", "--cuped", "x=pre"],
     "--cuped names metrics ['x'] that are not in --metrics"),
    (["uplift", "train", "--outcome", "bought", "--features", "x1", "--treatment-col", "arm",
      "--no-mlflow"], "Fix: pass the right --treatment-col/--outcome."),
    (["uplift", "train", "--outcome", "converted", "--features", "nope", "--treatment-col",
      "arm", "--no-mlflow"], "Fix: pass existing pre-treatment columns as --features."),
    (["uplift", "train", "--outcome", "converted", "--features", "x1", "--treatment-col", "arm",
      "--control", "ctl", "--no-mlflow"], "Fix: pass --control with one of those labels"),
])
def test_cli_messages_name_the_options(tmp_path: Path, args: list[str], expect: str) -> None:
    res = runner.invoke(app, [*args[:2], "--data", str(_csv(tmp_path)), *args[2:]])
    assert res.exit_code == 2, res.output
    assert expect in " ".join(res.output.split())


def test_plan_cli_names_the_options_to_check() -> None:
    res = runner.invoke(app, ["ab", "plan", "--baseline", "0.1", "--n-control", str(10**30)])
    assert res.exit_code == 2, res.output
    assert "Fix: check --n-control (and --baseline/--sd)" in " ".join(res.output.split())


def test_plan_for_a_mean_without_sd_names_the_option_and_what_to_give() -> None:
    res = runner.invoke(app, ["ab", "plan", "--baseline", "10", "--mde", "0.05", "--kind",
                              "mean"])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "means need --sd, the per-unit standard deviation" in out
    assert "Fix: pass --sd with the metric's standard deviation across units" in out
    assert "None" not in out
    with pytest.raises(ex.ExperimentInputError, match=r"means need sd, .*Fix: pass sd "):
        ex.sample_size(baseline=10, mde=0.05, kind="mean")
    with pytest.raises(ex.ExperimentInputError, match=r"means need sd > 0.*\(received -2\)"):
        ex.sample_size(baseline=10, mde=0.05, kind="mean", sd=-2)


def test_srm_without_a_designed_split_points_at_the_option(tmp_path: Path) -> None:
    path = tmp_path / "srm.csv"
    pd.DataFrame({"variant": ["control"] * 700 + ["new"] * 300,
                  "converted": np.resize([0, 1, 1], 1000)}).to_csv(path, index=False)
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "converted"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "SAMPLE RATIO MISMATCH" in out
    assert "pass it as --expected-split" in out
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "converted",
                              "--expected-split", "control=0.7,new=0.3"])
    assert "--expected-split" not in res.output


def test_plan_names_cuped_r2_and_shows_the_sidedness_and_ratio() -> None:
    res = runner.invoke(app, ["ab", "plan", "--baseline", "0.1", "--mde", "0.05",
                              "--cuped-r2", "1"])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "--cuped-r2 (the share of variance CUPED removes, R^2) must be in [0, 1)" in out
    assert "variance_reduction" not in out
    res = runner.invoke(app, ["ab", "plan", "--baseline", "0.1", "--mde", "0.05", "--one-sided",
                              "--variants", "3", "--ratio", "0.96"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "one-sided, 3 variants (Bonferroni)" in out
    assert "treatment units per control unit │ 0.96" in out


def test_plan_baseline_outside_0_1_names_the_input_in_each_front_end() -> None:
    """The rule named no input (a plain string), so the API answered field null for
    {"baseline": 1.5}; the CLI now says --baseline, the API the field."""
    res = runner.invoke(app, ["ab", "plan", "--baseline", "1.5", "--mde", "0.05"])
    assert res.exit_code == 2, res.output
    assert "--baseline (a rate, for kind 'proportion') must be in (0, 1) (received 1.5)" in \
        " ".join(res.output.split())
    with pytest.raises(ex.ExperimentInputError) as err:
        ex.sample_size(baseline=1.5, mde=0.05)
    assert "baseline" in err.value.params
