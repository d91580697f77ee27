"""``genorx serve`` over real HTTP: authentication, authorisation, traversal, formats, audit."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from pathlib import Path

import pytest
from genorx.atomic import write_text
from test_serve_support import FORM_FILES, Server, genorx, issue, marker, write_reports

REPORT = "/api/v1/samples/{}/report"
CONTENT_TYPES = {
    "html": "text/html",
    "json": "application/json",
    "tsv": "text/tab-separated-values",
    "fhir": "application/fhir+json",
}

ALICE_SAMPLES = ("P1", "P5", "P6", "P7", "P8", "P9", "S-link", "F-link")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("serve")
    results = work / "results"
    for sample in ("P1", "P2", "P3", "P4"):
        write_reports(results, sample)
    write_reports(results, "P5", forms=("html",))
    access = work / "access.yaml"
    genorx("access", "group", "--access", str(access), "--group", "trial-a", "--sample", "P2")
    tokens = {
        "alice": issue(
            access,
            "alice",
            samples=("P1", "P5", "P6", "P7", "P8", "P9", "S-link", "F-link"),
            groups=("trial-a",),
        ),
        "bob": issue(access, "bob", samples=("P3",)),
    }
    # Rate limits are exercised by test_serve_proxy_tls.py; here they must not get in the way.
    server = Server(
        results, access, work / "audit.jsonl", work, ["--rate", "1000", "--burst", "1000"]
    ).start()
    server.tokens = tokens  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_healthz_needs_no_token_and_is_not_audited(served: Server) -> None:
    before = len(served.audit_lines())
    r = served.get("/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}
    assert r.headers["x-content-type-options"] == "nosniff"
    assert len(served.audit_lines()) == before


def test_no_token_is_401_with_bearer_challenge(served: Server) -> None:
    for path in (REPORT.format("P1"), "/api/v1/samples"):
        r = served.get(path)
        assert r.status == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert marker("P1").encode() not in r.body
    assert served.audit_for(r)["outcome"] == "no_token"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-real-token", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "bearer x y", "Token abc"],
)
def test_wrong_or_malformed_token_is_401(served: Server, authorization: str) -> None:
    r = served.get(REPORT.format("P1"), Authorization=authorization)
    assert r.status == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert marker("P1").encode() not in r.body


def test_other_principals_sample_is_404_indistinguishable_from_missing(served: Server) -> None:
    alice = served.tokens["alice"]
    assert served.get(REPORT.format("P3"), served.tokens["bob"]).status == 200
    denied = served.get(REPORT.format("P3"), alice)  # bob's sample
    unassigned = served.get(REPORT.format("P4"), alice)  # exists, nobody's
    missing = served.get(REPORT.format("P999"), alice)  # does not exist
    granted_missing = served.get(REPORT.format("P9"), alice)  # granted, does not exist
    no_form = served.get(REPORT.format("P5") + "?format=json", alice)  # granted, form absent
    no_route = served.get("/api/v1/nothing-here", alice)
    for r in (denied, unassigned, missing, granted_missing, no_form, no_route):
        assert r.status == 404
        assert r.body == missing.body
        assert set(r.headers) == set(missing.headers)
        assert b"REPORT-CONTENT" not in r.body
    assert served.audit_for(denied)["outcome"] == "denied"
    assert served.audit_for(missing)["outcome"] == "denied"  # not granted, whether or not it exists
    assert served.audit_for(granted_missing)["outcome"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/samples/../../../../etc/passwd/report",
        "/api/v1/samples/%2e%2e/report",
        "/api/v1/samples/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/report",
        "/api/v1/samples/..%2F..%2Fetc%2Fpasswd/report",
        "/api/v1/samples/P3%2F..%2FP1/report",
        "/api/v1/samples/%2Fetc%2Fpasswd/report",
        "/api/v1/samples//etc/passwd/report",
        "//etc/passwd",
        "/api/v1/samples/%00/report",
        "/api/v1/samples/P1%00/report",
        "/api/v1/samples/P1%00.html/report",
        "/api/v1/samples/..%5c..%5cetc/report",
        "/api/v1/samples/./report",
        "/api/v1/samples/P1%252F..%252FP3/report",
        "/api/v1/samples/.hidden/report",
        "/api/v1/samples/" + "A" * 65 + "/report",
        "/api/v1/samples/bad!id/report",
        "/api/v1/samples/P1%20/report",
    ],
)
def test_traversal_and_malformed_ids_are_400_or_404(served: Server, path: str) -> None:
    r = served.get(path, served.tokens["alice"])
    assert r.status in {400, 404}, (path, r.status, r.body)
    assert b"REPORT-CONTENT" not in r.body and b"root:" not in r.body


def test_malformed_sample_id_is_400_not_422(served: Server) -> None:
    r = served.get("/api/v1/samples/bad!id/report", served.tokens["alice"])
    assert r.status == 400
    assert r.json()["error"] == "malformed sample id"
    assert served.audit_for(r)["sample_id"] is None  # raw attacker input is never logged


def test_raw_nul_and_absolute_request_targets_are_rejected(served: Server) -> None:
    auth = f"Authorization: Bearer {served.tokens['alice']}\r\n".encode()
    for target in (b"/api/v1/samples/P1\x00/report", b"/etc/passwd", b"http://127.0.0.1/../etc/passwd"):
        reply = served.raw(
            b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Connection: close\r\n\r\n"
        )
        status = int(reply.split(b" ", 2)[1])
        assert status in {400, 404}, (target, reply[:200])
        assert b"root:" not in reply and b"REPORT-CONTENT" not in reply


def test_symlinks_in_the_results_tree_are_never_followed(served: Server, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_reports(outside, "S-link")
    (served.results / "S-link").symlink_to(outside / "S-link", target_is_directory=True)
    (served.results / "F-link").mkdir()
    (served.results / "F-link" / "report.html").symlink_to(outside / "S-link" / "report.html")
    for sample in ("S-link", "F-link"):
        r = served.get(REPORT.format(sample), served.tokens["alice"])
        assert r.status == 404 and b"REPORT-CONTENT" not in r.body


@pytest.mark.parametrize("form", list(FORM_FILES))
def test_each_form_by_format_param_and_by_accept(served: Server, form: str) -> None:
    expected = (served.results / "P1" / FORM_FILES[form]).read_bytes()
    by_param = served.get(REPORT.format("P1") + f"?format={form}", served.tokens["alice"])
    by_accept = served.get(REPORT.format("P1"), served.tokens["alice"], Accept=CONTENT_TYPES[form])
    for r in (by_param, by_accept):
        assert r.status == 200
        assert r.headers["content-type"].split(";")[0] == CONTENT_TYPES[form]
        assert r.body == expected
        assert r.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in r.headers  # plain HTTP, no trusted proxy
    line = served.audit_for(by_accept)
    assert (line["principal"], line["sample_id"], line["format"], line["outcome"], line["status"]) == (
        "alice",
        "P1",
        form,
        "ok",
        200,
    )


def test_html_csp_allows_exactly_the_reports_own_inline_scripts(served: Server) -> None:
    script1 = '\n"use strict";\ndocument.body.dataset.ok = "1";\n'
    script2 = "window.print && 0;"
    html = (
        "<!DOCTYPE html><html><head><style>p{color:red}</style></head><body><p>report</p>"
        f"<script>{script1}</script><SCRIPT type='text/javascript'>{script2}</SCRIPT ></body></html>"
    )
    write_text(served.results / "P6" / "report.html", html)
    write_reports(served.results, "P6", forms=("json",))
    r = served.get(REPORT.format("P6"), served.tokens["alice"])
    assert r.status == 200 and r.body == html.encode()
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    want = {
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in (script1, script2)
    }
    assert set(directives["script-src"].split()) == want
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    as_json = served.get(REPORT.format("P6") + "?format=json", served.tokens["alice"])
    assert "script-src" not in as_json.headers["content-security-policy"]
    big = html.replace("<p>report</p>", "<p>" + "large report " * 40_000 + "</p>")  # > 256 KiB
    write_text(served.results / "P6" / "report.html", big)
    r = served.get(REPORT.format("P6"), served.tokens["alice"])
    assert r.status == 200 and r.body == big.encode() and r.headers["content-security-policy"] == csp


@pytest.mark.parametrize(
    ("accept", "form"),
    [
        (None, "html"),
        ("*/*", "html"),
        ("application/*", "json"),
        ("text/html;q=0.1, application/fhir+json", "fhir"),
        ("text/*;q=0.5, text/tab-separated-values", "tsv"),
        ("application/xml, */*;q=0.1", "html"),
    ],
)
def test_accept_negotiation(served: Server, accept: str | None, form: str) -> None:
    headers = {} if accept is None else {"Accept": accept}
    r = served.get(REPORT.format("P2"), served.tokens["alice"], **headers)  # P2 via group trial-a
    assert r.status == 200
    assert r.body == (served.results / "P2" / FORM_FILES[form]).read_bytes()


@pytest.mark.parametrize(
    ("query", "accept"),
    [("?format=pdf", None), ("?format=", None), ("?format=/etc/passwd", None), ("", "application/pdf")],
)
def test_unknown_format_is_406(served: Server, query: str, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    r = served.get(REPORT.format("P1") + query, served.tokens["alice"], **headers)
    assert r.status == 406
    assert b"REPORT-CONTENT" not in r.body
    assert served.audit_for(r)["outcome"] == "not_acceptable"


def test_listing_shows_only_the_callers_samples(served: Server) -> None:
    r = served.get("/api/v1/samples", served.tokens["alice"])
    assert r.status == 200
    body = r.json()
    listed = {s["sample_id"]: s["formats"] for s in body["samples"]}
    assert body["principal"] == "alice"
    assert listed["P1"] == ["html", "json", "tsv", "fhir"] and listed["P5"] == ["html"]
    assert "P2" in listed and "P3" not in listed and "P4" not in listed
    bob = served.get("/api/v1/samples", served.tokens["bob"]).json()
    assert [s["sample_id"] for s in bob["samples"]] == ["P3"]


def test_request_limits(served: Server) -> None:
    token = served.tokens["alice"]
    assert served.get(REPORT.format("P1") + "?x=" + "a" * 3000, token).status == 414
    assert served.get(REPORT.format("P1"), token, X_Padding="b" * 9000).status == 431
    assert served.get(REPORT.format("P1"), token, Content_Length="5").status == 413
    conn = served.connection()
    conn.request("POST", REPORT.format("P1"), body=b"x", headers={"Authorization": f"Bearer {token}"})
    assert conn.getresponse().status in {405, 413}
    conn.close()


def test_new_sample_is_served_without_restart(served: Server) -> None:
    token = served.tokens["alice"]
    assert served.get(REPORT.format("P7"), token).status == 404
    write_reports(served.results, "P7")
    r = served.get(REPORT.format("P7") + "?format=json", token)
    assert r.status == 200 and json.loads(r.body)["sample_id"] == "P7"
    assert "P7" in {s["sample_id"] for s in served.get("/api/v1/samples", token).json()["samples"]}


def test_half_written_temp_file_is_never_served(served: Server) -> None:
    token = served.tokens["alice"]
    sample_dir = served.results / "P8"
    sample_dir.mkdir()
    partial = sample_dir / ".report.html.k2j4h1.tmp.html"
    partial.write_text("<!doctype html><html><body>HALF-WRITT")
    r = served.get(REPORT.format("P8"), token)
    assert r.status == 404 and b"HALF" not in r.body
    write_text(sample_dir / "report.html", "<html>WHOLE</html>")
    partial.write_text("<html>HALF-WRITTEN-NEXT-VERSI")
    r = served.get(REPORT.format("P8"), token)
    assert r.status == 200 and r.body == b"<html>WHOLE</html>"


def test_reports_rewritten_concurrently_are_always_whole(served: Server) -> None:
    """A writer replaces P1's report.json atomically in a loop; every response must be one version."""
    path = served.results / "P1" / "report.json"
    original = path.read_bytes()
    stop = threading.Event()

    def version(n: int) -> None:
        payload = f"{n:08d}" * (100 + (n * 7919) % 40_000)  # small (inline) and large (streamed) files
        digest = hashlib.sha256(payload.encode()).hexdigest()
        write_text(path, json.dumps({"n": n, "payload": payload, "sha256": digest}))

    def writer() -> None:
        n = 1
        while not stop.is_set():
            version(n)
            n += 1

    version(0)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = set()
        for _ in range(120):
            r = served.get(REPORT.format("P1") + "?format=json", served.tokens["alice"])
            assert r.status == 200
            doc = json.loads(r.body)
            assert hashlib.sha256(doc["payload"].encode()).hexdigest() == doc["sha256"]
            seen.add(doc["n"])
        assert len(seen) > 5  # the file really was being replaced underneath
    finally:
        stop.set()
        thread.join()
        write_text(path, original.decode())


