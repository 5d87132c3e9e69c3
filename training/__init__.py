"""training: fit, evaluate, log to MLflow, register, promote champions.

Contract at the boundary
------------------------
In: long-format series frames (``series_id``, ``ds``, ``y`` + known-in-advance columns) with a
calendar frame, and user feature frames (one row per ``user_id``, ``cutoff``, label columns
``label_churn``, ``label_purchase``, ``label_value``) from ``features``.

Out: fitted estimators (scikit-learn style), metric records, MLflow runs and registered model
versions. The registry's ``champion`` alias of each model moves only through
``promote_if_better`` (a candidate must beat the champion on the same evaluation).
"""

from ._mlflow import (
    CHAMPION,
    Promotion,
    brain_home,
    configure_mlflow,
    get_or_create_experiment,
    promote_if_better,
    register_model,
)

__all__ = [
    "CHAMPION",
    "Promotion",
    "brain_home",
    "configure_mlflow",
    "get_or_create_experiment",
    "promote_if_better",
    "register_model",
]
