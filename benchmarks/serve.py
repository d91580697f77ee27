"""Load benchmark for ``genorx serve``: throughput, latency, correctness and memory under load.

The server runs in one process; a bounded load (default 50 concurrent keep-alive clients,
10,000 requests) comes from a second process on loopback (asyncio streams). The mixed load
has requests for the caller's own samples in all four forms (each body checked by SHA-256),
for other principals' samples and for missing samples (each must be 404 and hold no report
content) and sample listings. Reported: requests/s, p50/p99 latency, errors, unauthorised
reads, audit lines written, and the server's RSS before/during/after (two rounds, to show it
stays flat). Peers, same files and the same client in the same run, own-sample requests only:
``python -m http.server`` (stdlib static server, no auth) and uvicorn + Starlette
``StaticFiles`` (the same ASGI stack without authentication, authorisation or audit).

    .venv/bin/python benchmarks/serve.py [--requests 10000] [--concurrency 50]

Writes ``benchmarks/out/serve.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
BIN = Path(sys.executable).parent
FORMS = {"html": "report.html", "json": "report.json", "tsv": "therapy.tsv", "fhir": "report.fhir.json"}
SIZES = {"html": 48_000, "json": 16_000, "tsv": 2_000, "fhir": 24_000}  # bytes, report-like
MARK = "BENCH-REPORT-CONTENT"


# ---------------------------------------------------------------- fixture
def build_tree(root: Path, n_samples: int, n_principals: int, per: int) -> dict:
    from genorx.atomic import write_text
    from genorx.serve.access_cli import main as access_main

    rng = random.Random(7)
    results, access = root / "results", root / "access.yaml"
    digests: dict[str, dict[str, str]] = {}
    for i in range(n_samples):
        sample = f"S{i:04d}"
        digests[sample] = {}
        for form, name in FORMS.items():
            filler = "".join(rng.choices("ACGT \n", k=SIZES[form]))
            text = f"{MARK} {sample} {form}\n{filler}"
            write_text(results / sample / name, text)
            digests[sample][form] = hashlib.sha256(text.encode()).hexdigest()
    tokens, grants = [], []
    for p in range(n_principals):
        own = [f"S{(p * per + k) % n_samples:04d}" for k in range(per)]
        argv = ["add", "--access", str(access), "--principal", f"user{p}"]
        for s in own:
            argv += ["--sample", s]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            access_main(argv)
        tokens.append(buf.getvalue().strip())
        grants.append(own)
    return {"results": results, "access": access, "tokens": tokens, "grants": grants, "digests": digests}


def make_plan(fx: dict, n: int, seed: int, own_only: bool = False, static: bool = False) -> list[dict]:
    rng = random.Random(seed)
    samples = sorted(fx["digests"])
    plan = []
    for _ in range(n):
        p = rng.randrange(len(fx["tokens"]))
        roll = 1.0 if own_only else rng.random()
        form = rng.choice(list(FORMS))
        if roll < 0.05:
            plan.append({"t": p, "path": "/api/v1/samples", "kind": "list"})
        elif roll < 0.15:
            other = rng.choice([s for s in samples[:64] if s not in fx["grants"][p]])
            plan.append({"t": p, "path": f"/api/v1/samples/{other}/report?format={form}", "kind": "denied"})
        elif roll < 0.20:
            plan.append(
                {"t": p, "path": f"/api/v1/samples/S9{rng.randrange(999):03d}/report", "kind": "missing"}
            )
        else:
            sample = rng.choice(fx["grants"][p])
            path = f"/{sample}/{FORMS[form]}" if static else f"/api/v1/samples/{sample}/report?format={form}"
            plan.append({"t": p, "path": path, "kind": "own", "sha": fx["digests"][sample][form]})
    return plan


# ---------------------------------------------------------------- load client (second process)
class Conn:
    """A minimal HTTP/1.1 keep-alive client connection on asyncio streams.

    httpx's AsyncClient spends 3-6 ms of CPU per request at this concurrency (several times
    the server's cost), so it would measure itself; this reads status, headers and exactly
    Content-Length bytes, and reconnects when the server closes (HTTP/1.0 peers).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode())
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
        if "content-length" in fields:
            body = await self.reader.readexactly(int(fields["content-length"]))
        else:
            body = await self.reader.read()
        if version == "HTTP/1.0" or fields.get("connection", "").lower() == "close":
            await self.close()
        return int(status), body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _load(port: int, tokens: list[str], grants: list[list[str]], plan: list[dict], conc: int) -> dict:
    lat: dict[str, list[float]] = {}
    counts = {"errors": 0, "unauthorised_reads": 0, "transport_errors": 0}
    statuses: dict[int, int] = {}
    it = iter(plan)

    async def worker() -> None:
        conn = Conn(port)
        for req in it:
            headers = {"Authorization": f"Bearer {tokens[req['t']]}"}
            t0 = time.perf_counter()
            try:
                status, body = await conn.get(req["path"], headers)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                counts["transport_errors"] += 1
                counts["errors"] += 1
                await conn.close()
                continue
            lat.setdefault(req["kind"], []).append((time.perf_counter() - t0) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if req["kind"] == "own":
                ok = status == 200 and hashlib.sha256(body).hexdigest() == req["sha"]
            elif req["kind"] == "list":
                listed = {s["sample_id"] for s in json.loads(body)["samples"]} if status == 200 else None
                ok = listed is not None and listed <= set(grants[req["t"]])
                counts["unauthorised_reads"] += int(listed is not None and not ok)
            else:
                ok = status == 404 and MARK.encode() not in body
                counts["unauthorised_reads"] += int(status == 200 or MARK.encode() in body)
            counts["errors"] += int(not ok)
        await conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "latency_ms": lat, "statuses": statuses, **counts}


