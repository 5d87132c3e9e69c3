"""The experiments CLI (``brain ab ...``, ``brain uplift ...``) and the demo step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from serving._cli_ab import ab_app
from serving._cli_experiments import demo_step
from serving._cli_uplift import uplift_app

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

app = typer.Typer()
app.add_typer(ab_app, name="ab")
app.add_typer(uplift_app, name="uplift")
runner = CliRunner()


def _experiment_csv(path: Path, n: int = 4000, seed: int = 0, targeted: float = 0.0) -> Path:
    """A file shaped like the generated world's experiment.csv; ``targeted``: an extra
    treatment effect on customers with 5 or more pre-period visits (an uplift a model can
    rank, which a champion needs)."""
    rng = np.random.default_rng(seed)
    variant = rng.choice(["control", "treatment"], n)
    pre_visits = rng.poisson(4, n)
    pre_orders = rng.poisson(0.3, n)
    visits = rng.poisson(1 + 0.8 * pre_visits)
    effect = 0.15 + targeted * (pre_visits >= 5)
    orders = rng.poisson(0.2 * (1 + effect * (variant == "treatment")) * (1 + pre_orders))
    pd.DataFrame({
        "user_id": np.arange(1, n + 1), "variant": variant, "pre_visits": pre_visits,
        "pre_orders": pre_orders, "pre_revenue": pre_orders * 30.0, "visits": visits,
        "orders": orders, "converted": (orders > 0).astype(int), "revenue": orders * 30.0,
    }).to_csv(path, index=False)
    return path


def test_ab_analyze_writes_report_and_json(tmp_path: Path) -> None:
    data = _experiment_csv(tmp_path / "experiment.csv")
    result = runner.invoke(app, [
        "ab", "analyze", "--data", str(data), "--metrics", "converted,revenue,revenue/visits",
        "--cuped", "revenue=pre_revenue", "--guardrail", "visits=0.05", "--sequential",
        "--bayesian", "--segment-col", "pre_orders", "--report", str(tmp_path / "r.md"),
        "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "Sample ratio OK" in result.output
    assert "guardrail" in result.output
    saved = json.loads((tmp_path / "r.json").read_text())
    assert {c["metric"] for c in saved["comparisons"]} == {"converted", "revenue",
                                                          "revenue/visits", "visits"}
    assert (tmp_path / "r_converted.png").exists()
    assert saved["segments"]


def test_an_srm_and_a_failed_guardrail_are_said_once_with_the_data_s_labels(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n_a, n_b = 3_000, 2_600  # far from 50/50: an SRM
    frame = pd.DataFrame({"variant": ["A"] * n_a + ["B"] * n_b,
                          "visits": np.r_[rng.poisson(5, n_a), rng.poisson(3, n_b)]})
    path = tmp_path / "ab.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["ab", "analyze", "--data", str(path), "--variant-col",
                                 "variant", "--control", "A", "--metrics", "visits",
                                 "--guardrail", "visits=0.05", "--report",
                                 str(tmp_path / "r.md")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert out.count("SAMPLE RATIO MISMATCH") == 1, result.output
    assert out.count("-> fail") == 1, result.output
    assert "--expected-split with its shares (checked here against 'A=0.5,B=0.5')" in out
    assert "control=0.7" not in out
    assert "## visits (mean" in (tmp_path / "r.md").read_text()


def test_ab_analyze_on_hillstrom_reproduces_readme_p_values(tmp_path: Path) -> None:
    path = DATA / "hillstrom.csv"
    if not path.exists():
        pytest.skip(f"real dataset hillstrom.csv not found at {path}")
    result = runner.invoke(app, [
        "ab", "analyze", "--data", str(path), "--variant-col", "segment", "--control",
        "No E-Mail", "--metrics", "visit,conversion,spend", "--json", str(tmp_path / "h.json")])
    assert result.exit_code == 0, result.output
    assert "chi-square 0.20" in result.output
    comps = json.loads((tmp_path / "h.json").read_text())["comparisons"]
    p = {(c["variant"], c["metric"]): c["p_value"] for c in comps}
    assert p[("Womens E-Mail", "conversion")] == pytest.approx(1.56e-4, rel=5e-3)
    assert p[("Mens E-Mail", "visit")] == pytest.approx(1.36e-112, rel=5e-3)


def test_ab_analyze_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    data = _experiment_csv(tmp_path / "e.csv")
    # 'Control' would now match 'control' (case and surrounding spaces are ignored, see
    # test_messy_experiments.py), so the unknown label is one that matches no arm at all
    result = runner.invoke(app, ["ab", "analyze", "--data", str(data), "--metrics", "visits",
                                 "--control", "Kontrol"])
    assert result.exit_code == 2
    assert "control arm 'Kontrol' is not among the variants" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(("args", "expected"), [
    (["--baseline", "0.1", "--mde", "0.05"], "units in control"),
    (["--baseline", "0.1", "--n-control", "20000", "--cuped-r2", "0.3"], "effect (relative)"),
    (["--baseline", "20", "--kind", "mean", "--sd", "30", "--mde", "0.05", "--n-control",
      "5000"], "power"),
])
def test_ab_plan_answers_size_mde_and_power(args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["ab", "plan", *args])
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_ab_plan_gives_the_duration_at_a_daily_traffic() -> None:
    # 69,121 units per arm for +5% on 8.5% (statsmodels agrees): 138,242 in all
    result = runner.invoke(app, ["ab", "plan", "--baseline", "0.085", "--mde", "0.05",
                                 "--units-per-day", "12000"])
    assert result.exit_code == 0, result.output
    assert "days at 12,000 units a day" in result.output
    assert "12 (run 2 whole weeks: 14 days)" in result.output
    short = runner.invoke(app, ["ab", "plan", "--baseline", "0.085", "--mde", "0.05",
                                "--units-per-day", "50000"])
    assert "3 (run 1 whole week: 7 days)" in short.output
    assert "run at least one whole week anyway" in short.output
    million = runner.invoke(app, ["ab", "plan", "--baseline", "0.085", "--mde", "0.05",
                                  "--units-per-day", "2500000"])
    assert "days at 2,500,000 units a day" in million.output  # had read '2.5e+06'
    bad = runner.invoke(app, ["ab", "plan", "--baseline", "0.085", "--mde", "0.05",
                              "--units-per-day", "0"])
    assert bad.exit_code == 2
    assert "--units-per-day must be a positive number" in bad.output


def test_ab_plan_requires_an_effect_or_a_size() -> None:
    result = runner.invoke(app, ["ab", "plan", "--baseline", "0.1"])
    assert result.exit_code == 2
    assert "give --mde, --n-control, or both" in result.output


def test_uplift_train_without_mlflow(tmp_path: Path) -> None:
    data = _experiment_csv(tmp_path / "e.csv", n=3000)
    result = runner.invoke(app, [
        "uplift", "train", "--data", str(data), "--outcome", "converted", "--features",
        "pre_visits,pre_orders", "--no-mlflow", "--json", str(tmp_path / "u.json")])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "u.json").read_text())
    assert saved["treatments"] == ["treatment"]
    assert saved["run_id"] is None


def test_uplift_score_uses_the_champion_and_writes_the_targets(tmp_path: Path) -> None:
    data = _experiment_csv(tmp_path / "e.csv", n=3000, targeted=1.5)
    result = runner.invoke(app, [
        "uplift", "train", "--data", str(data), "--outcome", "converted", "--features",
        "pre_visits,pre_orders"])
    assert result.exit_code == 0, result.output
    # the run and the version say in the MLflow UI which file and what result, as the
    # forecasters' and customer models' do (the run had named neither)
    import mlflow

    client = mlflow.MlflowClient()
    version = client.get_model_version("uplift_converted", "1")
    run = client.get_run(version.run_id)
    assert run.data.tags["source.input"] == str(data.resolve())
    note = run.data.tags["mlflow.note.content"]
    assert note == version.description
    assert note.startswith(f"T-learner uplift model of converted from {data} (3,000 units: ")
    assert "treatment: Qini " in note
    assert "Champion: no champion yet; v1 becomes champion" in note
    customers = pd.read_csv(data).drop(columns=["variant", "converted"]).head(500)
    customers.to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "targets.csv"
    result = runner.invoke(app, ["uplift", "score", "--data", str(tmp_path / "c.csv"), "--out",
                                 str(out), "--k", "0.2"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "scoring with uplift_converted v1 (@champion)" in text
    assert "on its training holdout: treatment (" in text
    assert " base): Qini" in text
    assert "uplift@30%" in text
    scores = pd.read_csv(out)
    assert scores["user_id"].tolist() == customers["user_id"].tolist()
    assert 0 < scores["target"].sum() <= 100
    assert f"wrote 500 rows ({int(scores['target'].sum())} to target)" in text
    # a file without a model's column, and a model that is not an uplift model
    customers.drop(columns=["pre_orders"]).to_csv(tmp_path / "bad.csv", index=False)
    result = runner.invoke(app, ["uplift", "score", "--data", str(tmp_path / "bad.csv"),
                                 "--out", str(out), "--outcome", "converted"])
    assert result.exit_code == 2
    assert "bad.csv): feature columns ['pre_orders'] are missing" in " ".join(
        result.output.split())
    result = runner.invoke(app, ["uplift", "score", "--data", str(tmp_path / "c.csv"),
                                 "--out", str(out), "--outcome", "revenue"])
    assert result.exit_code == 2
    assert "could not load model 'models:/uplift_revenue@champion'" in " ".join(
        result.output.split())


def test_uplift_train_base_choice_is_shown_and_either_base_scores(tmp_path: Path) -> None:
    data = _experiment_csv(tmp_path / "e.csv", n=3000, targeted=1.5)
    result = runner.invoke(app, [
        "uplift", "train", "--data", str(data), "--outcome", "converted", "--features",
        "pre_visits,pre_orders", "--no-mlflow", "--json", str(tmp_path / "u.json")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    saved = json.loads((tmp_path / "u.json").read_text())
    (e,) = saved["evaluations"]
    assert saved["base"] == "auto"
    assert e["base"] in ("lightgbm", "linear")
    assert set(e["cv_qini"]) == {"lightgbm", "linear"}
    assert (f"base for treatment: {e['base']} (mean Qini over 5 cross-validation folds of the "
            "training rows: lightgbm") in text
    assert "LightGBM is chosen only when it leads by more than the folds' standard error" in text
    assert "the holdout above took no part in the choice" in text
    for base in ("linear", "lightgbm"):
        result = runner.invoke(app, [
            "uplift", "train", "--data", str(data), "--outcome", "converted", "--features",
            "pre_visits,pre_orders", "--base", base, "--model-name", f"up_{base}"])
        assert result.exit_code == 0, result.output
        assert f"base {base}," in " ".join(result.output.split())
        assert "base for treatment" not in result.output
        pd.read_csv(data).drop(columns=["variant", "converted"]).head(40).to_csv(
            tmp_path / "c.csv", index=False)
        out = tmp_path / f"t_{base}.csv"
        result = runner.invoke(app, ["uplift", "score", "--data", str(tmp_path / "c.csv"),
                                     "--out", str(out), "--model", f"models:/up_{base}@champion"])
        assert result.exit_code == 0, result.output
        assert np.isfinite(pd.read_csv(out)["uplift_treatment"]).all()
        assert f"on its training holdout: treatment ({base} base): Qini" in " ".join(
            result.output.split())
    result = runner.invoke(app, [
        "uplift", "train", "--data", str(data), "--outcome", "converted", "--features",
        "pre_visits", "--base", "forest", "--no-mlflow"])
    assert result.exit_code == 2
    assert "base must be 'lightgbm', 'linear' or 'auto'; received 'forest'" in result.output


def test_uplift_score_finds_a_champion_registered_under_its_own_name(tmp_path: Path) -> None:
    # 'brain uplift train --model-name mens_visits' keeps two models of one outcome apart; the
    # score command without --model had answered "no uplift model has a champion"
    data = _experiment_csv(tmp_path / "e.csv", n=3000, targeted=1.5)
    result = runner.invoke(app, [
        "uplift", "train", "--data", str(data), "--outcome", "converted", "--features",
        "pre_visits,pre_orders", "--model-name", "mens_visits"])
    assert result.exit_code == 0, result.output
    pd.read_csv(data).drop(columns=["variant", "converted"]).head(50).to_csv(
        tmp_path / "c.csv", index=False)
    result = runner.invoke(app, ["uplift", "score", "--data", str(tmp_path / "c.csv"), "--out",
                                 str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    assert "scoring with mens_visits v1 (@champion)" in " ".join(result.output.split())


def test_uplift_train_notes_a_rare_outcome_per_arm(tmp_path: Path) -> None:
    # Criteo-like: 85/15 split, conversions rare; the table alone gave no hint that the control
    # arm's holdout held a handful of conversions
    rng = np.random.default_rng(4)
    n = 4000
    t = np.where(rng.random(n) < 0.85, "treatment", "control")
    x = rng.normal(size=n)
    conv = (rng.random(n) < np.where(t == "control", 0.02, 0.05)).astype(int)
    path = tmp_path / "c.csv"
    pd.DataFrame({"variant": t, "x": x, "converted": conv}).to_csv(path, index=False)
    result = runner.invoke(app, [
        "uplift", "train", "--data", str(path), "--outcome", "converted", "--features", "x",
        "--no-mlflow"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    n_ctl = int(conv[t == "control"].sum())
    assert f"note: arm 'control' has only {n_ctl} rows with converted = 1" in out
    assert "about 5 of them in the 30% holdout" in out
    assert "note: arm 'treatment'" not in out  # 165 conversions: enough


def test_demo_step_analyses_the_generated_experiment(tmp_path: Path) -> None:
    _experiment_csv(tmp_path / "experiment.csv")
    lines = demo_step(tmp_path)
    assert Path(lines["A/B report (markdown)"]).exists()
    assert Path(lines["A/B report (HTML)"]).exists()
    # a flat +15% effect leaves nothing to rank: the version is not made champion, and the
    # lines name the version and the --model a 'brain uplift score' needs (they had said
    # '@champion' and suggested a command that found no champion)
    assert lines["uplift model"].startswith("models:/uplift_converted/1 ("), lines["uplift model"]
    assert "not promoted" in lines["uplift model"]
    assert lines["uplift targets"].endswith("--out FILE --model models:/uplift_converted/1)")
    targets = pd.read_csv(lines["uplift targets"].split(" (")[0])
    assert len(targets) == 4000
    assert 0 < targets["target"].sum() <= 1200


def test_demo_step_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"experiment\.csv"):
        demo_step(tmp_path)


def test_uplift_notes_a_top_k_no_better_than_random_and_an_overconfident_model() -> None:
    # Hillstrom visits, Mens e-mail: the table showed uplift@30% 0.0839 (above Womens' 0.0665)
    # and nothing said that 30% picked at random gain the average effect, 0.0765, inside its
    # interval, nor that the model had predicted 471 incremental visits against 322 observed
    from experiments import TargetingPolicy
    from experiments._uplift_train import UpliftEvaluation, UpliftTrainingResult
    from serving._cli_uplift import uplift_policy_notes

    def evaluation(name: str, est: float, lo: float, hi: float, predicted: float,
                   treat_all: float) -> UpliftEvaluation:
        n, n_t = 12784, 3835
        policy = TargetingPolicy(0.3, n, n_t, est, lo, hi, est * n_t, lo * n_t, hi * n_t,
                                    predicted, treat_all, 0.05)
        return UpliftEvaluation(name, n, 0.005, 0.002, est, 0.3, policy)

    result = UpliftTrainingResult(
        "t", "visit", "No E-Mail", ("Mens E-Mail", "Good"), ("recency",), 44800, 19200, 0.3, 0,
        "key", (evaluation("Mens E-Mail", 0.0839, 0.0600, 0.1076, 471.0, 978.0),
                evaluation("Good", 0.20, 0.15, 0.25, 0.20 * 3835, 978.0)))
    notes = uplift_policy_notes(result)
    assert len(notes) == 2, notes
    assert notes[0].startswith("note: Mens E-Mail: the top 30% by predicted uplift gained 0.0839")
    assert "average effect, 0.0765, which lies inside that interval" in notes[0]
    assert "not shown to beat random targeting" in notes[0]
    assert "predicted 471.0 incremental for its top 30%, the holdout shows 321.8" in notes[1]
    assert not any("Good" in n for n in notes)
    # a ranking that does worse than random (top 30% gain 0.02 [0.00, 0.04] against an average
    # 0.0765) had no note at all: the check only looked for the average inside the interval
    worse = UpliftTrainingResult(
        "t", "visit", "No E-Mail", ("Bad",), ("recency",), 44800, 19200, 0.3, 0, "key",
        (evaluation("Bad", 0.02, 0.0, 0.04, 0.02 * 3835, 978.0),))
    (note,) = uplift_policy_notes(worse)
    assert "less than the average effect, 0.0765" in note
    assert "does worse than random targeting" in note


def test_a_german_excel_export_reads_as_the_comma_file_does(tmp_path: Path) -> None:
    # ';'-separated with decimal commas: 'variant column is missing; received columns
    # ['user_id;variant;...']'; a Windows-1252 file stopped at the codec's 'position 11'
    plain = _experiment_csv(tmp_path / "experiment.csv", n=1500)
    frame = pd.read_csv(plain)
    frame["revenue"] = frame["revenue"] * 1.05 + 0.25  # cents, written '12,75'
    frame.to_csv(plain, index=False)
    german = tmp_path / "experiment_de.csv"
    frame.to_csv(german, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    args = ["ab", "analyze", "--metrics", "converted,revenue", "--json"]
    ok = runner.invoke(app, [*args, str(tmp_path / "a.json"), "--data", str(plain)])
    de = runner.invoke(app, [*args, str(tmp_path / "b.json"), "--data", str(german)])
    assert ok.exit_code == 0, ok.output
    assert de.exit_code == 0, de.output
    assert "separated by ';'" in de.output
    assert "'pre_revenue', 'revenue' read with ',' as the decimal mark" in de.output
    a, b = (json.loads((tmp_path / f"{x}.json").read_text())["comparisons"] for x in "ab")
    assert a == b
    windows = tmp_path / "experiment_win.csv"
    windows.write_bytes(plain.read_text().replace("treatment", "Behandlung é", 3)
                        .encode("cp1252"))
    bad = runner.invoke(app, ["ab", "analyze", "--metrics", "converted", "--data", str(windows)])
    assert bad.exit_code != 0
    assert "experiment_win.csv: file is not UTF-8 text" in bad.output
    assert "encoding='cp1252'" in bad.output


def test_a_german_export_s_whole_amounts_with_thousands_dots_are_not_read_as_decimals(
        tmp_path: Path) -> None:
    # review: in a ';' file whose other numbers have decimal commas, revenue written as whole
    # euros with thousands dots ('1.250' for 1250, as Excel's '#.##0' format writes them) was
    # read by pandas as 1.25, and the note said "'1.234,5' is 1234.5"
    frame = pd.read_csv(_experiment_csv(tmp_path / "experiment.csv", n=1500))
    frame["revenue"] = frame["revenue"] * 50  # 0 .. a few thousand euros
    frame["pre_revenue"] = frame["pre_revenue"] + 0.25  # cents: written '30,25'
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False)
    german = tmp_path / "experiment_de.csv"
    de = frame.astype(object)
    de["revenue"] = frame["revenue"].map(lambda v: f"{v:,.0f}".replace(",", "."))
    de["pre_revenue"] = frame["pre_revenue"].map(lambda v: f"{v:.2f}".replace(".", ","))
    assert de["revenue"].str.contains(r"\.").any()
    de.to_csv(german, sep=";", index=False)
    args = ["ab", "analyze", "--metrics", "revenue", "--cuped", "revenue=pre_revenue", "--json"]
    ok = runner.invoke(app, [*args, str(tmp_path / "a.json"), "--data", str(plain)])
    got = runner.invoke(app, [*args, str(tmp_path / "b.json"), "--data", str(german)])
    assert ok.exit_code == 0, ok.output
    assert got.exit_code == 0, got.output
    assert "'pre_revenue', 'revenue' read with ',' as the decimal mark" in " ".join(
        got.output.split())
    a, b = (json.loads((tmp_path / f"{x}.json").read_text())["comparisons"] for x in "ab")
    assert a == b


def test_a_point_decimal_column_in_a_semicolon_file_is_not_read_as_thousands(
        tmp_path: Path) -> None:
    # review: beside a decimal-comma column ('12,50'), a column written with decimal points
    # ('0.125' of a discount) was read as thousands dots: 0.125 became 125, without a word
    # beyond the note that it was read with ',' as the decimal mark
    from serving._cli_ab_inputs import _read

    path = tmp_path / "semi.csv"
    path.write_text("user_id;variant;revenue;discount\n1;control;12,50;0.125\n"
                    "2;treatment;3,00;0.250\n3;control;1.234,50;0.100\n"
                    "4;treatment;0,00;0.050\n")
    frame = _read(path)
    assert frame["revenue"].tolist() == [12.5, 3.0, 1234.5, 0.0]
    assert frame["discount"].tolist() == [0.125, 0.25, 0.1, 0.05]
