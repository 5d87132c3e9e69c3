"""MLflow pyfunc wrapper so serving can load an uplift model by alias like any other model."""

from __future__ import annotations

from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel

from experiments._uplift import TLearner, XLearner

__all__ = ["UpliftPyfunc"]


class UpliftPyfunc(PythonModel):  # type: ignore[misc]
    """Predicts one uplift column per treatment from a frame of the training feature columns."""

    def __init__(self, learner: TLearner | XLearner) -> None:
        self.learner = learner

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None
                ) -> pd.DataFrame:
        """Uplift per treatment for each row of ``model_input``."""
        return self.learner.predict(model_input)
