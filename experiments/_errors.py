"""The one exception type raised for bad statistical inputs."""

from __future__ import annotations

__all__ = ["ExperimentInputError"]


class ExperimentInputError(ValueError):
    """An experiment input broke a rule: the message names the input, the rule, what was received
    and how to fix it (e.g. "metric 'spend': 12 missing values in arm 'control' ...")."""
