"""The value model's season gap: last year's scored window against its reference window."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from training._customer_report import CutoffSplit
from training._customer_scoring import in_sample_note
from training._customer_season import horizon_season_note, season_factor
from training._customer_tiers import TIERS, assign_tiers


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


def _buyers(q4_share: float) -> pd.DataFrame:
    """1,000 customers buying every 7 days in their first 20 weeks of 2023, then each week a
    random 2% of them buy once (``q4_share`` from October to December)."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2023-01-01", "2024-09-30", freq="7D")
    rows = [(f"u{u}", d, "purchase", 10.0) for u in range(1000) for d in days[:20]]
    for d in days[20:]:
        share = q4_share if d.month >= 10 else 0.02
        rows.extend((f"u{u}", d, "purchase", 10.0)
                    for u in rng.choice(1000, int(share * 1000), replace=False))
    return pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "revenue"])


def test_the_season_gap_of_a_probability_is_the_purchase_hazard_ratio() -> None:
    from training._customer_season import adjust_probability

    s = season_factor(_model(task="propensity"), _buyers(q4_share=0.05), "2024-10-01")
    assert s is not None
    assert s.task == "propensity"
    now, then = s.per_customer
    assert now > then  # more of the base buys in last year's holiday quarter
    assert s.factor == pytest.approx(np.log1p(-now) / np.log1p(-then))
    # moving the reference window's share by the factor gives the scored window's share
    assert adjust_probability(np.array([then]), s.factor)[0] == pytest.approx(now)
    flat = season_factor(_model(task="churn"), _buyers(q4_share=0.02), "2024-10-01")
    assert flat is not None
    assert flat.factor == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize(("model", "asof"), [
    (_model(task="other"), "2024-10-01"),
    (_model(horizon=400), "2024-10-01"),
    (_model(), "2023-11-01"),  # a year back is before the data
])
def test_no_factor_when_it_cannot_be_known(model: SimpleNamespace, asof: str) -> None:
    assert season_factor(model, _events(), asof) is None


def test_season_adjust_is_for_scores_from_events() -> None:
    from serving.cli import app

    res = CliRunner().invoke(app, ["score", "churn", "--table", "t.csv", "--season-adjust",
                                   "--out", "x.parquet"])
    assert res.exit_code == 2
    assert "--season-adjust applies to scores from events (--data/--events) only" in " ".join(
        res.output.split())


def test_the_probability_season_note_moves_p_and_the_tiers() -> None:
    from serving import _cli_common
    from serving._cli_customers_print import _season_note

    window = (pd.Timestamp("2023-09-03"), pd.Timestamp("2023-12-02"))
    season = SimpleNamespace(factor=1.61, scored=window, reference=window,
                             per_customer=(0.403, 0.274), task="churn")
    scores = pd.DataFrame({"score": [0.9, 0.5, 0.2], "tier": ["high", "medium", "low"]})
    _cli_common._shown_notes.clear()
    with _cli_common.err_console.capture() as cap:
        assert _season_note(season, adjust=False, scores=scores) is None
    text = " ".join(cap.get().split())
    assert "40.3% of customers bought in 2023-09-03 .. 2023-12-02 against 27.4%" in text
    # said of the churn scores themselves: more buying in the season means less churn
    assert ("P(churn) for this window is likely too high (mean 0.533; "
            f"{np.mean([0.9**1.61, 0.5**1.61, 0.2**1.61]):.3f} with the season)") in text
    _cli_common._shown_notes.clear()
    with _cli_common.err_console.capture() as cap:
        moved = _season_note(season, adjust=True, scores=scores)
    assert "--season-adjust: P(churn) moved to P^1.610, mean 0.533 -> " in " ".join(
        cap.get().split())
    # churn: P(churn)^factor; the caller re-tiers (retier), the frame is left as it was
    assert moved is not None
    assert moved.tolist() == pytest.approx([0.9**1.61, 0.5**1.61, 0.2**1.61])
    assert scores["score"].tolist() == [0.9, 0.5, 0.2]
    assert list(assign_tiers(moved, TIERS["churn"])) == ["high", "low", "low"]


@pytest.mark.parametrize(("factor", "said"), [(1.70, "41% low"), (0.80, "25% high"),
                                              (0.0, "held no revenue")])
def test_the_season_note_says_how_far_off_the_scores_are(factor: float, said: str) -> None:
    from serving import _cli_common
    from serving._cli_customers_print import _season_note

    window = (pd.Timestamp("2023-10-01"), pd.Timestamp("2023-12-29"))
    season = SimpleNamespace(factor=factor, scored=window, reference=window)
    _cli_common._shown_notes.clear()
    with _cli_common.err_console.capture() as cap:
        _season_note(season, adjust=False, scores=pd.DataFrame({"score": [1.0]}))
    # scores are 1/factor of the seasonal level: 1.70x -> 1 - 1/1.7 = 41% low
    text = " ".join(cap.get().split())
    assert (f"its total for this window is likely {said}" in text if factor else said in text)


