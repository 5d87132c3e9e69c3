"""``brain train churn|propensity|value`` and ``brain score churn|propensity|value``.

Two input paths, for both training and scoring:

- the event pipeline: ``--data DIR`` (with events.parquet|csv, optional calendar.csv) or
  ``--events FILE``; features are built with ``features.user_features`` at stacked cutoffs, labels
  with ``features.build_training_set`` for ``--horizon`` days;
- bring your own features: ``--table FILE`` (CSV or Parquet, one row per customer, optionally a
  ``cutoff`` column for several snapshots) with ``--label-col COL`` for training. Every other
  column except ``--id-col`` is a feature (numbers as numbers, text as categories).

Thin layer over ``training._customer_mlflow`` and ``training._customer_scoring``. Reading the
inputs is in ``_cli_customers_inputs``, loading and checking the model in
``_cli_customers_model``, and what the commands print besides their tables in
``_cli_customers_print``.
"""

# No "from __future__ import annotations": typer reads the per-task option help built in closures.

import json
import shlex
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from features._refunds import RefundPrior

from ._cli_common import (
    DupOpt,
    check_on_duplicate,
    check_out_suffix,
    console,
    err_console,
    frame_table,
    friendly_errors,
    parse_date_option,
    progress_bar,
    show_note,
    step,
    write_frame,
)
from ._cli_customers_inputs import (
    _active_customers,
    _check_asof,
    _events,
    _read_table,
    _table_asof,
    _table_words,
    _uninformative,
    _useful_kept,
    _with_asof,
    build_training_frame,
)
from ._cli_customers_model import (
    _NAMES,
    _check_event_model,
    _check_table_model,
    _extra_columns_note,
    _load_model,
    _population_warning,
    _purchase_rule,
)
from ._cli_customers_print import (
    _best_single_line,
    _describe_run,
    _long_gone_note,
    _season_note,
    _tier_counts,
    _unused_note,
    crowded_tier_note,
    early_warning_line,
    early_warning_reach_note,
    validation_level_note,
)

__all__ = ["demo_step", "score_app", "train_app"]

train_app = typer.Typer(help="Train churn, purchase-propensity and customer-value models "
                             "(logged to MLflow, registered, champion promoted only if better).",
                        no_args_is_help=True)
score_app = typer.Typer(help="Score every customer with a registered (or given) customer model.",
                        no_args_is_help=True)

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


def _train(task: str, data: Path | None, events: Path | None, calendar: Path | None,
           table: Path | None, label_col: str | None, id_col: str, horizon: int, cutoffs: int,
           step_days: int, last_cutoff: str | None, churn_needs_no_visit: bool, register: bool,
           plots: Path | None, seed: int, tz: str, allow: str, on_duplicate: str = "drop",
           allow_suspected_leakage: bool = False, asof: str | None = None,
           keep_columns: tuple[str, ...] = ()) -> None:
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
    keep_columns = tuple(dict.fromkeys(keep_columns))
    if keep_columns and table is None:
        raise ValueError("--keep-column keeps a column of a --table that the identifier rules "
                         "leave out; with --data/--events the features are built from the "
                         "events")
    if table is not None:
        if label_col is None:
            raise ValueError("--table needs --label-col naming the label column (0/1 for churn "
                             "and propensity, revenue for value)")
        frame = _read_table(table, id_col, label_col, keep_columns=keep_columns)
        # left in the frame but excluded from the features: a champion that reads them (an
        # event model scored on a table of event features) still finds them when it is
        # re-scored on the evaluation rows (dropped, it "could not score these rows")
        dropped = _uninformative(frame, ("user_id", "cutoff", label_col))
        keep_columns = _useful_kept(table, keep_columns, dropped, frame)
        dropped.update(_id_like(frame, label_col, task, {**dropped, **dict.fromkeys(
            keep_columns, "kept")}))
        keep_columns = _needed_kept(table, keep_columns, frame, label_col, task,
                                    dates_read=asof is not None)
        frame = _with_asof(frame, None if asof is None else parse_date_option(asof, "--asof"),
                           table.name)
        params: dict[str, Any] = {"input": str(Path(table).resolve()),
                                  "label_col": label_col, **({"asof": asof} if asof else {}),
                                  **({"keep_columns": ",".join(keep_columns)}
                                     if keep_columns else {})}
        tag = f"table={table.name}"
        horizon_meta = None
    else:
        if asof is not None:  # the cutoffs come from the events
            raise ValueError("--asof (the date a --table was exported) applies to --table; "
                             "with --data/--events use --last-cutoff")
        last = None if last_cutoff is None else str(
            parse_date_option(last_cutoff, "--last-cutoff"))
        ev, cal = _events(data, events, calendar, tz, allow, on_duplicate)
        _refuse_single_orders(ev, Path(data or events).name)  # type: ignore[arg-type]
        if churn_needs_no_visit and not ev["event_type"].isin(["visit", "page_view"]).any():
            # a purchase-only log (a till or loyalty-card export): the two rules are one, and
            # the model records the one its labels mean, so it stays comparable
            show_note("--churn-needs-no-visit: the events hold no visit, so churn is 'no "
                      "order in the window' either way; the model is trained and recorded "
                      "with that rule")
            churn_needs_no_visit = False
        if register:
            from training._customer_changes import rows_changed_since_last_training

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
    # recorded with the model and as the run's keep_columns param; scoring reads the kept
    # columns as the features they were fitted as (``numeric_`` / ``categorical_``)
    model.kept_columns_ = keep_columns
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
    level = validation_level_note(rep, out.metrics)
    if level:
        show_note(level)

    def part(cutoffs: tuple[str, ...], n: int) -> str:
        return ", ".join(cutoffs) if cutoffs else f"{n:,} rows"

    console.print(f"split: train {part(rep.split.train_cutoffs, rep.split.n_train)} | calibrate "
                  f"{part(rep.split.calibration_cutoffs, rep.split.n_calibration)} | validate "
                  f"{part(rep.split.validation_cutoffs, rep.split.n_validation)}",
                  highlight=False)
    chosen = getattr(model, "settings_", None)
    if chosen:
        losses = getattr(model, "settings_losses_", [])
        how = _settings_choice(chosen, losses, getattr(model, "baseline", None))
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


