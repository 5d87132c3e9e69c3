"""Take the README's screenshots of the planner's page from a running server.

    brain demo && brain serve &          # the demo world, then the API on :3000
    .venv/bin/python tests/page/readme_screenshots.py --url http://127.0.0.1:3000 \
        --experiment "$BRAIN_HOME/demo-data/experiment.csv" --out docs/img

Uses Debian's chromium through playwright (``.ci/browser-setup``); writes forecast.png,
customers.png and experiment.png. Not a test: pytest does not collect this file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx
import pandas as pd

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _promotions(url: str, token: str, out: Path) -> Path:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    opts = httpx.get(f"{url}/ui/api/forecast_options", headers=headers, timeout=60).json()
    last = pd.Timestamp(opts["last_ds"])

    def day(k: int) -> str:
        return str((last + pd.Timedelta(days=k)).date())

    path = out / "promotions.csv"
    path.write_text("name,start,end,kind,channel,intensity\n"
                    f"Spring sale,{day(18)},{day(21)},sale,,0.6\n"
                    f"Loyalty week,{day(40)},{day(46)},promotion,,0.3\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:3000", help="The service's base URL.")
    ap.add_argument("--token", default="", help="BRAIN_API_TOKEN, when the server sets one.")
    ap.add_argument("--experiment", type=Path, required=True, help="experiment.csv to upload.")
    ap.add_argument("--horizon", type=int, default=75, help="Forecast horizon in days.")
    ap.add_argument("--out", type=Path, default=Path("docs/img"), help="Folder for the PNGs.")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        promos = _promotions(args.url, args.token, Path(tmp))
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page = ctx.new_page()
        page.set_default_timeout(180_000)
        if args.token:
            page.add_init_script(
                f"sessionStorage.setItem('marketing-brain.api-token', {args.token!r})")
        page.goto(f"{args.url}/ui/#forecast")
        page.wait_for_selector("#fc-chart svg polygon.band")
        page.set_input_files("#fc-upload", str(promos))
        page.wait_for_selector(f"#fc-note:has-text('from {promos.name}')")
        page.fill("#fc-horizon", str(args.horizon))
        page.click("#fc-run")
        page.wait_for_selector("#fc-peaks tbody tr:has-text('Loyalty week')")
        page.screenshot(path=str(args.out / "forecast.png"), full_page=True)

        page.goto(f"{args.url}/ui/#customers")
        page.reload()
        page.wait_for_selector("#cu-atrisk tbody tr")
        page.wait_for_selector("#cu-note:has-text('snapshot as of')")
        page.screenshot(path=str(args.out / "customers.png"), full_page=True)

        page.goto(f"{args.url}/ui/#experiment")
        page.set_input_files("#ex-upload", str(args.experiment))
        page.wait_for_selector("#ex-setup:not([hidden])")
        if page.locator("#ex-metrics th.guard").first.is_visible():
            page.locator("#ex-metrics tr[data-col='visits'] .guard-metric").check()
        page.click("#ex-run")
        page.wait_for_selector("#srm-banner")
        page.screenshot(path=str(args.out / "experiment.png"), full_page=True)
        browser.close()
    for name in ("forecast", "customers", "experiment"):
        print(args.out / f"{name}.png")


if __name__ == "__main__":
    main()
