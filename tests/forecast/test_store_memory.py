"""A forecaster trained with ``--stores`` keeps the stores file (``store_locales_``): predict
without it, the MLflow pyfunc and ``POST /forecast_traffic`` give a planned city's holiday to
the stores of that city; a model without one keeps its old rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving import _cli_common
from serving.cli import app

FAMILIES = ("GROCERY I", "BREAD/BAKERY")
QUITO = [f"store_nbr_{s:02d} / {f}" for s in (1, 12) for f in FAMILIES]


def _series(days: int = 150) -> pd.DataFrame:
    """Series per store and family of stores 1 and 12 in Quito and 2 in Guayaquil; Quito's
    holiday lifts its stores x3 (as ``tests/features/test_store_locales.py``)."""
    dates = pd.date_range("2017-01-01", periods=days, freq="D")
    rows = []
    for s in (1, 2, 12):
        for i, f in enumerate(FAMILIES):
            for d in dates:
                y = (10.0 * s + i) * (1.2 if d.day_of_week == 5 else 1.0)
                if s != 2 and d in pd.to_datetime(["2017-02-10", "2017-04-11"]):
                    y *= 3
                rows.append((f"store_nbr_{s:02d} / {f}", d.strftime("%Y-%m-%d"), y))
    return pd.DataFrame(rows, columns=["series_id", "ds", "y"])


def _stores() -> pd.DataFrame:
    return pd.DataFrame({"store_nbr": [1, 2, 12], "city": ["Quito", "Guayaquil", "Quito"],
                         "state": ["Pichincha", "Guayas", "Pichincha"], "type": list("ABC"),
                         "cluster": [12, 2, 1]})


def _holidays(days: tuple[str, ...] = ("2017-02-10", "2017-04-11")) -> pd.DataFrame:
    rows = [("Dia del Trabajo", "2017-05-01", "Holiday", "National", "Ecuador")]
    rows += [(f"Fundacion de Quito {d[:4]}", d, "Holiday", "Local", "Quito") for d in days]
    frame = pd.DataFrame(rows, columns=["name", "start", "kind", "locale", "locale_name"])
    return frame.assign(end=frame["start"])


PLANNED = "2017-06-03"
"""A Quito holiday in the forecast days (the history ends 2017-05-30)."""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A BRAIN_HOME whose champion was trained with --stores (v1), and the files."""
    root = tmp_path_factory.mktemp("stores")
    with pytest.MonkeyPatch.context() as mp:
        _point(mp, root)
        _series().to_csv(root / "series.csv", index=False)
        _holidays().to_csv(root / "h.csv", index=False)
        _holidays((PLANNED,)).to_csv(root / "plan.csv", index=False)
        _stores().to_csv(root / "stores.csv", index=False)
        _cli_common._shown_notes.clear()
        res = CliRunner().invoke(app, [
            "forecast", "train", "--series", str(root / "series.csv"), "--calendar",
            str(root / "h.csv"), "--stores", str(root / "stores.csv"), "--horizon", "7",
            "--folds", "1"])
        assert res.exit_code == 0, res.output
        assert "stores.csv: 3 stores of 6 series, by city and state: kept with the model" in \
            " ".join(res.output.split()), res.output
        yield root


def _point(mp: pytest.MonkeyPatch, root: Path) -> None:
    mp.setenv("BRAIN_HOME", str(root / "brain-home"))
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    mp.setenv("MPLBACKEND", "Agg")


