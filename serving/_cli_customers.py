"""``brain train churn|propensity|value`` and ``brain score churn|propensity|value``.

Two input paths, for both training and scoring:

- the event pipeline: ``--data DIR`` (with events.parquet|csv, optional calendar.csv) or
  ``--events FILE``; features are built with ``features.user_features`` at stacked cutoffs, labels
  with ``features.build_training_set`` for ``--horizon`` days;
- bring your own features: ``--table FILE`` (CSV or Parquet, one row per customer, optionally a
  ``cutoff`` column for several snapshots) with ``--label-col COL`` for training. Every other
  column except ``--id-col`` is a feature (numbers as numbers, text as categories).

Thin layer over ``training._customer_mlflow`` and ``training._customer_scoring``.
"""

# No "from __future__ import annotations": typer reads the per-task option help built in closures.

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
import typer

if TYPE_CHECKING:
    from training._customer_models import CustomerModel

from ._cli_common import (
    DupOpt,
    check_on_duplicate,
    console,
    err_console,
    find_file,
    frame_table,
    friendly_errors,
    parse_date_option,
    print_notes,
    progress_bar,
    show_note,
    step,
    write_frame,
)
from ._cli_common import model_label as _model_label
from ._cli_common import registered_ref as _registered

__all__ = ["demo_step", "score_app", "train_app"]

train_app = typer.Typer(help="Train churn, purchase-propensity and customer-value models "
                             "(logged to MLflow, registered, champion promoted only if better).",
                        no_args_is_help=True)
score_app = typer.Typer(help="Score every customer with a registered (or given) customer model.",
                        no_args_is_help=True)

_NAMES = {"churn": "churn", "propensity": "purchase_propensity", "value": "customer_value"}

DataOpt = Annotated[Path | None, typer.Option(
    "--data", help="Folder with events.parquet|csv (and calendar.csv), e.g. from "
                   "'brain data generate'.")]
EventsOpt = Annotated[Path | None, typer.Option(
    "--events", help="Events file (CSV or Parquet) under the events contract.")]
CalendarOpt = Annotated[Path | None, typer.Option(
    "--calendar", help="Calendar file for the promotion-share features (optional).")]
TableOpt = Annotated[Path | None, typer.Option(
    "--table", help="Bring your own features: CSV/Parquet, one row per customer (optional "
                    "'cutoff' column for several snapshots). Replaces --data/--events.")]
IdOpt = Annotated[str, typer.Option("--id-col", help="Customer id column of --table.")]
TzOpt = Annotated[str, typer.Option("--tz", help="Business time zone of the events.")]
AllowOpt = Annotated[str, typer.Option(
    "--allow-event-types", help="Comma-separated event types to accept besides the known ones.")]


def _read_table(path: Path, id_col: str, label_col: str | None = None,
                model: "CustomerModel | None" = None) -> pd.DataFrame:
    """A customer table typed for training (``label_col`` is checked exactly, not coerced) or
    for scoring with ``model`` (its numeric and categorical columns keep the types it
    learned, however few rows the table has)."""
    from features import infer_table_types, read_table

    frame = read_table(path)
    own = getattr(model, "id_col_", None)
    if id_col == "user_id" and id_col not in frame.columns and own and own in frame.columns:
        # the id column the model was trained with (--id-col customerID), as its pyfunc and
        # the API read it: scoring the table it was trained on had stopped with "Pass --id-col"
        show_note(f"{path.name}: customer ids read from {own!r}, the id column this model was "
                  "trained with (--id-col)")
        id_col = own
    if id_col not in frame.columns:
        hint = _close_column(id_col, [str(c) for c in frame.columns])
        raise ValueError(f"{path.name}: the customer id column {id_col!r} is missing; received "
                         f"columns {list(frame.columns)[:20]}. "
                         + (f"Did you mean {hint!r}? Pass --id-col {hint}." if hint
                            else "Pass --id-col NAME."))
    if label_col is not None and label_col not in frame.columns:
        hint = _close_column(label_col, [str(c) for c in frame.columns])
        raise ValueError(f"{path.name}: the label column {label_col!r} is missing; received "
                         f"columns {list(frame.columns)[:20]}. "
                         + (f"Did you mean {hint!r}? Pass --label-col {hint}." if hint
                            else "Pass --label-col NAME naming the column that holds the "
                                 "label."))
    # at scoring, the model's label column (when the table still has it) is not a feature:
    # it is left as written, without notes on its types (yes/no labels are no odd numbers)
    label = getattr(model, "label_col_", None)
    keep = (id_col, label) if label and label != id_col else (id_col,)
    frame = infer_table_types(frame, keep_text=keep,
                              exact=(label_col,) if label_col else (),
                              numeric=getattr(model, "numeric_", ()),
                              categorical=getattr(model, "categorical_", ()))
    frame = frame.rename(columns={id_col: "user_id"})
    blank = frame["user_id"].isna().to_numpy() | frame["user_id"].astype(str).str.strip().eq(
        "").to_numpy()
    if blank.any():
        # a row without a customer id cannot be joined back (its score had been written with an
        # empty id) nor told apart from another (two of them read as a repeated customer 'nan')
        first = ", ".join(str(i + 1) for i in np.flatnonzero(blank)[:5])
        n = int(blank.sum())
        rows = "1 row has" if n == 1 else f"{n:,} rows have"
        show_note(f"{path.name}: {rows} no customer id in {id_col!r} ({len(frame):,} rows; "
                  f"first at {'row' if n == 1 else 'rows'} {first}, data rows counted from 1): "
                  "left out, as every score and label needs a customer")
        frame = frame.loc[~blank].reset_index(drop=True)
    ids = frame["user_id"]
    if pd.api.types.is_float_dtype(ids) and ids.dropna().eq(ids.dropna().round()).all():
        ids = ids.astype("Int64")  # 16270.0 from a float column is customer 16270
    frame["user_id"] = ids.astype(str)
    dup = frame.duplicated(["user_id", "cutoff"] if "cutoff" in frame.columns else ["user_id"])
    if dup.any():
        ids = list(dict.fromkeys(frame.loc[dup, "user_id"]))
        raise ValueError(f"{path.name}: {int(dup.sum())} rows repeat {len(ids)} customers "
                         f"(first ids {ids[:5]}); the table must hold one row per customer "
                         "(per cutoff when a 'cutoff' column is given)")
    if "cutoff" in frame.columns:
        frame["cutoff"] = pd.to_datetime(frame["cutoff"])
    frame.attrs["brain.id_col"] = id_col  # the one read (the model's own, see above)
    return frame


