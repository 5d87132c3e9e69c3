"""The champion against what happened, printed by ``brain score``
(``training._customer_outcomes``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._cli_common import console, err_console, frame_table, show_note

__all__ = ["print_outcomes"]


def print_outcomes(model: Any, events: pd.DataFrame, asof: pd.Timestamp,
                   calendar: pd.DataFrame | None) -> None:
    """Score ``model`` on the windows that ended since its training and say how it did."""
    from training._customer_outcomes import outcome_check, outcome_note, outcome_words

    try:
        check = outcome_check(model, events, asof, calendar=calendar)
    except Exception as exc:  # said, not raised: the scores are still written
        show_note(f"the check against what happened could not run ({type(exc).__name__}: "
                  f"{exc}); the scores are written as usual (--no-outcomes skips the check)")
        return
    if check is None:
        return
    value = check.task == "value"
    fmt = "{:,.2f}" if value else "{:.4f}"
    what = ("revenue" if value else
            outcome_words(check.task, check.churn_rule).replace(" (1 - P(churn))",
                                                                ", i.e. 1 - P(churn),"))
    def pct(v: float | None) -> str:
        return "" if v is None else f"{100 * (v - 1):+.0f}%"

    rows = [{
        "window": f"{w.start:%Y-%m-%d} .. {w.end:%Y-%m-%d}",
        "customers": f"{w.customers:,}",
        "predicted": fmt.format(w.predicted),
        "happened": fmt.format(w.realized),
        "gap": pct(w.ratio),
        "last year": pct(w.ratio_last_year),
        "beyond season": "" if w.z is None else f"{pct(w.drift)} ({w.z:+.1f} se)",
        "AUC": "" if w.auc is None else f"{w.auc:.3f}",
    } for w in check.windows]
    ref_ly = ("" if check.reference_ratio_last_year is None
              else f"; a year before {100 * (check.reference_ratio_last_year - 1):+.0f}%")
    title = (f"{what} against what happened (gap: predicted over happened; reference window "
             f"{check.reference:%Y-%m-%d}: {100 * (check.reference_ratio - 1):+.0f}%{ref_ly})")
    if check.sample_of:
        title += (f"; customers: a seeded sample of {check.windows[0].customers:,} of the "
                  f"{check.sample_of:,} in the events")
    console.print(frame_table(pd.DataFrame(rows), title=title))
    dec = check.windows[0].deciles
    console.print("by decile of the score (newest window), predicted / happened: " + ", ".join(
        f"{int(r.decile)}: {fmt.format(r.predicted)} / {fmt.format(r.realized)}"
        for r in dec.itertuples()), highlight=False)
    note = outcome_note(check)
    if check.verdict:
        err_console.print(f"[yellow]warning:[/] {note}", highlight=False)
    else:
        show_note(note)
