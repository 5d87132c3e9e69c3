"""Arm labels as people type them: surrounding spaces and case are not part of a label.

Exports often carry 'control', 'Control' and 'control ' for one arm; analysed as they stand they
become separate arms (and a sample-ratio alarm pointing at the wrong cause). As the data
contracts do for event types, labels are compared after stripping surrounding spaces and
ignoring case; spellings of one arm are merged under the most frequent one, and a note names
every merge with its counts so nothing happens silently.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param, first_rows

__all__ = ["check_scalar_labels", "label_key", "merge_labels", "normalise_frame",
           "resolve_label", "resolve_shares"]


def check_scalar_labels(frame: pd.DataFrame, columns: Mapping[str, Param], source: str) -> None:
    """Raise ``ExperimentInputError`` when a label column (arm, segment, unit id; ``columns``
    maps each to the ``Param`` that named it) holds lists or mappings, as a JSON request's rows
    can (``"segment": [1]``): grouping by them had raised pandas' ``TypeError: unhashable
    type``, which the API could not tell from a failure of its own. Columns absent from
    ``frame`` are left to the checks that name them."""
    for col, param in columns.items():
        if col not in frame.columns or frame[col].dtype != object:
            continue
        values = frame[col].to_numpy()
        bad = np.flatnonzero([isinstance(v, list | tuple | dict | set) for v in values])
        if bad.size:
            raise ExperimentInputError(
                f"{source}: column {col!r} (", param, f") has {bad.size} values that are "
                f"lists or objects (first {first_rows(source, bad)}; "
                f"{first_rows(source, bad[:1])} holds {values[bad[0]]!r}); a "
                "label must be one text or number per row. Fix: send one value per row."
            )


def label_key(label: object) -> str:
    """The comparison key of an arm label: surrounding spaces stripped, case folded."""
    return str(label).strip().casefold()


def merge_labels(counts: Mapping[str, int]) -> tuple[dict[str, str], str | None]:
    """``(mapping, note)``: each label (with its unit count) mapped to its arm's spelling.

    The arm's spelling is its most frequent stripped spelling (ties: the first in sorted order).
    ``note`` names the merges and counts, or is None when every label already stood alone and
    had no surrounding spaces.
    """
    groups: dict[str, list[str]] = {}
    for label in sorted(counts):
        groups.setdefault(label_key(label), []).append(label)
    mapping: dict[str, str] = {}
    merges: list[str] = []
    for labels in groups.values():
        by_spelling: dict[str, int] = {}
        for lab in labels:
            by_spelling[lab.strip()] = by_spelling.get(lab.strip(), 0) + int(counts[lab])
        canon = sorted(by_spelling, key=lambda k: (-by_spelling[k], k))[0]
        mapping.update(dict.fromkeys(labels, canon))
        if labels != [canon]:
            total = sum(int(counts[lab]) for lab in labels)
            parts = " + ".join(f"{lab!r} ({int(counts[lab])})" for lab in
                               sorted(labels, key=lambda k: (-int(counts[k]), k)))
            merges.append(f"{parts} -> {canon!r} ({total})")
    if not merges:
        return mapping, None
    return mapping, ("variant labels that differ only in case or surrounding spaces were merged "
                     "into one arm: " + "; ".join(merges) + ". If they are really different "
                     "arms, relabel them in the data")


def resolve_label(label: str, arms: list[str]) -> str:
    """The arm among ``arms`` that ``label`` names (spaces and case ignored), else ``label``."""
    found = [a for a in arms if label_key(a) == label_key(label)]
    return found[0] if found else label


def resolve_shares(shares: Mapping[str, float] | None, arms: list[str]
                   ) -> Mapping[str, float] | None:
    """Designed shares keyed by the arms' spellings (keys matched like labels)."""
    if shares is None:
        return None
    out: dict[str, float] = {}
    for key, value in shares.items():
        arm = resolve_label(str(key), arms)
        if arm in out:
            same = sorted(str(k) for k in shares if label_key(k) == label_key(arm))
            raise ExperimentInputError(
                "", Param("expected_shares"), f" gives arm {arm!r} more than once (keys "
                f"{same} differ only in case or spaces). Fix: give each arm's share once."
            )
        out[arm] = value
    return out


def normalise_frame(frame: pd.DataFrame, variant_col: str) -> tuple[pd.DataFrame, str | None]:
    """``frame`` with its arm labels merged (see ``merge_labels``) and the note, if any."""
    col = frame[variant_col]
    present = col.notna()
    text = col[present].astype(str)
    blank = text.str.strip() == ""
    if blank.any():  # '' or ' ' in a JSON body: no label, as an empty CSV cell reads
        # by position: a frame with a repeated index (two exports concatenated) would blank
        # every row sharing a blank row's label, 'A' rows too
        values = col.astype(object).to_numpy(copy=True)
        values[np.flatnonzero(present.to_numpy())[blank.to_numpy()]] = None
        frame = frame.copy()
        frame[variant_col] = values
        return normalise_frame(frame, variant_col)
    mapping, note = merge_labels(text.value_counts().to_dict())
    if all(k == v for k, v in mapping.items()):
        return frame, note
    out = frame.copy()
    out[variant_col] = col.astype(object)
    out.loc[present, variant_col] = text.map(mapping)
    return out, note
