"""The value model's season gap: last year's scored window against its reference window."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

from training._customer_report import CutoffSplit
from training._customer_scoring import season_factor


def _model(refit: bool = True, horizon: int = 90, task: str = "value") -> SimpleNamespace:
    split = CutoffSplit("cutoffs", ("2024-04-04",), ("2024-06-03",), ("2024-07-03",), 1, 1, 1)
    return SimpleNamespace(task=task, horizon_days=horizon,
                           report_=SimpleNamespace(split=split, refit=refit))


def _events(q4: float = 2.0, joiners: bool = False) -> pd.DataFrame:
    """300 customers buying $10 every 7 days from 2023-01-01, $10 x ``q4`` from October to
    December; with ``joiners``, 300 more join on 2023-09-01 and buy $10 a week too."""
    days = pd.date_range("2023-01-01", "2024-09-30", freq="7D")
    rows = []
    for u in range(600 if joiners else 300):
        start = pd.Timestamp("2023-09-01") if u >= 300 else days[0]
        rows.extend((f"u{u}", d, "purchase", 10.0 * (q4 if d.month >= 10 else 1.0))
                    for d in days[days >= start] + pd.Timedelta(days=u % 7))
    return pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "revenue"])


def test_the_season_gap_is_last_years_revenue_per_customer_ratio() -> None:
    s = season_factor(_model(), _events(q4=2.0), "2024-10-01")
    assert s is not None
    # a year back: 2023-10-03 .. 2024-01-01 (all Q4, x2) against 2023-07-05 .. 2023-10-03
    # (13 weeks, the last of them in October): 2 x 13 / (12 + 2) weeks of $10
    assert s.scored == (pd.Timestamp("2023-10-03"), pd.Timestamp("2024-01-01"))
    assert s.reference == (pd.Timestamp("2023-07-05"), pd.Timestamp("2023-10-03"))
    assert s.factor == pytest.approx(s.per_customer[0] / s.per_customer[1])
    assert 1.7 < s.factor < 2.0
    flat = season_factor(_model(), _events(q4=1.0), "2024-10-01")
    assert flat is not None
    assert flat.factor == pytest.approx(1.0, abs=0.02)


def test_a_growing_base_does_not_read_as_season() -> None:
    grown = season_factor(_model(), _events(q4=1.0, joiners=True), "2024-10-01")
    assert grown is not None
    assert grown.factor == pytest.approx(1.0, abs=0.05)  # the raw total doubled


@pytest.mark.parametrize(("model", "asof"), [
    (_model(task="churn"), "2024-10-01"),
    (_model(horizon=400), "2024-10-01"),
    (_model(), "2023-11-01"),  # a year back is before the data
])
def test_no_factor_when_it_cannot_be_known(model: SimpleNamespace, asof: str) -> None:
    assert season_factor(model, _events(), asof) is None


def test_season_adjust_is_for_value_scores_from_events() -> None:
    from serving.cli import app

    res = CliRunner().invoke(app, ["score", "churn", "--asof", "2024-10-01", "--data", ".",
                                   "--season-adjust", "--out", "x.parquet"])
    assert res.exit_code == 2
    assert "--season-adjust applies to 'brain score value' from events" in " ".join(
        res.output.split())


@pytest.mark.parametrize(("factor", "said"), [(1.70, "41% low"), (0.80, "25% high"),
                                              (0.0, "held no revenue")])
def test_the_season_note_says_how_far_off_the_scores_are(factor: float, said: str) -> None:
    from serving import _cli_common
    from serving._cli_customers import _season_note

    window = (pd.Timestamp("2023-10-01"), pd.Timestamp("2023-12-29"))
    season = SimpleNamespace(factor=factor, scored=window, reference=window)
    _cli_common._shown_notes.clear()
    with _cli_common.err_console.capture() as cap:
        _season_note(season, adjust=False, scores=pd.DataFrame({"score": [1.0]}))
    # scores are 1/factor of the seasonal level: 1.70x -> 1 - 1/1.7 = 41% low
    text = " ".join(cap.get().split())
    assert (f"its total for this window is likely {said}" in text if factor else said in text)
