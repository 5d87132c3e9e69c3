"""Registry commands: ``brain promote`` (move a champion by hand) and ``brain models`` (the
registered models, their versions, what each learned from and the history of champion moves).

``serving.cli`` mounts them as top-level commands.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ._cli_common import console, friendly_errors

__all__ = ["models", "promote"]


@friendly_errors
def promote(
    name: Annotated[str, typer.Argument(help="Registered model: churn, purchase_propensity, "
                                             "customer_value, traffic_forecaster, ...")],
    version: Annotated[str, typer.Argument(help="Version to make the champion.")],
    reason: Annotated[str, typer.Option(help="Why, recorded on the version's promotion tag."
                                        )] = "chosen by hand",
) -> None:
    """Make a registered version the champion by hand (training moves the alias only when a
    version wins a fair comparison; this is the explicit opt-in, e.g. for a version trained on
    another population)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from training._mlflow import CHAMPION, configure_mlflow, set_champion

    configure_mlflow()
    client = MlflowClient()
    versions = sorted(int(v.version) for v in _model_versions(client, name, "promote"))
    if not version.isdigit() or int(version) not in versions:
        raise ValueError(f"promote: {name} has no version {version!r}; versions: "
                         f"{', '.join(map(str, versions))}")
    try:
        # str: MLflow 3 returns the version as an int here, so "promote churn 1" on champion
        # v1 had moved the alias onto itself and printed "-> v1 (was v1)"
        before = str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        before = None
    if before == version:
        console.print(f"{name} v{version} already is the champion", highlight=False)
        return
    set_champion(name, version, reason)
    was = f" (was v{before})" if before else ""
    console.print(f"[green]{name}@champion -> v{version}[/]{was}: {reason}", highlight=False)
    # a running API keeps the version it loaded until it looks again: an API check read the
    # old champion in GET /models for up to 30 s after a promote, with no word of why
    console.print("a running brain serve loads it on POST /reload, or at its next check "
                  "(every 30 s under brain serve's default --reload-seconds)", highlight=False)


def _model_versions(client, name: str, command: str,  # type: ignore[no-untyped-def]
                    allow_empty: bool = False) -> list:
    """The registered versions of ``name``; an error naming the store's models when none
    (``allow_empty``: a registered model without versions, e.g. all deleted in the MLflow UI,
    gives an empty list)."""
    from mlflow.exceptions import MlflowException

    from training._mlflow import store_note

    try:
        versions = list(client.search_model_versions(f"name = '{name}'"))
    except MlflowException:
        versions = []
    if not versions:
        names = sorted(m.name for m in client.search_registered_models())
        if name in names:
            if allow_empty:
                return []
            raise ValueError(f"{command}: {name!r} is registered in {store_note()} but has no "
                             "versions (deleted, or its registration failed); train it again")
        raise ValueError(f"{command}: no registered model {name!r} in {store_note()}; "
                         f"registered: {', '.join(names) or 'none'}")
    return versions


