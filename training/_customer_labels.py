"""What a customer model's label means: the task, the label window and, for churn from events,
the churn rule ("no order" or "no order and no visit" in the window).

A churn model trained with ``churn_needs_no_visit`` answers another question than one trained
without: its AUC, Brier and calibration are measured against another label, so the two must
not be compared as if they were the same, and its predictions must be checked against the
outcome it learned. ``CustomerModel.fit`` records the definition (``labels_``);
``label_definition`` reads it back, and for a model saved before the record existed
(2026-12-05) assumes the default rule and says so (``LabelDefinition.assumed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CHURN_RULES", "DEFAULT_CHURN_RULE", "LabelDefinition", "label_definition",
           "label_mismatch", "rule_from_evaluation_key"]

CHURN_RULES = {"no_order": "no order", "no_order_no_visit": "no order and no visit"}
"""Churn rules of the events pipeline and their words."""
DEFAULT_CHURN_RULE = "no_order"
"""The rule of ``features.make_labels`` without ``churn_needs_no_visit``."""


@dataclass(frozen=True)
class LabelDefinition:
    """A model's label, as recorded at training (or assumed for an older model).

    Attributes:
        task: churn, propensity or value.
        label_col: the label column it learned (``label_churn``, a table's own column, ...).
        horizon_days: the label window in days after each cutoff (None: a table's own label).
        churn_rule: for churn from events, ``no_order`` or ``no_order_no_visit``; None for
            other tasks and for a table's own label (the table defines it).
        assumed: True when the model does not record its churn rule (saved before the record
            existed) and ``churn_rule`` is the default taken for it.
        source: where an unrecorded rule was read from: ``"default"`` or
            ``"evaluation key"`` (the version's ``eval.key`` tag, which ``brain train`` has
            always marked ``|no_visit``); ``"model"`` for a recorded one.
    """

    task: str
    label_col: str | None
    horizon_days: int | None
    churn_rule: str | None
    assumed: bool = False
    source: str = "model"

    def rule_words(self) -> str:
        """'no order and no visit in the 90-day window' (or the label column's name)."""
        if self.churn_rule is None:
            if self.horizon_days and self.task == "propensity":
                return f"an order in the {self.horizon_days}-day window"
            if self.horizon_days and self.task == "value":
                return f"revenue in the {self.horizon_days}-day window"
            return f"the table's label column {self.label_col!r}"
        window = f" in the {self.horizon_days}-day window" if self.horizon_days else ""
        return f"{CHURN_RULES.get(self.churn_rule, self.churn_rule)}{window}"

    def describe(self) -> str:
        """One line for tags, ``brain models`` and notes: 'churn = no order and no visit in the
        90-day window after the cutoff'."""
        name = {"churn": "churn", "propensity": "purchase", "value": "value"}.get(
            self.task, self.task)
        text = f"{name} = {self.rule_words()}"
        if self.horizon_days:
            text += " after the cutoff"
        if self.assumed:
            text += " (not recorded by the model: assumed, the default rule)"
        elif self.source == "evaluation key":
            text += " (not recorded by the model: read from its evaluation key)"
        return text

    def as_record(self) -> dict[str, Any]:
        """What ``CustomerModel.fit`` keeps as ``labels_`` (and MLflow params / tags)."""
        return {"task": self.task, "label_col": self.label_col,
                "horizon_days": self.horizon_days, "churn_rule": self.churn_rule}

    def assumed_note(self, who: str) -> str:
        """The sentence said once when the rule is not recorded ('' when it is)."""
        if self.churn_rule is None or self.source == "model":
            return ""
        how = ("its evaluation key marks it" if self.source == "evaluation key" else
               "it is taken to be the default")
        return (f"{who} was trained before churn models recorded their churn rule: {how}, "
                f"churn = {self.rule_words()}")


def rule_from_evaluation_key(key: str | None) -> str | None:
    """The churn rule ``brain train`` marked in an evaluation key (``...|horizon=90|no_visit|
    ...``), or None when the key holds no event-label window."""
    if not key:
        return None
    parts = key.split("|")
    if not any(p.startswith("horizon=") for p in parts):
        return None
    return "no_order_no_visit" if "no_visit" in parts else DEFAULT_CHURN_RULE


def label_definition(model: Any, evaluation_key: str | None = None) -> LabelDefinition:
    """The label ``model`` learned: its record (``labels_``), or for an older model the rule
    its version's evaluation key marks (``evaluation_key``, the ``eval.key`` tag), else the
    default rule (``assumed``)."""
    task = str(getattr(model, "task", ""))
    record = getattr(model, "labels_", None)
    h = getattr(model, "horizon_days", None)
    col = getattr(model, "label_col_", None) or getattr(model, "label_col", None)
    if isinstance(record, dict):
        return LabelDefinition(str(record.get("task", task)), record.get("label_col", col),
                               record.get("horizon_days", h), record.get("churn_rule"))
    if task != "churn" or not h or (col not in (None, "label_churn")):
        return LabelDefinition(task, col, h, None)
    marked = rule_from_evaluation_key(evaluation_key)
    if marked is not None:
        return LabelDefinition(task, col, h, marked, source="evaluation key")
    return LabelDefinition(task, col, h, DEFAULT_CHURN_RULE, assumed=True, source="default")


def label_mismatch(champion: LabelDefinition, candidate: LabelDefinition) -> str | None:
    """Why two models' labels differ in their churn rule (None when they do not)."""
    if champion.churn_rule is None or candidate.churn_rule is None:
        return None
    if champion.churn_rule == candidate.churn_rule:
        return None
    how = ""
    if champion.source != "model":
        how = (" (the champion does not record its rule: "
               + ("read from its evaluation key)" if champion.source == "evaluation key"
                  else "taken to be the default, as before 2026-12-05)"))
    return (f"the champion's label is churn = {champion.rule_words()}{how} and this version's "
            f"churn = {candidate.rule_words()}: their AUC, Brier and calibration measure "
            "different outcomes, so they are not compared and the champion stays")


_TASK_OF = {"churn": "churn", "purchase_propensity": "propensity", "customer_value": "value"}


def version_label_words(name: str, tags: dict[str, str]) -> str | None:
    """A registered customer model version's label in words (``brain models``): its ``label``
    tag, or for a version registered before the tag existed, what its evaluation key says (a
    churn rule unmarked there is the default, and the words say it was not recorded). None for
    a model that is not a customer model."""
    if tags.get("label"):
        return tags["label"]
    task = _TASK_OF.get(name)
    key = tags.get("eval.key") or ""
    if task is None or not key:
        return None
    parts = key.split("|")
    h = next((p.removeprefix("horizon=") for p in parts if p.startswith("horizon=")), None)
    horizon = int(h) if h and h.isdigit() else None
    col = parts[1] if len(parts) > 1 else None
    rule = rule_from_evaluation_key(key) if task == "churn" and horizon else None
    labels = LabelDefinition(task, col, horizon, rule,
                             source="evaluation key" if rule else "model")
    return labels.describe()