def _refuse_single_orders(events: pd.DataFrame, source: str) -> None:
    """Stop before the features are built when no customer of a purchase-only log has a
    second order: every label would be "no order" (``features.single_order_note``; an Olist
    import under its per-order ``customer_id`` had stopped after the feature build with "only
    one label value ... Use a longer horizon or more customers", and the value model with a
    LightGBM traceback). A log with visits or other events keeps training (a first purchase
    after visits is a label), with the sentence as a note."""
    import features as ft

    same_end = ft.common_last_day_note(events)
    if same_end is not None:  # dates rebuilt from gaps: the labels describe the anchor
        show_note(f"{source}: {same_end}")
    once = ft.single_order_note(events)
    if once is None:
        return
    if events["event_type"].astype("string").isin(["purchase", "refund"]).all():
        raise ValueError(f"{source}: {once}")
    show_note(once)


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
        asof: Annotated[str | None, typer.Option(
            help="With --table: the date the table was exported, YYYY-MM-DD; its date columns "
                 "become days since it (a 'cutoff' column wins).")] = None,
        keep_column: Annotated[list[str] | None, typer.Option(
            "--keep-column", metavar="NAME",
            help="With --table: use this column as a feature although it looks like an "
                 "identifier (by its name, or whole numbers nearly one per row unrelated to "
                 "the label), e.g. a customer number given in signup order. Repeat for "
                 "several.")] = None,
    ) -> None:
        _train(task, data, events, calendar, table, label_col, id_col, horizon, cutoffs,
               default_step_days(horizon, cutoffs) if step_days is None else step_days,
               last_cutoff, churn_needs_no_visit, register, plots, seed, tz,
               allow_event_types, on_duplicate, allow_suspected_leakage, asof,
               tuple(keep_column or ()))


def _id_like(frame: pd.DataFrame, label_col: str, task: str,
             dropped: dict[str, str]) -> dict[str, str]:
    """A table's whole-number columns that are identifiers by their values, whatever their
    names (``features._tables.id_like_numbers``); a label that cannot be read is left to the
    fit's own check, which names its rows."""
    from features._tables import id_like_numbers, keep_hint
    from training._customer_eval import read_labels

    kind = "regressor" if task == "value" else "classifier"
    try:
        y = read_labels(frame, label_col, kind, task)
    except ValueError:
        return {}
    found = id_like_numbers(frame, y, kind == "classifier",
                            skip={"user_id", "cutoff", label_col, *dropped})
    return {c: why + keep_hint(c) for c, why in found.items()}