def _short(text: str | None, width: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


@friendly_errors
def models(
    name: Annotated[str | None, typer.Argument(help="A registered model (churn, "
                                                    "traffic_forecaster, ...) for its versions "
                                                    "and champion history; none for all.")
                    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables."
                                          )] = False,
) -> None:
    """List registered models with their champion, or one model's versions and the history of
    its champion moves (who moved it, when, why)."""
    from mlflow import MlflowClient
    from rich.table import Table

    from features._store_map import kept_stores_short
    from training._customer_labels import version_label_words
    from training._mlflow import CHAMPION, champion_moves, configure_mlflow, store_note
    from training._versions import data_text

    configure_mlflow()
    client = MlflowClient()
    if name is None:
        rows = []
        for m in sorted(client.search_registered_models(), key=lambda m: m.name):
            champ = _champion_version(client, m.name)
            moves = champion_moves(m.name)
            last = moves[-1] if moves else None
            outside = champ is not None and (last is None or last.version != str(champ))
            versions = _model_versions(client, m.name, "models", allow_empty=True)
            # no champion now but recorded moves: the alias was removed outside brain, and
            # the last move's time and author describe no current champion
            current = champ is not None and not outside and last is not None
            current_mv = next((v for v in versions if str(v.version) == champ), None)
            data = (_version_data(client, current_mv) if current_mv is not None
                    else dict.fromkeys(("data_cutoff", "data_start", "n_series",
                                        "n_customers")))
            champ_kept = _kept(client, current_mv) if current_mv is not None else []
            rows.append({"model": m.name, "champion": champ, "versions": len(versions),
                         "champion_since": last.at if current and last else None,
                         "moved_by": ("outside brain or before its history" if outside
                                      else last.by if current and last
                                      else "alias removed outside brain" if moves else None),
                         "moved_by_user": (last.user or None) if current and last else None,
                         "moves": len(moves),
                         # what the champion learned from (version_data)
                         **{f"champion_{k}": v for k, v in data.items()},
                         # the table columns kept with --keep-column (only when some were)
                         **({"champion_kept_columns": champ_kept} if champ_kept else {})})
        if as_json:
            typer.echo(json.dumps(rows, indent=1))  # plain: rich would wrap long lines
            return
        if not rows:
            console.print(f"nothing is registered in {store_note()}", highlight=False)
            return
        table = Table(title=f"Registered models ({store_note().split(' (')[0]})")
        any_kept = any(r.get("champion_kept_columns") for r in rows)
        for col in ("model", "champion", "versions", "champion since", "moved by", "moves",
                    "champion's data", *(("kept columns",) if any_kept else ())):
            table.add_column(col)
        for r in rows:
            table.add_row(r["model"], f"v{r['champion']}" if r["champion"] else "none",
                          str(r["versions"]), r["champion_since"] or "",
                          (f"{r['moved_by']} ({r['moved_by_user']})" if r["moved_by_user"]
                           else r["moved_by"] or ""), str(r["moves"]),
                          data_text({k.removeprefix("champion_"): v for k, v in r.items()
                                     if k != "champion_kept_columns"}),
                          *((", ".join(r.get("champion_kept_columns", [])),) if any_kept
                            else ()))
        console.print(table)
        console.print("brain models NAME: its versions and champion history", highlight=False)
        return
    versions = sorted(_model_versions(client, name, "models", allow_empty=True),
                      key=lambda v: int(v.version))
    champ = _champion_version(client, name)
    moves = champion_moves(name)
    outside = champ is not None and (not moves or moves[-1].version != champ)
    by_version = {str(v.version): _version_data(client, v) for v in versions}
    kinds = {str(v.version): _model_kind(client, v) for v in versions}
    scores = {str(v.version): _version_score(v.tags) for v in versions}
    kept = {str(v.version): _kept(client, v) for v in versions}
    if as_json:
        typer.echo(json.dumps({
            "model": name, "champion": champ,
            "versions": [{"version": str(v.version),
                          "created": _utc(v.creation_timestamp),
                          "evaluation": v.tags.get("eval.key"),
                          **by_version[str(v.version)],
                          "label": version_label_words(name, v.tags),
                          "model_kind": kinds[str(v.version)] or None,
                          "score": scores[str(v.version)][1],
                          "code_version": v.tags.get("code.version"),
                          "promotion": v.tags.get("promotion"),
                          # the table columns kept with --keep-column (only when some were)
                          **({"kept_columns": kept[str(v.version)]}
                             if kept[str(v.version)] else {}),
                          # a forecaster's stores file (train --stores), kept with it
                          **({"stores": v.tags["inputs.stores"]}
                             if v.tags.get("inputs.stores") else {})} for v in versions],
            "champion_moves": [move.__dict__ for move in moves],
            "champion_set_outside_history": outside}, indent=1))
        return
    labels = {str(v.version): version_label_words(name, v.tags) for v in versions}
    table = Table(title=f"{name}: versions")
    # each version's model kind (lightgbm, seasonal_naive ...) and the score its promotion
    # compared (backtest MASE, validation Brier ...): the table had shown neither, and which
    # version was which had to be looked up in its run
    has_kind = any(kinds.values())
    # the columns a table model was told to keep (--keep-column), which a data scientist
    # reads as "forced in": shown when a version has some
    has_kept = any(kept.values())
    cols = ("version", "created (UTC)", "champion") + (
        ("model",) if has_kind else ()) + (
        ("label",) if any(labels.values()) else ()) + (
        "data (window, count)",) + (("kept columns",) if has_kept else ()) + (
        "score", "promotion (last decision)")
    for col in cols:
        table.add_column(col)
    for v in versions:
        label = ((labels[str(v.version)] or "",) if any(labels.values()) else ())
        kind = (kinds[str(v.version)],) if has_kind else ()
        table.add_row(f"v{v.version}", _utc(v.creation_timestamp),
                      "yes" if str(v.version) == champ else "", *kind, *label,
                      (data_text(by_version[str(v.version)]) or "not recorded")
                      + (f"; {kept_stores_short(v.tags['inputs.stores'])}"
                         if v.tags.get("inputs.stores") else ""),
                      *((", ".join(kept[str(v.version)]),) if has_kept else ()),
                      scores[str(v.version)][0], _short(v.tags.get("promotion")))
    console.print(table)
    newest = max(versions, key=lambda v: int(v.version)) if versions else None
    decision = " ".join((newest.tags.get("promotion") or "").split()) if newest else ""
    if newest is not None and _short(decision) != decision:
        # the table cuts a decision at 90 characters; the newest one's end (what decided it,
        # the start score a planner may promote by) is printed whole
        console.print(f"v{newest.version} promotion decision in full: {decision}",
                      highlight=False, markup=False)
    if moves:
        hist = Table(title=f"{name}: champion moves")
        for col in ("#", "at (UTC)", "from", "to", "by", "reason"):
            hist.add_column(col)
        for move in moves:
            hist.add_row(str(move.seq), move.at, f"v{move.previous}" if move.previous else "none",
                         f"v{move.version}", _by(move), _short(move.reason))
        console.print(hist)
    if outside:
        console.print(
            f"[yellow]{name}@{CHAMPION} points at v{champ}, which "
            + ("no recorded move made" if moves else "was set before brain recorded champion "
               "moves, or outside brain")
            + " (e.g. in the MLflow UI or API): not in this history[/]", highlight=False)
    elif champ is None and not versions:
        console.print(f"{name} is registered but has no versions (deleted, or its registration "
                      "failed)", highlight=False)
    elif champ is None:
        console.print(f"{name} has no champion; brain promote {name} VERSION sets one",
                      highlight=False)


