"""The experiments CLI is split over modules (``serving._cli_ab``, ``_cli_ab_inputs``,
``_cli_ab_print``, ``_cli_uplift``; ``_cli_experiments`` re-exports their public names): the
checks that read its source must read all of them."""

from __future__ import annotations

import ast
from pathlib import Path

import experiments as ex
import serving._cli_experiments as facade
from serving._cli_experiments import CLI_NAMES

SERVING = Path(__file__).resolve().parents[2] / "serving"
CLI_SOURCES = [SERVING / f"{name}.py" for name in ("_cli_experiments", "_cli_ab", "_cli_ab_inputs",
                                                   "_cli_ab_print", "_cli_uplift")]


def test_every_input_the_cli_modules_name_has_a_cli_spelling() -> None:
    """test_input_names reads serving/_cli_experiments.py for Param calls; after the split
    --lower-is-better's (in build_metrics) is in _cli_ab_inputs.py."""
    named = {str(ex.Param(*(ast.literal_eval(a) for a in node.args)))
             for path in CLI_SOURCES for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Param"}
    assert {"lower_is_better", "cuped", "guardrails", "caps", "expected_shares", "metrics",
            "time_col"} <= named
    assert named - set(CLI_NAMES) == set()


def test_the_facade_keeps_the_names_other_modules_import() -> None:
    for name in ("CLI_NAMES", "ab_app", "uplift_app", "build_metrics", "guardrail_margin",
                 "cap_lines", "uplift_policy_notes", "ab_summary", "demo_step", "_read",
                 "TIME_SEGMENTS", "RARE_OUTCOME_EVENTS"):
        assert hasattr(facade, name), name
    assert set(facade.__all__) <= set(dir(facade))
