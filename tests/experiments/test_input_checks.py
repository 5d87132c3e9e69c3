"""Bad or degenerate inputs give clear errors or explicit warnings, never tracebacks or silent NaNs.

Covers empty ratio sides, uplift inputs validated before the split, constant metrics and zero-sum
denominators, planning / --expected-split messages and guardrail margins (relative or ``abs:``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import experiments as ex
from serving._cli_ab import ab_app
from serving._cli_ab_inputs import CLI_NAMES, build_metrics, guardrail_margin
from serving._cli_uplift import uplift_app

app = typer.Typer()
app.add_typer(ab_app, name="ab")
app.add_typer(uplift_app, name="uplift")
runner = CliRunner()


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.resize(["control", "new", "promo"], n)
    visits = rng.poisson(3, n) + 1
    return pd.DataFrame({
        "variant": arm, "x": rng.random(n), "visits": visits,
        "revenue": rng.exponential(5, n) * (rng.random(n) < 0.3),
        "converted": (rng.random(n) < 0.3).astype(int), "constant": 1, "zero": 0,
        "country": np.resize(["DE", "FR"], n),
    })


# --- 1. ratio specs with an empty side ------------------------------------------------------


@pytest.mark.parametrize("spec", ["revenue/", "/visits", " / ", "revenue/ "])
def test_ratio_spec_with_an_empty_side_is_an_input_error(spec: str) -> None:
    with pytest.raises(ex.ExperimentInputError, match=r"ratio spec .* needs a numerator and a "
                                                      r"denominator.*Fix: write"):
        ex.parse_metrics(spec)
    with pytest.raises(ex.ExperimentInputError, match="ratio spec"):
        ex.analyze(_frame(), "variant", "control", spec)
    with pytest.raises(ValueError, match="ratio spec"):  # what serving maps to HTTP 400
        build_metrics(spec)


def test_metric_objects_with_empty_column_names_are_rejected() -> None:
    with pytest.raises(ex.ExperimentInputError, match="denominator must name a column"):
        ex.Metric("m", "revenue", denominator="")
    with pytest.raises(ex.ExperimentInputError, match="column must name a column"):
        ex.Metric("m", " ")


def test_cli_reports_an_empty_ratio_side_without_a_traceback(tmp_path) -> None:
    path = tmp_path / "e.csv"
    _frame().to_csv(path, index=False)
    for spec in ("revenue/", "/visits"):
        res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", spec])
        assert res.exit_code == 2, res.output
        assert f"ratio spec '{spec}'" in res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)


# --- 2. uplift inputs are validated before the split ----------------------------------------


def _uplift(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"arm": np.resize(["control", "email"], n), "x1": rng.random(n),
                         "bought": (rng.random(n) < 0.3).astype(int)})


def _train(frame: pd.DataFrame) -> None:
    ex.train_uplift(frame, treatment_col="arm", control="control", outcome="bought",
                    features=["x1"], log_to_mlflow=False, source="u.csv")


@pytest.mark.parametrize(("edit", "pattern"), [
    (lambda f: f.assign(bought=f["bought"].astype(object).where(f.index != 20, "12,50")),
     r"u\.csv.*outcome column 'bought' has 1 values that are not numbers \(first rows \[21\]: "
     r"\['12,50'\]\).*Fix: convert them"),
    (lambda f: f.assign(bought=np.where(f["bought"] == 1, "yes", "no")),
     r"not numbers.*Fix: map the labels to numbers first \(e\.g\. yes -> 1, no -> 0\)"),
    (lambda f: f.assign(arm=f["arm"].where(f.index != 0, "solo")),
     r"arms \{'solo': 1\} in column 'arm' have too few rows; each arm needs at least \d+.*Fix"),
    (lambda f: f.assign(arm=f["arm"].where(f.index != 5, None)),
     r"treatment column 'arm' has 1 missing values \(first rows \[6\]\).*Fix"),
    (lambda f: f.assign(bought=f["bought"].astype(float).where(~f.index.isin([3, 10, 500]))),
     r"outcome column 'bought' has 3 missing or non-finite values \('control': \d, 'email': \d; "
     r"first rows \[4, 11, 501\]\).*Fix: fill them"),
    (lambda f: f.assign(bought=1),
     r"outcome column 'bought' is 1 in every one of the 600 rows.*Fix: choose an outcome"),
    (lambda f: f.assign(bought=np.where(f["arm"] == "control", 0, f["bought"])),
     r"outcome column 'bought' is 0 for all 300 rows of arm 'control'.*Fix"),
])
def test_uplift_training_validates_the_whole_input_first(edit, pattern: str) -> None:
    with pytest.raises(ex.ExperimentInputError, match=pattern):
        _train(edit(_uplift()))


def test_cli_errors_count_data_rows_from_1_as_a_spreadsheet_shows_them(tmp_path) -> None:
    path = tmp_path / "e.csv"
    _frame().assign(revenue=lambda f: f["revenue"].astype(object).where(f.index != 3, "abc")
                    ).to_csv(path, index=False)  # the bad cell is on data row 4 (line 5)
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "revenue"])
    assert res.exit_code == 2, res.output
    assert "first rows [4]: ['abc']" in " ".join(res.output.split())
    path = tmp_path / "u.csv"
    _uplift().assign(bought=lambda f: f["bought"].astype(object).where(f.index != 3, "?")
                     ).to_csv(path, index=False)
    res = runner.invoke(app, ["uplift", "train", "--data", str(path), "--outcome", "bought",
                              "--features", "x1", "--treatment-col", "arm", "--no-mlflow"])
    assert res.exit_code == 2, res.output
    assert "first rows [4]: ['?']" in " ".join(res.output.split())


def test_uplift_cli_names_the_file_and_the_fix(tmp_path) -> None:
    path = tmp_path / "u.csv"
    _uplift().assign(bought=lambda f: np.where(f["bought"] == 1, "yes", "no")).to_csv(
        path, index=False)
    res = runner.invoke(app, ["uplift", "train", "--data", str(path), "--outcome", "bought",
                              "--features", "x1", "--treatment-col", "arm", "--no-mlflow"])
    assert res.exit_code == 2, res.output
    assert "u.csv" in res.output
    assert "yes -> 1" in res.output


# --- 3. constant metrics and zero-sum denominators ------------------------------------------


def test_zero_sum_denominator_is_an_error_naming_metric_column_and_fix() -> None:
    with pytest.raises(ex.ExperimentInputError,
                       match=r"ratio metric 'revenue/zero': denominator column 'zero' sums to 0 "
                             r"in arms \['control', 'new', 'promo'\].*Fix: use a denominator"):
        ex.analyze(_frame(), "variant", "control", "constant,revenue/zero")


def test_zero_sum_denominator_in_one_segment_only_warns() -> None:
    frame = _frame()
    frame["zero"] = np.where(frame["country"] == "DE", 0, frame["visits"])
    res = ex.analyze(frame, "variant", "control", "revenue/zero", segment_col="country")
    assert any("segment country='DE'" in w and "no p-value" in w for w in res.warnings)
    assert np.isfinite(res.comparison("revenue/zero", "new").p_value)


def test_constant_metric_warns_and_gives_no_bayesian_result() -> None:
    res = ex.analyze(_frame(), "variant", "control", "constant,converted",
                     options=ex.AnalysisOptions(bayesian=True))
    warn = [w for w in res.warnings if "'constant'" in w]
    assert len(warn) == 1
    assert "no variation within any arm" in warn[0]
    c = res.comparison("constant", "new")
    assert np.isnan(c.p_value)
    assert not c.significant
    assert c.bayes is None
    assert res.comparison("converted", "new").bayes is not None
    assert "no variation within any arm" in res.to_markdown()


def test_metric_constant_in_one_arm_gets_a_caution_warning() -> None:
    frame = _frame()
    frame.loc[frame["variant"] == "control", "converted"] = 0
    res = ex.analyze(frame, "variant", "control", "converted")
    assert any("no variation within arm(s) 'control'=0" in w for w in res.warnings)


def test_cli_shows_the_constant_metric_warning(tmp_path) -> None:
    path = tmp_path / "e.csv"
    _frame().to_csv(path, index=False)
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics",
                              "constant,revenue/zero"])
    assert res.exit_code == 2
    assert "denominator column 'zero' sums to 0" in res.output
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "constant",
                              "--bayesian"])
    assert res.exit_code == 0, res.output
    assert "no variation within any arm" in res.output
    assert "P(beat control)" not in res.output


# --- 4. planning and --expected-split messages ----------------------------------------------


def test_undetectably_small_effect_says_what_to_change() -> None:
    with pytest.raises(ex.ExperimentInputError, match=r"too small to detect.*Fix: a larger mde "
                                                      r"\(relative to baseline unless "
                                                      r"relative=False\)"):
        ex.sample_size(baseline=1e-9, mde=1e-9)
    res = runner.invoke(app, ["ab", "plan", "--baseline", "1e-9", "--mde", "1e-9"])
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert "too small to detect" in out
    assert ("Fix: a larger --mde (relative to --baseline unless --absolute), a higher "
            "--baseline if the rate was mistyped, or ask for the detectable effect of the units "
            "you have with --n-control.") in out
    assert "different signs" not in out


def test_expected_split_format_error_names_the_option_and_format(tmp_path) -> None:
    path = tmp_path / "e.csv"
    _frame().to_csv(path, index=False)
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "converted",
                              "--expected-split", "control=0.5;new=0.25"])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "--expected-split: the share of arm 'control' must be a number" in out
    assert "'arm=share' pairs separated by commas" in out


# --- 4b. guardrail margins: relative numbers or abs:<metric units> ----------------------------


@pytest.mark.parametrize(("spec", "expect"), [
    ("0.02", (0.02, True)), (0.02, (0.02, True)), (1, (1.0, True)), (" 0.1 ", (0.1, True)),
    ("abs:0.5", (0.5, False)), ("abs: 2", (2.0, False)), ("abs:0", (0.0, False)),
])
def test_guardrail_margin_reads_relative_and_absolute_forms(spec: str | float,
                                                             expect: tuple[float, bool]) -> None:
    assert guardrail_margin(spec, "visits") == expect


@pytest.mark.parametrize(("spec", "rule"), [
    ("abx:0.5", "margin must be a number like 0.02"), ("2%", "margin must be a number"),
    ("", "margin must be a number"), ("abs:", "margin must be a number"),
    ("-0.1", "finite number >= 0"), ("abs:-1", "finite number >= 0"),
    ("nan", "finite number >= 0"), ("abs:inf", "finite number >= 0"),
    (float("nan"), "finite number >= 0"),
])
def test_bad_guardrail_margin_names_the_input_rule_value_and_fix(spec: str | float,
                                                                 rule: str) -> None:
    with pytest.raises(ex.ExperimentInputError) as err:
        guardrail_margin(spec, "visits")
    msg = str(err.value)
    assert msg.startswith("guardrails 'visits': "), msg
    assert err.value.phrase(CLI_NAMES).startswith("--guardrail 'visits': ")
    assert rule in msg
    assert f"received {spec!r}" in msg
    assert "Fix:" in msg
    assert "abs:0.5" in msg


def test_cli_guardrail_option_takes_absolute_margins_and_names_itself(tmp_path) -> None:
    ms = {m.name: m for m in build_metrics("converted", guardrails="visits=abs:0.5,revenue=0.1")}
    assert (ms["visits"].guardrail_margin, ms["visits"].guardrail_relative) == (0.5, False)
    assert (ms["revenue"].guardrail_margin, ms["revenue"].guardrail_relative) == (0.1, True)
    path = tmp_path / "e.csv"
    _frame().to_csv(path, index=False)
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "converted",
                              "--guardrail", "visits=abs:0.5"])
    assert res.exit_code == 0, res.output
    assert "allowed deterioration 0.5" in " ".join(res.output.split())
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "converted",
                              "--guardrail", "visits=abx:0.5"])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "--guardrail 'visits': margin must be a number like 0.02" in out
    assert "Traceback" not in out


def test_metric_definition_messages_name_inputs_for_each_front_end() -> None:
    ms = build_metrics(["converted"], guardrails={"visits": "abs:0.5", "revenue": 0.1},
                       lower_is_better=["revenue"])
    assert [(m.name, m.guardrail_margin, m.guardrail_relative, m.higher_is_better)
            for m in ms] == [("converted", None, True, True), ("visits", 0.5, False, True),
                             ("revenue", 0.1, True, False)]
    with pytest.raises(ex.ExperimentInputError, match=r"^guardrails 'visits': margin must"):
        build_metrics(["converted"], guardrails={"visits": "abs:-1"})
    with pytest.raises(ex.ExperimentInputError) as err:
        build_metrics(["converted"], cuped={"x": "pre"})
    assert str(err.value).startswith("cuped names metrics ['x'] that are "
                                     "not in metrics ['converted']")
    assert err.value.phrase(CLI_NAMES).startswith(
        "--cuped names metrics ['x'] that are not in --metrics")


# --- 5. screen output of the optional analyses ----------------------------------------------


def test_cli_prints_sequential_bayesian_and_segment_tables(tmp_path) -> None:
    path = tmp_path / "e.csv"
    _frame().to_csv(path, index=False)
    res = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "converted",
                              "--guardrail", "visits=0.05", "--sequential", "--bayesian",
                              "--segment-col", "country"])
    assert res.exit_code == 0, res.output
    for text in ("Always-valid results", "confidence sequence", "Bayesian results",
                 "P(beat control)", "Segments by country", "– (guardrail)"):
        assert text in res.output, text


@pytest.mark.parametrize(("kw", "col", "name"), [
    ({"segment_col": "country"}, "country", "segment_col"),
    ({"unit_col": "uid"}, "uid", "unit_col"),
    ({}, "variant", "variant_col"),
])
def test_lists_in_a_label_column_are_an_input_error(kw: dict[str, str], col: str,
                                                    name: str) -> None:
    """A list in a segment or unit column (a JSON request's row can hold one) had raised
    pandas' TypeError 'unhashable type', not an ExperimentInputError naming the input."""
    df = _frame(60)
    df["uid"] = np.arange(len(df))
    df[col] = [[v] for v in df[col]]
    with pytest.raises(ex.ExperimentInputError) as err:
        ex.analyze(df, "variant", "control", ["converted"], **kw)
    assert err.value.params == (name,)
    assert f"column {col!r} ({name}) has 60 values that are lists or objects" in str(err.value)


@pytest.mark.parametrize("name", ["segment_col", "unit_col"])
def test_a_segment_or_unit_column_that_is_the_variant_column_is_an_input_error(
        name: str) -> None:
    """segment_col or unit_col naming the variant column had raised pandas' ValueError
    ('Grouper for 'variant' not 1-dimensional', 'cannot insert variant, already exists'), which
    POST /experiments/analyze answers as a 500 since only ExperimentInputError is a 400."""
    with pytest.raises(ex.ExperimentInputError) as err:
        ex.analyze(_frame(60), "variant", "control", ["converted"], **{name: "variant"})
    assert err.value.params == (name, name)
    assert "is the variant column too" in str(err.value)


def test_a_sample_size_reached_below_the_search_s_smallest_size_is_an_input_error() -> None:
    """A rate of 0.0001 and an absolute effect of 0.01 at ratio 0.001 have the power from the
    search's smallest size: brentq's ValueError ('f(a) and f(b) must have different signs')
    had surfaced, a 500 from POST /experiments/plan."""
    with pytest.raises(ex.ExperimentInputError) as err:
        ex.sample_size(baseline=1e-4, mde=0.01, relative=False, ratio=0.001)
    assert "no meaningful sample size" in str(err.value)
    assert err.value.params[0] == "mde"
    # an ordinary plan still has its size
    assert ex.sample_size(baseline=1e-4, mde=0.01, relative=False).n_control >= 2


def test_a_segment_column_that_is_the_unit_column_is_analysed() -> None:
    """segment_col naming unit_col (units of two rows each) had raised pandas' ValueError
    'cannot insert uid, already exists' aggregating the rows to units, a 500 from POST
    /experiments/analyze: the units are summed and each unit is its segment."""
    df = _frame(60)
    df["uid"] = [f"u{i // 6}_{i % 3}" for i in range(len(df))]  # two rows per unit, one arm
    res = ex.analyze(df, "variant", "control", ["converted"], unit_col="uid",
                     segment_col="uid").to_dict()
    assert res["srm"]["arms"][0]["observed"] + res["srm"]["arms"][1]["observed"] + res[
        "srm"]["arms"][2]["observed"] == 30
