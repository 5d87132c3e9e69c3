"""training: fit, evaluate, log to MLflow, register, promote champions.

Contract at the boundary
------------------------
In: long-format series frames (``series_id``, ``ds``, ``y`` + known-in-advance columns) with a
calendar frame, and user feature frames (one row per ``user_id``, ``cutoff``, label columns
``label_churn``, ``label_purchase``, ``label_value``) from ``features``. A series ``ds`` is
naive (local times) or has a time zone: the forecasters then model its local wall clock and
answer in that zone.

Out: fitted estimators (scikit-learn style), metric records, MLflow runs and registered model
versions. The registry's ``champion`` alias of each model moves only through
``promote_if_better`` (a candidate must beat the champion on the same evaluation).
"""

from ._customer_eval import (
    ClassifierMetrics,
    ValueMetrics,
    classifier_metrics,
    value_metrics,
)
from ._customer_mlflow import CustomerScorer, CustomerTrainOutcome, log_customer_model, score_frame
from ._customer_mlflow import train_and_register as train_and_register_customer
from ._customer_models import TASKS as CUSTOMER_TASKS
from ._customer_models import CustomerModel
from ._customer_scoring import features_asof, retier, score_asof, score_features
from ._customer_tiers import TierRule, assign_tiers, early_warning, early_warning_spend
from ._forecast_backtest import BacktestResult, backtest
from ._forecast_backtest_keys import evaluation_key
from ._forecast_backtest_metrics import METRICS as FORECAST_METRICS
from ._forecast_backtest_metrics import forecast_metrics
from ._forecast_base import FORECAST_COLUMNS, BaseForecaster
from ._forecast_events import EventEffects
from ._forecast_gbm import LightGBMForecaster
from ._forecast_mlflow import (
    EXPERIMENT as FORECAST_EXPERIMENT,
)
from ._forecast_mlflow import (
    REGISTERED_NAME as FORECAST_MODEL_NAME,
)
from ._forecast_mlflow import (
    TrafficForecasterModel,
    TrainOutcome,
    log_backtest,
    train_and_register,
)
from ._forecast_models import (
    FORECASTERS,
    EnsembleForecaster,
    EventNaiveForecaster,
    ProphetForecaster,
    SeasonalNaiveForecaster,
    make_forecaster,
)
from ._forecast_peaks import PEAK_COLUMNS, PeakForecast, forecast_with_peaks, peak_summary
from ._forecast_plots import plot_fold
from ._mlflow import (
    CHAMPION,
    brain_home,
    configure_mlflow,
    get_or_create_experiment,
    register_model,
)
from ._mlflow_champion import (
    ChampionMove,
    Promotion,
    champion_moves,
    promote_if_better,
    set_champion,
)

__all__ = [
    "CHAMPION",
    "CUSTOMER_TASKS",
    "FORECASTERS",
    "FORECAST_COLUMNS",
    "FORECAST_EXPERIMENT",
    "FORECAST_METRICS",
    "FORECAST_MODEL_NAME",
    "PEAK_COLUMNS",
    "BacktestResult",
    "BaseForecaster",
    "ChampionMove",
    "ClassifierMetrics",
    "CustomerModel",
    "CustomerScorer",
    "CustomerTrainOutcome",
    "EnsembleForecaster",
    "EventEffects",
    "EventNaiveForecaster",
    "LightGBMForecaster",
    "PeakForecast",
    "Promotion",
    "ProphetForecaster",
    "SeasonalNaiveForecaster",
    "TierRule",
    "TrafficForecasterModel",
    "TrainOutcome",
    "ValueMetrics",
    "assign_tiers",
    "backtest",
    "brain_home",
    "champion_moves",
    "classifier_metrics",
    "configure_mlflow",
    "early_warning",
    "early_warning_spend",
    "evaluation_key",
    "features_asof",
    "forecast_metrics",
    "forecast_with_peaks",
    "get_or_create_experiment",
    "log_backtest",
    "log_customer_model",
    "make_forecaster",
    "peak_summary",
    "plot_fold",
    "promote_if_better",
    "register_model",
    "retier",
    "score_asof",
    "score_features",
    "score_frame",
    "set_champion",
    "train_and_register",
    "train_and_register_customer",
    "value_metrics",
]