def test_no_buyers_last_year_leaves_probabilities_as_they_are() -> None:
    from serving import _cli_common
    from serving._cli_customers_print import _season_note

    window = (pd.Timestamp("2023-09-03"), pd.Timestamp("2023-12-02"))
    season = SimpleNamespace(factor=0.0, scored=window, reference=window,
                             per_customer=(0.0, 0.274), task="propensity")
    scores = pd.DataFrame({"score": [0.9, 0.2], "tier": ["hot", "warm"]})
    _cli_common._shown_notes.clear()
    with _cli_common.err_console.capture() as cap:
        assert _season_note(season, adjust=True, scores=scores) is None
    assert "nobody in that base bought" in " ".join(cap.get().split())
    assert scores["score"].tolist() == [0.9, 0.2]


def test_scoring_inside_the_training_windows_is_called_in_sample() -> None:
    # windows: cutoffs 2024-04-04 .. 2024-07-03 (refit: the validation cutoff too), 90 days
    note = in_sample_note(_model(), "2024-09-01")
    assert note is not None
    # the last label day, inclusive, as data_cutoff (it had read the exclusive end 2024-10-01)
    assert "cutoffs 2024-04-04 .. 2024-07-03, 90-day labels, to 2024-09-30 inclusive" in note
    assert "seen up to 30 days of what happened after this date" in note
    assert "up to 1 day of" in (in_sample_note(_model(), "2024-09-30") or "")  # how small
    assert in_sample_note(_model(), "2024-10-01") is None
    # without the refit, the validation cutoff's labels were only used to judge the model
    assert in_sample_note(_model(refit=False), "2024-09-05") is None


def test_a_longer_horizon_is_held_against_last_years_buying() -> None:
    """Customers buying only in October-December: from 2024-07-01, half a year of chained
    30-day steps said 0.10 where every customer bought last year."""
    rows = [(f"u{u}", d, "purchase", 10.0) for u in range(50)
            for d in pd.date_range("2022-10-01", "2024-06-30", freq="7D") if d.month >= 10]
    ev = pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "revenue"])
    users = pd.Series([f"u{u}" for u in range(50)])
    note = horizon_season_note(ev, "2024-07-01", 180, users, np.full(50, 0.10))
    assert note is not None
    assert "mean P(purchase) of 0.100, while 100.0% of such customers bought in the 180 days " \
        "from 2023-07-03" in " ".join(note.split())
    assert horizon_season_note(ev, "2024-07-01", 180, users, np.full(50, 0.97)) is None


def test_a_season_that_cannot_be_read_for_lack_of_history_is_said() -> None:
    """A model set on the window from 2024-07-03 scoring from 2024-10-01: with purchases from
    2023-01-01 the factor is read; with purchases only from 2023-06-01 (last year's copy of
    the reference window, from 2023-07-05, has 34 days before it) it cannot be, and a note
    says so instead of nothing. Scoring at the reference window itself needs no note."""
    from training._customer_season import season_unknown_note

    full = _events(q4=2.0)
    assert season_unknown_note(_model(), full, "2024-10-01") is None  # the factor is read
    young = full[full["ts"] >= "2023-06-01"]
    assert season_factor(_model(), young, "2024-10-01") is None
    note = season_unknown_note(_model(), young, "2024-10-01")
    assert note is not None
    assert "season of this window could not be checked" in note
    assert "from 2024-07-03" in note
    assert "2024-10-01 .. 2024-12-29" in note
    assert "purchases start 2023-06-01" in note
    assert season_unknown_note(_model(), young, "2024-07-10") is None  # the same season
    assert season_unknown_note(_model(task="other"), young, "2024-10-01") is None


def test_a_short_look_back_is_not_read_as_season_and_the_note_says_how_short() -> None:
    """A 30-day propensity model set on 2024-07-03, scored from 2024-10-01, with purchases from
    2023-06-01: last year's copy of the reference window has 34 days of purchases before it.
    The data's first customers are not the season (a generated young shop read 4.19 where the
    season was 1.49; a grocery export 1.24 where 0.955 happened), so no factor is read below
    90 days whatever the window, and the note says how many days there were."""
    from training._customer_season import season_unknown_note

    young = _events(q4=2.0)
    young = young[young["ts"] >= "2023-06-01"]
    assert season_factor(_model(horizon=30), young, "2024-10-01") is None  # value: 34 days
    model = _model(horizon=30, task="propensity")
    note = season_unknown_note(model, young, "2024-10-01")
    assert note is not None
    assert "purchases start 2023-06-01 (34 days before;" in note
    assert "the data's first customers" in note
