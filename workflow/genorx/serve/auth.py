"""Bearer-token authentication and per-token rate limiting for one request."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from genorx.serve.access import AccessStore, AccessUnavailable, Grant
from genorx.serve.guard import AuditContext
from genorx.serve.ratelimit import TokenBuckets

MAX_TOKEN_CHARS = 512


@dataclass
class ApiError(Exception):
    """An error response: status, a short public message, extra headers, the audit outcome."""

    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None


NOT_FOUND_DETAIL = "not found"


def not_found(outcome: str) -> ApiError:
    """The one 404 for 'no such sample', 'not yours' and 'no such form' alike."""
    return ApiError(404, NOT_FOUND_DETAIL, outcome=outcome)


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_TOKEN_CHARS:
        return None
    if any(c.isspace() for c in value):
        return None
    return value


@dataclass
class Authenticator:
    """Checks the bearer token against the access file and spends from the rate limits."""

    access: AccessStore
    per_token: TokenBuckets
    auth_failures: TokenBuckets

    def __call__(self, authorization: str | None, ctx: AuditContext) -> Grant:
        token = bearer_token(authorization)
        try:
            grant = self.access.lookup(token) if token is not None else None
        except AccessUnavailable:
            raise ApiError(503, "access control unavailable", outcome="access_file_error") from None
        if grant is None:
            wait = self.auth_failures.take(ctx.client or "-")
            if wait > 0:
                raise _too_many(wait)
            challenge = 'Bearer realm="genorx"'
            if token is not None:
                challenge += ', error="invalid_token"'
            outcome = "invalid_token" if token is not None else "no_token"
            raise ApiError(401, "authentication required", {"WWW-Authenticate": challenge}, outcome)
        ctx.principal = grant.principal
        wait = self.per_token.take(grant.token_sha256)
        if wait > 0:
            raise _too_many(wait)
        return grant


def _too_many(wait: float) -> ApiError:
    retry = str(max(1, math.ceil(wait)))
    return ApiError(429, "too many requests", {"Retry-After": retry}, "rate_limited")
