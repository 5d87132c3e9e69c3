"""Inputs of ``brain ab analyze`` and ``brain uplift``: reading the data file (separators,
decimal commas, money written as text) and parsing the option strings (``--cuped``,
``--guardrail``, ``--cap``, ``--lower-is-better``, ``--expected-split``) into the engine's
``Metric`` definitions and shares. ``build_metrics`` and ``guardrail_margin`` are shared with
the API (``serving._core``); ``CLI_NAMES`` spells the engine's ``Param`` names as options, and
``_fail`` prints an error with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import typer

from experiments import ExperimentInputError, Metric, Param, parse_metrics

from ._cli_ab_print import console

__all__ = ["CLI_NAMES", "build_metrics", "cap_spec", "guardrail_margin"]


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ExperimentInputError(f"data file {str(path)!r} does not exist. Fix: check the path.")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    from features._read import _encoding_problem, _other_separator

    try:
        # a German or Excel export separated by ';' (or tabs) read as one column named
        # 'user_id;variant;...', and a Windows-1252 file stopped at the codec's 'position 11'
        header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
        sep = _other_separator(header, ",")
        frame = pd.read_csv(path, sep=sep or ",")
    except UnicodeDecodeError:
        raise ExperimentInputError(_encoding_problem(path).render(path.name)) from None
    if sep:
        frame.attrs["separator"] = sep
        shown = {";": "';'", "\t": "tabs"}[sep]
        console.print(f"note: {path.name}: the file is separated by {shown}, not commas: read "
                      f"with {shown} ({len(frame.columns)} columns)", style="yellow",
                      markup=False)
    if sep == ";":
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
        frame = _decimal_commas(frame, path.name, raw)
    return frame


def _decimal_commas(frame: pd.DataFrame, source: str,
                    raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """A ';'-separated file's text columns whose every cell is a number with ',' as the
    decimal mark ('12,5', '1.234,50') as numbers, with a note: an uplift feature 'pre_revenue'
    had become a category of 900 levels without a word.

    Once such a column shows the file's convention, a column pandas read as decimals from
    ``raw`` (the file as text) cells with '.' between thousands ('1.250', whole euros in
    Excel's '#.##0') is read the same way: it had been 1.25 beside the note "'1.234,5' is
    1234.5"."""
    from features._parse import _COMMA_DECIMAL_ANY, _numbers

    read = []
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        text = frame[col].astype("string").str.strip()
        present = text.notna() & (text != "")
        if not present.any() or not text[present].str.contains(",").any():
            continue
        num, _ = _numbers(text[present], decimal_comma=True)
        if num.notna().all():
            frame[col] = pd.to_numeric(num.reindex(frame.index), errors="coerce")
            read.append(str(col))
    if read and raw is not None:
        for col in frame.columns:
            if col in read or not pd.api.types.is_float_dtype(frame[col].dtype):
                continue
            text = raw[col].astype("string").str.strip()
            present = text.notna() & (text != "")
            cells = text[present]
            if not cells.str.contains(".", regex=False).any() or not cells.str.match(
                    _COMMA_DECIMAL_ANY).all():
                continue  # no thousands dots, or a '1.25' that is not one
            frame[col] = pd.to_numeric(cells.str.replace(".", "", regex=False).reindex(
                frame.index), errors="coerce")
            read.append(str(col))
    if read:
        console.print(f"note: {source}: {', '.join(map(repr, read))} read with ',' as the decimal "
                      "mark, as ';'-separated files write numbers ('1.234,5' is 1234.5)",
                      style="yellow", markup=False)
    return frame


def _read_money(frame: pd.DataFrame, metrics: Sequence[Metric], source: str
                ) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with text amounts such as ``$1.85`` or ``1,234.50`` in metric columns read as
    numbers (as the event loaders read revenue: ``features._parse._money_column``), and the notes
    saying so. Cells it cannot read unambiguously stay as written, for the engine to name."""
    from features._contracts import LoadReport
    from features._parse import _money_column

    report = LoadReport(source)
    cols = dict.fromkeys(c for m in metrics for c in (m.column, m.denominator, m.covariate) if c)
    for col in cols:
        frame = _money_column(frame, col, report)
    return frame, report.notes


def _pairs(text: str | None, what: Param) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ExperimentInputError(
                what, f": expected 'name=value' pairs separated by commas; received {item!r}."
            )
        out[key.strip()] = value.strip()
    return out


def _shares(text: str | None) -> dict[str, float]:
    """Designed traffic shares from ``--expected-split`` ('arm=share' pairs, comma-separated)."""
    fmt = ("expected 'arm=share' pairs separated by commas, e.g. "
           "'control=0.5,treatment=0.5' (arm labels exactly as in the data)")
    out: dict[str, float] = {}
    split = Param("expected_shares")
    for key, value in _pairs(text, split).items():
        try:
            share = float(value)
        except ValueError as exc:
            raise ExperimentInputError(
                split, f": the share of arm {key!r} must be a number; received {value!r}. "
                f"Fix: {fmt}."
            ) from exc
        if not share > 0:
            raise ExperimentInputError(
                split, f": the share of arm {key!r} must be > 0; received {value!r}. Fix: {fmt}."
            )
        out[key] = share
    return out


CLI_NAMES = {
    "variant_col": "--variant-col", "control": "--control", "metrics": "--metrics",
    "cuped": "--cuped", "guardrails": "--guardrail", "lower_is_better": "--lower-is-better",
    "caps": "--cap",
    "segment_col": "--segment-col", "unit_col": "--unit-col", "expected_shares": "--expected-split",
    "time_col": "--time-col", "exposure_col": "--exposure-col",
    "baseline": "--baseline", "mde": "--mde", "relative=False": "--absolute",
    "n_control": "--n-control", "sd": "--sd", "variance_reduction": "--cuped-r2",
    "treatment_col": "--treatment-col", "outcome": "--outcome", "features": "--features",
    "k": "--k", "id_col": "--id-col", "alpha": "--alpha", "ratio": "--ratio"}
"""The command line's name for each input an ``ExperimentInputError`` names (``Param``, keyed by
the engine's spelling): its messages are printed with these (``ExperimentInputError.phrase``)."""
_MARGIN_FORMAT = ("a number like 0.02 (relative: must not get worse by more than 2% of "
                  "control's mean) or abs:0.5 (in metric units: by more than 0.5)")


def guardrail_margin(spec: str | float, metric: str) -> tuple[float, bool]:
    """``(margin, relative)`` of ``metric``'s guardrail: ``0.02`` (or ``"0.02"``) is relative to
    control's mean, ``"abs:0.5"`` is in metric units. Error messages name the input as
    ``Param("guardrails")`` and the metric (``--guardrail 'visits'`` on the command line,
    ``guardrails 'visits'`` in the API).

    Raises ``ExperimentInputError`` for anything else, or a margin that is negative or not
    finite."""
    where = (Param("guardrails"), f" {metric!r}")
    text = spec.strip() if isinstance(spec, str) else spec
    relative = not (isinstance(text, str) and text.startswith("abs:"))
    try:
        margin = float(text.removeprefix("abs:") if isinstance(text, str) else text)
    except ValueError as exc:
        raise ExperimentInputError(
            *where, f": margin must be {_MARGIN_FORMAT}; received {spec!r}. Fix: write the "
            "margin in one of these two forms."
        ) from exc
    if not (math.isfinite(margin) and margin >= 0):
        raise ExperimentInputError(
            *where, f": margin must be a finite number >= 0; received {spec!r}. Fix: give the "
            f"largest deterioration you accept, {_MARGIN_FORMAT}."
        )
    return margin, relative


_CAP_FORMAT = ("'p99' (the 99th percentile of all units' values; 'p99.9' and the like too) "
               "or a number (a fixed cap in metric units, e.g. 500)")


def cap_spec(spec: str | float, metric: str) -> tuple[float | None, float | None]:
    """``(quantile, cap)`` of ``metric``'s cap: ``"p99"`` is the 99th percentile of all units'
    values (quantile 0.99), a number (or its text) a fixed cap in metric units. Raises
    ``ExperimentInputError`` (naming ``Param("caps")`` and the metric) for anything else."""
    where = (Param("caps"), f" {metric!r}")
    text = spec.strip().lower() if isinstance(spec, str) else spec
    try:
        if isinstance(text, str) and text.startswith("p"):
            pct = float(text[1:])
            if not 0 < pct < 100:
                raise ValueError(text)
            return pct / 100, None
        value = float(text)
    except ValueError as exc:
        raise ExperimentInputError(
            *where, f": a cap must be {_CAP_FORMAT}; received {spec!r}. Fix: write it in one of "
            "these two forms."
        ) from exc
    if not math.isfinite(value):
        raise ExperimentInputError(*where, f": a cap must be finite; received {spec!r}.")
    return None, value


def build_metrics(metrics: str | Sequence[str],
                  cuped: str | Mapping[str, str] | None = None,
                  guardrails: str | Mapping[str, str | float] | None = None,
                  lower_is_better: str | Sequence[str] | None = None,
                  caps: str | Mapping[str, str | float] | None = None) -> list[Metric]:
    """Metric definitions from the CLI's option strings (see ``brain ab analyze --help``) or
    the API's fields (lists and mappings). Error messages name the inputs by ``Param``, for
    each front end to phrase (``CLI_NAMES`` here, the field names in the API).
    """
    base = parse_metrics(metrics)
    cov = _pairs(cuped, Param("cuped")) if isinstance(cuped, str | None) else dict(cuped)
    guards = (_pairs(guardrails, Param("guardrails")) if isinstance(guardrails, str | None)
              else dict(guardrails))
    lower = {m.strip() for m in ((lower_is_better or "").split(",")
                                 if isinstance(lower_is_better, str | None) else lower_is_better)
             if m.strip()}
    capped = _pairs(caps, Param("caps")) if isinstance(caps, str | None) else dict(caps)
    known = {m.name for m in base}
    base += parse_metrics([g for g in guards if g not in known]) if set(guards) - known else []
    names = {m.name for m in base}
    unknown = (set(cov) | lower | set(capped)) - names
    if unknown:
        # name only the inputs holding an unknown metric, so the API's 'field' is the right one
        given = [p for p, keys in ((Param("cuped"), set(cov)),
                                   (Param("lower_is_better"), lower), (Param("caps"), set(capped)))
                 if keys - names]
        where = [part for i, p in enumerate(given) for part in ((p,) if i == 0 else ("/", p))]
        raise ExperimentInputError(
            *where, f" name{'s' if len(given) == 1 else ''} metrics {sorted(unknown)} that are "
            "not in ", Param("metrics"), f" {sorted(names)}."
        )
    out = []
    for m in base:
        margin, relative = None, True
        if m.name in guards:
            margin, relative = guardrail_margin(guards[m.name], m.name)
        quantile, cap = cap_spec(capped[m.name], m.name) if m.name in capped else (None, None)
        out.append(Metric(m.name, m.column, m.kind, m.denominator, cov.get(m.name),
                          m.name not in lower, margin, relative, quantile, cap))
    return out


def _fail(exc: Exception) -> typer.Exit:
    """Print ``exc`` (inputs named by their options) and exit with code 2."""
    msg = exc.phrase(CLI_NAMES) if isinstance(exc, ExperimentInputError) else str(exc)
    console.print(f"error: {msg}", style="bold red", markup=False)
    return typer.Exit(code=2)