def test_access_add_and_revoke_take_effect_without_restart(served: Server) -> None:
    carol = issue(served.access, "carol", samples=("P4",))
    r = served.get(REPORT.format("P4"), carol)
    assert r.status == 200 and served.audit_for(r)["principal"] == "carol"
    genorx("access", "revoke", "--access", str(served.access), "--principal", "carol")
    assert served.get(REPORT.format("P4"), carol).status == 401

    dave1 = issue(served.access, "dave", samples=("P4",))
    dave2 = issue(served.access, "dave", samples=("P4",))
    digest1 = hashlib.sha256(dave1.encode()).hexdigest()
    genorx("access", "revoke", "--access", str(served.access), "--token-hash", digest1[:10])
    assert served.get(REPORT.format("P4"), dave1).status == 401
    assert served.get(REPORT.format("P4"), dave2).status == 200
    served.tokens.update({"carol": carol, "dave1": dave1, "dave2": dave2})


def test_every_access_is_audited_and_no_log_holds_a_token_or_content(served: Server) -> None:
    alice, bob = served.tokens["alice"], served.tokens["bob"]
    responses = [
        served.get(REPORT.format("P1") + "?format=tsv", alice),
        served.get(REPORT.format("P3"), alice),
        served.get(REPORT.format("P1")),
        served.get(REPORT.format("P1"), "wrong-" + bob),
        served.get(REPORT.format("bad!id"), alice),
        served.get(REPORT.format("%2e%2e"), alice),
        served.get(REPORT.format("..%2Fsecret"), alice),
        served.get("/api/v1/samples", bob),
        served.get(REPORT.format("P1") + f"?format=json&token={alice}", alice),
    ]
    expected = [
        ("alice", "P1", "tsv", "ok", 200),
        ("alice", "P3", "html", "denied", 404),
        (None, None, None, "no_token", 401),
        (None, None, None, "invalid_token", 401),
        ("alice", None, None, "bad_sample_id", 400),
        (None, None, None, "bad_request", 400),
        (None, None, None, "bad_request", 400),
        ("bob", None, None, "listed", 200),
        ("alice", "P1", "json", "ok", 200),
    ]
    for r, want in zip(responses, expected, strict=True):
        line = served.audit_for(r)
        got = (line["principal"], line["sample_id"], line["format"], line["outcome"], line["status"])
        assert got == want
        assert r.status == want[-1]
        assert line["client"] == "127.0.0.1" and line["time"].endswith("Z")
    # Every request made by any test of this module is in the audit log (only /healthz is exempt).
    lines = served.audit_lines()
    assert len({line["request_id"] for line in lines}) == len(lines)
    text = served.audit.read_text() + served.logs()
    for token in served.tokens.values():
        assert token not in text
        assert token[:16] not in text
    assert "REPORT-CONTENT" not in text


def test_audit_log_is_append_only_private_and_follows_rotation(served: Server) -> None:
    assert served.audit.stat().st_mode & 0o077 == 0
    before = served.audit.read_bytes()
    served.get(REPORT.format("P1"), served.tokens["alice"])
    after = served.audit.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    rotated = served.audit.with_suffix(".1")
    served.audit.rename(rotated)  # what logrotate does
    r = served.get(REPORT.format("P1"), served.tokens["alice"])
    assert rotated.read_bytes() == after
    assert [line["request_id"] for line in served.audit_lines()] == [r.headers["x-request-id"]]
    assert served.audit.stat().st_mode & 0o077 == 0