def _needed_kept(path: Path, keep: tuple[str, ...], frame: pd.DataFrame, label_col: str,
                 task: str, dates_read: bool) -> tuple[str, ...]:
    """The ``--keep-column`` columns the identifier rules would have left out. One they read
    as a feature anyway (``attrs["kept_without_effect"]`` of ``features.infer_table_types``,
    and not whole numbers the value rule takes for ids) is a note and is not recorded as kept:
    ``brain models`` had listed an ordinary column such as 'orders' as kept, as though the
    model needed the option to read it. A date column is judged so only when ``dates_read``
    (--asof): without it the fit names the column as not read (``_customer_fit``)."""
    maybe = [c for c in keep if c in frame.attrs.get("kept_without_effect", ())
             and (dates_read or not pd.api.types.is_datetime64_any_dtype(frame[c].dtype))]
    if not maybe:
        return keep
    others = {str(c): "" for c in frame.columns if c not in maybe}
    needless = [c for c in maybe if c not in _id_like(frame, label_col, task, others)]
    for c in needless:
        show_note(f"{path.name}: --keep-column {shlex.quote(c)}: the column is read as a "
                  "feature without the option (it is not taken for an identifier, a code or "
                  "free text), so the option changes nothing and the column is not recorded "
                  f"as kept; drop --keep-column {shlex.quote(c)}")
    return tuple(c for c in keep if c not in needless)


def _score(task: str, asof_text: str | None, out: Path, data: Path | None, events: Path | None,
           calendar: Path | None, table: Path | None, id_col: str, model_uri: str | None,
           reasons: bool, reason_method: str, horizon_days: int | None, chunk_size: int,
           jobs: int | None, tz: str, allow: str, on_duplicate: str = "drop",
           active_within: int | None = None, season_adjust: bool = False,
           outcomes: bool = True, allow_empty_columns: bool = False) -> None:
    from training._customer_dates import check_snapshot_date, snapshot_date_warning
    from training._customer_empty import check_empty_columns
    from training._customer_scoring import (
        empty_columns_note,
        extend_purchase_horizon,
        in_sample_note,
        retier,
        score_features,
        table_in_sample_note,
        unseen_levels_note,
    )
    from training._customer_season import (
        horizon_season_note,
        season_factor,
        season_unknown_note,
    )
    from training._mlflow import check_registry_uri

    check_out_suffix(out)
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
        unread = feats.attrs.pop("brain.unread_cells", {})
        if getattr(model, "date_days_", ()):  # its date columns are days since --asof
            feats = _with_asof(feats, asof, table.name, note=False)
            with _table_words(table, id_col, task):  # before the notes on the table's cells
                check_snapshot_date(feats, list(model.date_days_), task)
        # the input check first: a table the model cannot read stops with the error alone
        # (it had been told "N columns not used by the model ... the scores do not depend on
        # these", every column of the table, just before "this model was trained on event
        # features"; until 2026-12-07 also that the model "learned another customer base")
        with _table_words(table, id_col, task):
            _check_table_model(model, uri, feats)
        if not allow_empty_columns:  # the check the pyfunc and the API's rows make too
            check_empty_columns(model, feats, name=table.name,
                                option="pass --allow-empty-columns", written=unread)
        _population_warning(model, uri, table, feats["user_id"])
        early = snapshot_date_warning(model, feats)
        if early:
            err_console.print(f"[yellow]warning:[/] {table.name}: {early}", highlight=False,
                              soft_wrap=True)
        for note in (unseen_levels_note(model, feats), empty_columns_note(model, feats),
                     table_in_sample_note(model, feats), _extra_columns_note(model, feats)):
            if note:
                show_note(f"{table.name}: {note}")
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
        ev, feats, refund_base = _scoring_features(model, ev, asof, cal, active_within)
        _check_event_model(model, uri, feats)
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
                                          calendar=cal, users=scores["user_id"],
                                          refund_base=refund_base)
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
    console.print(frame_table(_tier_counts(scores["tier"], task, scores.get("score")),
                              title=f"{_NAMES[task]} tiers"))
    crowded = crowded_tier_note(scores, task)
    if crowded:
        show_note(crowded)
    if "early_warning" in scores.columns:
        console.print(early_warning_line(scores), highlight=False)
        for note in (early_warning_reach_note(feats), _base_fall_note(feats)):
            if note:
                show_note(note)
    console.print(f"[green]wrote[/] {len(scores):,} scores to {out} in {secs:.1f}s",
                  highlight=False)


