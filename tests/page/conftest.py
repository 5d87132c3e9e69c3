"""Fixtures for the planner's page: a small trained world, a real server, a headless chromium.

The browser tests drive Debian's chromium (/usr/bin/chromium) through the Python ``playwright``
package (installed by ``.ci/browser-setup``; no browser is ever downloaded). Screenshots go to
``$BRAIN_TEST_ARTIFACTS/page`` when that is set (CI: ``test-artifacts/``), else to pytest's temp
folder; the path is printed in the test report.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import features as ft
from serving.cli import bentoml_serve_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TOKEN = "page-token"
HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the planner's page in headless chromium")


def _build(home: Path, data: Path) -> None:
    """Champions of the four models, a serving snapshot, and the world's experiment.csv."""
    from serving._snapshot import write_snapshot
    from training._customer_mlflow import train_and_register as train_customer
    from training._customer_models import CustomerModel
    from training._forecast_mlflow import train_and_register as train_forecaster

    world = ft.generate_world(1_200, 400, seed=7)
    ev, cal = world.events, world.calendar
    cuts = ft.cutoff_schedule(ev, 60, n_cutoffs=2, step_days=30)
    frame = ft.build_training_set(ev, cuts, 60, calendar=cal)
    for task in ("churn", "propensity", "value"):
        train_customer(task, frame, model=CustomerModel(task, n_estimators=30, horizon_days=60),
                       evaluation_tag="page-test")
    series = ft.traffic_series(ev)
    series = series[series["series_id"].isin(["total", "channel=email"])]
    train_forecaster("seasonal_naive", series[["series_id", "ds", "y"]], cal, horizon=30,
                     n_folds=2)
    write_snapshot(ev, ev["ts"].max().normalize(), calendar=cal, spend=world.spend,
                   source="page-test", out=home / "snapshots")
    data.mkdir(parents=True, exist_ok=True)
    world.experiment.to_csv(data / "experiment.csv", index=False)


def _home_env(home: Path) -> pytest.MonkeyPatch:
    """A monkeypatch pointing BRAIN_HOME and the MLflow store at ``home`` (undo it after)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BRAIN_HOME", str(home))
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    mp.setenv("MPLBACKEND", "Agg")
    mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
    return mp


@pytest.fixture(scope="session")
def page_world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("page")
    home, data = root / "brain-home", root / "data"
    mp = _home_env(home)
    try:
        _build(home, data)
    finally:
        mp.undo()
    return {"home": home, "data": data}


def _use_world(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    home = world["home"]
    monkeypatch.setenv("BRAIN_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    monkeypatch.delenv("BRAIN_API_TOKEN", raising=False)


@pytest.fixture(scope="module")
def page_client(page_world: dict[str, Path], service_app: Any) -> Iterator[Any]:
    """In-process HTTP client of the service with the page mounted (no token set)."""
    from starlette.testclient import TestClient

    mp = pytest.MonkeyPatch()
    _use_world(page_world, mp)
    try:
        with TestClient(service_app) as client:
            yield client
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    """Skip (saying why) when the browser or playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: run .ci/browser-setup (installs Debian's chromium)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed: run .ci/browser-setup")


def _serve(home: Path, port: int) -> Iterator[str]:
    """A real ``bentoml serve`` of ``home``'s models on loopback (``port``: the ``free_port``
    fixture's) with BRAIN_API_TOKEN set."""
    env = dict(os.environ, BRAIN_HOME=str(home), MLFLOW_TRACKING_URI=f"sqlite:///{home}/mlflow.db",
               BRAIN_API_TOKEN=TOKEN, BRAIN_RELOAD_SECONDS="0")
    env.pop("MLFLOW_REGISTRY_URI", None)
    log_path = home / "page-serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(bentoml_serve_command("127.0.0.1", port),
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 150
    ready = False
    while time.time() < deadline and proc.poll() is None:
        try:
            ready = httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            ready = False
        if ready:
            break
        time.sleep(1)
    if not ready:
        proc.terminate()
        proc.wait(timeout=30)
        pytest.fail("bentoml serve did not become ready:\n" + log_path.read_text()[-3000:])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="package")
