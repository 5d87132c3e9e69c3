"""``brain``: the command line. A thin layer over the library; every command has ``--help``."""

from __future__ import annotations

import importlib
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from . import _cli_registry
from ._cli_common import (
    DupOpt,
    check_on_duplicate,
    console,
    err_console,
    find_file,
    frame_table,
    friendly_errors,
    install_note_handler,
    print_notes,
    progress_bar,
    show_note,
    step,
    write_frame,
)
from ._cli_import_series import data_import_series

if TYPE_CHECKING:
    import pandas as pd

# Help in boxed tables needs room: below 100 columns (and in a pipe) the plain layout keeps
# each option's name on one line and gives its text the rest (at 80 columns the boxed help
# left 22 characters for the text and cut 'models:/churn@champion' to 'models:/churn@champ...').
PLAIN_HELP_BELOW = 100
if shutil.get_terminal_size().columns < PLAIN_HELP_BELOW:
    typer.core.HAS_RICH = False

app = typer.Typer(help="Marketing Brain: traffic peak forecasts, customer models and A/B tests "
                       "from your event logs and campaign calendar.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Generate and validate data.", no_args_is_help=True)
features_app = typer.Typer(help="Build point-in-time user features.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(features_app, name="features")

# Sub-command groups of the other areas: (module, attribute, command name).
_AREAS = (
    ("serving._cli_forecast", "forecast_app", "forecast"),
    ("serving._cli_customers", "train_app", "train"),
    ("serving._cli_customers", "score_app", "score"),
    ("serving._cli_ab", "ab_app", "ab"),
    ("serving._cli_uplift", "uplift_app", "uplift"),
)
_DEMO_MODULES = ("serving._cli_forecast", "serving._cli_customers", "serving._cli_experiments")


def _area_modules() -> dict[str, ModuleType]:
    mods: dict[str, ModuleType] = {}
    for name in dict.fromkeys([*(m for m, _, _ in _AREAS), *_DEMO_MODULES]):
        try:
            mods[name] = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a broken import inside the module is a bug: surface it
                raise
    return mods


_MODULES = _area_modules()
for _mod, _attr, _cmd in _AREAS:
    if _mod in _MODULES and hasattr(_MODULES[_mod], _attr):
        app.add_typer(getattr(_MODULES[_mod], _attr), name=_cmd)

DataOpt = Annotated[Path | None, typer.Option(
    "--data", help="Folder with events.parquet|csv (and calendar.csv, spend.csv), e.g. the "
                   "output of 'brain data generate'.")]
EventsOpt = Annotated[Path | None, typer.Option(
    "--events", help="Events file (CSV or Parquet) under the events contract.")]
CalendarOpt = Annotated[Path | None, typer.Option(
    "--calendar", help="Calendar file (name,start,end,kind[,channel,intensity]).")]
TzOpt = Annotated[str, typer.Option("--tz", help="Business time zone: timestamps with UTC "
                                                 "offsets are converted to it.")]
AllowOpt = Annotated[str, typer.Option(
    "--allow-event-types", help="Comma-separated event types to accept besides the known ones.")]


def _allowed(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _default_data_dir() -> Path:
    from training._mlflow import brain_home

    return brain_home() / "data"


def _load_inputs(data: Path | None, events: Path | None, calendar: Path | None, tz: str,
                 allow: str = "", on_duplicate: str = "drop"):
    import features as ft

    ev_path = find_file(data, events, "events")
    assert ev_path is not None  # required=True raises instead of returning None
    step(f"loading {ev_path}")
    ev = ft.load_events(ev_path, tz=tz, extra_event_types=_allowed(allow),
                        on_duplicate=check_on_duplicate(on_duplicate))
    print_notes(ev)
    cal_path = find_file(data, calendar, "calendar", required=False)
    cal = ft.load_calendar(cal_path, tz=tz) if cal_path else None  # as the events
    return ev, cal


@data_app.command("generate")
@friendly_errors
def data_generate(
    users: Annotated[int, typer.Option(help="Number of users.")] = 20_000,
    days: Annotated[int, typer.Option(help="Number of days simulated.")] = 730,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 0,
    start: Annotated[str, typer.Option(help="First simulated day.")] = "2024-01-01",
    out: Annotated[Path | None, typer.Option(help="Output folder (default: "
                                                  "$BRAIN_HOME/data).")] = None,
    spend_lever: Annotated[bool, typer.Option(
        "--spend-lever", help="Each paid channel's visits follow a planned daily spend "
                              "(visits = a x spend^b; a, b in truth/spend_response.csv) instead "
                              "of the spend following the sign-ups.")] = False,
) -> None:
    """Generate the synthetic marketing world (events, calendar, spend, experiment, truth/)."""
    from features import generate_world, write_world

    out = out or _default_data_dir()
    t0 = time.perf_counter()
    if users < 1 or days < 60:  # before the progress bar, in the options' own names
        raise ValueError(f"data generate: need --users 1 or more and --days 60 or more; "
                         f"received --users {users} --days {days}")
    with progress_bar(f"simulating {users:,} users") as update:
        world = generate_world(users, days, seed, start=start, progress=update,
                               spend_lever=spend_lever)
    step(f"writing to {out}")
    write_world(world, out)
    console.print(f"[green]generated[/] {len(world.events):,} events for {users:,} users over "
                  f"{days} days in {time.perf_counter() - t0:.1f}s -> {out}")


@data_app.command("import-orders")
@friendly_errors
def data_import_orders(
    file: Annotated[Path, typer.Argument(help="Order-line export (CSV or Parquet): one row per "
                                              "line of an order, invoice or basket.")],
    out: Annotated[Path, typer.Option(help="Events file to write (.csv or .parquet).")],
    customer_col: Annotated[str, typer.Option(help="Column with the customer id (empty = guest "
                                                   "checkout, left out with a note).")],
    time_col: Annotated[str, typer.Option(help="Column with the order time.")],
    order_col: Annotated[str | None, typer.Option(
        help="Column with the order (invoice, basket) id; without it, one customer's lines at "
             "one time are one order.")] = None,
    amount_col: Annotated[str | None, typer.Option(
        help="Column with the line's revenue (or give --quantity-col and --price-col).")] = None,
    quantity_col: Annotated[str | None, typer.Option(help="Column with the quantity.")] = None,
    price_col: Annotated[str | None, typer.Option(help="Column with the unit price.")] = None,
    channel_col: Annotated[str | None, typer.Option(help="Column with the sales channel.")] = None,
    channel: Annotated[str, typer.Option(
        help="Channel for every line when there is no --channel-col (and for its empty cells).")
    ] = "unknown",
    category_col: Annotated[str | None, typer.Option(
        help="Column with the product category (for category-mix features).")] = None,
    tz: TzOpt = "UTC",
    day_origin: Annotated[str | None, typer.Option(
        help="The --time-col holds day numbers (1, 2, ... as dunnhumby's DAY): the date "
             "(YYYY-MM-DD) of day 1.")] = None,
    time_of_day_col: Annotated[str | None, typer.Option(
        help="Column with the time of day (HHMM such as 1000 for 10:00, or HH:MM), added to "
             "the day of --time-col.")] = None,
    date_format: Annotated[str | None, typer.Option(
        help="Format of --time-col in strftime codes, e.g. '%m/%d/%Y %H:%M' (month first) or "
             "'%d/%m/%Y %H:%M' (day first), for dates whose day/month order nothing in the "
             "file settles (no day above 12); found by itself otherwise.")] = None,
    net_cancelled_orders: Annotated[bool, typer.Option(
        help="Leave out an invoice cancelled in full (a later negative invoice of the customer "
             "with the same lines, Online Retail II's 'C' invoices) together with its "
             "cancellation, with a note; by default both are kept, an order and a refund, as "
             "for an order returned in full, and counted in a note.")] = False,
    fx: Annotated[Path | None, typer.Option(
        "--fx", help="Rates file (CSV: columns currency,rate; rate = how much of the base "
                     "currency one unit is worth, e.g. GBP,1.17 and EUR,1): each line's amount "
                     "is converted by its currency; a currency without a rate is an error.")
                  ] = None,
    currency_col: Annotated[str | None, typer.Option(
        help="With --fx: the column of each line's currency (default: the column whose every "
             "cell is a currency code such as EUR or GBP).")] = None,
) -> None:
    """Turn a shop's or till's order-line export into an events file: one purchase per order,
    negative lines (cancellations, returns) as refunds."""
    import features as ft

    if out.resolve() == file.resolve():
        raise ValueError(f"--out {out} is the export itself; write the events to another file "
                         "(the export would be lost)")
    if currency_col is not None and fx is None:
        raise ValueError("--currency-col names the column to convert with --fx rates.csv; "
                         "pass --fx too")
    rates = ft.read_fx_rates(fx) if fx is not None else None
    step(f"reading {file}")
    raw = ft.read_table(file)
    frame = ft.orders_to_events(
        raw, customer=customer_col, time=time_col, order=order_col,
        amount=amount_col, quantity=quantity_col, price=price_col, channel=channel_col,
        default_channel=channel, category=category_col, source=file.name, tz=tz,
        day_origin=day_origin, time_of_day=time_of_day_col,
        net_cancellations=net_cancelled_orders, date_format=date_format,
        fx=rates, fx_source=fx.name if fx is not None else "the rates file",
        currency=currency_col)
    print_notes(frame)  # postage and fee lines and cancelled invoices among them
    s = frame.attrs["import_summary"]
    frame.attrs.clear()  # the notes are printed; the file holds the events only
    write_frame(frame, out)
    for line in import_summary_lines(s, file.name, out):
        console.print(line, highlight=False, soft_wrap=True)
    bought, back = s["purchase_revenue"], s["refund_revenue"]
    share = f" ({-back / bought:.1%} of purchases)" if bought > 0 and back else ""
    base = (f" (converted to the base currency of {fx.name})" if s.get("converted")
            and fx is not None else "")
    console.print(f"revenue{base}: purchases {bought:,.2f}, refunds {back:,.2f}{share}, net "
                  f"{bought + back:,.2f}", highlight=False)
    console.print(f"next: brain train churn --events {out} (or propensity, value)",
                  highlight=False)


def import_summary_lines(s: dict, source: str, out: Path) -> list[str]:
    """What ``brain data import-orders`` read, kept and set aside (and why), and what it wrote,
    in lines whose numbers add up: lines read = lines kept + lines set aside; orders and
    refunds kept; events written (one per order or refund, and per category or channel when
    an order's lines have several). Until 2026-12-07 one line read "imported 45,691 of 46,148
    lines (457 without a customer left out) -> 22,417 purchases and 1,093 refunds of 800
    customers", beside a note of "36,706 events from 45,691 lines": three counts of different
    things that a reader could not reconcile."""
    guests, gone = int(s.get("guest_lines", 0)), int(s.get("netted_lines", 0))
    kept = s["lines"] - guests - gone
    width = len(f"{s['lines']:,}")

    def n(x: int) -> str:
        return f"{x:,}".rjust(width)

    def plural(x: int, word: str) -> str:
        return f"{x:,} {word}{'' if x == 1 else 's'}"

    orders, refunds = int(s["purchases"]), int(s["refunds"])
    out_lines = [
        f"read      {n(int(s['lines']))} lines of {source}",
        f"kept      {n(kept)} lines: {plural(orders, 'order')} and {plural(refunds, 'refund')} "
        f"(negative lines: returns, cancellations) of {plural(int(s['customers']), 'customer')},"
        f" {s['first']:%Y-%m-%d} to {s['last']:%Y-%m-%d}"]
    why = [*([f"{guests:,} without a customer id (guest checkouts: a score needs a customer)"]
             if guests else []),
           *([f"{gone:,} of {plural(int(s.get('cancelled_orders', 0)), 'order')} cancelled in "
              "full and their cancellations (--net-cancelled-orders)"] if gone else [])]
    out_lines.append(f"set aside {n(guests + gone)} lines" + (": " + "; ".join(why) if why
                                                               else ""))
    events = int(s.get("events", orders + refunds))
    split = events - orders - refunds
    by, bys = (("product category", "categories") if s.get("by_category")
               else ("channel", "channels"))
    out_lines.append(
        f"wrote {plural(events, 'event')} to {out}: one per order or refund"
        + (f" and {by} ({orders + refunds:,} orders and refunds; an order with lines in two "
           f"{bys} is two purchase events with one order_id)" if split > 0 else ""))
    return out_lines


data_app.command("import-series")(friendly_errors(data_import_series))


def _forecastable_series(path: Path, tz: str, calendar: Path | None = None,
                         stores: Path | None = None):
    """The series file as ``brain forecast`` reads it: the contract, then one frequency (daily
    or hourly) for every series; notes as ``brain forecast`` gives them with ``calendar``
    (its city and state holidays given to their stores by ``stores``)."""
    import features as ft
    from training._forecast_notes import series_notes
    from training._forecast_panel import series_freq

    frame = ft.load_series(path, tz=tz)
    cal = None
    if calendar is not None:
        try:
            cal = ft.load_calendar(calendar, tz=tz, locales=stores is not None)
            if stores is not None:  # its cities and states: the calendar's own check
                from features._stores import apply_store_locales, load_stores

                apply_store_locales(cal, load_stores(stores), None,
                                    calendar_source=calendar.name, stores_source=stores.name)
        except Exception:  # its own check below reports what is wrong
            cal = None
    try:
        series_freq(frame)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    if cal is not None and calendar is not None:  # as brain forecast checks them (it said ok)
        from ._cli_forecast_inputs import check_calendar_channels, map_store_locales

        if stores is not None:
            cal = map_store_locales(cal, stores, frame["series_id"].astype(str).unique(),
                                    calendar)
        cal = check_calendar_channels(cal, list(frame["series_id"].astype(str).unique()),
                                      calendar)
    # what brain forecast would say about the values before fitting
    frame.attrs["load_notes"] = [*frame.attrs.get("load_notes", []),
                                 *(f"{path.name}: {n}" for n in series_notes(frame, cal, tz=tz))]
    return frame


def _rows_read(frame: pd.DataFrame) -> str:
    """'N rows' of a checked file; for a calendar that left rows out (its transferred
    holidays), the file's rows and the events read: the count had been of the events only,
    so a 70-row holidays file was 'ok: 68 rows' (2026-12-07)."""
    given = int(frame.attrs.get("rows_in_file", len(frame)))
    if given == len(frame):
        return f"{len(frame):,} rows"
    gone = given - len(frame)
    return (f"{given:,} rows, {len(frame):,} events read ({gone:,} marked transferred left "
            "out)")


@data_app.command("validate")
@friendly_errors
def data_validate(
    events: EventsOpt = None,
    calendar: CalendarOpt = None,
    spend: Annotated[Path | None, typer.Option(help="Channel spend file.")] = None,
    series: Annotated[Path | None, typer.Option(help="Traffic series file.")] = None,
    tz: TzOpt = "UTC",
    allow_event_types: AllowOpt = "",
    on_duplicate: DupOpt = "drop",
    stores: Annotated[Path | None, typer.Option(
        "--stores", help="Stores file (a store column as the series were imported from, city, "
                         "state): the calendar's city and state holidays (locale = "
                         "Local/Regional, locale_name) are checked against it and, with "
                         "--series, given to the series of the stores there.")] = None,
) -> None:
    """Check files against the data contracts and say what is wrong (exit code 2 if anything)."""
    import features as ft

    from ._cli_forecast_inputs import map_store_locales

    if stores is not None and calendar is None:
        raise ValueError(f"data validate: --stores {stores} maps a calendar's city and state "
                         "holidays to their stores: give the calendar too (--calendar FILE)")

    def calendar_loader(p: Path) -> pd.DataFrame:
        cal = ft.load_calendar(p, tz=tz, locales=stores is not None)
        if stores is not None:  # the two files against each other (with --series too: it
            # had said "ok" for a calendar whose city the series pass then found wrong)
            print_notes(cal)
            cal.attrs["load_notes"] = []
            if series is None:
                map_store_locales(cal, stores, None, p)
            else:  # the series pass says what was mapped
                from features._stores import apply_store_locales, load_stores

                apply_store_locales(cal, load_stores(stores), None, calendar_source=p.name,
                                    stores_source=stores.name)
        return cal

    allow = _allowed(allow_event_types)
    dup = check_on_duplicate(on_duplicate)
    checks = [(events, lambda p: ft.load_events(p, tz=tz, extra_event_types=allow,
                                                on_duplicate=dup)),
              (calendar, calendar_loader), (spend, ft.load_spend),
              (series, lambda p: _forecastable_series(p, tz, calendar, stores))]
    if not any(p for p, _ in checks):
        raise ValueError("give at least one of --events, --calendar, --spend, --series")
    # every file is checked: one broken file does not hide the others' problems (until
    # 2026-12-07 a calendar's error stopped the check before a series file with duplicates)
    failed = 0
    for path, loader in checks:
        if path is not None:
            try:
                frame = loader(path)
            except (ValueError, FileNotFoundError, KeyError) as exc:
                err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                                  soft_wrap=True)
                failed += 1
                continue
            print_notes(frame)
            console.print(f"[green]ok[/] {path}: {_rows_read(frame)}")
    if failed:
        raise typer.Exit(2)


@features_app.command("build")
@friendly_errors
def features_build(
    cutoff: Annotated[list[str], typer.Option(help="As-of date; repeat for a stacked "
                                                   "training set.")],
    out: Annotated[Path, typer.Option(help="Output .parquet or .csv.")],
    data: DataOpt = None,
    events: EventsOpt = None,
    calendar: CalendarOpt = None,
    horizon: Annotated[int | None, typer.Option(help="Add labels for this many days after "
                                                     "each cutoff.")] = None,
    tz: TzOpt = "UTC",
    allow_event_types: AllowOpt = "",
    on_duplicate: DupOpt = "drop",
) -> None:
    """Build point-in-time user features (and labels with --horizon) as of each cutoff."""
    import features as ft

    from ._cli_common import parse_date_option
    from ._cli_customers_inputs import _check_asof

    # parsed, not compared as text: max('2024-9-01', '2024-10-01') was September, and a
    # cutoff before the first event wrote an empty file without a word
    stamps = sorted({parse_date_option(c, "--cutoff") for c in cutoff})
    ev, cal = _load_inputs(data, events, calendar, tz, allow_event_types, on_duplicate)
    for stamp in stamps:
        _check_asof(ev, stamp, "featurised", option="--cutoff")
    t0 = time.perf_counter()
    if horizon is not None:
        with progress_bar("building features + labels") as update:
            frame = ft.build_training_set(ev, stamps, horizon, calendar=cal, progress=update)
    else:
        vocab = ft.Vocabulary.from_events(ev, stamps[-1])
        frames = []
        with progress_bar("building features") as update:
            for i, c in enumerate(stamps):
                frames.append(ft.user_features(ev, c, vocabulary=vocab, calendar=cal))
                update(i + 1, len(stamps))
        import pandas as pd

        frame = pd.concat(frames, ignore_index=True)
    write_frame(frame, out)
    console.print(f"[green]wrote[/] {len(frame):,} rows x {frame.shape[1]} columns to {out} "
                  f"({len(ev) / max(time.perf_counter() - t0, 1e-9):,.0f} events/s)")


@features_app.command("catalogue")
def features_catalogue() -> None:
    """Print every user feature with its meaning."""
    from features import CATALOGUE

    for name, meaning in CATALOGUE.items():
        console.print(f"[bold]{name}[/]: {meaning}", highlight=False)


@app.command("segments")
@friendly_errors
def segments(
    asof: Annotated[str, typer.Option(help="As-of date (events before it are used).")],
    data: DataOpt = None,
    events: EventsOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write per-user segments (.parquet/.csv).")
                   ] = None,
    tz: TzOpt = "UTC",
    allow_event_types: AllowOpt = "",
    on_duplicate: DupOpt = "drop",
) -> None:
    """RFM scores, lifecycle segment and scene tag per user; prints segment sizes."""
    import features as ft

    from ._cli_common import parse_date_option
    from ._cli_customers_inputs import _check_asof

    ev, cal = _load_inputs(data, events, None, tz, allow_event_types, on_duplicate)
    # as brain score: an as-of date long after the data calls everyone 'lost' (a check ran the
    # README's 2024-11-01 on events ending in 1998)
    _check_asof(ev, parse_date_option(asof, "--asof"), "segmented")
    seg = ft.rfm_segments(ft.user_features(ev, asof, calendar=cal))
    sizes = (seg.groupby(["segment", "scene"], observed=True).size().unstack(fill_value=0))
    sizes["total"] = sizes.sum(axis=1)
    console.print(frame_table(sizes.reset_index(), title=f"segments as of {asof}"))
    if out is not None:
        write_frame(seg, out)
        console.print(f"[green]wrote[/] {len(seg):,} rows to {out}")