@pytest.fixture
def here(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _point(monkeypatch, home)
    return home


def _predict(root: Path, out: str, *more: str) -> tuple[int, str, pd.DataFrame | None]:
    _cli_common._shown_notes.clear()
    res = CliRunner().invoke(app, ["forecast", "predict", "--horizon", "7", "--calendar",
                                   str(root / "plan.csv"), "--out", str(root / out), *more])
    text = " ".join(res.output.split())
    path = root / out / "forecast.csv"
    return res.exit_code, text, pd.read_csv(path) if res.exit_code == 0 else None


def _on(fc: pd.DataFrame, ids: list[str], day: str = PLANNED) -> pd.Series:
    return fc[fc["series_id"].isin(ids) & (fc["ds"].str[:10] == day)].set_index(
        "series_id")["p50"].sort_index()


def test_predict_without_stores_uses_the_stores_the_model_was_trained_with(here: Path
                                                                          ) -> None:
    """It had been an error ('give --stores FILE as to train'): the model remembered its
    calendar, not the stores file."""
    code, text, kept = _predict(here, "kept")
    assert code == 0, text
    assert ("plan.csv: city and state holidays given to the stores the model was trained "
            "with (stores.csv: 3 stores of 6 series, by city and state") in text, text
    assert "'Fundacion de Quito 2017' (Quito) on 2 stores" in text
    code, text, given = _predict(here, "given", "--stores", str(here / "stores.csv"))
    assert code == 0, text
    assert "differs from the stores file" not in text
    assert kept is not None
    assert given is not None
    pd.testing.assert_frame_equal(kept, given)
    # the holiday lifts the Quito stores' series, not Guayaquil's
    other = [i for i in kept["series_id"].unique() if i not in QUITO]
    assert (_on(kept, QUITO).to_numpy() > 2 * _on(kept, QUITO, "2017-06-02").to_numpy()).all()
    assert (_on(kept, other).to_numpy() < 1.5 * _on(kept, other, "2017-06-02").to_numpy()).all()


def test_a_stores_file_at_predict_that_moves_a_store_is_noted_and_followed(here: Path) -> None:
    moved = _stores().assign(city=["Quito", "Guayaquil", "Guayaquil"],
                             state=["Pichincha", "Guayas", "Guayas"])
    moved = pd.concat([moved, pd.DataFrame({"store_nbr": [40], "city": ["Cuenca"],
                                            "state": ["Azuay"]})], ignore_index=True)
    moved.to_csv(here / "moved.csv", index=False)
    code, text, fc = _predict(here, "moved", "--stores", str(here / "moved.csv"))
    assert code == 0, text
    assert ("moved.csv differs from the stores file the model was trained with (stores.csv): "
            "1 store in another city or state: store_nbr_12 (Quito, Pichincha -> Guayaquil, "
            "Guayas); 1 store added: 40.") in text, text
    assert "'Fundacion de Quito 2017' (Quito) on 1 store" in text
    assert fc is not None
    twelve = [i for i in QUITO if i.startswith("store_nbr_12")]
    assert (_on(fc, twelve).to_numpy() < 1.5 * _on(fc, twelve, "2017-06-02").to_numpy()).all()


def test_a_stores_file_at_predict_without_a_store_of_the_model_is_an_error(here: Path
                                                                          ) -> None:
    """Even for a calendar of national holidays only (the file had been 'not used')."""
    _stores().iloc[:2].to_csv(here / "two.csv", index=False)
    pd.DataFrame({"name": ["Dia"], "start": [PLANNED], "end": [PLANNED], "kind": ["Holiday"],
                  "locale": ["National"], "locale_name": ["Ecuador"]}).to_csv(
        here / "national.csv", index=False)
    _cli_common._shown_notes.clear()
    res = CliRunner().invoke(app, ["forecast", "predict", "--horizon", "7", "--calendar",
                                   str(here / "national.csv"), "--stores", str(here / "two.csv"),
                                   "--out", str(here / "two")])
    text = " ".join(res.output.split())
    assert res.exit_code != 0, text
    assert "two.csv: column 'store_nbr' lacks 1 of the series' 3 stores (store_nbr_12)" in text
    assert "Fix: add a row per store" in text


def test_a_national_calendar_gets_no_note_about_the_kept_stores(here: Path) -> None:
    """Nothing to place: the model's copy is not a file the planner gave ('not used' had
    been said about it)."""
    pd.DataFrame({"name": ["Dia"], "start": [PLANNED], "end": [PLANNED], "kind": ["Holiday"],
                  "locale": ["National"], "locale_name": ["Ecuador"]}).to_csv(
        here / "national.csv", index=False)
    _cli_common._shown_notes.clear()
    res = CliRunner().invoke(app, ["forecast", "predict", "--horizon", "7", "--calendar",
                                   str(here / "national.csv"), "--out", str(here / "nat")])
    text = " ".join(res.output.split())
    assert res.exit_code == 0, text
    assert "kept with the model" not in text, text
    assert "trained with" not in text, text


def _pyfunc_frame(**extra: Any) -> pd.DataFrame:
    return pd.DataFrame({"name": ["Fundacion de Quito 2017"], "start": [PLANNED],
                         "end": [PLANNED], "kind": ["holiday"], "channel": [""],
                         "intensity": [1.0], **{k: [v] for k, v in extra.items()}})


def test_the_mlflow_pyfunc_places_a_city_holiday_by_the_kept_stores(here: Path) -> None:
    """Through mlflow.pyfunc.load_model: the locale columns had been dropped by the
    signature, the holiday read on every series."""
    import mlflow

    from training._forecast_mlflow import REGISTERED_NAME

    loaded = mlflow.pyfunc.load_model(f"models:/{REGISTERED_NAME}@champion")
    assert loaded.unwrap_python_model().forecaster.store_locales_["source"] == "stores.csv"
    fc = loaded.predict(_pyfunc_frame(locale="Local", locale_name="Quito"),
                        params={"horizon": 7})
    fc = fc.assign(ds=pd.to_datetime(fc["ds"]).dt.strftime("%Y-%m-%d"))
    _, _, cli = _predict(here, "pyfunc-cli")
    assert cli is not None
    ids = sorted(cli["series_id"].unique())
    pd.testing.assert_series_equal(_on(fc, ids), _on(cli, ids), check_exact=False, rtol=1e-4)
    # without the locale columns the holiday is on every series, as before
    every = loaded.predict(_pyfunc_frame(), params={"horizon": 7})
    every = every.assign(ds=pd.to_datetime(every["ds"]).dt.strftime("%Y-%m-%d"))
    assert not _on(every, ids).equals(_on(fc, ids))


def test_a_model_without_stores_refuses_a_city_holiday_it_learned_on_some_stores(
        here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model that keeps no stores file (trained without --stores, or before 2026-12-07):
    the pyfunc and the API refuse the holiday as predict without --stores does."""
    import mlflow

    from serving._core import BadRequestError
    from serving._schemas import ForecastRequest
    from serving.service import build_brain
    from training._forecast_mlflow import REGISTERED_NAME, TrafficForecasterModel

    loaded = mlflow.pyfunc.load_model(f"models:/{REGISTERED_NAME}@champion")
    inner = loaded.unwrap_python_model().forecaster
    monkeypatch.delattr(inner, "store_locales_", raising=False)
    wrapper = TrafficForecasterModel()
    wrapper.forecaster = inner
    with pytest.raises(ValueError, match=r"'Fundacion de Quito' \(Quito\) on 4 of 6 series"):
        wrapper.predict(None, _pyfunc_frame(locale="Local", locale_name="Quito"),
                        {"horizon": 7})
    brain = build_brain()
    monkeypatch.delattr(brain._model("traffic_forecaster").model.forecaster, "store_locales_",
                       raising=False)
    req = ForecastRequest(series_id=QUITO[0], horizon=7, calendar=[{
        "name": "Fundacion de Quito 2017", "start": PLANNED, "end": PLANNED,
        "kind": "holiday", "locale": "Local", "locale_name": "Quito"}])
    with pytest.raises(BadRequestError, match="this model keeps no stores file") as err:
        brain.forecast(req)
    assert err.value.code == "invalid_calendar"
    assert err.value.loc == ["calendar", 0, "locale"]
    # a city holiday it never learned applies to every series, and the note says what a
    # client can do (not the CLI's --stores)
    req = ForecastRequest(series_id=QUITO[0], horizon=7, calendar=[{
        "name": "Fiesta nueva", "start": PLANNED, "end": PLANNED, "kind": "holiday",
        "locale": "Local", "locale_name": "Quito"}])
    notes = brain.forecast(req)["notes"]
    assert any(n.startswith("calendar: 1 event is a holiday of one city or state (locale "
                            "Local/Regional: 'Fiesta nueva'); this model keeps no stores file")
               and "send their series or stores in 'channel'" in n for n in notes), notes
    assert not any("brain forecast/data validate --stores" in n for n in notes), notes


def test_the_api_gives_a_city_holiday_to_the_stores_of_the_city(
        here: Path, service_app: Any) -> None:
    """POST /forecast_traffic with locale/locale_name: a 400 'extra inputs' before."""
    from starlette.testclient import TestClient

    event = {"name": "Fundacion de Quito 2017", "start": PLANNED, "end": PLANNED,
             "kind": "holiday", "locale": "Local", "locale_name": "Quito"}
    _, _, cli = _predict(here, "api-cli")
    assert cli is not None
    with TestClient(service_app) as client:
        models = client.get("/models").json()["models"]
        info = next(m for m in models if m["name"] == "traffic_forecaster")
        assert info["stores"]["source"] == "stores.csv"
        assert info["stores"]["stores"] == 3
        assert info["stores"]["series"] == 6
        assert info["stores"]["by_store"]["store_nbr_12"] == {
            "city": "Quito", "state": "Pichincha", "series": 2}
        for sid, has_peak in ((QUITO[0], True), ("store_nbr_02 / GROCERY I", False)):
            r = client.post("/forecast_traffic", json={"series_id": sid, "horizon": 7,
                                                       "calendar": [event]})
            assert r.status_code == 200, r.text
            body = r.json()
            windows = [p["window"] for p in body["peaks"]]
            assert ("Fundacion de Quito 2017" in windows) is has_peak, windows
            day = next(p for p in body["forecast"] if p["ds"].startswith(PLANNED))
            want = cli[(cli["series_id"] == sid) & (cli["ds"].str[:10] == PLANNED)]["p50"]
            assert day["p50"] == pytest.approx(float(want.iloc[0]), rel=1e-4)
            assert any("given to the stores the model was trained with" in n
                       for n in body["notes"]), body["notes"]
        bad = client.post("/forecast_traffic", json={
            "series_id": QUITO[0], "horizon": 7,
            "calendar": [{**event, "locale_name": "Quitto"}]})
        assert bad.status_code == 400, bad.text
        assert bad.json()["code"] == "invalid_calendar"
        assert "names a city no store of stores.csv (kept with the model) is in ('Quitto'" \
            in bad.json()["error"], bad.json()


def test_the_version_and_run_name_the_kept_stores(here: Path) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    mv = client.get_model_version("traffic_forecaster", "1")
    assert mv.tags["inputs.stores"] == "stores.csv: 3 stores of 6 series, by city and state"
    kept = client.download_artifacts(mv.run_id, "stores/stores_kept.csv", str(here))
    rows = pd.read_csv(kept)
    assert list(rows["key"]) == ["store_nbr_01", "store_nbr_02", "store_nbr_12"]
    assert list(rows["series"]) == [2, 2, 2]
    assert re.fullmatch(r"[0-9a-f]+", mv.run_id)
    res = CliRunner().invoke(app, ["models", "traffic_forecaster", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["versions"][0]["stores"] == (
        "stores.csv: 3 stores of 6 series, by city and state")
    res = CliRunner().invoke(app, ["models", "traffic_forecaster"])
    assert "6 series; stores.csv: 3 stores" in " ".join(res.output.split()), res.output


def test_a_kept_copy_without_states_says_to_give_a_stores_file_for_a_regional_holiday(
        ) -> None:
    """The model's copy cannot be edited: 'add a column state' alone named no way to do it."""
    import features as ft
    from features._contracts import DataContractError
    from features._store_map import apply_kept_stores, remember_stores

    ids = sorted(_series(20)["series_id"].unique())
    stores = _stores().drop(columns="state")
    stores.attrs["source"] = "stores.csv"
    kept = remember_stores(stores, ids)
    assert kept["state_column"] is None
    assert sorted(kept["series"]["store_nbr_12"]) == sorted(QUITO[2:])
    plan = _holidays((PLANNED,)).assign(locale="Regional", locale_name="Pichincha")
    cal = ft.validate_calendar(plan, "plan.csv", locales=True)
    with pytest.raises(DataContractError) as err:
        apply_kept_stores(cal, kept, ids, "plan.csv")
    msg = str(err.value)
    assert msg.startswith("stores.csv (kept with the model): column 'state' is required"), msg
    assert "Fix: add a column 'state' with each store's state in a stores file and give it with " \
           "brain forecast predict --stores FILE, or retrain with it" in msg
    with pytest.raises(DataContractError, match=r"stores.csv: column 'city' is required \(or "
                                                r"'state'\)"):
        remember_stores(_stores()[["store_nbr", "type"]], ids, source="stores.csv")


@pytest.mark.server
@pytest.mark.slow
def test_a_real_server_places_a_city_holiday_by_the_kept_stores(
        here: Path, free_port: Any) -> None:
    """Level 3: 'brain serve' on the home the model was trained in; the request's Local event
    reaches the Quito stores' series only."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    env = dict(os.environ, BRAIN_RELOAD_SECONDS="0")
    env.pop("BRAIN_API_TOKEN", None)
    log = (here / "serve.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("brain")), "serve", "--host",
                             "127.0.0.1", "--port", str(port), "--reload-seconds", "0"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail("brain serve exited:\n" + (here / "serve.log").read_text()[-3000:])
            time.sleep(1)
        event = {"name": "Fundacion de Quito 2017", "start": PLANNED, "end": PLANNED,
                 "kind": "holiday", "locale": "Local", "locale_name": "Quito"}
        for sid, has_peak in ((QUITO[2], True), ("store_nbr_02 / BREAD/BAKERY", False)):
            r = httpx.post(f"{url}/forecast_traffic", timeout=60, json={
                "series_id": sid, "horizon": 7, "calendar": [event]})
            assert r.status_code == 200, r.text
            windows = [p["window"] for p in r.json()["peaks"]]
            assert ("Fundacion de Quito 2017" in windows) is has_peak, (sid, windows)
        info = httpx.get(f"{url}/models", timeout=10).json()["models"]
        assert next(m for m in info if m["name"] == "traffic_forecaster")["stores"][
            "series"] == 6
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _pyfunc_days(fc: pd.DataFrame, ids: list[str]) -> pd.Series:
    fc = fc.assign(ds=pd.to_datetime(fc["ds"]).dt.strftime("%Y-%m-%d"))
    return _on(fc, ids)


def test_pyfunc_input_keeps_the_locale_columns(here: Path) -> None:
    """The documented way to build the pyfunc input had dropped 'locale'/'locale_name': the
    Quito holiday lifted the Guayaquil series x3.57 with no word."""
    import mlflow

    from training._forecast_mlflow import REGISTERED_NAME, pyfunc_input

    loaded = mlflow.pyfunc.load_model(f"models:/{REGISTERED_NAME}@champion")
    frame = pyfunc_input(_holidays((PLANNED,)))
    assert list(frame.columns)[-2:] == ["locale", "locale_name"]
    assert dict(zip(frame["name"], frame["locale_name"], strict=True)) == {
        "Dia del Trabajo": "Ecuador", "Fundacion de Quito 2017": "Quito"}
    fc = loaded.predict(frame, params={"horizon": 7})
    _, _, cli = _predict(here, "pyfunc-input-cli")
    assert cli is not None
    ids = sorted(cli["series_id"].unique())
    pd.testing.assert_series_equal(_pyfunc_days(fc, ids), _on(cli, ids), check_exact=False,
                                   rtol=1e-4)


def test_half_a_locale_is_an_error_in_predict_the_api_and_the_pyfunc(
        here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 'locale' without 'locale_name' (or the reverse) had been read as a national holiday
    in silence by the API and the pyfunc: a Quito holiday lifted Guayaquil's series."""
    import mlflow

    from serving._core import BadRequestError
    from serving._schemas import ForecastRequest
    from serving.service import build_brain
    from training._forecast_mlflow import REGISTERED_NAME

    loaded = mlflow.pyfunc.load_model(f"models:/{REGISTERED_NAME}@champion")
    with pytest.raises(ValueError, match=r"pyfunc input: column 'locale_name' is missing on "
                                         r"rows whose 'locale' is Local or Regional"):
        loaded.predict(_pyfunc_frame(locale="Local"), params={"horizon": 7})
    with pytest.raises(ValueError, match=r"column 'locale' is missing on rows whose "
                                         r"'locale_name' names a place"):
        loaded.predict(_pyfunc_frame(locale_name="Quito"), params={"horizon": 7})
    brain = build_brain()
    national = {"name": "Dia", "start": PLANNED, "end": PLANNED, "kind": "holiday"}
    req = ForecastRequest(series_id="store_nbr_02 / GROCERY I", horizon=7, calendar=[
        national, {"name": "Fundacion de Quito 2017", "start": PLANNED, "end": PLANNED,
                   "kind": "holiday", "locale_name": "Quito"}])
    with pytest.raises(BadRequestError, match="'locale' is empty on rows whose 'locale_name' "
                                              "names a place") as err:
        brain.forecast(req)
    assert err.value.loc == ["calendar", 1, "locale"]
    _holidays((PLANNED,)).drop(columns="locale_name").to_csv(here / "half.csv", index=False)
    _cli_common._shown_notes.clear()
    res = CliRunner().invoke(app, ["forecast", "predict", "--horizon", "7", "--calendar",
                                   str(here / "half.csv"), "--out", str(here / "half")])
    text = " ".join(res.output.split())
    assert res.exit_code != 0, text
    assert ("half.csv: column 'locale_name' is missing on rows whose 'locale' is Local or "
            "Regional") in text, text
    assert "first at row 2: 'Fundacion de Quito 2017'" in text, text


def test_api_400s_on_the_model_copy_and_without_one_name_the_right_event(
        here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusal pointed at the first Local event, not the learned one; the model's copy's
    problems were reported as calendar rows ('calendar[2]', 'the calendar calendar') with the
    CLI's --stores as the fix; an old model trained with --stores was told 'trained without
    --stores'."""
    from serving._core import BadRequestError
    from serving._schemas import ForecastRequest
    from serving.service import build_brain

    def ev(name: str, **k: str) -> dict[str, str]:
        return {"name": name, "start": PLANNED, "end": PLANNED, "kind": "holiday", **k}

    brain = build_brain()
    fc = brain._model("traffic_forecaster").model.forecaster
    kept = fc.store_locales_
    monkeypatch.setattr(fc, "store_locales_", dict(kept, state_column=None))
    req = ForecastRequest(series_id="store_nbr_02 / GROCERY I", horizon=7, calendar=[
        ev("X"), ev("Prov", locale="Regional", locale_name="Guayas")])
    with pytest.raises(BadRequestError) as err:
        brain.forecast(req)
    assert err.value.code == "model_stores_incomplete"
    assert err.value.loc == ["calendar", 1, "locale"]
    text = str(err.value)
    assert "calendar calendar" not in text, text
    assert "predict --stores" not in text, text
    assert "Fix: retrain with brain forecast train --stores FILE" in text, text
    blank = [dict(r, city="") if r["key"] == "store_nbr_12" else r for r in kept["stores"]]
    monkeypatch.setattr(fc, "store_locales_", dict(kept, stores=blank))
    req = ForecastRequest(series_id="store_nbr_02 / GROCERY I", horizon=7, calendar=[
        ev("Y", locale="Local", locale_name="Quito")])
    with pytest.raises(BadRequestError) as err:
        brain.forecast(req)
    assert err.value.code == "model_stores_incomplete"
    assert err.value.loc == ["calendar", 0, "locale"]
    assert "calendar[2]" not in str(err.value), str(err.value)
    monkeypatch.delattr(fc, "store_locales_")
    req = ForecastRequest(series_id=QUITO[0], horizon=7, calendar=[
        ev("Fiesta nueva", locale="Local", locale_name="Quito"),
        ev("Fundacion de Quito 2017", locale="Local", locale_name="Quito")])
    with pytest.raises(BadRequestError) as err:
        brain.forecast(req)
    assert err.value.loc == ["calendar", 1, "locale"]
    assert "(trained without --stores, or before 2026-12-07)" in str(err.value)


def test_train_checks_the_stores_file_it_keeps_before_training(here: Path) -> None:
    """A blank state had been kept (every later Regional plan failed until a retrain); a
    missing store was said after 'training ...' and a 'not used' note, without the way out."""
    pd.DataFrame({"store_nbr": [1, 2, 12], "city": ["Quito", "Guayaquil", "Quito"],
                  "state": ["Pichincha", "Guayas", None]}).to_csv(here / "sb.csv", index=False)
    _stores().iloc[:2].to_csv(here / "miss.csv", index=False)
    _holidays()[lambda f: f["locale"] == "National"].to_csv(here / "nat.csv", index=False)
    runner = CliRunner()
    for cal, st, want in (
            ("h.csv", "sb.csv", "sb.csv: column 'state' is empty for 1 store(s) of the series"),
            ("nat.csv", "miss.csv", "miss.csv: column 'store_nbr' lacks 1 of the series' 3 "
                                    "stores (store_nbr_12): train keeps the stores file to "
                                    "place planned city and state holidays")):
        _cli_common._shown_notes.clear()
        res = runner.invoke(app, ["forecast", "train", "--series", str(here / "series.csv"),
                                  "--calendar", str(here / cal), "--stores", str(here / st),
                                  "--horizon", "7", "--folds", "1", "--no-register"])
        text = " ".join(res.output.split())
        assert res.exit_code != 0, text
        assert want in text, text
        assert "or leave out --stores" in text, text
        assert "training lightgbm" not in text, text
        assert "not used" not in text, text


def test_a_stores_file_differing_in_case_only_is_not_a_move() -> None:
    from features._store_map import remember_stores, stores_changed_note

    ids = sorted(_series(20)["series_id"].unique())
    extra = pd.DataFrame({"store_nbr": [40], "city": ["Cuenca"], "state": ["Azuay"]})
    base = pd.concat([_stores(), extra], ignore_index=True)
    kept = remember_stores(base, ids, source="stores.csv")
    upper = base.assign(city=base["city"].str.upper(), store_nbr=["1", "2", "12", "040"])
    assert stores_changed_note(kept, remember_stores(upper, ids, source="up.csv")) is None


def test_train_names_series_not_per_store_with_the_way_out() -> None:
    """'has no column holding the series' stores ()' with an empty list, and no way out."""
    from features._contracts import DataContractError
    from features._store_map import remember_stores

    with pytest.raises(DataContractError, match=r"its series \(total\) are not per store.*"
                                                r"Fix: leave out --stores"):
        remember_stores(_stores(), ["total"], source="stores.csv")
    with pytest.raises(DataContractError, match=r"\(app, web\).*or leave out --stores"):
        remember_stores(_stores(), ["web", "app"], source="stores.csv")


def test_brain_models_cuts_the_stores_tag_at_the_counts() -> None:
    """A file named 'list of stores.csv' had been shown as 'list'."""
    from features._store_map import kept_stores_short, kept_stores_text, remember_stores

    ids = sorted(_series(20)["series_id"].unique())
    kept = remember_stores(_stores(), ids, source="list of stores.csv")
    assert kept_stores_short(kept_stores_text(kept)) == "list of stores.csv: 3 stores"


def test_a_stores_file_without_city_says_what_each_command_does_with_it() -> None:
    """The fix had ended mid-sentence ("with each store's"); at predict it said the model
    keeps the --stores file, which it does not."""
    from features._contracts import DataContractError
    from features._store_map import remember_stores

    ids = sorted(_series(20)["series_id"].unique())
    bare = _stores()[["store_nbr", "type"]]
    with pytest.raises(DataContractError) as err:
        remember_stores(bare, ids, source="s.csv")
    assert str(err.value).endswith("with each store's city (and state), or leave out --stores")
    with pytest.raises(DataContractError) as err:
        remember_stores(bare, ids, source="s.csv", at_train=False)
    assert "the model keeps" not in str(err.value)


def test_a_kept_placement_is_one_note(here: Path) -> None:
    """Two notes had said the same placement (the model's stores, then the file's)."""
    code, text, _ = _predict(here, "one-note")
    assert code == 0, text
    assert ("plan.csv: city and state holidays given to the stores the model was trained with "
            "(stores.csv: 3 stores of 6 series, by city and state; brain forecast predict "
            "--stores FILE reads another file): 'Fundacion de Quito 2017' (Quito) on 2 stores"
            ) in text, text
    assert "given to the stores there by" not in text, text
