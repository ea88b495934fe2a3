"""Security headers on every response: a Content-Security-Policy that allows only this site's own scripts, styles
and connections and no framing, nosniff, no referrer (web chat paths carry conversation ids), and HSTS when the
request came over HTTPS (the scheme uvicorn takes from the trusted proxy's X-Forwarded-Proto).

The embedded widget is unaffected: another site loads /static/widget.js as a script into its own page (its CSP is
its own) and calls the chat API across origins (CORS, TTHC_CORS_ORIGINS). The API documentation pages (/docs,
/redoc) load the framework's inline script and CDN assets, so they get the headers without the CSP."""
from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
                           "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
DOCUMENTATION = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        documentation = scope["path"].startswith(DOCUMENTATION)
        secure = scope.get("scheme") == "https"

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                if not documentation:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                if secure:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, sending)
