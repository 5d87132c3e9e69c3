"""Level 3: a real ``bentoml serve`` process on loopback, started and stopped by the test."""

from __future__ import annotations

import concurrent.futures
import http.client
import importlib.metadata
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from openapi_spec_validator import validate

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(served_home: Path, free_port: Callable[[], int]):
    port = free_port()
    env = dict(os.environ, BRAIN_HOME=str(served_home),
               MLFLOW_TRACKING_URI=f"sqlite:///{served_home / 'mlflow.db'}",
               BRAIN_API_TOKEN="proc-token", BRAIN_RELOAD_SECONDS="0")
    env.pop("MLFLOW_REGISTRY_URI", None)
    # started as users start it: 'brain serve' (it becomes the bentoml server)
    brain = str(Path(sys.executable).with_name("brain"))
    log = (served_home / "serve.log").open("w")
    proc = subprocess.Popen([brain, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--reload-seconds", "0"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(1)
    else:
        proc.terminate()
    if proc.poll() is not None:
        pytest.fail("bentoml serve exited:\n" + (served_home / "serve.log").read_text()[-3000:])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    # stopping 'brain serve' stops the server (a child bentoml had kept answering)
    time.sleep(2)
    try:
        httpx.get(f"{url}/livez", timeout=2)
    except httpx.HTTPError:
        return
    pytest.fail("the API still answers after 'brain serve' was stopped")


@pytest.mark.server
@pytest.mark.slow
def test_real_server_answers_with_auth(server: str) -> None:
    h = {"Authorization": "Bearer proc-token"}
    assert httpx.get(f"{server}/livez", timeout=10).status_code == 200
    assert httpx.get(f"{server}/models", timeout=10).status_code == 401
    models = httpx.get(f"{server}/models", headers=h, timeout=10).json()
    assert len(models["models"]) == 4
    r = httpx.post(f"{server}/forecast_traffic", json={"horizon": 7}, headers=h, timeout=60)
    assert r.status_code == 200, r.text
    assert len(r.json()["forecast"]) == 7
    bad = httpx.post(f"{server}/churn_risk", json={"user_ids": []}, headers=h, timeout=10)
    assert bad.status_code == 400


@pytest.mark.server
@pytest.mark.slow
def test_a_connection_idle_past_uvicorns_default_keep_alive_is_still_answered(
        server: str) -> None:
    """uvicorn closes a connection idle for its ``timeout_keep_alive``, 5 s unless told, the
    same as httpx's idle expiry: a client reusing a connection idle for just under 5 s could
    send its request as the server closed it and get no response (a soak on a loaded machine
    met it). 'brain serve' keeps idle connections open for
    ``KEEP_ALIVE_SECONDS``: the same connection, idle for 6 s, still gets its answer."""
    from serving.cli import KEEP_ALIVE_SECONDS

    idle = 6.0  # past uvicorn's 5 s, well under brain serve's keep-alive
    assert idle + 30 < KEEP_ALIVE_SECONDS
    conn = http.client.HTTPConnection(urlsplit(server).hostname, urlsplit(server).port,
                                      timeout=30)
    try:
        conn.request("GET", "/livez")
        first = conn.getresponse()
        first.read()
        assert first.status == 200
        assert not first.will_close
        sock = conn.sock
        time.sleep(idle)  # a wait, not a measurement: nothing below asserts a duration
        try:
            conn.request("GET", "/livez")
            second = conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError) as exc:
            pytest.fail(f"no response on a connection idle for {idle:g} s: {exc!r} (the server "
                        "closed it: was bentoml serve started without --timeout-keep-alive?)")
        second.read()
        assert second.status == 200
        assert conn.sock is sock  # the same connection, not a new one
    finally:
        conn.close()


@pytest.mark.server
@pytest.mark.slow
def test_real_server_documents_and_answers_every_endpoint(server: str) -> None:
    h = {"Authorization": "Bearer proc-token"}
    assert httpx.get(f"{server}/docs.json", timeout=10).status_code == 401
    spec = httpx.get(f"{server}/docs.json", headers=h, timeout=30).json()
    assert spec["info"]["version"] == importlib.metadata.version("marketing-brain")
    validate(spec)  # valid for the OpenAPI version it declares (3.1.0)
    assert "ModelsAnswer" in spec["paths"]["/models"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"]
    for path, item in spec["paths"].items():
        for method in item:
            r = httpx.request(method, f"{server}{path}", headers={
                **h, "content-type": "application/json"},
                content=b"{" if method == "post" else None, timeout=60)
            assert r.status_code not in (404, 405), (method, path, r.status_code)
            assert r.status_code < 500, (method, path, r.status_code, r.text[:300])


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.browser
def test_swagger_ui_renders_the_document_and_offers_authorize(server: str) -> None:
    """BentoML's Swagger UI (at /) renders the 3.1 document and offers the bearer scheme."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: run .ci/browser-setup (installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API refuses to start where an asyncio loop is already marked running in
    # the thread (the page tests' browser leaves one behind in the main thread): a fresh thread
    # has none. Assertion errors come back through ``result()``.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(_check_swagger_ui, sync_api, server).result()


def _check_swagger_ui(sync_api: Any, server: str) -> None:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:  # the page and /docs.json need the token like the endpoints
            ctx = browser.new_context(
                extra_http_headers={"Authorization": "Bearer proc-token"})
            page = ctx.new_page()
            page.goto(f"{server}/", wait_until="networkidle")
            page.wait_for_selector(".opblock", timeout=60_000)
            assert page.locator(".version-stamp").first.inner_text().strip() == "OAS 3.1"
            assert not page.locator(".errors-wrapper").count()
            page.get_by_role("button", name="Authorize").first.click()
            assert page.get_by_text("bearerAuth").first.is_visible()
            locked = page.locator(".opblock .authorization__btn").count()
            assert locked == 11  # the 11 endpoints that need the token (GET /customers the
            # 11th, since 2026-12-06); health/metrics open
        finally:
            browser.close()