def _scoring_features(model: object, ev: pd.DataFrame, asof: pd.Timestamp,
                      cal: pd.DataFrame | None, active_within: int | None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, RefundPrior | None]:
    """``(events scored, their features, the refund base)``: with ``--active-within``, the
    events of the active customers, whose ``refund_share_total`` is still shrunk towards every
    customer's refund share, as at training (over the active ones alone it had moved by up to
    0.097 on a generated fashion log); else all events and None (the base of all of them)."""
    from features._users import refund_prior
    from training._customer_scoring import features_asof

    base = None
    if active_within is not None:
        base = refund_prior(ev, asof)
        ev = _active_customers(ev, asof, active_within)
    return ev, features_asof(model, ev, asof, calendar=cal, refund_base=base), base


def _base_fall_note(feats: pd.DataFrame) -> str | None:
    """``early_warning_base_fall`` on the scored customers' features (None when they cannot
    tell)."""
    from training._customer_tiers import early_warning_base_fall, early_warning_with_basis

    flag, basis = early_warning_with_basis(feats)
    return early_warning_base_fall(feats, basis, flag)


def _make_score_command(task: str) -> None:
    @score_app.command(task, help=f"Score every customer with the {_NAMES[task]} model.")
    @friendly_errors
    def command(
        out: Annotated[Path, typer.Option(help="Output file (.parquet or .csv).")],
        asof: Annotated[str | None, typer.Option(
            help="Score as of this date, YYYY-MM-DD[ HH:MM] (events before it); required with "
                 "--data/--events. With --table: the date the table was exported (the "
                 "asof column, and the date a model's date columns count days from) when the "
                 "table has no 'cutoff' column.")
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
        allow_empty_columns: Annotated[bool, typer.Option(
            "--allow-empty-columns",
            help="With --table: score even when a number column the model learned from has "
                 "no value in any row (every customer scored as if it were unknown; by "
                 "default an error naming the column).")] = False,
    ) -> None:
        _score(task, asof, out, data, events, calendar, table, id_col, model, reasons,
               reason_method, horizon_days, chunk_size, jobs, tz, allow_event_types,
               on_duplicate, active_within, season_adjust, outcomes, allow_empty_columns)


for _task in ("churn", "propensity", "value"):
    _make_train_command(_task)
    _make_score_command(_task)


def _settings_choice(chosen: dict[str, float], losses: list[float],
                     baseline: bool | None) -> str:
    """How the tree setting was chosen, for the ``trees:`` line: each candidate's calibration
    loss, and whether the boosters start from the BG/NBD baseline (``settings_["baseline"]``;
    with ``baseline=None`` every setting was fitted plain and from it, in that order)."""
    if "baseline" not in chosen:
        return (f"chosen on the calibration rows among {len(losses)} (loss "
                + " / ".join(f"{v:.4g}" for v in losses) + ")" if len(losses) > 1
                else "as given")
    start = ("boosted from the BG/NBD baseline (a GLM on the expected orders)"
             if chosen["baseline"] else "plain (the BG/NBD baseline did not lower the loss)")
    if baseline is None and len(losses) >= 2 and len(losses) % 2 == 0:
        pairs = " / ".join(f"{a:.4g} plain, {b:.4g} from the baseline"
                           for a, b in zip(losses[::2], losses[1::2], strict=True))
        return (f"{start}; chosen on the calibration rows among {len(losses) // 2} settings, "
                f"each plain and from the baseline (loss {pairs})")
    if len(losses) > 1:
        return (f"{start}; chosen on the calibration rows among {len(losses)} (loss "
                + " / ".join(f"{v:.4g}" for v in losses) + ")")
    return start


def _event_span(ev: pd.DataFrame) -> dict[str, str | int]:
    """The span of the events read, tagged on the MLflow run (month-to-month comparisons) and
    on the version (``data.start``: ``brain models`` and ``GET /models``' ``data_start``)."""
    kinds = ev["event_type"].astype(str).value_counts().sort_index()
    return {"data.start": str(ev["ts"].min().date()), "data.end": str(ev["ts"].max().date()),
            "data.n_events": len(ev),
            "data.n_events_by_type": json.dumps({str(k): int(v) for k, v in kinds.items()})}


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