def _by(move) -> str:  # type: ignore[no-untyped-def]
    """How and by whom a champion move was made: 'hand (alice)', 'training (bob)'."""
    return f"{move.by} ({move.user})" if move.user else move.by


_SCORES = (("mase", "backtest MASE"), ("brier", "validation Brier"),
           ("rmse", "validation RMSE"), ("qini_mean", "holdout Qini"))
"""Metrics a version's promotion compares (its ``eval.<metric>`` tag), first found first."""


def _version_score(tags: dict) -> tuple[str, dict[str, float]]:  # type: ignore[type-arg]
    """The score a version's promotion compared, as the versions table writes it ('backtest
    MASE 0.458'; a classifier's validation ROC AUC beside its Brier), and as numbers."""
    from training._customer_champion import PRIMARY

    task = tags.get("label.task")
    wanted = [PRIMARY[task][0]] if task in PRIMARY else [m for m, _ in _SCORES]
    out: dict[str, float] = {}
    for metric in wanted:
        try:
            out[metric] = float(tags[f"eval.{metric}"])
        except (KeyError, ValueError):
            continue
        break
    if not out:
        return "", {}
    (metric, value), = out.items()
    words = dict(_SCORES).get(metric, metric)
    text = f"{words} {value:.4g}"
    if "eval.roc_auc" in tags:
        try:
            out["roc_auc"] = float(tags["eval.roc_auc"])
            text += f" (ROC AUC {out['roc_auc']:.3f})"
        except ValueError:
            pass
    return text, out


def _model_kind(client, mv) -> str:  # type: ignore[no-untyped-def]
    """The kind of model a version is (its run's ``model_name``: lightgbm, seasonal_naive,
    prophet ...; an uplift model's learner), or '' when its run does not record one."""
    from mlflow.exceptions import MlflowException

    run_id = mv.run_id or mv.tags.get("run_id")
    if not run_id:
        return ""
    try:
        params = client.get_run(run_id).data.params
    except MlflowException:
        return ""
    if params.get("model_name"):
        return str(params["model_name"])
    return f"{params['learner']}-learner" if params.get("learner") else ""


def _kept(client, mv) -> list[str]:  # type: ignore[no-untyped-def]
    """The columns a customer table model's version was told to keep (``brain train
    --keep-column``; ``training._versions.kept_columns``): its tag, or for a version registered
    before the tag its run's ``keep_columns`` param; [] when none were kept."""
    from mlflow.exceptions import MlflowException

    from training._versions import KEPT_TAG, kept_columns

    if mv.tags.get(KEPT_TAG):
        return kept_columns(mv.tags)
    run_id = mv.run_id or mv.tags.get("run_id")
    # a customer table model's versions only (no label window: keep_columns is for tables)
    if not run_id or not mv.tags.get("label.task") or mv.tags.get("label.horizon_days"):
        return []
    try:
        params = client.get_run(run_id).data.params
    except MlflowException:
        return []
    return kept_columns(mv.tags, params)


def _version_data(client, mv) -> dict:  # type: ignore[no-untyped-def]
    """``training._versions.version_data`` of registered version ``mv``; a version registered
    before its data tags were recorded is completed from its training run's tags."""
    from training._versions import older_run_tags, version_data

    return version_data(mv.tags, older_run_tags(client, mv))


def _champion_version(client, name: str) -> str | None:  # type: ignore[no-untyped-def]
    from training._mlflow_champion import _champion

    current = _champion(client, name)  # asks for the alias: a search does not fill aliases in
    return None if current is None else str(current.version)


def _utc(millis: int | None) -> str:
    if not millis:
        return ""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")

