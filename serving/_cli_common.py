"""Helpers shared by the ``brain`` sub-commands: input resolution, errors, progress, tables."""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, cast

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

console = Console(stderr=False)
err_console = Console(stderr=True)
for _c in (console, err_console):
    if not _c.is_terminal and "COLUMNS" not in os.environ:
        _c.width = 160  # piped or logged output: tables are not cut at 80 columns
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Turn contract and value errors into one red line and exit code 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            # the message quotes the user's data: '[nan, ...]' or '[yes]' in it is no markup
            # (rich had swallowed a list of repeated ids that began with nan)
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(2) from None
        except Exception as exc:
            message = _server_error(exc)
            if message is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _server_error(exc: BaseException) -> str | None:
    """``training._mlflow.server_error`` (an unreachable MLflow server, one sentence), imported
    only on this error path (MLflow is slow to import)."""
    from training._mlflow import server_error

    return server_error(exc)


def find_file(data: Path | None, given: Path | None, stem: str, required: bool = True
              ) -> Path | None:
    """``given`` if set, else ``data/<stem>.parquet`` or ``data/<stem>.csv``."""
    if given is not None:
        return given
    if data is not None:
        for ext in (".parquet", ".csv", ".csv.gz"):
            p = data / f"{stem}{ext}"
            if p.exists():
                return p
        if required:
            raise FileNotFoundError(f"{data}: no {stem}.parquet or {stem}.csv in this folder; "
                                    f"pass --{stem} FILE")
        return None
    if required:
        raise ValueError(f"give --data DIR (with {stem}.parquet or .csv) or --{stem} FILE")
    return None


_shown_notes: set[str] = set()


def show_note(note: str) -> None:
    if note not in _shown_notes:
        _shown_notes.add(note)
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


class _NoteHandler(logging.Handler):
    """Loader notes (``features.io`` warnings) as yellow ``note:`` lines, each printed once."""

    def emit(self, record: logging.LogRecord) -> None:
        show_note(record.getMessage())


NOTE_LOGGERS = ("features.io", "features.users")
"""Loggers whose warnings are notes for the user: the loaders' and the feature vocabulary's."""


def install_note_handler() -> None:
    """Route the loaders' and the feature builders' notes to the console once (they were printed
    twice: by the logging fallback and by ``print_notes``)."""
    _shown_notes.clear()  # once per command
    for name in NOTE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, _NoteHandler) for h in logger.handlers):
            logger.addHandler(_NoteHandler())
        logger.propagate = False


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?")
ON_DUPLICATE = ("drop", "keep", "error")
DupOpt = Annotated[str, typer.Option(
    "--on-duplicate", help=f"Exact duplicate event rows: {' | '.join(ON_DUPLICATE)} (keep them "
                           "when identical rows are genuine, e.g. two identical lines of one "
                           "invoice).")]
"""Choices of ``--on-duplicate`` (``features.load_events(on_duplicate=...)``)."""


def parse_date_option(value: str, option: str) -> pd.Timestamp:
    """An ISO date given on the command line (``YYYY-MM-DD``, optionally with a time such as
    ``YYYY-MM-DD HH:MM[:SS]``); anything else, ``10/09/2011`` included (day or month first?), is
    an error naming the option and the expected form."""
    text = value.strip()
    fix = (f"; expected an ISO date YYYY-MM-DD, optionally with a time (e.g. {option} "
           "2024-03-01 or 2024-03-01 08:30)")
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{option}: {value!r} is not an ISO date{fix}")
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"{option}: {value!r} is not a valid date{fix}") from None


def check_on_duplicate(value: str) -> Literal["drop", "keep", "error"]:
    """``--on-duplicate`` value, checked against ``ON_DUPLICATE``."""
    choice = value.strip().lower()
    if choice not in ON_DUPLICATE:
        raise ValueError(f"--on-duplicate: {value!r} is not one of {', '.join(ON_DUPLICATE)}; "
                         "use 'keep' when identical rows are genuine (e.g. two identical lines "
                         "of one invoice)")
    return cast(Literal["drop", "keep", "error"], choice)


def print_notes(frame: pd.DataFrame) -> None:
    for note in frame.attrs.get("load_notes", []):
        show_note(note)


class _DoneOfTotal(ProgressColumn):
    """``done/total`` once the total is known; nothing before (it had read ``0/None`` when a
    step failed before its first update, e.g. a label window past the end of the data)."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed)}/{int(task.total)}")


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar; yields ``update(done, total)``."""
    with Progress(TextColumn("{task.description}"), BarColumn(), _DoneOfTotal(),
                  TimeElapsedColumn(), console=err_console) as prog:
        task = prog.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        yield update


def step(text: str) -> None:
    err_console.print(f"[bold cyan]>[/] {text}", highlight=False)


def _cell(v: object) -> str:
    """A table cell: 4 significant digits, whole numbers from 10,000 on (never 2.162e+06)."""
    if not isinstance(v, float):
        return str(v)
    return f"{v:,.0f}" if np.isfinite(v) and abs(v) >= 9999.5 else f"{v:,.4g}"


def frame_table(df: pd.DataFrame, title: str | None = None, max_rows: int = 30) -> Table:
    # at least as wide as the title, so a short table does not break it mid-word
    table = Table(title=title, min_width=len(title) + 4 if title else None)
    for c in df.columns:
        table.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else
                         "left")
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    return table


def note_replaced(path: Path) -> None:
    """Say that ``path`` is about to be overwritten (never silently: the user may have wanted
    to keep it)."""
    if path.exists():
        show_note(f"{path} existed and is replaced")


def check_out_suffix(out: Path) -> None:
    """The error for an output file ``write_frame`` cannot write, before any work (``brain
    score --out scores.xlsx`` had scored every customer first)."""
    if out.suffix.lower() not in (".parquet", ".pq", ".csv"):
        raise ValueError(f"{out}: unsupported output extension '{out.suffix}'; "
                         "use .parquet or .csv")


def write_frame(df: pd.DataFrame, out: Path) -> None:
    check_out_suffix(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    note_replaced(out)
    if out.suffix.lower() in (".parquet", ".pq"):
        df.to_parquet(out, index=False)
    else:
        df.to_csv(out, index=False)


def registered_ref(uri: str) -> tuple[str, str, str] | None:
    """(name, version, alias or '') of a registry URI; None for another URI or an unknown one."""
    from mlflow import MlflowClient

    if not uri.startswith("models:/"):
        return None
    ref = uri.removeprefix("models:/")
    try:
        if "@" in ref:
            name, alias = ref.split("@", 1)
            return name, str(MlflowClient().get_model_version_by_alias(name, alias).version), alias
        name, version = ref.split("/", 1)
        return name, version, ""
    except Exception:  # a label only; the model itself loaded
        return None


def model_label(uri: str) -> str:
    """'churn v3 (@champion)' for a registry URI, else the URI itself."""
    reg = registered_ref(uri)
    if reg is None:
        return uri
    name, version, alias = reg
    return f"{name} v{version}" + (f" (@{alias})" if alias else "")

