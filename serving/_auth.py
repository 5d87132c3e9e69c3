"""Optional bearer-token auth as a pure ASGI middleware.

With ``BRAIN_API_TOKEN`` set (read at each request, so it can be set after start-up in tests),
every HTTP request except the health probes (``/livez``,
``/readyz``, ``/healthz``) and the metrics endpoint must carry ``Authorization: Bearer <token>``;
others get 401 with a JSON body saying so. Tokens are compared in constant time.
``requires_token`` is that rule for one path; the OpenAPI document declares the same scheme
(``BEARER_SCHEME``) on exactly the operations it applies to (``service.openapi_document``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._error_body import error_body

__all__ = ["BEARER_SCHEME", "OPEN_PATHS", "BearerAuthMiddleware", "requires_token"]

OPEN_PATHS = ("/livez", "/readyz", "/healthz", "/metrics")
BEARER_SCHEME = {
    "type": "http", "scheme": "bearer",
    "description": "The server's BRAIN_API_TOKEN, sent as 'Authorization: Bearer <token>'. "
                   "Needed by every endpoint except the health probes and /metrics, and only "
                   "when the server has BRAIN_API_TOKEN set."}
"""OpenAPI security scheme object describing this middleware."""
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


def requires_token(path: str) -> bool:
    """Whether a request for ``path`` needs the token (when one is configured): everything but
    the health probes, the metrics and the planner page's static shell."""
    from ._page import is_public  # the page's HTML/JS/CSS carry no data

    return not (path in OPEN_PATHS or is_public(path))


class BearerAuthMiddleware:
    """Reject requests without the right bearer token (when a token is configured)."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self._fixed = token

    def _digest(self) -> bytes | None:
        token = self._fixed if self._fixed is not None else os.environ.get("BRAIN_API_TOKEN")
        return hashlib.sha256(token.encode()).digest() if token else None

    def _ok(self, scope: Scope) -> bool:
        digest = self._digest()
        if digest is None or not requires_token(scope.get("path", "")):
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
        body = json.dumps(error_body("missing or wrong bearer token: send the header "
                                     "'Authorization: Bearer <token>' (the token is in "
                                     "BRAIN_API_TOKEN on the server)", "unauthorized")).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body})
