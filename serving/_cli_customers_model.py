"""The customer model ``brain score`` uses: its registered name per task (``_NAMES``), loading it
(``_load_model``: the champion, or ``--model``; a model saved before models recorded their label
gets its rule: ``_read_label_rule``), and checking it against what is scored (a table it cannot
read, another population, columns it does not use, a churn rule not read on purchases alone).
"""

# No "from __future__ import annotations", like the commands in ``_cli_customers``.

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from training._customer_models import CustomerModel

from ._cli_common import console, err_console, show_note
from ._cli_common import model_label as _model_label
from ._cli_common import registered_ref as _registered

_NAMES = {"churn": "churn", "propensity": "purchase_propensity", "value": "customer_value"}


def _unpromoted_versions(name: str) -> str:
    """What to say when ``name`` has versions but none is champion ('' when it has none)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        versions = MlflowClient().search_model_versions(f"name = '{name}'")
    except MlflowException:
        return ""
    if not versions:
        return ""
    latest = max(versions, key=lambda v: int(v.version))
    why = latest.tags.get("promotion", "no promotion recorded").removeprefix("not promoted: ")
    return (f"{len(versions)} version(s) are registered; the latest, v{latest.version}, was "
            f"not promoted ({why}). Score with it anyway: --model models:/{name}/"
            f"{latest.version}; or retrain (see the warnings of 'brain train')")


def _load_model(task: str, model_uri: str | None) -> "CustomerModel":
    import mlflow

    from training._mlflow import configure_mlflow

    uri = model_uri or f"models:/{_NAMES[task]}@champion"
    configure_mlflow(registry_needed=uri.startswith("models:"))
    try:
        loaded = mlflow.pyfunc.load_model(uri)
    except Exception as exc:
        unpromoted = _unpromoted_versions(_NAMES[task]) if model_uri is None else ""
        if unpromoted:
            raise ValueError(f"no {_NAMES[task]} version is champion yet; {unpromoted}") from None
        from training._mlflow import store_note

        raise ValueError(f"could not load model {uri!r} ({exc}); train one first with "
                         f"'brain train {task}' or pass --model URI ({store_note()})") from None
    model = getattr(loaded.unwrap_python_model(), "model", None)
    if model is None or not hasattr(model, "task"):
        kind = type(loaded.unwrap_python_model()).__name__
        raise ValueError(f"model {uri!r} is not a customer model (it holds a {kind}); pass a "
                         f"{task} model, e.g. --model models:/{_NAMES[task]}@champion")
    if model.task != task:
        raise ValueError(f"model {uri!r} is a {model.task} model, not {task}")
    console.print(f"scoring with {_model_label(uri)}", highlight=False)
    _read_label_rule(model, uri)
    return model


def _read_label_rule(model: Any, uri: str) -> None:
    """A model saved before models recorded their label (``labels_``, 2026-12-05) gets the
    rule its version's evaluation key marks, else the default, kept on the loaded model for this
    run (the check against what happened reads it); said once."""
    from training._customer_labels import label_definition

    if isinstance(getattr(model, "labels_", None), dict):
        return
    key = None
    ref = _registered(uri)
    if ref is not None:
        from mlflow import MlflowClient

        try:
            key = MlflowClient().get_model_version(ref[0], ref[1]).tags.get("eval.key")
        except Exception:  # the version's tags could not be read: the default rule, said
            key = None
    labels = label_definition(model, key)
    note = labels.assumed_note(_model_label(uri))
    if note:
        show_note(note)
    model.labels_ = labels.as_record()


def _extra_columns_note(model: Any, feats: pd.DataFrame, show: int = 10) -> str | None:
    """The note naming a scored table's columns the model does not use (extra columns, and
    those it left out at training), so nothing is ignored without a word."""
    need = getattr(model, "input_features_", None)
    if need is None:
        return None
    keep = {"user_id", "cutoff", "asof", getattr(model, "label_col_", None), *need}
    extra = [str(c) for c in feats.columns if c not in keep]
    if not extra:
        return None
    more = f" and {len(extra) - show} more" if len(extra) > show else ""
    return (f"{len(extra):,} column{'s' if len(extra) != 1 else ''} not used by the model: "
            f"{', '.join(map(repr, extra[:show]))}{more} (it reads {len(need):,} feature "
            "columns; the scores do not depend on these)")


def _check_table_model(model: Any, uri: str, feats: pd.DataFrame) -> None:
    """The model's input check before scoring a table; when an event model cannot read it,
    the fix names the newest registered version trained on a table with these columns (the
    user has often just trained it: 'brain train --table' keeps the event champion)."""
    from training._customer_population import table_version_for

    # the columns the user gave: not the 'asof' column --asof added (it had been listed among
    # the received columns of the file, 2026-12-07)
    received = [str(c) for c in feats.columns
                if not (c == "asof" and feats.attrs.get("brain.asof_added"))]
    try:
        model._check_inputs(feats, received)
    except ValueError as exc:
        text = str(exc)
        reg = _registered(uri)
        if reg is None or "trained on event features" not in text:
            raise
        found = table_version_for(reg[0], [str(c) for c in feats.columns], skip=reg[1])
        if found is None:
            raise
        version, source = found
        raise ValueError(
            text.split(" Fix: ")[0].replace("this model was trained", f"{_model_label(uri)} "
                                            "was trained", 1)
            + f" Fix: score it with --model models:/{reg[0]}/{version}, the newest version "
            f"trained on a table with these columns ({source or 'a table'}).") from None


def _check_event_model(model: Any, uri: str, feats: pd.DataFrame) -> None:
    """Before scoring from events: a model trained on a customer table whose columns the event
    features lack stops with an error naming ``--table`` (it had stopped after the progress
    bar, with "error: 'last_order'" for a model with a date column, or with a fix about the
    table's columns for a user who gave no table)."""
    from training._customer_columns import SHARE_PREFIXES

    if getattr(model, "horizon_days", None) is not None:
        return  # trained on events: its own input check names what is missing
    need = [str(c) for c in getattr(model, "input_features_", ())
            if c not in feats.columns and not str(c).startswith(SHARE_PREFIXES)]
    if not need:
        return  # a table built from events ('brain features build'): the columns are there
    name = _NAMES[model.task]
    shown = ", ".join(map(repr, need[:10])) + (f" and {len(need) - 10} more"
                                               if len(need) > 10 else "")
    raise ValueError(
        f"{_model_label(uri)} was trained on a customer table (`brain train {model.task} "
        f"--table`), and the features built from the events lack {len(need)} of its columns: "
        f"{shown}. Fix: score a table with those columns (`brain score {model.task} --table "
        f"FILE`), or score the events with a version trained on events (`brain models {name}` "
        f"lists the versions; pass --model models:/{name}/N)")


def _population_warning(model: Any, uri: str, source: Path | None,
                        users: pd.Series) -> None:
    """Warn when the model was trained on another input and knows few of the scored
    customers (``score_population_warning``)."""
    from training._customer_population import score_population_warning

    reg = _registered(uri)
    if reg is None or source is None:
        return
    text = score_population_warning(model, reg[0], _model_label(uri), reg[1],
                                    str(Path(source).resolve()), users)
    if text:
        err_console.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)


def _purchase_rule(model: Any, uri: str, season_adjust: bool,
                   horizon_days: int | None) -> bool:
    """Whether the model's label is read on purchases alone, as the season note and the
    longer-horizon chain assume (False for a churn model of "no order and no visit": a note, or
    an error for --season-adjust and --horizon-days)."""
    why = visit_rule_why(model, _model_label(uri))
    if why is None:
        return True
    trained_h = getattr(model, "horizon_days", None)
    if season_adjust or (horizon_days is not None and horizon_days != trained_h):
        flag = "--season-adjust" if season_adjust else "--horizon-days"
        raise ValueError(f"{flag}: {why}; score without it, or retrain with --horizon "
                         "(or without --churn-needs-no-visit)")
    show_note(f"the season of the scored window is not checked: {why}")
    return False


def visit_rule_why(model: Any, label: str) -> str | None:
    """Why the season is not read for a churn model of "no order and no visit" (``label``:
    'churn v1 (@champion)'), None for a label read on purchases alone."""
    from training._customer_labels import label_definition

    labels = label_definition(model)
    if labels.churn_rule != "no_order_no_visit":
        return None
    return (f"{label} learned churn = {labels.rule_words()}, and last year's season and the "
            "longer-horizon chain are read on purchases alone")