def client_main(args: argparse.Namespace) -> int:
    spec = json.loads(Path(args.client).read_text())
    res = asyncio.run(_load(spec["port"], spec["tokens"], spec["grants"], spec["plan"], spec["concurrency"]))
    Path(spec["out"]).write_text(json.dumps(res))
    return 0


# ---------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise SystemExit("server did not come up")


def start_genorx(fx: dict, work: Path) -> tuple[subprocess.Popen, int]:
    err = open(work / "genorx-serve.stderr", "wb")
    args = [str(BIN / "genorx"), "serve", "--results", str(fx["results"]), "--access", str(fx["access"])]
    args += ["--audit", str(work / "audit.jsonl"), "--port", "0", "--rate", "100000", "--burst", "100000"]
    args += ["--log-level", "warning"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = re.search(r"listening on http://[^:]+:(\d+)", (work / "genorx-serve.stderr").read_text())
        if m:
            port = int(m.group(1))
            wait_up(port, proc)
            return proc, port
        time.sleep(0.05)
    raise SystemExit("genorx serve did not start")


def start_peer(kind: str, results: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if kind == "http.server":
        args = [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(results),
        ]
    else:
        args = [sys.executable, __file__, "--static-peer", str(results), "--port", str(port)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(port, proc)
    return proc, port


def static_peer_main(args: argparse.Namespace) -> int:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app = Starlette(routes=[Mount("/", StaticFiles(directory=args.static_peer))])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_load(port: int, fx: dict, plan: list[dict], conc: int, work: Path, pid: int | None) -> dict:
    spec = work / "client.json"
    out = work / "client-out.json"
    spec.write_text(json.dumps({"port": port, "tokens": fx["tokens"], "grants": fx["grants"],
                                "plan": plan, "concurrency": conc, "out": str(out)}))  # fmt: skip
    samples: list[float] = []
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set() and pid is not None:
            samples.append(rss_mb(pid))
            stop.wait(0.1)

    thread = threading.Thread(target=sampler)
    thread.start()
    subprocess.run([sys.executable, __file__, "--client", str(spec)], check=True)
    stop.set()
    thread.join()
    res = json.loads(out.read_text())
    res["rss_during_mb"] = samples
    return res


def summarise(name: str, res: dict) -> dict:
    every = [x for v in res["latency_ms"].values() for x in v]
    n = len(every) + res["transport_errors"]
    q = statistics.quantiles(every, n=100) if len(every) > 1 else [float("nan")] * 99
    by_kind = {k: round(statistics.median(v), 3) for k, v in res["latency_ms"].items()}
    rps = round(n / res["wall_s"], 1)
    return {"name": name, "requests": n, "wall_s": round(res["wall_s"], 3), "rps": rps,
            "p50_ms": round(q[49], 3), "p99_ms": round(q[98], 3), "errors": res["errors"],
            "unauthorised_reads": res["unauthorised_reads"], "statuses": res["statuses"],
            "median_ms_by_kind": by_kind}  # fmt: skip


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--samples", type=int, default=400)
    ap.add_argument("--principals", type=int, default=50)
    ap.add_argument("--out", type=Path, default=OUT / "serve.json")
    ap.add_argument("--client", help=argparse.SUPPRESS)
    ap.add_argument("--static-peer", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.client:
        return client_main(args)
    if args.static_peer:
        return static_peer_main(args)

    with tempfile.TemporaryDirectory(prefix="genorx-bench-serve-") as tmp:
        work = Path(tmp)
        fx = build_tree(work, args.samples, args.principals, per=4)
        n, conc = args.requests, args.concurrency
        rows, report = [], {"requests": n, "concurrency": conc, "samples": args.samples,
                            "principals": args.principals, "cpus": os.cpu_count()}  # fmt: skip

        proc, port = start_genorx(fx, work)
        try:
            run_load(port, fx, make_plan(fx, 1000, 1), conc, work, None)  # warm-up
            rss_before = rss_mb(proc.pid)
            audit_before = len((work / "audit.jsonl").read_text().splitlines())
            mixed = run_load(port, fx, make_plan(fx, n, 2), conc, work, proc.pid)
            rss_round1 = rss_mb(proc.pid)
            audit_lines = len((work / "audit.jsonl").read_text().splitlines()) - audit_before
            mixed2 = run_load(port, fx, make_plan(fx, n, 3), conc, work, proc.pid)
            rss_round2 = rss_mb(proc.pid)
            own = run_load(port, fx, make_plan(fx, n, 4, own_only=True), conc, work, None)
            logs = (work / "genorx-serve.stderr").read_text() + (work / "audit.jsonl").read_text()
            leaked = sum(t in logs for t in fx["tokens"])
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        rows += [summarise("genorx mixed (auth, 20% denied/missing)", mixed),
                 summarise("genorx mixed, round 2", mixed2),
                 summarise("genorx own-sample reports", own)]  # fmt: skip
        for peer in ("uvicorn+StaticFiles", "http.server"):
            pproc, pport = start_peer(peer, fx["results"])
            try:
                res = run_load(pport, fx, make_plan(fx, n, 4, own_only=True, static=True), conc, work, None)
            finally:
                pproc.terminate()
                pproc.wait(timeout=30)
            rows.append(summarise(f"peer {peer} (static, no auth)", res))

        during = mixed["rss_during_mb"] + mixed2["rss_during_mb"]
        report["memory_mb"] = {"before": round(rss_before, 1), "peak": round(max(during), 1),
                               "after_round1": round(rss_round1, 1), "after_round2": round(rss_round2, 1),
                               "growth_round2_mb": round(rss_round2 - rss_round1, 1)}  # fmt: skip
        denied_ms = mixed["latency_ms"].get("denied", [0])
        missing_ms = mixed["latency_ms"].get("missing", [0])
        report["audit_lines_for_mixed_round"] = audit_lines
        report["tokens_found_in_logs"] = leaked
        report["denied_vs_missing_p50_ratio"] = round(
            statistics.median(denied_ms) / statistics.median(missing_ms), 3
        )
        report["rows"] = rows
        by = {r["name"]: r for r in rows}
        g = by["genorx own-sample reports"]
        report["ratios"] = {p: {"rps": round(g["rps"] / by[f"peer {p} (static, no auth)"]["rps"], 3),
                                "p50": round(g["p50_ms"] / by[f"peer {p} (static, no auth)"]["p50_ms"], 3)}
                            for p in ("uvicorn+StaticFiles", "http.server")}  # fmt: skip

    print(f"\n{'run':<44} {'req':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'unauth':>6}")
    for r in rows:
        print(f"{r['name']:<44} {r['requests']:>6} {r['rps']:>8.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
              f"{r['errors']:>6} {r['unauthorised_reads']:>6}")  # fmt: skip
    m = report["memory_mb"]
    print(f"\nserver RSS MB: before {m['before']}, peak {m['peak']}, after round 1 {m['after_round1']}, "
          f"after round 2 {m['after_round2']} (growth {m['growth_round2_mb']})")  # fmt: skip
    print(f"audit lines for the {n}-request mixed round: {report['audit_lines_for_mixed_round']}; "
          f"tokens found in logs: {leaked}; denied/missing 404 median latency ratio: "
          f"{report['denied_vs_missing_p50_ratio']}")  # fmt: skip
    for p, r in report["ratios"].items():
        print(f"genorx/{p}: throughput x{r['rps']}, p50 latency x{r['p50']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    ok = all(r["errors"] == 0 and r["unauthorised_reads"] == 0 for r in rows) and leaked == 0
    return 0 if ok and audit_lines == n else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