def page_server(chromium_ready: None, page_world: dict[str, Path],
                free_port: Callable[[], int]) -> Iterator[str]:
    """A real ``bentoml serve`` on loopback with BRAIN_API_TOKEN set; yields its base URL."""
    yield from _serve(page_world["home"], free_port())


@pytest.fixture(scope="package")
def future_server(chromium_ready: None, tmp_path_factory: pytest.TempPathFactory,
                  free_port: Callable[[], int]) -> Iterator[str]:
    """A real server whose only champion is a forecaster fitted with a known-in-advance column
    ``promo`` (so every forecast needs its future values)."""
    from training._forecast_mlflow import train_and_register as train_forecaster

    home = tmp_path_factory.mktemp("page-future") / "brain-home"
    home.mkdir()
    mp = _home_env(home)
    try:
        world = ft.generate_world(300, 200, seed=3)
        series = ft.traffic_series(world.events)
        series = series[series["series_id"].isin(["total", "channel=email"])]
        series = series[["series_id", "ds", "y"]].assign(
            promo=(series["ds"].dt.day % 7 == 0).astype(float))
        train_forecaster("seasonal_naive", series, world.calendar, horizon=30, n_folds=2)
    finally:
        mp.undo()
    yield from _serve(home, free_port())


def _spend_panel(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A spend-lever world in small, under the ids and spend rules of ``brain forecast train
    --data DIR --spend DIR/spend.csv``: paid search = 6 x spend^0.75 and e-mail = 40 x
    spend^0.6 (monthly budgets), organic visits without spend, and their total (its spend: the
    channels' summed). Returns the series (with ``spend``) and the spend file."""
    from features._spend_series import join_spend

    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", "2025-04-30", freq="D")
    month = ds.to_period("M")
    week = np.array([1.05, 1.05, 1.03, 1.0, 0.95, 0.9, 0.98])[ds.day_of_week]
    spend, ys = {}, {}
    for channel, (budget, a, b) in {"paid_search": (4000, 6.0, 0.75),
                                    "email": (120, 40.0, 0.6)}.items():
        per_month = pd.Series(rng.uniform(0.5, 1.5, len(month.unique())) * budget,
                              index=month.unique())
        s = per_month.reindex(month).to_numpy() * rng.uniform(0.85, 1.15, len(ds))
        spend[channel] = s
        ys[f"channel={channel}"] = rng.poisson(a * s**b * week * rng.lognormal(0, 0.05, len(ds)))
    ys["channel=organic"] = rng.poisson(4000 * week * rng.lognormal(0, 0.05, len(ds)))
    ys["total"] = sum(ys.values())
    series = pd.concat([pd.DataFrame({"series_id": sid, "ds": ds, "y": y.astype(float)})
                        for sid, y in ys.items()], ignore_index=True)
    spend_file = pd.concat([pd.DataFrame({"date": ds, "channel": c, "spend": s})
                            for c, s in spend.items()], ignore_index=True)
    return join_spend(series, spend_file), spend_file


def spend_plan_rows(spend_file: pd.DataFrame, series_ids: list[str], days: int,
                    scale: dict[str, float] | None = None) -> pd.DataFrame:
    """The ``future`` rows (series_id, ds, spend) of ``series_ids`` for ``days`` days after the
    spend file, each channel at its mean of the last 28 days (x ``scale[channel]``), built by
    the spend rules (``features._spend_series.spend_plan``, as ``--spend-plan`` builds them)."""
    from features._spend_series import spend_plan

    last = spend_file["date"].max()
    usual = spend_file[spend_file["date"] > last - pd.Timedelta(days=28)].groupby(
        "channel")["spend"].mean().round(2)
    future = pd.date_range(last + pd.Timedelta(days=1), periods=days)
    plan = pd.DataFrame([(d, c, v * (scale or {}).get(c, 1.0)) for d in future
                         for c, v in usual.items()], columns=["date", "channel", "spend"])
    return spend_plan(series_ids, dict.fromkeys(series_ids, future), plan, "plan.csv",
                      dict.fromkeys(usual.index, True))


@pytest.fixture(scope="package")
def spend_world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A LightGBM forecaster trained with channel spend (``--data --spend``: the record of
    what each series' spend was built from kept) as the only champion, and its spend file."""
    from features._spend_series import spend_sources
    from training._forecast_gbm import LightGBMForecaster
    from training._forecast_mlflow import train_and_register as train_forecaster

    home = tmp_path_factory.mktemp("page-spend") / "brain-home"
    home.mkdir()
    series, spend_file = _spend_panel(5)
    mp = _home_env(home)
    try:
        model = LightGBMForecaster(n_estimators=60, max_rows=6000, horizons_per_origin=6,
                                   max_horizon_days=28)
        train_forecaster(model, series, None, horizon=28, n_folds=1, column_sources={
            "spend": spend_sources(list(series["series_id"].unique()),
                                   sorted(spend_file["channel"].unique()))})
    finally:
        mp.undo()
    return {"home": home, "spend": spend_file,
            "series": sorted(str(s) for s in series["series_id"].unique())}


@pytest.fixture(scope="package")
def spend_server(chromium_ready: None, spend_world: dict[str, Any],
                 free_port: Callable[[], int]) -> Iterator[str]:
    """A real server whose only champion is the spend-trained forecaster of ``spend_world``."""
    yield from _serve(spend_world["home"], free_port())


@pytest.fixture(scope="package")
def browser(chromium_ready: None) -> Iterator[Any]:
    """Playwright's sync API keeps an event loop running in the main thread while it is open,
    so it is closed when the page tests end (tests that call ``asyncio.run`` come later)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, page_server: str) -> Iterator[Any]:
    """A fresh tab (1280 px wide) that records console errors and uncaught exceptions."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = ctx.new_page()
    tab.set_default_timeout(60_000)
    tab.js_errors = []
    tab.on("pageerror", lambda exc: tab.js_errors.append(str(exc)))
    yield tab
    ctx.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = os.environ.get("BRAIN_TEST_ARTIFACTS")
    out = Path(base) / "page" if base else tmp_path_factory.mktemp("page-artifacts")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(autouse=True)
def _isolated_brain_home(page_world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every page test sees the shared page world (overrides the repository-wide fixture)."""
    _use_world(page_world, monkeypatch)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return page_world["home"]


STUB_URL = "http://brain.test"
"""The origin the stubbed-API browser tests load the page from."""


def _stub_route(route: Any, options: dict[str, Any], history: list[dict[str, Any]],
                answer: Any) -> None:
    """Answer a request of the page from its own files (serving/static) and canned JSON:
    ``options`` for /ui/api/forecast_options, ``history`` for /ui/api/history, ``answer`` (or
    ``answer()``) for POST /forecast_traffic; anything else is a 404."""
    static = HERE.parents[1] / "serving" / "static"
    path = route.request.url[len(STUB_URL):].split("?")[0]
    if path.startswith("/ui/static/"):
        name = path[len("/ui/static/"):]
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        route.fulfill(status=200, content_type=kind, body=(static / name).read_text())
    elif path in ("/ui/", "/ui/index.html"):
        route.fulfill(status=200, content_type="text/html",
                      body=(static / "index.html").read_text())
    elif path == "/ui/api/forecast_options":
        route.fulfill(status=200, content_type="application/json", body=json.dumps(options))
    elif path == "/ui/api/history":
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"history": history}))
    elif path == "/forecast_traffic":
        body = answer() if callable(answer) else answer
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
    else:
        route.fulfill(status=404, content_type="application/json",
                      body=json.dumps({"error": "not found", "code": "not_found"}))


@pytest.fixture
def stub_api() -> Any:
    """``_stub_route``: the page's files and canned answers, for tests without a server."""
    return _stub_route
