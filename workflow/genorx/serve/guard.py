"""Outermost ASGI layer: request limits, path sanity, security headers and the audit record.

Every request except ``/healthz`` gets one audit line, written (and fsync'd) before the
response starts; the route handlers fill in principal, sample, format and outcome on the
per-request :class:`AuditContext` as they learn them.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from genorx.serve.audit import AuditLog, utc_now
from genorx.serve.csp import BASE_CSP

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTEXT_KEY = "genorx.audit"
UNAUDITED = frozenset({"/healthz"})
MAX_URL_BYTES = 2048
MAX_HEADER_BYTES = 8192
MAX_HEADERS = 64

CSP_HEADER = (b"content-security-policy", BASE_CSP.encode())
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

_OUTCOME_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    414: "url_too_long",
    429: "rate_limited",
    431: "headers_too_large",
    503: "unavailable",
}


@dataclass(slots=True)
class AuditContext:
    """What one request did, in validated values only (never the raw URL or a token)."""

    request_id: str
    client: str | None
    route: str | None = None
    principal: str | None = None
    sample_id: str | None = None
    format: str | None = None
    outcome: str | None = None
    bytes: int | None = None

    def event(self, status: int) -> dict[str, Any]:
        if self.outcome is not None:
            outcome = self.outcome
        else:
            outcome = "ok" if status < 400 else _OUTCOME_BY_STATUS.get(status, "error")
        return {
            "time": utc_now(),
            "request_id": self.request_id,
            "principal": self.principal,
            "sample_id": self.sample_id,
            "format": self.format,
            "outcome": outcome,
            "status": status,
            "client": self.client,
            "route": self.route,
            "bytes": self.bytes,
        }


def _reject_reason(scope: Scope) -> tuple[int, str] | None:
    """Status and message for a request refused before routing, or None."""
    method = scope.get("method", "GET")
    if method != "GET":
        return 405, "only GET is supported"
    raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    query: bytes = scope.get("query_string", b"")
    if len(raw) + len(query) > MAX_URL_BYTES:
        return 414, "request URL too long"
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    if len(headers) > MAX_HEADERS or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
        return 431, "request headers too large"
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return 413, "request bodies are not accepted"
    lowered = raw.lower()
    if b"%2f" in lowered or b"%5c" in lowered or b"%00" in lowered or b"\\" in raw or b"\x00" in raw:
        return 400, "malformed request path"
    path: str = scope["path"]
    segments = path.split("/")[1:]
    if "\x00" in path or any(s in {".", ".."} for s in segments) or "" in segments[:-1]:
        return 400, "malformed request path"
    return None


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class GuardMiddleware:
    """Wraps the FastAPI app; see the module docstring."""

    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = AuditContext(request_id=uuid.uuid4().hex, client=_client(scope))
        scope[CONTEXT_KEY] = ctx
        audited = scope["path"] not in UNAUDITED
        https = scope.get("scheme") == "https"
        state = {"suppressed": False}

        async def guarded_send(message: Message) -> None:
            if state["suppressed"]:
                return
            if message["type"] == "http.response.start":
                if audited:
                    try:
                        await self.audit.record(ctx.event(int(message["status"])))
                    except OSError as exc:
                        print(f"genorx serve: audit log write failed: {exc}", file=sys.stderr)
                        state["suppressed"] = True
                        await _send_error(send, 503, "audit log unavailable", ctx, https)
                        return
                headers = list(message.get("headers", []))
                if not any(name == CSP_HEADER[0] for name, _ in headers):  # the HTML report sets its own
                    headers.append(CSP_HEADER)
                headers += SECURITY_HEADERS
                headers.append((b"x-request-id", ctx.request_id.encode()))
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        rejected = _reject_reason(scope)
        if rejected is not None:
            status, detail = rejected
            extra = [(b"allow", b"GET")] if status == 405 else []
            await _respond(guarded_send, status, detail, extra)
            return
        await self.app(scope, receive, guarded_send)


def error_body(status: int, detail: str) -> bytes:
    return json.dumps({"error": detail, "status": status}).encode()


async def _respond(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = error_body(status, detail)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, status: int, detail: str, ctx: AuditContext, https: bool) -> None:
    body = error_body(status, detail)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [CSP_HEADER, *SECURITY_HEADERS, (b"x-request-id", ctx.request_id.encode())]
    if https:
        headers.append(HSTS)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
