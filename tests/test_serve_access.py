"""``genorx access`` and the access file, the rate limiter and format negotiation (no server)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from genorx.atomic import write_text
from genorx.serve.access import AccessStore, AccessUnavailable, load_access
from genorx.serve.forms import negotiate
from genorx.serve.ratelimit import TokenBuckets
from test_serve_support import GENORX, genorx, issue


def test_add_prints_the_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    access = tmp_path / "access.yaml"
    proc = genorx("access", "add", "--access", str(access), "--principal", "dr-smith", "--sample", "P1")
    token = proc.stdout.strip()
    assert proc.stdout == token + "\n" and len(token) >= 43
    assert token not in proc.stderr
    text = access.read_text()
    assert token not in text
    assert hashlib.sha256(token.encode()).hexdigest() in text
    assert access.stat().st_mode & 0o077 == 0
    table = load_access(access)
    assert [(e.principal, e.samples) for e in table.tokens] == [("dr-smith", ("P1",))]
    listing = genorx("access", "list", "--access", str(access)).stdout
    assert "dr-smith" in listing and token not in listing
    assert hashlib.sha256(token.encode()).hexdigest()[:12] in listing


def test_tokens_are_unique_and_revocable_by_principal_or_hash(tmp_path: Path) -> None:
    access = tmp_path / "access.json"  # JSON access files work the same way
    t1 = issue(access, "amy", samples=("P1",))
    t2 = issue(access, "amy", samples=("P2",))
    t3 = issue(access, "ben", groups=("trial-a",))
    assert len({t1, t2, t3}) == 3
    assert json.loads(access.read_text())["version"] == 1
    prefix = hashlib.sha256(t1.encode()).hexdigest()[:8]
    genorx("access", "revoke", "--access", str(access), "--token-hash", prefix)
    assert [e.principal for e in load_access(access).tokens] == ["amy", "ben"]
    genorx("access", "revoke", "--access", str(access), "--principal", "amy")
    assert [e.principal for e in load_access(access).tokens] == ["ben"]
    again = genorx("access", "revoke", "--access", str(access), "--principal", "amy", check=False)
    assert again.returncode == 2
    assert again.stderr.startswith("genorx: error: ") and again.stderr.count("\n") == 1


def test_groups_grant_their_members(tmp_path: Path) -> None:
    access = tmp_path / "access.yaml"
    token = issue(access, "cat", samples=("P9",), groups=("trial-a",))
    genorx("access", "group", "--access", str(access), "--group", "trial-a", "--sample", "P1", "--sample=P2")
    store = AccessStore(access)
    grant = store.lookup(token)
    assert grant is not None and grant.samples == {"P1", "P2", "P9"}
    assert store.lookup(token + "x") is None and store.lookup("") is None
    genorx("access", "group", "--access", str(access), "--group", "trial-a", "--delete")
    assert store.lookup(token).samples == {"P9"}  # re-read after the atomic replace


@pytest.mark.parametrize(
    "args",
    [
        ["--principal", "x", "--sample", "../P1"],
        ["--principal", "x", "--sample", "P1/../P2"],
        ["--principal", "x", "--sample", ".."],
        ["--principal", "x", "--group", "a b"],
        ["--principal", "bad principal", "--sample", "P1"],
        ["--principal", "x"],
    ],
)
def test_add_rejects_malformed_input_with_one_line(tmp_path: Path, args: list[str]) -> None:
    proc = genorx("access", "add", "--access", str(tmp_path / "a.yaml"), *args, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("genorx: error: ") and "fix:" in proc.stderr
    assert not (tmp_path / "a.yaml").exists()


def test_concurrent_adds_lose_nothing(tmp_path: Path) -> None:
    access = tmp_path / "access.yaml"
    procs = [
        subprocess.Popen(
            [GENORX, "access", "add", "--access", str(access), "--principal", f"p{i}", "--sample", "P1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(8)
    ]
    tokens = [p.communicate(timeout=60)[0].decode().strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    stored = {e.token_sha256 for e in load_access(access).tokens}
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}


def test_malformed_access_file_is_one_line_error_and_store_fails_closed(tmp_path: Path) -> None:
    access = tmp_path / "access.yaml"
    token = issue(access, "dan", samples=("P1",))
    store = AccessStore(access, on_error=lambda m: None)
    assert store.lookup(token) is not None
    write_text(access, "tokens:\n  - token_sha256: 1234\n    principal: dan\n")
    with pytest.raises(AccessUnavailable, match="64 lowercase hex"):
        store.lookup(token)
    (tmp_path / "results").mkdir()
    proc = genorx("serve", "--results", str(tmp_path / "results"), "--access", str(access), check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("genorx: error: ") and "tokens[0]" in proc.stderr
    missing = genorx("serve", "--results", str(tmp_path / "nope"), "--access", str(access), check=False)
    assert missing.returncode == 2 and "results directory not found" in missing.stderr


def test_token_buckets_refill_at_the_configured_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=3, max_keys=2, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0.0  # independent key
    now[0] = 0.5
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0
    buckets.take("c")
    assert len(buckets) == 2  # bounded memory
    assert TokenBuckets(rate=0, burst=1).take("a") == 0.0


@pytest.mark.parametrize(
    ("param", "accept", "want"),
    [
        ("json", "text/html", "json"),
        ("FHIR", None, "fhir"),
        ("pdf", None, None),
        (None, None, "html"),
        (None, "text/html;q=0, application/json;q=0.2", "json"),
        (None, "application/json;q=0", None),
        (None, "*/*;q=0.1, application/fhir+json;q=0.9", "fhir"),
        (None, "text/csv", None),
        (None, "text/tab-separated-values;q=abc, text/html", "html"),
    ],
)
def test_negotiate(param: str | None, accept: str | None, want: str | None) -> None:
    form = negotiate(param, accept)
    assert (form.name if form else None) == want
