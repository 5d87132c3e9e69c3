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
        info = mlflow.pyfunc.log_model(name="model", python_model=_Const(value))
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
