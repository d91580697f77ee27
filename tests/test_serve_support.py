"""Helpers for the ``genorx serve`` tests: a real server process, real CLI calls, raw HTTP.

No tests here; the test modules import these helpers.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from genorx.atomic import write_text

GENORX = str(Path(sys.executable).with_name("genorx"))
FORM_FILES = {
    "html": "report.html",
    "json": "report.json",
    "tsv": "therapy.tsv",
    "fhir": "report.fhir.json",
}


def marker(sample: str) -> str:
    """A string that appears only inside the sample's report files (never in any log)."""
    return f"REPORT-CONTENT-{sample}-7f3a"


def write_reports(results: Path, sample: str, forms: tuple[str, ...] = tuple(FORM_FILES)) -> None:
    """The four report files of one sample, each written atomically like the report stage does."""
    m = marker(sample)
    bodies = {
        "html": f"<!doctype html><html><body><h1>{sample}</h1><p>{m}</p></body></html>\n",
        "json": json.dumps({"sample_id": sample, "marker": m}) + "\n",
        "tsv": f"sample_id\tdrug\tnote\n{sample}\tclopidogrel\t{m}\n",
        "fhir": json.dumps({"resourceType": "Bundle", "type": "collection", "id": sample, "note": m}) + "\n",
    }
    for form in forms:
        write_text(results / sample / FORM_FILES[form], bodies[form])


def genorx(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([GENORX, *args], capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"genorx {' '.join(args)} failed: {proc.stderr}")
    return proc


def issue(access: Path, principal: str, samples: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> str:
    """A new token through the real ``genorx access add`` command."""
    args = ["access", "add", "--access", str(access), "--principal", principal]
    for s in samples:
        args += ["--sample", s]
    for g in groups:
        args += ["--group", g]
    proc = genorx(*args)
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    return lines[0]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Server:
    """A ``genorx serve`` subprocess on a free loopback port."""

    results: Path
    access: Path
    audit: Path
    workdir: Path
    extra: list[str] = field(default_factory=list)
    tls: tuple[Path, Path] | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def stdout_path(self) -> Path:
        return self.workdir / "server.stdout"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / "server.stderr"

    def start(self) -> Server:
        args = [GENORX, "serve", "--results", str(self.results), "--access", str(self.access)]
        args += ["--audit", str(self.audit), "--port", "0", *self.extra]
        if self.tls is not None:
            args += ["--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=self.workdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"listening on https?://[^:]+:(\d+)", self.stderr_path.read_text())
            if found:
                self.port = int(found.group(1))
                break
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.stderr_path.read_text()}")
            time.sleep(0.05)
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server did not come up: {self.stderr_path.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def connection(self) -> http.client.HTTPConnection:
        if self.tls is None:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        ctx = ssl.create_default_context(cafile=str(self.tls[0]))
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=ctx)

    def get(self, path: str, token: str | None = None, **headers: str) -> Response:
        """GET ``path`` sent exactly as given (no normalisation of ``..`` or escapes)."""
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        conn = self.connection()
        try:
            conn.request("GET", path, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def raw(self, request: bytes) -> bytes:
        """Send bytes as they are (for requests http.client refuses to build)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def audit_lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.audit.read_text().splitlines()]

    def audit_for(self, response: Response) -> dict[str, object]:
        rid = response.headers["x-request-id"]
        hits = [line for line in self.audit_lines() if line["request_id"] == rid]
        assert len(hits) == 1, f"{len(hits)} audit lines for request {rid}"
        return hits[0]

    def logs(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()
