"""Optional bearer-token auth as a pure ASGI middleware.

With ``BRAIN_API_TOKEN`` set (read at each request, so it can be set after start-up in tests),
every HTTP request except the health probes (``/livez``,
``/readyz``, ``/healthz``) and the metrics endpoint must carry ``Authorization: Bearer <token>``;
others get 401 with a JSON body saying so. Tokens are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["OPEN_PATHS", "BearerAuthMiddleware"]

OPEN_PATHS = ("/livez", "/readyz", "/healthz", "/metrics")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class BearerAuthMiddleware:
    """Reject requests without the right bearer token (when a token is configured)."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self._fixed = token

    def _digest(self) -> bytes | None:
        token = self._fixed if self._fixed is not None else os.environ.get("BRAIN_API_TOKEN")
        return hashlib.sha256(token.encode()).digest() if token else None

    def _ok(self, scope: Scope) -> bool:
        from ._page import is_public  # the page's HTML/JS/CSS carry no data

        digest = self._digest()
        path = scope.get("path", "")
        if digest is None or path in OPEN_PATHS or is_public(path):
            return True
        if scope.get("method") == "OPTIONS":
            return True
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                scheme, _, given = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer":
                    return hmac.compare_digest(hashlib.sha256(given.strip().encode()).digest(),
                                               digest)
        return False

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http" or self._ok(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "missing or wrong bearer token: send the header "
                                    "'Authorization: Bearer <token>' (the token is in "
                                    "BRAIN_API_TOKEN on the server)"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body})
