"""The A/B-test endpoints' answers (POST /analyze, POST /plan), without the web framework.

The experiment engine (``experiments``) does the statistics; this module builds its inputs from
the validated requests (``_schemas_ab``) and answers its input errors in the request's own field
names (``API_NAMES``) as ``BadRequestError``. Only ``ExperimentInputError`` is the client's
(400 ``invalid_experiment_input``): any other exception out of the engines is a failure of ours,
a logged 500 (until 2026-12-07 every ``ValueError``, ``KeyError`` or ``TypeError`` of theirs was
answered 400 ``invalid_experiment_input`` with the engine's internal message).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._answers import BadRequestError
from ._schemas_ab import AnalyzeRequest, PlanRequest

__all__ = ["API_NAMES", "analyze", "plan"]

API_NAMES = {"expected_shares": "expected_split", "relative=False": '"relative": false'}
"""The request field for each input an ``ExperimentInputError`` names where the field is not
called like the engine's parameter (``variant_col``, ``control``, ``metrics``, ``mde``, ... are):
the experiment engine's messages are answered with these, the CLI's options never appear."""


def _phrase(exc: Exception) -> str:
    """``exc``'s message for an API client: the experiment engine's inputs named by their
    request fields (``API_NAMES``)."""
    from experiments import ExperimentInputError

    return exc.phrase(API_NAMES) if isinstance(exc, ExperimentInputError) else str(exc)


_ENGINE_FIELDS = {"expected_shares": "expected_split"}


def _experiment_error(exc: Exception, fields: set[str],
                      source: str | None = None) -> BadRequestError:
    """A 400 for an experiment engine error: the message in request terms (``_phrase``) and,
    when it names one of the request's ``fields``, the first such as ``field``; else, for a
    message about the data itself (it starts with ``source``, e.g. missing values or a unit in
    two arms), ``rows``."""
    from experiments import ExperimentInputError, Param

    field = None
    if isinstance(exc, ExperimentInputError):
        named = [_ENGINE_FIELDS.get(p.name, p.name) for p in exc.parts if isinstance(p, Param)]
        field = next((n for n in named if n in fields), None)
    if field is None and source is not None and str(exc).startswith(f"{source}:"):
        field = "rows"
    return BadRequestError(_phrase(exc), code="invalid_experiment_input", field=field)


def analyze(req: AnalyzeRequest) -> dict[str, Any]:
    import experiments as ex
    from experiments._errors import REQUEST_ROWS

    from ._cli_ab_inputs import build_metrics

    frame = pd.DataFrame(req.rows)
    bad_shares = {k: v for k, v in req.expected_split.items() if not v > 0}
    if bad_shares:
        raise BadRequestError(f"expected_split: shares must be positive; received "
                              f"{bad_shares}", code="invalid_experiment_input",
                              field="expected_split",
                              loc=["expected_split", next(iter(bad_shares))])
    opts = ex.AnalysisOptions(alpha=req.alpha, test=req.test, correction=req.correction,
                              expected_shares=dict(req.expected_split) or None,
                              sequential=req.sequential, tuning_n=req.tuning_n,
                              bayesian=req.bayesian)
    try:
        metrics = build_metrics(req.metrics, cuped=req.cuped, guardrails=req.guardrails,
                                lower_is_better=req.lower_is_better, caps=req.caps)
        result = ex.analyze(frame, req.variant_col, req.control, metrics, options=opts,
                            segment_col=req.segment_col, source=REQUEST_ROWS,
                            unit_col=req.unit_col, time_col=req.time_col,
                            exposure_col=req.exposure_col)
        return result.to_dict()
    except ex.ExperimentInputError as exc:
        raise _experiment_error(exc, set(AnalyzeRequest.model_fields),
                                source=REQUEST_ROWS) from exc


def plan(req: PlanRequest) -> dict[str, Any]:
    import experiments as ex

    r = req
    if r.mde is None and r.n_control is None:
        raise BadRequestError("give 'mde' (for the sample size), 'n_control' (for the "
                              "minimum detectable effect), or both (for the power)",
                              code="missing_field", field="mde")
    try:
        common = {"baseline": r.baseline, "kind": r.kind, "sd": r.sd, "alpha": r.alpha,
                  "variance_reduction": r.variance_reduction, "variants": r.variants,
                  "metrics": r.metrics, "ratio": r.ratio, "alternative": r.alternative}
        if r.mde is not None and r.n_control is not None:
            plan = ex.power(n_control=r.n_control, mde=r.mde, relative=r.relative,
                            **common)  # type: ignore[arg-type]
        elif r.mde is not None:
            plan = ex.sample_size(mde=r.mde, relative=r.relative, power=r.power,
                                  **common)  # type: ignore[arg-type]
        else:
            assert r.n_control is not None  # checked above
            plan = ex.minimum_detectable_effect(n_control=r.n_control, power=r.power,
                                                **common)  # type: ignore[arg-type]
        return plan.to_dict()
    except ex.ExperimentInputError as exc:
        raise _experiment_error(exc, set(PlanRequest.model_fields)) from exc
