"""The FastAPI application: list samples, fetch one report form, health check."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from genorx import __version__
from genorx.serve.access import AccessStore
from genorx.serve.audit import AuditLog
from genorx.serve.auth import NOT_FOUND_DETAIL, ApiError, Authenticator, not_found
from genorx.serve.csp import html_csp
from genorx.serve.forms import FORMS, negotiate
from genorx.serve.guard import CONTEXT_KEY, AuditContext, GuardMiddleware, error_body
from genorx.serve.ids import valid_sample_id
from genorx.serve.ratelimit import TokenBuckets
from genorx.serve.results import ReportTooLarge, ResultsIndex

INLINE_LIMIT = 256 * 1024  # read smaller reports at once; stream larger ones


@dataclass
class ServeSettings:
    """Everything the app needs; ``genorx serve`` fills it from the command line."""

    results: Path
    access: Path
    audit: Path
    rate: float = 10.0  # requests per second per token (0 disables)
    burst: int = 20
    auth_failures_per_minute: float = 30.0  # per client address (0 disables)
    max_report_bytes: int = 64 * 1024 * 1024


def _warn(message: str) -> None:
    print(f"genorx serve: warning: {message}", file=sys.stderr, flush=True)


def _json(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(status, detail), status, headers, media_type="application/json")


def _ctx(request: Request) -> AuditContext:
    ctx: AuditContext = request.scope[CONTEXT_KEY]
    return ctx


def create_app(settings: ServeSettings) -> GuardMiddleware:
    """The ASGI application (FastAPI wrapped in the guard layer)."""
    audit = AuditLog(settings.audit)
    access = AccessStore(settings.access, on_error=_warn)
    results = ResultsIndex(settings.results, settings.max_report_bytes)
    authenticate = Authenticator(
        access,
        TokenBuckets(settings.rate, settings.burst),
        TokenBuckets(settings.auth_failures_per_minute / 60.0, settings.auth_failures_per_minute),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        audit.start()
        try:
            yield
        finally:
            audit.close()

    api = FastAPI(
        title="genorx report retrieval",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )

    @api.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if exc.outcome is not None:
            _ctx(request).outcome = exc.outcome
        return _json(exc.status, exc.detail, exc.headers)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = NOT_FOUND_DETAIL if exc.status_code == 404 else str(exc.detail)
        return _json(exc.status_code, detail, dict(exc.headers or {}))

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _json(400, "malformed request")

    @api.exception_handler(ReportTooLarge)
    async def _too_large(request: Request, exc: ReportTooLarge) -> Response:
        _warn(str(exc))
        _ctx(request).outcome = "too_large"
        return _json(500, "report exceeds the server's size limit")

    @api.get("/healthz")
    async def healthz() -> Response:
        access.refresh()
        healthy = access.error is None and Path(results.root).is_dir()
        body = b'{"status":"ok"}' if healthy else b'{"status":"unavailable"}'
        return Response(body, 200 if healthy else 503, media_type="application/json")

    @api.get("/api/v1/samples")
    async def list_samples(request: Request) -> Response:
        ctx = _ctx(request)
        ctx.route = "samples"
        grant = authenticate(request.headers.get("authorization"), ctx)
        present = results.entries()
        items = []
        for sample_id in sorted(grant.samples):
            formats = results.forms_of(sample_id) if sample_id in present else []
            if formats:
                items.append(
                    {
                        "sample_id": sample_id,
                        "formats": formats,
                        "report": f"/api/v1/samples/{sample_id}/report",
                    }
                )
        ctx.outcome = "listed"
        body = json.dumps({"principal": grant.principal, "samples": items}).encode()
        return Response(body, media_type="application/json")

    @api.get("/api/v1/samples/{sample_id}/report")
    async def report(sample_id: str, request: Request) -> Response:
        ctx = _ctx(request)
        ctx.route = "report"
        grant = authenticate(request.headers.get("authorization"), ctx)
        if not valid_sample_id(sample_id):
            raise ApiError(400, "malformed sample id", outcome="bad_sample_id")
        ctx.sample_id = sample_id
        form = negotiate(request.query_params.get("format"), request.headers.get("accept"))
        if form is None:
            offered = ", ".join(f"{f.name} ({f.media_type})" for f in FORMS.values())
            raise ApiError(406, f"not acceptable; formats: {offered}", outcome="not_acceptable")
        ctx.format = form.name
        present = sample_id in results.entries()
        if not grant.allows(sample_id):
            raise not_found("denied")
        opened = results.open_form(sample_id, form) if present else None
        if opened is None:
            raise not_found("not_found")
        ctx.bytes = opened.size
        headers = {
            "content-type": form.content_type,
            "content-disposition": f'{form.disposition}; filename="{sample_id}.{form.filename}"',
            "vary": "Accept",
        }
        if form.name == "html" or opened.size <= INLINE_LIMIT:  # HTML whole: its CSP hashes its scripts
            try:
                small = opened.size <= INLINE_LIMIT
                body = opened.read_all() if small else await run_in_threadpool(opened.read_all)
            finally:
                opened.close()
            if form.name == "html":
                headers["content-security-policy"] = html_csp(body)
            return Response(body, headers=headers)
        headers["content-length"] = str(opened.size)
        return StreamingResponse(opened.iter_chunks(), headers=headers)

    return GuardMiddleware(api, audit)
