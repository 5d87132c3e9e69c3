"""Champion promotion: the alias moves only when a candidate beats the champion on the same
evaluation."""

from __future__ import annotations

import mlflow
import pytest
from mlflow import MlflowClient

from training import CHAMPION, get_or_create_experiment, promote_if_better, register_model


class _Const(mlflow.pyfunc.PythonModel):
    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, context, model_input, params=None):
        return [self.value] * len(model_input)


def _version(value: float, metric: float, evaluation: str = "eval-A") -> str:
    exp = get_or_create_experiment("promotion-test")
    with mlflow.start_run(experiment_id=exp) as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=_Const(value),
                                       pip_requirements=["mlflow"])  # no inference: quick
    mv = register_model(run.info.run_id, "model", "toy", {"mae": metric}, evaluation,
                        model_uri=info.model_uri)
    return mv.version


def _champion() -> str:
    return MlflowClient().get_model_version_by_alias("toy", CHAMPION).version


@pytest.mark.slow
def test_alias_moves_only_on_better_same_evaluation() -> None:
    v1 = _version(1.0, metric=10.0)
    p1 = promote_if_better("toy", v1, "mae", 10.0, higher_is_better=False, evaluation="eval-A")
    assert p1.promoted
    assert _champion() == v1

    v2 = _version(2.0, metric=12.0)
    p2 = promote_if_better("toy", v2, "mae", 12.0, higher_is_better=False, evaluation="eval-A")
    assert not p2.promoted
    assert p2.champion_value == 10.0
    assert _champion() == v1

    v3 = _version(3.0, metric=10.0)  # a tie keeps the champion
    assert not promote_if_better("toy", v3, "mae", 10.0, False, "eval-A").promoted

    v4 = _version(4.0, metric=5.0, evaluation="eval-B")
    p4 = promote_if_better("toy", v4, "mae", 5.0, False, "eval-B")
    assert not p4.promoted
    assert "could not be re-scored" in p4.reason
    assert _champion() == v1

    p4b = promote_if_better("toy", v4, "mae", 5.0, False, "eval-B",
                            rescore_champion=lambda uri: 9.0)
    assert p4b.promoted
    assert p4b.champion_value == 9.0
    assert _champion() == v4
    tags = MlflowClient().get_model_version("toy", v4).tags
    assert "beats champion" in tags["promotion"]


def _must_not_rescore(uri: str) -> float:
    raise AssertionError(f"{uri} was evaluated on the same evaluation: nothing to re-score")


