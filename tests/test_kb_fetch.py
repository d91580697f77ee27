"""genorx kb fetch / mirror over a real HTTP server on a loopback port."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from genorx.errors import GenorxError
from genorx.kb.build import build_kb
from genorx.kb.fetch import fetch_kb
from genorx.kb.load import load_kb
from genorx.kb.mirror import mirror_kb
from genorx.kb.staging import sha256_file

pytestmark = pytest.mark.shared

SMALL_GENES = ("CYP2C19", "VKORC1")


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, plus failure modes switched on per path by the test."""

    fail: ClassVar[dict[str, int]] = {}  # path -> HTTP status to answer instead
    truncate: ClassVar[set[str]] = set()  # paths sent with their full Content-Length but cut in half
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.lstrip("/")
        type(self).requests.append(path)
        if path in self.fail:
            self.send_error(self.fail[path])
            return
        if path in self.truncate:
            data = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def serve() -> Iterator:
    """serve(folder) -> base URL of a real http.server in a thread, stopped after the test."""
    servers = []

    def start(folder: Path) -> str:
        Handler.fail, Handler.truncate, Handler.requests = {}, set(), []
        handler = functools.partial(Handler, directory=str(folder))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def small_mirror(shared: Path, tmp_path: Path) -> Path:
    """A small PharmCAT-format mirror (two genes, their guidelines) indexed by genorx kb mirror."""
    src = shared / "kb" / "pharmcat"
    data = tmp_path / "data"
    for gene in SMALL_GENES:
        for rel in (f"definition/alleles/{gene}_translation.json", f"phenotype/{gene}.json"):
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, data / rel)
    (data / "reporter" / "guidelines").mkdir(parents=True)
    for path in sorted((src / "reporter" / "guidelines").glob("*clopidogrel*")):
        shutil.copy2(path, data / "reporter" / "guidelines" / path.name)
    shutil.copy2(src / "definition" / "alleles" / "exemptions.json", data / "definition" / "alleles")
    mirror = tmp_path / "mirror"
    index = mirror_kb(data, mirror, name="test-mirror", description="two genes")
    assert len(index["files"]) == 7
    return mirror


def test_fetch_the_shared_kb_over_http(shared: Path, serve, tmp_path: Path) -> None:
    src = shared / "kb" / "pharmcat"
    base = serve(src)
    out = tmp_path / "kb"
    prov = fetch_kb(base, out)
    index = json.loads((src / "index.json").read_text())
    assert len(prov["files"]) == len(index["files"]) == 164
    for entry in index["files"]:
        assert sha256_file(out / entry["path"]) == entry["sha256"]
    saved = json.loads((out / "provenance.json").read_text())
    assert (
        saved["url"] == base
        and saved["index"]["name"] == "pharmcat-data"
        and saved["fetched_at"].endswith("Z")
    )
    assert saved["index"]["sha256"] == sha256_file(src / "index.json")
    kb = load_kb(out)
    assert kb.info.source == "fetched" and kb.info.url == base and kb.info.has_prose
    assert kb.info.version == "2025-11-05-00-25 (guidelines 2024-03-25-16-13)"
    assert not list(tmp_path.glob(".kb*"))  # staging swapped in, nothing left over


def test_checksum_mismatch_keeps_the_previous_kb(small_mirror: Path, serve, tmp_path: Path) -> None:
    base = serve(small_mirror)
    out = tmp_path / "kb"
    build_kb(small_mirror, out)  # the previous KB (nothing in it can stand in for a download)
    before = {p.relative_to(out): sha256_file(p) for p in out.rglob("*") if p.is_file()}
    target = small_mirror / "phenotype" / "CYP2C19.json"
    data = bytearray(target.read_bytes())
    data[100] = ord("X") if data[100] != ord("X") else ord("Y")  # one byte changed, same size
    target.write_bytes(bytes(data))
    with pytest.raises(
        GenorxError, match=r"phenotype/CYP2C19\.json: checksum mismatch .*previous KB was left"
    ):
        fetch_kb(base, out, retries=0)
    assert {p.relative_to(out): sha256_file(p) for p in out.rglob("*") if p.is_file()} == before
    assert load_kb(out).info.source == "built"


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_are_clear_and_leave_no_kb(
    small_mirror: Path, serve, tmp_path: Path, status: int
) -> None:
    base = serve(small_mirror)
    Handler.fail = {"phenotype/VKORC1.json": status}
    out = tmp_path / "kb"
    with pytest.raises(GenorxError, match=rf"phenotype/VKORC1\.json: HTTP {status}"):
        fetch_kb(base, out, retries=1, backoff=0.01)
    assert not out.exists()
    tries = Handler.requests.count("phenotype/VKORC1.json")
    assert tries == (2 if status == 500 else 1)  # 5xx is retried, 404 is not


def test_truncated_download_is_an_error_then_resumes(small_mirror: Path, serve, tmp_path: Path) -> None:
    base = serve(small_mirror)
    Handler.truncate = {"phenotype/VKORC1.json"}
    out = tmp_path / "kb"
    with pytest.raises(GenorxError, match=r"VKORC1\.json: .*(truncated|interrupted)"):
        fetch_kb(base, out, retries=1, backoff=0.01)
    assert not out.exists()
    # the next run does not download the files it already verified
    Handler.truncate, Handler.requests = set(), []
    fetch_kb(base, out)
    assert load_kb(out).genes == sorted(SMALL_GENES)
    assert "definition/alleles/CYP2C19_translation.json" not in Handler.requests
    assert "phenotype/VKORC1.json" in Handler.requests


def test_fetch_from_a_local_folder_and_mirror_round_trip(small_mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    prov = fetch_kb(str(small_mirror), out)
    assert prov["index"]["description"] == "two genes"
    # re-mirroring the fetched KB in place gives an index fetch accepts again
    index = mirror_kb(out, out)
    assert {f["path"] for f in index["files"]} == {
        f["path"] for f in json.loads((small_mirror / "index.json").read_text())["files"]
    }
    again = fetch_kb(f"file://{out}", tmp_path / "kb2")
    assert again["files"] == prov["files"]


def test_bad_index_and_bad_mirror_source(tmp_path: Path, small_mirror: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "index.json").write_text(
        json.dumps({"files": [{"path": "../x", "sha256": "0", "size": 1}]})
    )
    with pytest.raises(GenorxError, match="unsafe or reserved path"):
        fetch_kb(str(tmp_path / "m"), tmp_path / "kb")
    with pytest.raises(GenorxError, match="index not found"):
        fetch_kb(str(tmp_path), tmp_path / "kb")
    with pytest.raises(GenorxError, match="not PharmCAT-format data"):
        mirror_kb(tmp_path / "m", tmp_path / "out")
