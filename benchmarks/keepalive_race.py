"""The keep-alive race made to happen, against a running API (docs/serving-reference.md).

    brain serve --port 3000 --keep-alive 5 &      # uvicorn's own 5 s (brain serve's default: 75)
    .venv/bin/python benchmarks/keepalive_race.py --url http://127.0.0.1:3000

An httpx client (idle expiry 5 s, its default) gets an answer from GET /livez, stays idle
``--idle`` seconds (under 5 s: httpx reuses the connection, and no FIN has come, so httpcore's
check passes), then is held ``--gap`` seconds between picking the connection and writing the
request (httpx's ``trace`` hook: a stand-in for a client process left without CPU on a loaded
machine). A server that closes idle connections at 5 s closes this one in the gap; the request
goes to a closed socket and gets no response. ``--rounds`` connections run side by side. The
last line is the RESULT line.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import httpx


async def one(url: str, idle: float, gap: float) -> str:
    async def hold(name: str, info: dict[str, Any]) -> None:
        if name == "http11.send_request_headers.started":
            await asyncio.sleep(gap)

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        (await client.get("/livez")).raise_for_status()
        await asyncio.sleep(idle)
        try:
            r = await client.get("/livez", extensions={"trace": hold})
        except httpx.HTTPError as exc:
            return f"no response ({type(exc).__name__}: {exc})"
        return f"answered {r.status_code}"


async def run(args: argparse.Namespace) -> list[str]:
    return list(await asyncio.gather(*(one(args.url, args.idle, args.gap)
                                       for _ in range(args.rounds))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:3000")
    ap.add_argument("--idle", type=float, default=4.95, help="seconds idle before reuse")
    ap.add_argument("--gap", type=float, default=0.1,
                    help="seconds between picking the connection and writing the request")
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    out = asyncio.run(run(args))
    for line in out:
        print(" ", line)
    lost = sum(o.startswith("no response") for o in out)
    print(f"RESULT keepalive_race url={args.url} idle={args.idle:g} gap={args.gap:g} "
          f"no_response={lost} of {len(out)}")


if __name__ == "__main__":
    main()