def _close_column(name: str, columns: list[str]) -> str | None:
    """A column that is ``name`` but for case, spaces and punctuation ('CustomerRef' for
    'customer_ref'), or a close spelling of it; None when there is none."""
    import difflib

    def key(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    same = [c for c in columns if key(c) == key(name)]
    if same:
        return same[0]
    close = difflib.get_close_matches(key(name), [key(c) for c in columns], n=1, cutoff=0.8)
    return next((c for c in columns if close and key(c) == close[0]), None)


@contextmanager
def _table_words(table: Path, id_col: str, task: str) -> Iterator[None]:
    """Errors about a user's table in its own terms: the file's name instead of the model's,
    and the user's id column instead of the internal 'user_id'."""
    try:
        yield
    except ValueError as exc:
        msg = str(exc).replace(f"CustomerModel({task}):", f"{table.name}:", 1)
        msg = msg.replace("'user_id'", repr(id_col)).replace("(user_id ", f"({id_col} ")
        raise ValueError(msg) from None


def _events(data: Path | None, events: Path | None, calendar: Path | None, tz: str,
            allow: str, on_duplicate: str = "drop") -> tuple[pd.DataFrame, pd.DataFrame | None]:
    import features as ft

    path = find_file(data, events, "events")
    assert path is not None  # required=True: find_file raises instead of returning None
    step(f"loading {path}")
    ev = ft.load_events(path, tz=tz, extra_event_types=tuple(
        t.strip() for t in allow.split(",") if t.strip()),
        on_duplicate=on_duplicate)  # type: ignore[arg-type]
    print_notes(ev)
    cal_path = find_file(data, calendar, "calendar", required=False)
    return ev, (ft.load_calendar(cal_path) if cal_path else None)


def build_training_frame(events: pd.DataFrame, calendar: pd.DataFrame | None, horizon: int,
                         n_cutoffs: int, step_days: int, last_cutoff: str | None,
                         churn_needs_no_visit: bool = False) -> pd.DataFrame:
    """Stacked features + labels at ``n_cutoffs`` cutoffs ``step_days`` apart (latest that fits)."""
    import features as ft

    cuts = ft.cutoff_schedule(events, horizon, n_cutoffs=n_cutoffs, step_days=step_days,
                              last=last_cutoff)
    step(f"building features + {horizon}-day labels at {len(cuts)} cutoffs "
         f"({cuts[0].date()} .. {cuts[-1].date()}, {step_days} days apart)")
    with progress_bar("features + labels") as update:
        return ft.build_training_set(events, cuts, horizon, calendar=calendar,
                                     churn_needs_no_visit=churn_needs_no_visit, progress=update)


def _uninformative(frame: pd.DataFrame, keep: tuple[str, ...]) -> dict[str, str]:
    """Columns of a table that cannot inform a model: all empty, or one value in every row."""
    out: dict[str, str] = {}
    for col in frame.columns:
        if col in keep or col.startswith("label_"):
            continue
        s = frame[col]
        if s.isna().all():
            out[col] = "all empty"
        elif s.notna().all() and s.nunique() == 1:
            out[col] = f"constant ({_plain(s.iloc[0])} in every row)"
    return out


def _plain(value: object) -> str:
    """A cell for a note: numbers as plain numbers (``0``, ``2.5``; never ``np.float64(0.0)``),
    text quoted (``'US'``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (bool, int)):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _unused_note(dropped: dict[str, str], skipped: dict[str, str]) -> None:
    """One console note naming every table column that is not a feature, and why."""
    unused = {**skipped, **dropped}
    if unused:
        console.print("[yellow]note:[/] not used as features: " + "; ".join(
            f"{c} ({why})" for c, why in unused.items()), highlight=False, soft_wrap=True)


def _train(task: str, data: Path | None, events: Path | None, calendar: Path | None,
           table: Path | None, label_col: str | None, id_col: str, horizon: int, cutoffs: int,
           step_days: int, last_cutoff: str | None, churn_needs_no_visit: bool, register: bool,
           plots: Path | None, seed: int, tz: str, allow: str, on_duplicate: str = "drop",
           allow_suspected_leakage: bool = False) -> None:
    from training._customer_mlflow import train_and_register
    from training._customer_models import CustomerModel
    from training._mlflow import check_registry_uri

    if register:  # before the events are read and the features built
        check_registry_uri(f"register {_NAMES[task]}")
    t0 = time.perf_counter()
    on_duplicate = check_on_duplicate(on_duplicate)
    if churn_needs_no_visit and (task != "churn" or table is not None):
        # it changes only label_churn built from events: elsewhere it had been logged and put
        # in the evaluation key ("|no_visit") of a model whose label it did not touch
        raise ValueError("--churn-needs-no-visit defines churn from events (no order and no "
                         "visit in the window): it applies to brain train churn with --data/"
                         "--events, not to " + (f"{task}" if task != "churn" else
                                                "a table (its label column is its own)"))
    dropped: dict[str, str] = {}
    if table is not None:
        if label_col is None:
            raise ValueError("--table needs --label-col naming the label column (0/1 for churn "
                             "and propensity, revenue for value)")
        frame = _read_table(table, id_col, label_col)
        # left in the frame but excluded from the features: a champion that reads them (an
        # event model scored on a table of event features) still finds them when it is
        # re-scored on the evaluation rows (dropped, it "could not score these rows")
        dropped = _uninformative(frame, ("user_id", "cutoff", label_col))
        params: dict[str, Any] = {"input": str(Path(table).resolve()),
                                  "label_col": label_col}
        tag = f"table={table.name}"
        horizon_meta = None
    else:
        last = None if last_cutoff is None else str(
            parse_date_option(last_cutoff, "--last-cutoff"))
        ev, cal = _events(data, events, calendar, tz, allow, on_duplicate)
        if churn_needs_no_visit and not ev["event_type"].isin(["visit", "page_view"]).any():
            # a purchase-only log (a till or loyalty-card export): the two rules are one, and
            # the model records the one its labels mean, so it stays comparable
            show_note("--churn-needs-no-visit: the events hold no visit, so churn is 'no "
                      "order in the window' either way; the model is trained and recorded "
                      "with that rule")
            churn_needs_no_visit = False
        if register:
            from training._customer_mlflow import rows_changed_since_last_training

            changed = rows_changed_since_last_training(_NAMES[task], ev)
            if changed:
                console.print(f"[yellow]note:[/] {changed}", highlight=False, soft_wrap=True)
        else:
            changed = None
        frame = build_training_frame(ev, cal, horizon, cutoffs, step_days, last,
                                     churn_needs_no_visit)
        if changed:
            frame.attrs["data.changed"] = changed
        frame.attrs.update(_event_span(ev))
        params = {"input": str(Path(data or events).resolve()),  # type: ignore[arg-type]
                  "horizon_days": horizon, "n_cutoffs": cutoffs, "step_days": step_days,
                  "churn_needs_no_visit": churn_needs_no_visit}
        tag = f"horizon={horizon}" + ("|no_visit" if churn_needs_no_visit else "")
        horizon_meta = horizon
    model = CustomerModel(task, label_col=label_col, horizon_days=horizon_meta,  # type: ignore[arg-type]
                          seed=seed, exclude=tuple(dropped),
                          churn_needs_no_visit=(churn_needs_no_visit if table is None
                                                and task == "churn" else None))
    step(f"training {_NAMES[task]} on {len(frame):,} rows")
    with (_table_words(table, id_col, task) if table is not None else nullcontext()):
        out = train_and_register(task, frame, model=model, evaluation_tag=tag, params=params,
                                 register=register, plot_dir=plots,
                                 allow_suspected_leakage=allow_suspected_leakage,
                                 id_col=id_col if table is not None else None)
    rep = out.report
    metrics = pd.DataFrame({"metric": list(out.metrics), "value": list(out.metrics.values())})
    console.print(frame_table(metrics, title=f"{_NAMES[task]}: validation "
                                             f"({rep.split.scheme} split, calibration: "
                                             f"{rep.calibration_method})"))
    if rep.validation_active is not None:
        act = rep.validation_active.as_dict()
        keys = [k for k in ("roc_auc", "pr_auc", "brier", "spearman", "aggregate_bias")
                if k in act and k in out.metrics]
        console.print(f"among the {int(act['n']):,} validation customers active in the "
                      f"{horizon_meta or 90} days before their cutoff (the ones a campaign can "
                      "still reach): " + ", ".join(f"{k} {act[k]:.4g} (all: {out.metrics[k]:.4g})"
                                                   for k in keys), highlight=False)
    _best_single_line(rep, out.metrics)

    def part(cutoffs: tuple[str, ...], n: int) -> str:
        return ", ".join(cutoffs) if cutoffs else f"{n:,} rows"

    console.print(f"split: train {part(rep.split.train_cutoffs, rep.split.n_train)} | calibrate "
                  f"{part(rep.split.calibration_cutoffs, rep.split.n_calibration)} | validate "
                  f"{part(rep.split.validation_cutoffs, rep.split.n_validation)}",
                  highlight=False)
    chosen = getattr(model, "settings_", None)
    if chosen:
        losses = getattr(model, "settings_losses_", [])
        how = (f"chosen on the calibration rows among {len(losses)} (loss "
               + " / ".join(f"{v:.4g}" for v in losses) + ")" if len(losses) > 1 else "as given")
        if rep.selection_cutoffs:
            how += (f"; trees counted by boosters fitted on {', '.join(rep.selection_cutoffs)}, "
                    "the training cutoffs whose labels cover at most half of the calibration "
                    "window, then refitted on all training cutoffs")
        console.print(f"trees: {rep.best_iteration} of up to {int(chosen['num_leaves'])} leaves, "
                      f"at least {int(chosen['min_child_samples'])} rows per leaf, rate "
                      f"{chosen['learning_rate']:g}, {chosen['colsample']:.0%} of the columns "
                      f"per tree ({how})", highlight=False)
    if table is not None:
        _unused_note(dropped, rep.skipped_columns)
    _describe_run(out, task, table or data or events, horizon_meta, len(frame))
    console.print(f"run {out.run_id}; model {out.model_uri}", highlight=False)
    if out.promotion is not None:
        console.print(f"registered {out.registered_name} v{out.version}: "
                      f"{out.promotion.reason}", highlight=False)
        if not out.promotion.promoted:
            console.print(f"brain score {task} serves the champion; to score with this version: "
                          f"brain score {task} --model models:/{out.registered_name}/"
                          f"{out.version} ...", highlight=False)
    if plots is not None:
        console.print(f"plots in {plots}", highlight=False)
    console.print(f"[green]done[/] in {time.perf_counter() - t0:.1f}s")


def _describe_run(out: Any, task: str, source: Path | None, horizon: int | None,
                  n_rows: int) -> None:
    """The run's and the registered version's description in the MLflow UI: input, label
    window, split, the headline validation metrics and the champion decision."""
    from mlflow import MlflowClient

    rep = out.report
    split = rep.split
    window = f"{horizon}-day label window" if horizon else f"label column {rep.label_col}"
    keys = (("roc_auc", "AUC"), ("brier", "Brier"), ("spearman", "Spearman"),
            ("aggregate_bias", "aggregate bias"))
    shown = ", ".join(f"{name} {out.metrics[k]:.4g}" for k, name in keys if k in out.metrics)
    cuts = ", ".join(split.validation_cutoffs) or f"{split.n_validation:,} rows"
    text = (f"{_NAMES[task]} model from {source} ({n_rows:,} rows, {window}); validated on "
            f"{cuts}: {shown}. "
            + (f"Champion: {out.promotion.reason}" if out.promotion else "Not registered."))
    client = MlflowClient()
    client.set_tag(out.run_id, "mlflow.note.content", text)
    # a name that tells reruns apart in the runs list: the window and the validation cutoff
    last = split.validation_cutoffs[-1] if split.validation_cutoffs else "table"
    client.set_tag(out.run_id, "mlflow.runName",
                   f"train-{_NAMES[task]} {f'h{horizon} ' if horizon else ''}valid {last}")
    if source is not None:
        client.set_tag(out.run_id, "source.input", str(Path(source).resolve()))
    if out.version is not None:
        client.update_model_version(out.registered_name, out.version, description=text)


DEFAULT_HORIZON = {"churn": 90, "propensity": 30, "value": 90}
"""Label windows of ``brain train`` (and ``brain demo``) unless ``--horizon`` says otherwise:
churn and value over 90 days, propensity over 30 ("ready to buy soon"). On one window churn and
propensity are one label flipped (no order / an order): the demo had registered two names with
identical AUC and mirrored scores, and so did ``brain train`` with its one default of 90."""


def default_step_days(horizon: int, n_cutoffs: int) -> int:
    """Days between cutoffs unless ``--step-days`` is given: 30, or the fewest that keep the
    training labels from covering more than half of the validation window (the last training
    cutoff lies two steps before the validation cutoff, one with two cutoffs): a quarter of the
    horizon (half with two cutoffs), rounded up. Cutoffs 30 days apart under a 180-day window
    had flattered the validation (``training._customer_report.validation_overlap``)."""
    per = 2 if n_cutoffs >= 3 else 1
    return max(30, -(-int(horizon) // (2 * per)))


def _make_train_command(task: str) -> None:
    @train_app.command(task, help=f"Train the {_NAMES[task]} model from events or a table.")
    @friendly_errors
    def command(
        data: DataOpt = None,
        events: EventsOpt = None,
        calendar: CalendarOpt = None,
        table: TableOpt = None,
        label_col: Annotated[str | None, typer.Option(
            "--label-col", help="Label column (required with --table; default label_churn / "
                                "label_purchase / label_value).")] = None,
        id_col: IdOpt = "user_id",
        horizon: Annotated[int, typer.Option(help="Label window in days after each cutoff.")
                           ] = DEFAULT_HORIZON[task],
        cutoffs: Annotated[int, typer.Option(help="Number of stacked cutoffs (>= 3 for a "
                                                  "train/calibrate/validate split in time).")
                           ] = 4,
        step_days: Annotated[int | None, typer.Option(
            help="Days between cutoffs (default: 30, or more for a horizon over 120 days "
                 "(60 with --cutoffs 2): a quarter of --horizon (half with --cutoffs 2), so "
                 "the training labels cover at most half of the validation window).")] = None,
        last_cutoff: Annotated[str | None, typer.Option(
            help="Latest cutoff, YYYY-MM-DD (default: the latest whose label window fits the "
                 "data).")
                               ] = None,
        churn_needs_no_visit: Annotated[bool, typer.Option(
            help="Churn = no order AND no visit in the window (default: no order).")] = False,
        register: Annotated[bool, typer.Option(help="Register in MLflow and promote the "
                                                    "champion if better.")] = True,
        plots: Annotated[Path | None, typer.Option(help="Also write the plots to this "
                                                        "folder.")] = None,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        tz: TzOpt = "UTC",
        allow_event_types: AllowOpt = "",
        on_duplicate: DupOpt = "drop",
        allow_suspected_leakage: Annotated[bool, typer.Option(
            "--allow-suspected-leakage",
            help="Promote even when a column nearly determines the validation label (only if "
                 "it is truly known at scoring time).")] = False,
    ) -> None:
        _train(task, data, events, calendar, table, label_col, id_col, horizon, cutoffs,
               default_step_days(horizon, cutoffs) if step_days is None else step_days,
               last_cutoff, churn_needs_no_visit, register, plots, seed, tz,
               allow_event_types, on_duplicate, allow_suspected_leakage)


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
    keep = {"user_id", "cutoff", getattr(model, "label_col_", None), *need}
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

    try:
        model._check_inputs(feats, [str(c) for c in feats.columns])
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


def _table_asof(feats: pd.DataFrame, asof: pd.Timestamp | None) -> pd.Series:
    """The ``asof`` column of table scores: the row's ``cutoff`` when the table has one, else
    ``--asof``, else empty (the table does not say when its features were taken)."""
    if "cutoff" in feats.columns:
        if asof is not None:
            console.print("[yellow]note:[/] the table has a 'cutoff' column; the asof column "
                          "holds it and --asof is not used", highlight=False)
        return pd.Series(pd.to_datetime(feats["cutoff"]).to_numpy(), name="asof")
    return pd.Series(pd.NaT if asof is None else asof, index=range(len(feats)),
                     dtype="datetime64[ns]", name="asof")


def _check_asof(events: pd.DataFrame, asof: pd.Timestamp, what: str = "scored",
                option: str = "--asof") -> None:
    """Error when ``asof`` is not after the first event; note when it is after the day after
    the last event (every customer then looks inactive for the gap)."""
    first, last = events["ts"].min(), events["ts"].max()
    if asof <= first:
        raise ValueError(f"{option} {asof:%Y-%m-%d} is not after the first event ({first}), so "
                         "no customer has history before it; use a date after it (the events "
                         f"run from {first:%Y-%m-%d} to {last:%Y-%m-%d})")
    day_after = last.normalize() + pd.Timedelta(days=1)
    if asof > day_after:
        gap = (asof - last).days
        err_console.print(f"[yellow]warning:[/] {option} {asof:%Y-%m-%d} is {gap:,} days after "
                      f"the last event ({last}); customers are {what} as if nobody bought or "
                      f"visited since. To use the end of the data: {option} "
                      f"{day_after:%Y-%m-%d}", highlight=False, soft_wrap=True)


def _active_customers(ev: pd.DataFrame, asof: pd.Timestamp, days: int) -> pd.DataFrame:
    """The events of customers with any event but a refund in the ``days`` before ``asof`` (a
    note counts the others, who are not scored): a refund is not engagement."""
    earlier = ev[ev["ts"] < asof]
    before = earlier[earlier["event_type"].astype(str) != "refund"]
    last = before.groupby("user_id", observed=True)["ts"].max()
    keep = last.index[last >= asof - pd.Timedelta(days=days)]
    gone = len(last) - len(keep)
    # customers with refunds only are left out too: count them, so the note adds up
    refunds_only = earlier["user_id"].nunique() - len(last)
    only = (f", nor {refunds_only:,} with refunds only" if refunds_only else "")
    show_note(f"--active-within {days}: {len(keep):,} customers with an event (not counting "
              f"refunds) in the {days} days before {asof:%Y-%m-%d} are scored; {gone:,} "
              f"without one are not{only}")
    return ev[ev["user_id"].isin(keep)]


def _best_single_line(rep: Any, metrics: dict[str, float]) -> None:
    """The yardstick: the best single feature's strength beside the model's, and a note when
    the model does not beat it."""
    from training._customer_reasons import reason_label

    best = getattr(rep, "best_single_feature", None)
    key = "roc_auc" if "roc_auc" in metrics else "spearman"
    if best is None or key not in metrics:
        return
    col, strength = best
    what = "AUC, read either way" if key == "roc_auc" else "|Spearman|"
    name = reason_label(col)
    # the probabilities as served (calibrated): isotonic calibration ties scores and can lower
    # the AUC below the raw scores', which is then said beside it, never instead of it
    model = metrics[key]
    raw = getattr(getattr(rep, "validation_uncalibrated", None), key, np.nan)
    uncal = (f" (uncalibrated scores: {raw:.4f})"
             if np.isfinite(raw) and round(raw, 4) != round(model, 4) else "")
    console.print(f"best single feature on the validation rows: {name} ({col}), {what} "
                  f"{strength:.4f}; the model: {model:.4f}{uncal}", highlight=False)
    if model <= strength:
        show_note(f"the model orders the validation customers no better than '{name}' alone "
                  f"({model:.4f} against {strength:.4f}{', as served' if uncal else ''}"
                  f"{'; ' + uncal.strip(' ()') if uncal else ''}): its other features add "
                  "nothing here yet; more cutoffs (--cutoffs), a longer history or other "
                  "features may help, and a rule on that feature is as good meanwhile")


def _season_note(season: Any, adjust: bool, scores: pd.DataFrame) -> np.ndarray | None:
    """Say the model's season gap (``season_factor``); with ``adjust``, return the scores
    moved by it (``scores`` is not changed)."""
    if season is None:
        if adjust:
            show_note("--season-adjust: no season factor (it needs a model trained on cutoffs, "
                      "a horizon up to 364 days and purchases from at least 90 days before "
                      "both windows a year back); scores are not scaled")
        return None
    if getattr(season, "task", "value") != "value":
        return _season_note_probability(season, adjust, scores)
    (a, b), (c, d) = season.scored, season.reference
    f, short = _applied_factor(season)
    gap = (f"last year, {a:%Y-%m-%d} .. {b:%Y-%m-%d} held {season.factor:.2f}x the revenue per "
           f"customer of {c:%Y-%m-%d} .. {d:%Y-%m-%d}, the window a year before the one the "
           f"value model's level was set on{short}")
    if adjust:
        show_note(f"--season-adjust: value scores scaled by {f:.3f} ({gap})")
        return scores["score"].to_numpy(dtype=float) * f
    if abs(f - 1) >= 0.1:
        if f <= 0:
            show_note(f"{gap}: last year's copy of the scored window held no revenue; the "
                      "model does not know that season, so its scores are likely far too high "
                      "for this window")
            return None
        # the scores are 1/factor of what the season suggests: 1.70x -> 41% low, 0.80x -> 25%
        off = abs(1 - 1 / f)
        show_note(f"{gap}: the model does not know the season, so its total for this window is "
                  f"likely {off:.0%} {'low' if f > 1 else 'high'}; "
                  "pass --season-adjust to scale the scores by that factor")
    return None


def _applied_factor(season: Any) -> tuple[float, str]:
    """The factor to apply (``SeasonFactor.applied``: shrunk towards 1 when the start of the
    data cut the look-back short) and the words saying so ('' for a full year)."""
    days = int(getattr(season, "lookback_days", 365))
    if days >= 365 or not season.factor > 0:
        return float(season.factor), ""
    f = float(season.applied)
    return f, (f"; the look-back before those windows was truncated by the start of the data "
               f"({days} days, not a year), when the customer base was young, so the factor "
               f"{season.factor:.3f} is shrunk towards 1 by {days}/365 to {f:.3f}")


def _season_note_probability(season: Any, adjust: bool,
                             scores: pd.DataFrame) -> np.ndarray | None:
    """``_season_note`` for churn and propensity: the purchase rate's season gap moves
    P(purchase) to 1 - (1 - P)^factor (churn: P(churn)^factor); tiers follow."""
    from training._customer_scoring import adjust_probability

    (a, b), (c, d) = season.scored, season.reference
    now, then = season.per_customer
    f, short = _applied_factor(season)
    gap = (f"last year, {now:.1%} of customers bought in {a:%Y-%m-%d} .. {b:%Y-%m-%d} against "
           f"{then:.1%} in {c:%Y-%m-%d} .. {d:%Y-%m-%d}, the window a year before the one the "
           f"model's probabilities were set on (a purchase rate {season.factor:.2f}x){short}")
    churn = season.task == "churn"
    p = (1 - scores["score"] if churn else scores["score"]).to_numpy(dtype=float)
    if not season.factor > 0 or not np.isfinite(p).any():
        show_note(f"{gap}: nobody in that base bought in last year's copy of the scored window, "
                  "so the season cannot be put as a factor; the scores are left as they are"
                  if not season.factor > 0 else f"{gap}: no score to move")
        return None
    moved = adjust_probability(p, f)
    # in the model's own terms: a churn model's scores are P(churn) = 1 - P(purchase) (the note
    # had spoken of P(purchase), mean 0.160, beside churn scores of mean 0.840)
    what, rule = ("P(churn)", f"P^{f:.3f}") if churn else ("P(purchase)", f"1 - (1 - P)^{f:.3f}")
    shown, shown_moved = (1 - p, 1 - moved) if churn else (p, moved)
    if adjust:
        show_note(f"--season-adjust: {what} moved to {rule}, mean "
                  f"{np.nanmean(shown):.3f} -> {np.nanmean(shown_moved):.3f}; tiers follow ({gap})")
        return 1 - moved if churn else moved
    if abs(f - 1) >= 0.1:
        too = "low" if (f > 1) != churn else "high"
        show_note(f"{gap}: the model does not know the season, so its {what} for this "
                  f"window is likely too {too} (mean {np.nanmean(shown):.3f}; "
                  f"{np.nanmean(shown_moved):.3f} with the season); pass --season-adjust to "
                  "apply it")
    return None


def _score(task: str, asof_text: str | None, out: Path, data: Path | None, events: Path | None,
           calendar: Path | None, table: Path | None, id_col: str, model_uri: str | None,
           reasons: bool, reason_method: str, horizon_days: int | None, chunk_size: int,
           jobs: int | None, tz: str, allow: str, on_duplicate: str = "drop",
           active_within: int | None = None, season_adjust: bool = False,
           outcomes: bool = True) -> None:
    from training._customer_scoring import (
        empty_columns_note,
        extend_purchase_horizon,
        features_asof,
        horizon_season_note,
        in_sample_note,
        retier,
        score_features,
        season_factor,
        season_unknown_note,
        table_in_sample_note,
        unseen_levels_note,
    )
    from training._mlflow import check_registry_uri

    if model_uri is None or model_uri.startswith("models:"):  # before the features are built
        check_registry_uri(f"read {_NAMES[task]} from the model registry")
    asof = None if asof_text is None else parse_date_option(asof_text, "--asof")
    on_duplicate = check_on_duplicate(on_duplicate)
    if table is None and asof is None:
        raise ValueError("--asof DATE is required with --data/--events (features use only "
                         "events before it)")
    if season_adjust and table is not None:
        raise ValueError("--season-adjust applies to scores from events (--data/--events) "
                         "only: a table has no purchase history to read last year's season "
                         "from")
    if season_adjust and horizon_days is not None and task != "value":
        raise ValueError("--season-adjust reads the season of the model's own window; it "
                         "cannot be combined with --horizon-days")
    if active_within is not None and (table is not None or active_within < 1):
        raise ValueError("--active-within DAYS needs --data/--events and DAYS >= 1 (with "
                         "--table, filter the table's rows yourself)")
    model = _load_model(task, model_uri)
    uri = model_uri or f"models:/{_NAMES[task]}@champion"
    t0 = time.perf_counter()
    if table is not None:
        feats = _read_table(table, id_col, model=model)
        id_col = feats.attrs.pop("brain.id_col", id_col)
        _population_warning(model, uri, table, feats["user_id"])
        for note in (unseen_levels_note(model, feats), empty_columns_note(model, feats),
                     table_in_sample_note(model, feats), _extra_columns_note(model, feats)):
            if note:
                show_note(f"{table.name}: {note}")
        with _table_words(table, id_col, task):
            _check_table_model(model, uri, feats)
        with (progress_bar(f"scoring {len(feats):,} customers") as update,
              _table_words(table, id_col, task)):
            scores = score_features(model, feats, reasons=reasons, reason_method=reason_method,
                                    chunk_size=chunk_size, n_jobs=jobs, progress=update)
        scores.insert(1 if "user_id" in scores.columns else 0, "asof",
                      _table_asof(feats, asof).to_numpy())
        # the scores join back to the user's table by the user's own id column name
        scores = scores.rename(columns={"user_id": id_col})
    else:
        assert asof is not None
        ev, cal = _events(data, events, calendar, tz, allow, on_duplicate)
        _check_asof(ev, asof)
        on_purchases = _purchase_rule(model, uri, season_adjust, horizon_days)
        season = (season_factor(model, ev, asof)
                  if on_purchases and (horizon_days is None or task == "value") else None)
        everyone = ev  # last year's buying is read over every customer, not today's active
        if active_within is not None:
            ev = _active_customers(ev, asof, active_within)
        feats = features_asof(model, ev, asof, calendar=cal)
        _population_warning(model, uri, data or events, feats["user_id"])
        note = in_sample_note(model, asof, feats["user_id"])
        if note:
            show_note(note)
        gone = None if active_within is not None else _long_gone_note(feats, model, task)
        if gone:
            show_note(gone)
        with progress_bar(f"scoring {len(feats):,} customers") as update:
            scores = score_features(model, feats, reasons=reasons, reason_method=reason_method,
                                    chunk_size=chunk_size, n_jobs=jobs, progress=update)
        scores.insert(1, "asof", asof)
        # scores moved after the model: tiers follow, and a customer moved into or out of the
        # lowest tier gets that tier's reasons (retier)
        moved = _season_note(season, season_adjust, scores)
        unknown = (season_unknown_note(model, everyone, asof)
                   if season is None and horizon_days is None and on_purchases else None)
        if unknown:
            show_note(unknown)
        if outcomes:
            from ._cli_outcomes import print_outcomes

            print_outcomes(model, everyone, asof, cal)
        trained_h = getattr(model, "horizon_days", None)
        if horizon_days is not None and horizon_days != trained_h:
            if task == "value" or trained_h is None:
                raise ValueError(f"--horizon-days {horizon_days} differs from the model's label "
                                 f"window ({trained_h}); only churn/propensity models trained on "
                                 "events can be extended. Retrain with --horizon instead.")
            step(f"extending P(purchase) from {trained_h} to {horizon_days} days")
            ext = extend_purchase_horizon(model, ev, asof, horizon_days, trained_h,
                                          calendar=cal, users=scores["user_id"])
            p = ext["p_purchase"].to_numpy()
            moved = 1 - p if task == "churn" else p
            note = horizon_season_note(everyone, asof, horizon_days, scores["user_id"], p)
            if note:
                show_note(note)
        if moved is not None:
            scores = retier(model, feats, scores, moved, reasons=reasons,
                            reason_method=reason_method, chunk_size=chunk_size)
    scores["tier"] = scores["tier"].astype(str)
    write_frame(scores, out)
    secs = time.perf_counter() - t0
    console.print(frame_table(_tier_counts(scores["tier"], task), title=f"{_NAMES[task]} tiers"))
    crowded = crowded_tier_note(scores, task)
    if crowded:
        show_note(crowded)
    if "early_warning" in scores.columns:
        console.print(early_warning_line(scores), highlight=False)
    console.print(f"[green]wrote[/] {len(scores):,} scores to {out} in {secs:.1f}s",
                  highlight=False)


def _purchase_rule(model: Any, uri: str, season_adjust: bool,
                   horizon_days: int | None) -> bool:
    """Whether the model's label is read on purchases alone, as the season note and the
    longer-horizon chain assume (False for a churn model of "no order and no visit": a note, or
    an error for --season-adjust and --horizon-days)."""
    from training._customer_labels import label_definition

    labels = label_definition(model)
    if labels.churn_rule != "no_order_no_visit":
        return True
    why = (f"{_model_label(uri)} learned churn = {labels.rule_words()}, and last year's "
           "season and the longer-horizon chain are read on purchases alone")
    trained_h = getattr(model, "horizon_days", None)
    if season_adjust or (horizon_days is not None and horizon_days != trained_h):
        flag = "--season-adjust" if season_adjust else "--horizon-days"
        raise ValueError(f"{flag}: {why}; score without it, or retrain with --horizon "
                         "(or without --churn-needs-no-visit)")
    show_note(f"the season of the scored window is not checked: {why}")
    return False


def early_warning_line(scores: pd.DataFrame) -> str:
    """One line: how many customers the early warning flags, and on what it judged them."""
    flag = scores["early_warning"].astype("boolean")
    known = int(flag.notna().sum())
    if not known:
        return ("early warning: cannot tell for anyone (no visit or order counts of the last "
                "60 days in the input)")
    basis = scores.get("early_warning_basis", pd.Series(pd.NA, index=scores.index))
    parts = []
    for what in ("visits", "orders"):
        sel = basis.eq(what).fillna(False).to_numpy()
        if sel.any():
            parts.append(f"{int(flag[sel].sum()):,} of {int(sel.sum()):,} judged on {what}")
    unknown = len(flag) - known
    chance = pd.to_numeric(scores.get("early_warning_chance", pd.Series(np.nan,
                                                                       index=scores.index)))
    n_sure = int(((chance < 0.05) & flag.fillna(False)).sum())
    sure = (f"; {n_sure:,} of them unlikely by chance (a customer at an "
            "unchanged rate falls this far under 5% of the time: early_warning_chance)"
            if chance.notna().any() else "")
    return (f"early warning (visits, or orders for customers with no visit recorded, in the "
            f"last 30 days at most half of the 30 before, from at least 2): "
            f"{int(flag.sum()):,} flagged ({'; '.join(parts) or f'of {known:,}'}){sure}"
            + (f"; {unknown:,} cannot be told" if unknown else ""))


def crowded_tier_note(scores: pd.DataFrame, task: str, share: float = 0.9) -> str | None:
    """For churn and propensity, whose tiers are fixed probability thresholds: the note when
    one tier holds ``share`` of the customers or more, with where the top tenth of the scores
    starts (a subscription business losing 4.5% a month had every live subscriber 'low')."""
    if task == "value" or len(scores) < 20:
        return None
    counts = scores["tier"].astype(str).value_counts()
    top_tier, n = counts.index[0], int(counts.iloc[0])
    if n < share * len(scores):
        return None
    p = pd.to_numeric(scores["score"], errors="coerce").dropna()
    if p.empty:
        return None
    cut, mean = float(p.quantile(0.9)), float(p.mean())
    from training._customer_reasons import TIERS

    rule = TIERS[task]
    edges = " / ".join(f"{t:g}" for t in rule.thresholds)
    return (f"{n / len(scores):.0%} of the customers are '{top_tier}' (the tiers are fixed "
            f"probabilities: {edges}); the top tenth of the scores starts at {cut:.3f}, against a "
            f"mean of {mean:.3f}: to pick whom to contact, rank by score within the tier")


def _tier_counts(tiers: pd.Series, task: str) -> pd.DataFrame:
    """Customers per tier, highest tier first (every documented tier, empty ones too), with
    thousands separators and each tier's share."""
    from training._customer_reasons import TIERS

    counts = tiers.value_counts()
    order = [*TIERS[task].labels, *(t for t in counts.index if t not in TIERS[task].labels)]
    n = counts.reindex(order, fill_value=0)
    total = max(int(n.sum()), 1)
    return pd.DataFrame({"tier": n.index, "count": [f"{int(v):,}" for v in n],
                         "share": [f"{v / total:.1%}" for v in n]})


def _long_gone_note(feats: pd.DataFrame, model: Any, task: str) -> str | None:
    """For churn and propensity from events: the note when 30% or more of the scored customers
    had no activity within the model's label window before the date (long gone: they fill the
    top churn tier and the bottom propensity one), pointing at --active-within."""
    if task == "value" or "days_since_last_event" not in feats.columns or len(feats) < 20:
        return None
    h = int(getattr(model, "horizon_days", None) or 90)
    days = pd.to_numeric(feats["days_since_last_event"], errors="coerce")
    gone = float((days.isna() | (days > h)).mean())
    if gone < 0.3:
        return None
    return (f"{gone:.0%} of the scored customers had no activity in the {h} days before the "
            f"date (long gone, or never active): they crowd the "
            f"{'top churn' if task == 'churn' else 'bottom propensity'} tier; "
            f"--active-within {h} scores only the customers active in that window")


def _make_score_command(task: str) -> None:
    @score_app.command(task, help=f"Score every customer with the {_NAMES[task]} model.")
    @friendly_errors
    def command(
        out: Annotated[Path, typer.Option(help="Output file (.parquet or .csv).")],
        asof: Annotated[str | None, typer.Option(
            help="Score as of this date, YYYY-MM-DD[ HH:MM] (events before it); required with "
                 "--data/--events. With --table: the asof column when the table has no "
                 "'cutoff' column.")
                        ] = None,
        data: DataOpt = None,
        events: EventsOpt = None,
        calendar: CalendarOpt = None,
        table: TableOpt = None,
        id_col: IdOpt = "user_id",
        model: Annotated[str | None, typer.Option(
            "--model", help=f"Model URI (default: models:/{_NAMES[task]}@champion).")] = None,
        reasons: Annotated[bool, typer.Option(help="Add the top-3 reasons per customer.")
                           ] = True,
        reason_method: Annotated[str, typer.Option(
            help="'path' (decision-path contributions, fast) or 'shap' (LightGBM TreeSHAP, "
                 "about 10x slower).")] = "path",
        horizon_days: Annotated[int | None, typer.Option(
            help="Churn/propensity over a longer horizon than trained (events only; "
                 "hazard chain).")] = None,
        chunk_size: Annotated[int, typer.Option(help="Customers per scoring chunk (at most).")
                              ] = 250_000,
        jobs: Annotated[int | None, typer.Option(
            "--jobs", help="Scoring threads (default: all CPUs).")] = None,
        season_adjust: Annotated[bool, typer.Option(
            help="Move the scores by last year's season gap between the scored window and the "
                 "window the model's level was set on (printed as a note): value scaled by the "
                 "revenue ratio; P(purchase) to 1 - (1 - P)^(purchase-rate ratio).")] = False,
        active_within: Annotated[int | None, typer.Option(
            help="Score only customers with an event other than a refund in the DAYS before "
                 "--asof (events only): long-gone customers otherwise fill the high churn "
                 "tier.")] = None,
        tz: TzOpt = "UTC",
        allow_event_types: AllowOpt = "",
        on_duplicate: DupOpt = "drop",
        outcomes: Annotated[bool, typer.Option(
            help="Score the model on the label windows that ended since its training (by "
                 "--asof) and compare with what happened, the season taken out by last "
                 "year's copies of the windows (events only).")] = True,
    ) -> None:
        _score(task, asof, out, data, events, calendar, table, id_col, model, reasons,
               reason_method, horizon_days, chunk_size, jobs, tz, allow_event_types,
               on_duplicate, active_within, season_adjust, outcomes)


for _task in ("churn", "propensity", "value"):
    _make_train_command(_task)
    _make_score_command(_task)


def _event_span(ev: pd.DataFrame) -> dict[str, str | int]:
    """The span of the events read, tagged on the MLflow run (month-to-month comparisons) and
    on the version (``data.start``: ``brain models`` and ``GET /models``' ``data_start``)."""
    return {"data.start": str(ev["ts"].min().date()), "data.end": str(ev["ts"].max().date()),
            "data.n_events": len(ev)}


def demo_step(data_dir: Path) -> dict[str, str]:
    """Train and register the three customer models on the demo world, then score everyone."""
    import features as ft
    from training._customer_mlflow import train_and_register
    from training._customer_models import CustomerModel
    from training._customer_scoring import score_asof
    from training._mlflow import brain_home

    ev = ft.load_events(data_dir / "events.parquet")
    cal_path = data_dir / "calendar.csv"
    cal = ft.load_calendar(cal_path) if cal_path.exists() else None
    horizons = DEFAULT_HORIZON
    frames = {h: build_training_frame(ev, cal, h, 4, 30, None) for h in set(horizons.values())}
    for frame in frames.values():  # as `brain train --data` tags them (data_start was null)
        frame.attrs.update(_event_span(ev))
    out_dir = brain_home() / "demo-out" / "customers"
    asof = ev["ts"].max().normalize() + pd.Timedelta(days=1)
    where: dict[str, str] = {}
    for task in ("churn", "propensity", "value"):
        horizon = horizons[task]
        frame = frames[horizon]
        step(f"training {_NAMES[task]} ({horizon}-day window)")
        res = train_and_register(task, frame, model=CustomerModel(task, horizon_days=horizon),  # type: ignore[arg-type]
                                 evaluation_tag=f"horizon={horizon}",
                                 params={"input": str(data_dir), "horizon_days": horizon},
                                 plot_dir=out_dir / task)
        key = "roc_auc" if task != "value" else "spearman"
        value = res.metrics.get(key, float("nan"))
        console.print(f"{_NAMES[task]} v{res.version}: {key}={value:.3f} "
                      f"({res.promotion.reason if res.promotion else 'not registered'})",
                      highlight=False)
        model = _load_model(task, f"models:/{_NAMES[task]}/{res.version}")
        scores = score_asof(model, ev, asof, calendar=cal)
        scores["tier"] = scores["tier"].astype(str)
        path = out_dir / f"{task}_scores.parquet"
        write_frame(scores, path)
        where[f"{_NAMES[task]} scores"] = str(path)
        where[f"{_NAMES[task]} plots"] = str(out_dir / task)
    return where