@pytest.mark.slow
def test_a_tie_with_a_rescored_champion_goes_to_the_candidate_only_when_asked() -> None:
    v1 = _version(1.0, metric=10.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    v2 = _version(2.0, metric=5.0, evaluation="eval-B")

    def tie(uri: str) -> tuple[float, float, str]:
        assert uri == f"models:/toy/{v1}"
        return 5.0, 5.0, "champion re-scored on eval-B"

    plain = promote_if_better("toy", v2, "mae", 5.0, False, "eval-B", rescore_champion=tie)
    assert not plain.promoted  # the default: a tie keeps the champion, re-scored or not
    assert "does not beat champion" in plain.reason
    worse = promote_if_better("toy", v2, "mae", 5.0, False, "eval-B",
                              rescore_champion=lambda uri: (4.0, 5.0, ""),
                              tie_to_candidate_when_rescored=True)
    assert not worse.promoted  # a strictly better champion keeps the alias
    assert _champion() == v1

    won = promote_if_better("toy", v2, "mae", 5.0, False, "eval-B", rescore_champion=tie,
                            tie_to_candidate_when_rescored=True)
    assert won.promoted
    assert (won.previous_version, won.champion_value, won.candidate_value) == (v1, 5.0, 5.0)
    assert _champion() == v2
    assert won.reason == (f"v{v2} mae=5 ties champion v{v1} mae=5 on 'eval-B' (champion "
                          f"re-scored on eval-B); v{v2}, fitted on this data, becomes champion")
    client = MlflowClient()
    assert client.get_model_version("toy", v2).tags["promotion"] == won.reason
    rescored = {k: v for k, v in client.get_model_version("toy", v1).tags.items()
                if k.startswith("rescored.")}
    assert sorted(rescored.values()) == ["5.0", "eval-B"]

    v3 = _version(3.0, metric=5.0, evaluation="eval-B")  # recorded values: the plain rule
    same = promote_if_better("toy", v3, "mae", 5.0, False, "eval-B",
                             rescore_champion=_must_not_rescore,
                             tie_to_candidate_when_rescored=True)
    assert not same.promoted
    assert _champion() == v2


@pytest.mark.slow
def test_every_champion_move_is_kept_in_order_with_who_and_why() -> None:
    from typer.testing import CliRunner

    from serving.cli import app
    from training import champion_moves, set_champion

    v1 = _version(1.0, metric=10.0)
    v2 = _version(2.0, metric=8.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    assert promote_if_better("toy", v2, "mae", 8.0, False, "eval-A").promoted
    v3 = _version(3.0, metric=9.0)
    assert not promote_if_better("toy", v3, "mae", 9.0, False, "eval-A").promoted  # no move
    set_champion("toy", v1, "v2 over-forecast the sale")  # a rollback by hand

    v1, v2, v3 = str(v1), str(v2), str(v3)
    moves = champion_moves("toy")
    assert [(m.seq, m.previous, m.version, m.by) for m in moves] == [
        (1, None, v1, "training"), (2, v1, v2, "training"), (3, v2, v1, "hand")]
    assert "beats champion" in moves[1].reason
    assert moves[2].reason == "v2 over-forecast the sale"
    # the version's own tag keeps only its last decision: the moves keep what it replaced
    tag = MlflowClient().get_model_version("toy", v1).tags["promotion"]
    assert tag.startswith("promoted by hand")

    runner = CliRunner()
    res = runner.invoke(app, ["models", "toy"])
    assert res.exit_code == 0, res.output
    assert "champion moves" in res.output
    assert "over-forecast" in res.output
    assert "not in this history" not in res.output
    listing = runner.invoke(app, ["models"])
    assert listing.exit_code == 0, listing.output
    assert "toy" in listing.output
    assert f"v{v1}" in listing.output

    MlflowClient().set_registered_model_alias("toy", CHAMPION, v3)  # e.g. in the MLflow UI
    res = runner.invoke(app, ["models", "toy"])
    assert f"points at v{v3}" in res.output
    assert "not in this history" in res.output
    assert "outside brain" in runner.invoke(app, ["models"]).output
    again = runner.invoke(app, ["promote", "toy", v3])
    assert f"v{v3} already is the champion" in again.output
    assert len(champion_moves("toy")) == 3
    import json

    record = json.loads(runner.invoke(app, ["models", "toy", "--json"]).output)
    assert record["champion"] == v3
    assert record["champion_set_outside_history"] is True
    assert [m["version"] for m in record["champion_moves"]] == [v1, v2, v1]
    missing = runner.invoke(app, ["models", "nope"])
    assert missing.exit_code != 0
    assert "registered: toy" in missing.output


def test_a_champion_moved_by_a_teammate_during_the_comparison_is_compared_again() -> None:
    """Two teammates on one tracking server: B's version is compared with v1 (a re-scoring
    takes a backtest) while A's version becomes champion. B's had "become champion" too,
    silently replacing A's without ever being compared with it (the race ran on a real server:
    forecasters v2 and v3 both compared with v1, both tagged 'becomes champion', alias at v3)."""
    v1 = _version(1.0, metric=10.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    va = _version(2.0, metric=5.0, evaluation="eval-B")  # A's, better
    vb = _version(3.0, metric=8.0, evaluation="eval-C")  # B's: beats v1, not A's

    scored: list[str] = []

    def rescore(uri: str) -> float:
        scored.append(uri)
        if len(scored) == 1:  # while B's comparison runs, A's training promotes its version
            assert promote_if_better("toy", va, "mae", 5.0, False, "eval-B",
                                     rescore_champion=lambda _: 10.0).promoted
            return 10.0  # v1 on B's evaluation
        return 5.0  # A's version on B's evaluation

    p = promote_if_better("toy", vb, "mae", 8.0, False, "eval-C", rescore_champion=rescore)
    assert scored == ["models:/toy/1", f"models:/toy/{va}"]
    assert not p.promoted
    assert p.previous_version == va
    assert _champion() == va


def test_the_champion_itself_is_not_compared_with_itself() -> None:
    # MLflow 3 gives the alias's version as an int: the check never matched, and the champion
    # was re-scored against itself
    v1 = _version(1.0, metric=10.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    again = promote_if_better("toy", v1, "mae", 10.0, False, "eval-B",
                              rescore_champion=_must_not_rescore)
    assert not again.promoted
    assert again.reason == f"v{v1} already is the champion"


def test_a_move_tag_edited_by_hand_is_shown_as_it_is() -> None:
    """Any JSON that is not a move's record (a list, a number) is shown, as a non-JSON value
    is: brain models had ended in AttributeError."""
    from training import champion_moves

    v1 = _version(1.0, metric=10.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    client = MlflowClient()
    client.set_registered_model_tag("toy", "champion.move.99990101T000000000000Z.a", "[1, 2]")
    client.set_registered_model_tag("toy", "champion.move.99990101T000000000000Z.b", "7")
    client.set_registered_model_tag("toy", "champion.move.99990101T000000000000Z.c", "not json")
    moves = champion_moves("toy")
    assert [(m.seq, m.version) for m in moves] == [(1, str(v1)), (2, "?"), (3, "?"), (4, "?")]
    assert [m.reason for m in moves[1:]] == ["[1, 2]", "7", "not json"]


def test_a_model_whose_champion_alias_was_removed_lists_no_champion_since() -> None:
    """The alias deleted in the MLflow UI: the listing gave the last move's time and author as
    'champion since' / 'moved by' beside 'champion: none'."""
    import json

    from typer.testing import CliRunner

    from serving.cli import app

    v1 = _version(1.0, metric=10.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    MlflowClient().delete_registered_model_alias("toy", CHAMPION)
    res = CliRunner().invoke(app, ["models", "--json"])
    assert res.exit_code == 0, res.output
    row = next(r for r in json.loads(res.output) if r["model"] == "toy")
    assert row["champion"] is None
    assert row["champion_since"] is None
    assert row["moved_by"] == "alias removed outside brain"
    assert row["moves"] == 1


def test_a_champion_set_outside_brain_is_not_served_with_its_losing_reason() -> None:
    """GET /models' promotion: v2 lost its comparison, then the alias was moved onto it in the
    MLflow UI; /models had given 'v2 ... does not beat champion v1' as why v2 is champion."""
    from serving._registry import Champions

    v1 = _version(1.0, metric=8.0)
    assert promote_if_better("toy", v1, "mae", 8.0, False, "eval-A").promoted
    v2 = _version(2.0, metric=9.0)
    assert not promote_if_better("toy", v2, "mae", 9.0, False, "eval-A").promoted
    champions = Champions(names=("toy",), loader=lambda uri: None)
    champions.refresh()
    assert "becomes champion" in champions.get("toy").describe()["promotion"]
    MlflowClient().set_registered_model_alias("toy", CHAMPION, v2)  # the MLflow UI
    champions.refresh()
    said = champions.get("toy").describe()["promotion"]
    assert said.startswith("set outside brain"), said
    assert "this version's last decision: v2" in said
    from training import set_champion

    set_champion("toy", v2, "checked by hand")  # brain promote: its reason again
    fresh = Champions(names=("toy",), loader=lambda uri: None)
    fresh.refresh()
    assert fresh.get("toy").describe()["promotion"] == "promoted by hand: checked by hand"


def test_a_registered_model_without_versions_does_not_stop_the_listing() -> None:
    """A registered model whose versions were all deleted: brain models (every model) had
    failed with "no registered model 'empty' ...; registered: empty, toy"."""
    import json

    from typer.testing import CliRunner

    from serving.cli import app

    v1 = _version(1.0, metric=10.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    MlflowClient().create_registered_model("empty")
    runner = CliRunner()
    res = runner.invoke(app, ["models", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["model"]: r for r in json.loads(res.output)}
    assert rows["empty"]["versions"] == 0
    assert rows["empty"]["champion"] is None
    assert rows["toy"]["champion"] == str(v1)
    one = runner.invoke(app, ["models", "empty"])
    assert one.exit_code == 0, one.output
    assert "registered but has no versions" in " ".join(one.output.split())
    promote = runner.invoke(app, ["promote", "empty", "1"])
    assert promote.exit_code != 0
    assert "'empty' is registered" in " ".join(promote.output.split())


def test_two_moves_at_the_same_moment_are_both_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A running number read and then written by two processes promoting at once gave both
    the same tag, and one move was lost (a review: 10 of 11 recorded). Keys are now written
    without reading (time + random part): even two moves at the same microsecond differ."""
    from datetime import UTC, datetime

    import training._mlflow_champion as tm
    from training import champion_moves, set_champion

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(tm, "datetime", Frozen)
    v1, v2 = _version(1.0, metric=10.0), _version(2.0, metric=9.0)
    set_champion("toy", v1, "first")
    set_champion("toy", v2, "second")
    assert sorted(m.reason for m in champion_moves("toy")) == ["first", "second"]


def test_version_data_reads_every_kind_and_the_versions_from_before() -> None:
    """The data a version learned from, the same fields for every model kind; a forecaster
    registered before 2026-12-05 had no data_cutoff (brain models NAME --json gave null), only
    its data.summary."""
    from training._versions import data_text, version_data

    new_forecaster = {"data.start": "2024-01-01", "data_cutoff": "2025-05-14",
                      "data.n_series": "9", "data.summary": "9 series, 2024-01-01 .. 2025-05-14"}
    old_forecaster = {"data.summary": "60 series, 2022-11-01 .. 2025-05-18"}
    hourly = {"data.summary": "2 series, 2025-01-01 00:00 .. 2025-02-01 23:00"}
    old_customer = {"data_cutoff": "2025-05-14"}
    uplift = {"data.n_customers": "1593"}
    assert version_data(new_forecaster) == {"data_cutoff": "2025-05-14",
                                            "data_start": "2024-01-01", "n_series": 9,
                                            "n_customers": None}
    assert version_data(old_forecaster) == {"data_cutoff": "2025-05-18",
                                            "data_start": "2022-11-01", "n_series": 60,
                                            "n_customers": None}
    assert version_data(hourly)["data_cutoff"] == "2025-02-01 23:00"
    got = version_data(old_customer, {"data.start": "2024-01-01"})  # its run's tag
    assert (got["data_start"], got["data_cutoff"]) == ("2024-01-01", "2025-05-14")
    assert version_data(uplift)["n_customers"] == 1593
    assert data_text(version_data(new_forecaster)) == "2024-01-01 .. 2025-05-14, 9 series"
    assert data_text(version_data(uplift)) == "1,593 customers"
    assert data_text(version_data({})) == ""
    # only a start known: said, not "not recorded" in brain models (its --json had it)
    assert data_text(version_data({"data.start": "2024-01-01"})) == "from 2024-01-01"


def test_brain_models_gives_every_version_its_data(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from serving.cli import app

    v1 = _version(1.0, metric=5.0)
    assert promote_if_better("toy", v1, "mae", 5.0, False, "eval-A").promoted
    client = MlflowClient()
    # as a forecaster registered before 2026-12-05 kept it
    client.set_model_version_tag("toy", v1, "data.summary", "3 series, 2024-02-01 .. 2025-01-31")
    v2 = _version(2.0, metric=6.0)  # nothing recorded
    runner = CliRunner()
    record = json.loads(runner.invoke(app, ["models", "toy", "--json"]).output)
    first, second = record["versions"]
    assert first["data_cutoff"] == "2025-01-31"
    assert first["data_start"] == "2024-02-01"
    assert first["n_series"] == 3
    assert second["data_cutoff"] is None
    assert {"data_cutoff", "data_start", "n_series", "n_customers"} <= set(second)
    table = runner.invoke(app, ["models", "toy"], env={"COLUMNS": "200"}).output
    assert "2024-02-01 .. 2025-01-31, 3 series" in table
    assert "not recorded" in table
    listing = json.loads(runner.invoke(app, ["models", "--json"]).output)
    assert listing[0]["champion_data_cutoff"] == "2025-01-31"
    assert listing[0]["champion_n_series"] == 3
    assert str(v2) != listing[0]["champion"]


def test_a_champion_move_records_who_made_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """README: brain models NAME lists every champion move 'when, by whom, why'; two people
    promoting on one tracking server were both listed as 'hand'."""
    import json

    from typer.testing import CliRunner

    from serving.cli import app
    from training import champion_moves

    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.setenv("LOGNAME", "alice")  # getpass.getuser(), as MLflow's mlflow.user
    v1 = _version(1.0, metric=5.0)
    assert promote_if_better("toy", v1, "mae", 5.0, False, "eval-A").promoted
    v2 = _version(2.0, metric=6.0)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")  # the server's user wins
    runner = CliRunner()
    assert runner.invoke(app, ["promote", "toy", str(v2)]).exit_code == 0
    assert [(m.by, m.user) for m in champion_moves("toy")] == [("training", "alice"),
                                                              ("hand", "bob")]
    table = runner.invoke(app, ["models", "toy"], env={"COLUMNS": "200"}).output
    assert "hand (bob)" in table
    assert "training (alice)" in table
    listing = json.loads(runner.invoke(app, ["models", "--json"]).output)[0]
    assert (listing["moved_by"], listing["moved_by_user"]) == ("hand", "bob")
    record = json.loads(runner.invoke(app, ["models", "toy", "--json"]).output)
    assert [m["user"] for m in record["champion_moves"]] == ["alice", "bob"]


def test_a_registered_version_names_the_code_that_trained_it() -> None:
    """The package version stays 0.1.0 from one change to the next and MLflow's git tag names
    the repository of the script run (.venv/bin/brain: none): no version said which code
    trained it, though older code scores a newer model by its own rules (README, Upgrading)."""
    import subprocess
    from pathlib import Path

    v1 = _version(1.0, metric=5.0)
    client = MlflowClient()
    mv = client.get_model_version("toy", v1)
    run = client.get_run(mv.run_id)
    code = mv.tags["code.version"]
    assert code.startswith("marketing-brain ")
    assert run.data.tags["code.version"] == code
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():  # an unpacked copy: the package version only
        assert "commit" not in code
        return
    sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert f"commit {sha[:12]}" in code
    assert run.data.tags["mlflow.source.git.commit"] == sha


def test_older_versions_read_their_run_s_tags_in_one_place() -> None:
    """brain models and GET /models each had their own copy of the rule that completes a
    version registered before its data tags from its training run: one rule, read by both."""
    from training._versions import older_run_tags, version_data

    client = MlflowClient()
    old = client.get_model_version("toy", _version(1.0, metric=5.0))
    client.set_tag(old.run_id, "data.start", "2024-03-01")  # as a customer run kept it
    assert older_run_tags(client, old)["data.start"] == "2024-03-01"
    assert version_data(old.tags, older_run_tags(client, old))["data_start"] == "2024-03-01"
    client.set_model_version_tag("toy", old.version, "data.start", "2024-03-01")
    assert older_run_tags(client, client.get_model_version("toy", old.version)) == {}
    client.delete_model_version_tag("toy", old.version, "data.start")
    client.delete_run(old.run_id)
    client._tracking_client.store._hard_delete_run(old.run_id)  # a run deleted for good since
    assert older_run_tags(client, client.get_model_version("toy", old.version)) == {}


@pytest.mark.slow
def test_a_champion_not_compared_is_explained_in_words_first() -> None:
    """A rescorer that declines (a 90-day champion, a 60-day candidate) gives the reason: it
    leads, not "champion v1 was evaluated on '<key>', not '<key>'" (brain models shows the
    start of the reason)."""
    v1 = _version(1.0, metric=0.2, evaluation="churn|h90")
    MlflowClient().set_registered_model_alias("toy", CHAMPION, v1)
    v2 = _version(2.0, metric=0.1, evaluation="churn|h60")
    why = ("the champion predicts a 90-day window and this version a 60-day one: they answer "
           "different questions, so they are not compared.")
    p = promote_if_better("toy", v2, "brier", 0.1, False, "churn|h60",
                          rescore_champion=lambda uri: (None, 0.1, why))
    assert not p.promoted
    assert p.reason.startswith("not promoted: the champion predicts a 90-day window")
    assert f"against champion v{v1}" in p.reason
    assert "'churn|h90'" in p.reason
    assert p.reason.endswith("champion kept")


@pytest.mark.slow
def test_models_prints_the_newest_decision_whole_where_the_table_cuts_it() -> None:
    """The versions table cuts a decision at 90 characters; the champion rule's reason ends
    with what decided it (a start score a planner may promote by hand), so the newest one is
    printed in full below the table."""
    from typer.testing import CliRunner

    from serving.cli import app

    v1 = _version(1.0, metric=10.0)
    assert promote_if_better("toy", v1, "mae", 10.0, False, "eval-A").promoted
    v2 = _version(2.0, metric=12.0)
    assert not promote_if_better("toy", v2, "mae", 12.0, False, "eval-A").promoted
    long = ("v2 mase=12 does not beat champion v1 mase=10 on the same backtest; "
            "its start score start_pinball=0.098 against the champion's 0.499 (END-OF-REASON)")
    MlflowClient().set_model_version_tag("toy", v2, "promotion", long)
    res = CliRunner().invoke(app, ["models", "toy"])
    assert res.exit_code == 0, res.output
    assert f"v{v2} promotion decision in full:" in res.output
    assert "END-OF-REASON" in " ".join(res.output.split())


@pytest.mark.slow
def test_the_promotion_reason_says_in_words_what_the_evaluation_key_is() -> None:
    """'on 'backtest:6a7b3891b250ec25:h60:k3'' said nothing to a planner: the reason names the
    backtest in words (data fingerprint, horizon, folds), then the key, which the tags keep."""
    key = "backtest:6a7b3891b250ec25:h60:k3"
    v1 = _version(1.0, metric=0.458, evaluation=key)
    assert promote_if_better("toy", v1, "mae", 0.458, False, key).promoted
    v2 = _version(2.0, metric=0.954, evaluation=key)
    p2 = promote_if_better("toy", v2, "mae", 0.954, False, key)
    assert not p2.promoted
    assert p2.reason == (f"v{v2} mae=0.954 does not beat champion v{v1} mae=0.458 on the same "
                         "backtest (data fingerprint 6a7b3891…, horizon 60, 3 folds; key "
                         f"'{key}')")
    assert MlflowClient().get_model_version("toy", v2).tags["eval.key"] == key
    churn = "churn|label_churn|horizon=90|valid=2025-10-02|n=19002|95f89c279596"
    v3 = _version(3.0, metric=0.1, evaluation=churn)
    p3 = promote_if_better("toy", v3, "mae", 0.1, False, churn)
    assert "was evaluated on backtest (data fingerprint 6a7b3891…, horizon 60, 3 folds" in p3.reason
    assert ("not validation (churn, label label_churn over 90 days, validated at 2025-10-02 on "
            "19,002 customers, data fingerprint 95f89c27…") in p3.reason
