"""``genorx serve`` rate limits, fail-closed access file, trusted proxy headers and TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from genorx.atomic import write_text
from test_serve_support import Server, issue, write_reports

REPORT = "/api/v1/samples/{}/report"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory):
    """A server with small limits that trusts X-Forwarded-* from 127.0.0.1 (as behind a proxy)."""
    work = tmp_path_factory.mktemp("serve-limited")
    results = work / "results"
    write_reports(results, "P1")
    access = work / "access.yaml"
    tokens = {name: issue(access, name, samples=("P1",)) for name in ("carol", "dave", "erin")}
    write_text(results / "P1" / "report.fhir.json", "{}" + " " * 600_000)  # over --max-report-mb
    extra = ["--rate", "1", "--burst", "3", "--auth-failures-per-minute", "5", "--max-report-mb", "0.5"]
    extra += ["--forwarded-allow-ips", "127.0.0.1", "--timeout-request-head", "1"]
    server = Server(results, access, work / "audit.jsonl", work, extra).start()
    server.tokens = tokens  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_rate_limit_per_token_answers_429_with_retry_after(limited: Server) -> None:
    carol, dave = limited.tokens["carol"], limited.tokens["dave"]
    responses = []
    for _ in range(20):  # burst 3, then 1/s: a 429 comes as soon as requests outpace 1/s
        responses.append(limited.get(REPORT.format("P1"), carol, X_Forwarded_For="192.0.2.1"))
        if responses[-1].status == 429:
            break
    codes = [r.status for r in responses]
    assert codes[-1] == 429 and codes[:3] == [200, 200, 200], codes
    refused = responses[-1]
    assert int(refused.headers["retry-after"]) >= 1
    assert b"REPORT-CONTENT" not in refused.body
    line = limited.audit_for(refused)
    assert (line["principal"], line["outcome"], line["status"]) == ("carol", "rate_limited", 429)
    # Another token is not affected; carol's bucket refills at 1/s.
    assert limited.get(REPORT.format("P1"), dave, X_Forwarded_For="192.0.2.1").status == 200
    time.sleep(1.1)
    assert limited.get(REPORT.format("P1"), carol, X_Forwarded_For="192.0.2.1").status == 200


def test_failed_authentications_are_limited_per_client_address(limited: Server) -> None:
    path = REPORT.format("P1")
    codes = [limited.get(path, f"guess-{i}", X_Forwarded_For="198.51.100.9").status for i in range(9)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes
    # A different client address still gets a plain 401, and a valid token still works.
    assert limited.get(path, "guess", X_Forwarded_For="198.51.100.10").status == 401
    assert limited.get(path, limited.tokens["erin"], X_Forwarded_For="198.51.100.9").status == 200


def test_forwarded_headers_from_a_trusted_proxy(limited: Server) -> None:
    r = limited.get(
        REPORT.format("P1"), limited.tokens["erin"], X_Forwarded_For="203.0.113.7", X_Forwarded_Proto="https"
    )
    assert r.status == 200
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert limited.audit_for(r)["client"] == "203.0.113.7"


def test_forwarded_headers_are_ignored_from_untrusted_peers(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_reports(results, "P1")
    token = issue(tmp_path / "access.yaml", "frank", samples=("P1",))
    server = Server(results, tmp_path / "access.yaml", tmp_path / "audit.jsonl", tmp_path).start()
    try:
        r = server.get(REPORT.format("P1"), token, X_Forwarded_For="203.0.113.7", X_Forwarded_Proto="https")
        assert r.status == 200 and "strict-transport-security" not in r.headers
        assert server.audit_for(r)["client"] == "127.0.0.1"
    finally:
        server.stop()


def test_report_over_the_size_cap_is_refused(limited: Server) -> None:
    r = limited.get(
        REPORT.format("P1") + "?format=fhir", limited.tokens["dave"], X_Forwarded_For="192.0.2.77"
    )
    assert r.status == 500 and r.json()["error"] == "report exceeds the server's size limit"
    assert limited.audit_for(r)["outcome"] == "too_large"


def test_slow_request_heads_are_cut_off_but_keep_alive_works(limited: Server) -> None:
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
        t0 = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server
        assert 0.5 < time.monotonic() - t0 < 5
    conn = limited.connection()  # a well-behaved keep-alive client is unaffected
    for _ in range(3):
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b'{"status":"ok"}'
        time.sleep(0.4)
    conn.close()


def test_broken_access_file_fails_closed_until_fixed(limited: Server) -> None:
    good = limited.access.read_text()
    erin = limited.tokens["erin"]
    try:
        write_text(limited.access, good + "\n  - this: [is, not valid\n")
        r = limited.get(REPORT.format("P1"), erin, X_Forwarded_For="192.0.2.50")
        assert r.status == 503 and b"REPORT-CONTENT" not in r.body
        assert limited.audit_for(r)["outcome"] == "access_file_error"
        assert limited.get("/healthz").status == 503
    finally:
        write_text(limited.access, good)
    assert limited.get(REPORT.format("P1"), erin, X_Forwarded_For="192.0.2.51").status == 200
    assert limited.get("/healthz").status == 200
    assert "access file" in limited.logs() or "not valid" in limited.logs()


def test_unwritable_audit_log_means_no_report_is_served(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (Linux)")
    results = tmp_path / "results"
    write_reports(results, "P1")
    token = issue(tmp_path / "access.yaml", "hana", samples=("P1",))
    server = Server(
        results, tmp_path / "access.yaml", Path("/dev/full"), tmp_path
    ).start()  # every write: ENOSPC
    try:
        r = server.get(REPORT.format("P1"), token)
        assert r.status == 503 and b"REPORT-CONTENT" not in r.body
        assert r.json()["error"] == "audit log unavailable"
        assert "audit log write failed" in server.logs()
        assert server.get("/healthz").status == 200  # health checks are not audited
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    work = tmp_path_factory.mktemp("tls")
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_serves_tls_itself_with_hsts(tmp_path: Path, tls_pair: tuple[Path, Path]) -> None:
    results = tmp_path / "results"
    write_reports(results, "P1")
    token = issue(tmp_path / "access.yaml", "gina", samples=("P1",))
    server = Server(results, tmp_path / "access.yaml", tmp_path / "audit.jsonl", tmp_path, tls=tls_pair)
    server.start()
    try:
        r = server.get(REPORT.format("P1") + "?format=fhir", token)
        assert r.status == 200
        assert r.headers["content-type"] == "application/fhir+json"
        assert b'"resourceType": "Bundle"' in r.body
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert server.get(REPORT.format("P1"), "nope").status == 401
        # Certificate verification is real: a client that does not trust the cert refuses it.
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(
                f"https://127.0.0.1:{server.port}/healthz", context=ssl.create_default_context(), timeout=10
            )
        # Plain HTTP on the TLS port gets no report.
        reply = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"200 OK" not in reply
        assert token not in server.audit.read_text() + server.logs()
    finally:
        server.stop()
