"""``embedlab serve``'s server: Streamlit with its own Host check on every route.

Streamlit checks ``server.allowedHosts`` on the WebSocket only; its plain HTTP routes
(``/_stcore/health``, ``/_stcore/metrics``, ``/_stcore/host-config``, static files, uploads)
answer any Host header, which is what a DNS-rebinding page needs to read them. This module
puts one ASGI middleware in front of every route that applies Streamlit's own rule
(``is_host_allowed``) to every request, then runs ``streamlit run`` in this process.
Run as ``python -m embedlab.ui.serve run app.py [streamlit options]``.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HostCheck:
    """Refuse any HTTP request or WebSocket whose Host is not in ``server.allowedHosts``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self._allowed(scope):
            if scope["type"] == "http":
                body = b"This host name is not allowed (server.allowedHosts; embedlab serve --allowed-host NAME).\n"
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _allowed(scope: Scope) -> bool:
        from streamlit.web.server.starlette.starlette_websocket import is_host_allowed

        hosts = [value for name, value in scope.get("headers", []) if name.lower() == b"host"]
        return len(hosts) == 1 and is_host_allowed(hosts[0].decode("latin-1"))


def install() -> None:
    """Put ``HostCheck`` first in the middleware of the app Streamlit is about to create."""
    from starlette.middleware import Middleware
    from streamlit.web.server.starlette import starlette_app

    original = starlette_app.create_streamlit_middleware

    def with_host_check() -> list[Middleware]:
        return [Middleware(HostCheck), *original()]

    starlette_app.create_streamlit_middleware = with_host_check


def main(argv: list[str] | None = None) -> None:
    """``streamlit`` with ``argv`` (``run app.py ...``), every route behind the Host check."""
    from streamlit.web import cli

    install()
    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
