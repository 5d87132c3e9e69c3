"""Score customers with a fitted uplift learner and pick whom to target.

``score_uplift`` gives every row its predicted uplift per treatment (in outcome units: a
probability difference for a 0/1 outcome), the treatment with the largest uplift, and the
targeting decision: the top ``k`` share of rows by that uplift, among rows whose best uplift is
above 0 (a customer the model expects the campaign to hurt, or leave as is, is never targeted,
even inside the top k). The input is checked as training checks it: every feature column the
model was fitted on must be present, numeric features must hold numbers (text such as '12,50'
would otherwise be read as missing without a word), and labels the model never saw are counted
(they score as missing values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param, first_rows
from experiments._uplift import TLearner, XLearner

__all__ = ["UpliftScores", "score_uplift"]


@dataclass(frozen=True)
class UpliftScores:
    """Outcome of ``score_uplift``.

    Attributes:
        scores: one row per input row, in input order: the id column (when given),
            ``uplift_<treatment>`` per treatment, ``best_treatment``, ``best_uplift``, ``rank``
            (1 = largest best uplift) and ``target`` (True for the rows to target).
        k: share of rows the policy may target.
        n_targeted: rows with ``target`` True.
        notes: what the caller should know: unseen labels per column, rows whose features are
            all missing, a top k cut short by rows with no positive uplift.
    """

    scores: pd.DataFrame
    k: float
    n_targeted: int
    notes: tuple[str, ...] = ()


def _rows(source: str, mask: np.ndarray) -> str:
    return first_rows(source, np.flatnonzero(mask))


def _check_features(learner: TLearner | XLearner, frame: pd.DataFrame, source: str
                    ) -> list[str]:
    """Raise for missing feature columns and text in numeric ones; return notes."""
    feats = list(learner.feature_names_)
    missing = [c for c in feats if c not in frame.columns]
    if missing:
        raise ExperimentInputError(
            f"uplift scoring ({source}): feature columns {missing} are missing; the model was "
            f"trained on {feats}. Fix: give those columns (with the same names and meaning as "
            "in the training file), or score with a model trained on the columns this file has."
        )
    notes = []
    for c in feats:
        col = frame[c]
        if c in learner.categories_:
            known = set(learner.categories_[c].astype(str))
            text = col.dropna().astype(str)
            unseen = text[~text.isin(known)]
            if len(unseen):
                labels = ", ".join(repr(v) for v in unseen.value_counts().index[:3])
                notes.append(
                    f"column {c!r}: {len(unseen):,} rows hold labels the model never saw "
                    f"({labels}); they score as a missing value")
            continue
        if col.dtype == bool:
            continue
        values = pd.to_numeric(col, errors="coerce")
        text_mask = (values.isna() & col.notna()).to_numpy()
        if text_mask.any():
            shown = [str(v) for v in col.to_numpy()[np.flatnonzero(text_mask)[:3]]]
            raise ExperimentInputError(
                f"uplift scoring ({source}): feature column {c!r} has {int(text_mask.sum()):,} "
                f"values that are not numbers (first {_rows(source, text_mask)}: {shown}); the "
                "model was trained on numbers there. Fix: convert them (a decimal point, not a "
                "comma: '12.50'), or leave the cells empty for unknown values."
            )
    empty = frame[feats].isna().all(axis=1).to_numpy()
    if empty.any():
        notes.append(f"{int(empty.sum()):,} rows have every feature missing (first "
                     f"{_rows(source, empty)}); they are scored as a customer about whom "
                     "nothing is known")
    return notes


def _k_for_one_row(n: int) -> str:
    """The smallest k of two significant digits whose top k of ``n`` rows is a whole row: 1/n
    rounded up (rounded to nearest, 0.33 of 3 rows is still under one row)."""
    need = 1 / n
    digits = 1 - math.floor(math.log10(need))
    k = math.ceil(need * 10**digits - 1e-9) / 10**digits
    return f"{k:.{max(digits, 0)}f}"


def score_uplift(learner: TLearner | XLearner, frame: pd.DataFrame, *, k: float = 0.3,
                 id_col: str | None = None, source: str = "scoring data") -> UpliftScores:
    """Predicted uplift per treatment, the best treatment and the top-``k`` targeting decision.

    Args:
        learner: a fitted ``TLearner`` or ``XLearner``.
        frame: one row per customer with the model's feature columns (others are ignored).
        k: share of rows to target at most, in (0, 1].
        id_col: column copied to the output to identify rows (must exist when given).
        source: name of the data in error messages.
    """
    if not 0 < k <= 1:
        raise ExperimentInputError(f"uplift scoring: k must be in (0, 1], the share of "
                                   f"customers to target; received {k}. Fix: pass ",
                                   Param("k"), " such as 0.3.")
    if id_col is not None and id_col not in frame.columns:
        raise ExperimentInputError(
            f"uplift scoring ({source}): id column {id_col!r} is missing; received "
            f"{list(frame.columns)[:20]}. Fix: pass ", Param("id_col"),
            " naming the customer id column.")
    if frame.empty:
        raise ExperimentInputError(f"uplift scoring ({source}): the file has no rows.")
    notes = _check_features(learner, frame, source)
    if id_col is not None and frame[id_col].duplicated().any():
        dup = frame[id_col].duplicated(keep=False).to_numpy()
        notes.append(f"id column {id_col!r}: {int(dup.sum()):,} rows share an id with another "
                     f"row (first {_rows(source, dup)}); each row is scored on its own")
    pred = learner.predict(frame.reset_index(drop=True))
    treatments = [str(t) for t in learner.treatments_]
    up = pred[treatments].to_numpy(dtype=np.float64)
    best_i = np.argmax(up, axis=1)
    best = up[np.arange(len(up)), best_i]
    order = np.argsort(-best, kind="stable")
    rank = np.empty(len(best), dtype=np.int64)
    rank[order] = np.arange(1, len(best) + 1)
    quota = int(np.floor(k * len(best) + 1e-9))
    target = (rank <= quota) & (best > 0)
    out = pd.DataFrame(index=range(len(frame)))
    if id_col is not None:
        out[id_col] = frame[id_col].to_numpy()
    for j, t in enumerate(treatments):
        out[f"uplift_{t}"] = up[:, j]
    out["best_treatment"] = np.asarray(treatments, dtype=object)[best_i]
    out["best_uplift"] = best
    out["rank"] = rank
    out["target"] = target
    n_target = int(target.sum())
    if quota == 0:  # 30% of 3 rows: not one whole row may be targeted
        notes.append(f"the top {100 * k:.3g}% of {len(best):,} rows is less than one row: "
                     "nobody is targeted; give a larger k (at least "
                     f"{_k_for_one_row(len(best))}) to target the best of them")
    elif n_target < quota:
        notes.append(f"only {n_target:,} rows have a positive predicted uplift, fewer than the "
                     f"{quota:,} the top {k:.0%} allows: the others are not targeted")
    return UpliftScores(out, k, n_target, tuple(notes))