@app.command("demo")
@friendly_errors
def demo(
    users: Annotated[int, typer.Option(help="Users in the demo world.")] = 20_000,
    days: Annotated[int, typer.Option(help="Days in the demo world.")] = 730,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Generate a world, build features and segments, train and register what exists, then
    print where to look."""
    import features as ft
    from training._mlflow import brain_home, configure_mlflow

    home = brain_home()
    moved = _demo_store(home)
    data_dir = home / "demo-data"
    data_generate(users=users, days=days, seed=seed, start="2024-01-01", out=data_dir)
    ev = ft.load_events(data_dir / "events.parquet")
    cal = ft.load_calendar(data_dir / "calendar.csv")
    asof = (ev["ts"].max().normalize() + ft_day()).date()
    step(f"building user features and segments as of {asof}")
    feats = ft.user_features(ev, asof, calendar=cal)
    write_frame(feats, home / "demo-out" / "user_features.parquet")
    seg = ft.rfm_segments(feats)
    write_frame(seg, home / "demo-out" / "segments.csv")
    from ._snapshot import write_snapshot

    snap = write_snapshot(ev, asof, calendar=cal, spend=ft.load_spend(data_dir / "spend.csv"),
                          source=str(data_dir))
    console.print(frame_table(seg["segment"].value_counts().rename_axis("segment")
                              .reset_index(), title="lifecycle segments"))
    where: dict[str, str] = {
        "data": str(data_dir), "features": str(home / "demo-out" / "user_features.parquet"),
        "segments": str(home / "demo-out" / "segments.csv"), "serving snapshot": str(snap)}
    for name in _DEMO_MODULES:
        mod = _MODULES.get(name)
        if mod is None or not hasattr(mod, "demo_step"):  # a missing area is a bug: say so
            raise RuntimeError(f"brain demo: {name}.demo_step is missing; the demo would skip "
                               "that area")
        step(f"running {name.rsplit('_', 1)[-1]} demo step")
        where.update(mod.demo_step(data_dir))
    uri = configure_mlflow()  # the demo's own store (_demo_store)
    where["MLflow UI"] = f"{command('mlflow')} ui --backend-store-uri {uri} --port 5000"
    # with a team's server exported in the shell, a bare 'brain serve' would serve its champions
    where["prediction API"] = (f"{serve_command(home, uri if moved else None)}  (then "
                               "http://127.0.0.1:3000: interactive docs there, OpenAPI at "
                               "http://127.0.0.1:3000/docs.json)")
    where["planner's page"] = "http://127.0.0.1:3000/ui/  (after brain serve)"
    (home / "demo-out" / "where.json").write_text(json.dumps(where, indent=2))
    console.rule("where to look")
    for k, v in where.items():
        console.print(f"[bold]{k}[/]: {v}", highlight=False)


def _demo_store(home: Path) -> bool:
    """The demo's runs and models go to its own store, ``<home>/mlflow.db`` (README), whatever
    ``MLFLOW_TRACKING_URI`` / ``BRAIN_REGISTRY_URI`` say: with a team's server exported in the
    shell, the demo's synthetic churn and propensity versions had beaten the team's champions
    (their customer ids overlap the demo's 1..N) and taken the aliases an API serves.
    Returns whether the shell's settings were set aside (the printed commands then name the
    demo's store)."""
    local = f"sqlite:///{home / 'mlflow.db'}"
    given = {k: os.environ[k] for k in ("MLFLOW_TRACKING_URI", "BRAIN_REGISTRY_URI")
             if os.environ.get(k) and os.environ[k] != local}
    if not given:
        return False
    show_note(f"brain demo keeps its synthetic world's runs and models in its own store {local}, "
              f"not in {', '.join(f'{k}={v}' for k, v in given.items())}: its versions would "
              "compete with the champions there")
    os.environ["MLFLOW_TRACKING_URI"] = local
    os.environ.pop("BRAIN_REGISTRY_URI", None)
    return True


def command(name: str) -> str:
    """``name`` when the shell finds this installation's copy of it, else its full path: after
    ``bash .ci/setup && .venv/bin/brain demo`` (README) neither ``brain`` nor ``mlflow`` is on
    the PATH, and the demo had told the user to run ``brain serve``."""
    mine = Path(sys.executable).parent / name
    found = shutil.which(name)
    if not mine.exists() or (found is not None and Path(found).resolve() == mine.resolve()):
        return name
    return shlex.quote(str(mine))


def serve_command(home: Path, store: str | None = None) -> str:
    """``brain serve`` on this store from any folder: without ``BRAIN_HOME`` it reads
    ``./brain-home`` of the folder it is started in. ``store``: the tracking URI to name
    (the demo's own store, when the shell exports a team's server: a bare ``brain serve``
    there would serve the team's champions beside the demo's snapshot)."""
    env = (f"MLFLOW_TRACKING_URI={shlex.quote(store)} BRAIN_REGISTRY_URI= "
           if store is not None else "")
    return f"{env}BRAIN_HOME={shlex.quote(str(home))} {command('brain')} serve"


@app.command("snapshot")
@friendly_errors
def snapshot(
    data: DataOpt = None,
    events: EventsOpt = None,
    calendar: CalendarOpt = None,
    spend: Annotated[Path | None, typer.Option(help="Channel spend file (for /channel_value).")
                     ] = None,
    asof: Annotated[str | None, typer.Option(help="As-of date: the snapshot's cutoff, which "
                                                  "the API answers as snapshot_cutoff "
                                                  "(default: the day after the last event).")
                    ] = None,
    tz: TzOpt = "UTC",
    allow_event_types: AllowOpt = "",
    on_duplicate: DupOpt = "drop",
) -> None:
    """Compute the feature snapshot the prediction API scores users from."""
    import features as ft

    from ._cli_common import parse_date_option
    from ._cli_customers_inputs import _check_asof
    from ._snapshot import write_snapshot

    ev, cal = _load_inputs(data, events, calendar, tz, allow_event_types, on_duplicate)
    sp_path = find_file(data, spend, "spend", required=False)
    sp = ft.load_spend(sp_path) if sp_path else None
    if asof is not None:
        # as brain score: an ISO date only ('01/03/2025' had been read month-first without a
        # word), an error before the first event (it had written, and served, a snapshot of 0
        # customers in place of the last one) and a warning long after the last event
        _check_asof(ev, parse_date_option(asof, "--asof"), "scored by the API")
    when = asof or str((ev["ts"].max().normalize() + ft_day()).date())
    out = write_snapshot(ev, when, calendar=cal, spend=sp, source=str(data or events), tz=tz)
    console.print(f"[green]snapshot[/] as of {when} -> {out} (POST /reload to serve it)")


app.command("promote")(_cli_registry.promote)
app.command("models")(_cli_registry.models)


# Seconds an idle HTTP connection stays open on the server (uvicorn's ``timeout_keep_alive``,
# passed by ``bentoml serve --timeout-keep-alive``; BentoML 1.4 has no service setting for it).
# uvicorn's default, 5 s, equals httpx's idle expiry (``keepalive_expiry`` 5 s): a client that
# reuses a connection idle for just under 5 s can send its request as the server closes it and
# get no response (a soak on a loaded machine met it; benchmarks/keepalive_race.py makes it
# happen). Longer than common clients' idle expiry (httpx 5 s, aiohttp 15 s), so they drop an
# idle connection before the server does.
KEEP_ALIVE_SECONDS = 75


def bentoml_serve_command(host: str, port: int,
                          keep_alive: int = KEEP_ALIVE_SECONDS) -> list[str]:
    """The ``bentoml serve`` command line ``brain serve`` runs (the soak benchmark too)."""
    # This interpreter's own bentoml first: another one on PATH may belong to another install.
    own = Path(sys.executable).with_name("bentoml")
    exe = str(own) if own.exists() else (shutil.which("bentoml") or str(own))
    return [exe, "serve", "serving.service:MarketingBrain", "--host", host, "--port", str(port),
            "--timeout-keep-alive", str(keep_alive)]


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 3000,
    reload_seconds: Annotated[float, typer.Option(help="Check the registry for moved champion "
                                                       "aliases this often (0 = only on POST "
                                                       "/reload).")] = 30.0,
    keep_alive: Annotated[int, typer.Option(
        min=1, help="Seconds an idle client connection is kept open; keep it longer than "
                    "clients' idle expiry (httpx 5 s, aiohttp 15 s), or a request sent as "
                    "the server closes the connection gets no response.")
    ] = KEEP_ALIVE_SECONDS,
) -> None:
    """Start the prediction API (BentoML) on the local MLflow store's champions."""
    import subprocess
    import sys

    from training._mlflow import (
        MlflowUnreachableError,
        RegistryServerError,
        brain_home,
        configure_mlflow,
    )

    env = dict(os.environ)
    env.setdefault("BRAIN_HOME", str(brain_home()))
    try:
        uri = configure_mlflow()
    except RegistryServerError as exc:  # no champion could ever be read: do not start
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(2) from None
    except MlflowUnreachableError as exc:  # the API starts and loads the models once it answers
        uri = os.environ["MLFLOW_TRACKING_URI"]
        when = (f"every {reload_seconds:g} s and on POST /reload" if reload_seconds > 0
                else "on POST /reload")
        err_console.print(f"[yellow]warning:[/] {escape(str(exc))}; the API starts without "
                          f"models and asks again {when}", highlight=False, soft_wrap=True)
    env.setdefault("MLFLOW_TRACKING_URI", uri)
    env["BRAIN_RELOAD_SECONDS"] = str(reload_seconds)
    cmd = bentoml_serve_command(host, port, keep_alive)
    exe = cmd[0]
    console.print(f"serving on http://{host}:{port}  (models from {env['MLFLOW_TRACKING_URI']})")
    sys.stdout.flush()
    if os.name == "posix":
        # become the server: a SIGTERM or Ctrl-C sent to 'brain serve' reaches it (run as a
        # child, it kept answering after its parent was stopped)
        os.execve(exe, cmd, env)
    raise typer.Exit(subprocess.call(cmd, env=env))


def ft_day():
    import pandas as pd

    return pd.Timedelta(days=1)


def _code_commit() -> str:
    """The commit the running code is at when its folder is a git checkout ('commit 4fa019b
    of 2026-12-05, /path/to/checkout'), else ''. The package version stays 0.1.0 from one
    change to the next, so the commit is what tells an upgraded installation from the one
    before (``brain --version`` had printed the version and today's date, the same line for
    both)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return ""
    try:
        got = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %cs"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    parts = got.stdout.split()
    if got.returncode != 0 or len(parts) != 2:
        return ""
    return f"commit {parts[0]} of {parts[1]}, {root}"


def _print_version(value: bool) -> None:
    """``brain --version``: eager, so it answers before click asks for a command."""
    if value:
        from importlib.metadata import version as v

        commit = _code_commit()
        console.print(f"marketing-brain {v('marketing-brain')}"
                      + (f" ({commit})" if commit else ""), highlight=False, soft_wrap=True)
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(  # read by _print_version
        "--version", help="Print the version.", is_eager=True, callback=_print_version)]
          = False) -> None:
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars per load
    install_note_handler()


if __name__ == "__main__":
    app()
