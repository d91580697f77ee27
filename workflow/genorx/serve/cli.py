"""``genorx serve``: run the report retrieval service (uvicorn)."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from genorx.errors import input_error
from genorx.serve.access import load_access

DEFAULT_AUDIT = Path("logs/serve/audit.jsonl")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="genorx serve",
        description="Serve per-sample reports (html, json, tsv, fhir) over authenticated HTTP.",
    )
    p.add_argument("--results", required=True, type=Path, help="results directory (results/{sample}/...)")
    p.add_argument("--access", required=True, type=Path, help="access file written by 'genorx access'")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--audit", type=Path, default=DEFAULT_AUDIT, help=f"audit log (default {DEFAULT_AUDIT})")
    p.add_argument("--tls-cert", type=Path, help="PEM certificate chain: serve HTTPS")
    p.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    p.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="comma-separated proxy addresses whose X-Forwarded-For/-Proto are trusted (default: none)",
    )
    p.add_argument("--rate", type=float, default=10.0, help="requests per second per token (0: off)")
    p.add_argument("--burst", type=int, default=20, help="burst size per token (default 20)")
    p.add_argument(
        "--auth-failures-per-minute",
        type=float,
        default=30.0,
        help="failed authentications allowed per client address per minute (0: off)",
    )
    p.add_argument("--max-report-mb", type=float, default=64.0, help="largest report served (MiB)")
    p.add_argument("--limit-concurrency", type=int, default=128, help="open connections before 503")
    p.add_argument("--timeout-keep-alive", type=int, default=5, help="idle keep-alive timeout (s)")
    p.add_argument(
        "--timeout-request-head",
        type=float,
        default=10.0,
        help="seconds a connection has to send a complete request head (slow clients are cut off)",
    )
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return p


def _check(args: argparse.Namespace) -> None:
    """Validate every input before binding a port."""
    if not args.results.is_dir():
        raise input_error(args.results, None, "results directory not found", "pass --results DIR of a run")
    load_access(args.access)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise input_error("--tls-cert/--tls-key", None, "give both or neither", "pass the cert and its key")
    for path in (args.tls_cert, args.tls_key):
        if path is not None and not path.is_file():
            raise input_error(path, None, "TLS file not found", "pass an existing PEM file")
    if not 0 <= args.port <= 65535:
        raise input_error("--port", None, f"port {args.port} out of range", "use 0..65535")
    if args.rate < 0 or args.burst < 1 or args.max_report_mb <= 0 or args.timeout_request_head <= 0:
        raise input_error("--rate/--burst/--max-report-mb", None, "out of range", "use rate>=0, burst>=1")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when proto is TCP
    # (with proto 0, Nagle + delayed ACK add ~40 ms to every response).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise input_error(
            f"{host}:{port}", None, f"cannot listen ({exc.strerror})", "pick another --port"
        ) from None
    sock.listen(2048)
    return sock


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    _check(args)
    import uvicorn

    from genorx.serve.app import ServeSettings, create_app
    from genorx.serve.protocol import timed_protocol

    settings = ServeSettings(
        results=args.results,
        access=args.access,
        audit=args.audit,
        rate=args.rate,
        burst=args.burst,
        auth_failures_per_minute=args.auth_failures_per_minute,
        max_report_bytes=int(args.max_report_mb * 1024 * 1024),
    )
    try:
        app = create_app(settings)
    except OSError as exc:
        raise input_error(
            args.audit, None, f"cannot open audit log ({exc.strerror})", "pass --audit FILE"
        ) from None
    trusted = args.forwarded_allow_ips
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",
        access_log=False,  # the audit log replaces it and never holds a raw URL
        server_header=False,
        timeout_keep_alive=args.timeout_keep_alive,
        limit_concurrency=args.limit_concurrency,
        http=timed_protocol(args.timeout_request_head),
        h11_max_incomplete_event_size=16 * 1024,
        lifespan="on",
        log_level=args.log_level,
    )
    sock = _bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    scheme = "https" if args.tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    print(
        f"genorx serve: listening on {scheme}://{shown}:{port} (results {args.results}, audit {args.audit})",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0
