"""The real HTML report, served by ``genorx serve``, in headless Chromium.

The report stage's own ``report.html`` is fetched over HTTP with a bearer token (set through
the DevTools protocol); under the server's Content-Security-Policy its inline filter script
must run, nothing outside the page may load, and the console must be free of CSP violations.
"""

from __future__ import annotations

from pathlib import Path

from conftest import require_tools
from test_html_chromium import browser  # noqa: F401 - the module-scoped Chromium fixture
from test_report_support import make_qc_dir, run_report
from test_serve_support import Server, issue


def test_served_report_runs_under_the_servers_csp(browser, tmp_path: Path) -> None:  # noqa: F811
    require_tools("samtools")
    results = tmp_path / "results"
    run_report(results / "P1", qc=make_qc_dir(tmp_path))
    token = issue(tmp_path / "access.yaml", "dr-web", samples=("P1",))
    server = Server(results, tmp_path / "access.yaml", tmp_path / "audit.jsonl", tmp_path).start()
    try:
        dt = browser
        for domain in ("Network", "Runtime", "Log", "Page"):
            dt.call(f"{domain}.enable")
        dt.call("Network.setExtraHTTPHeaders", headers={"Authorization": f"Bearer {token}"})
        dt.events.clear()
        url = f"http://127.0.0.1:{server.port}/api/v1/samples/P1/report"
        dt.call("Page.navigate", url=url)
        dt.wait_for("Page.loadEventFired")
        assert dt.evaluate("document.readyState") == "complete"
        assert dt.evaluate("document.querySelector('#drug-summary h2').innerText").startswith("Drug summary")

        total = dt.evaluate("document.querySelectorAll('#drug-summary tbody tr').length")
        shown = dt.evaluate(
            "(() => { document.querySelector('[data-filter=actionable]').click();"
            " return [...document.querySelectorAll('#drug-summary tbody tr')]"
            ".filter(r => r.getBoundingClientRect().height > 0).length; })()"
        )
        assert 0 < shown < total  # the inline script ran: CSP allowed it by its hash

        # An injected script (not in the served file) is blocked by the same policy.
        dt.evaluate(
            "(() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
            " document.body.appendChild(s); })()"
        )
        assert dt.evaluate("window.__pwned === undefined") is True

        requests = [
            e["params"]["request"]["url"] for e in dt.events if e.get("method") == "Network.requestWillBeSent"
        ]
        assert requests and all(u == url or u.startswith("data:") for u in requests), requests
        responses = [
            e["params"]["response"] for e in dt.events if e.get("method") == "Network.responseReceived"
        ]
        page = next(r for r in responses if r["url"] == url)
        assert page["status"] == 200 and page["mimeType"] == "text/html"
        logs = [e["params"]["entry"] for e in dt.events if e.get("method") == "Log.entryAdded"]
        violations = [e for e in logs if "Content Security Policy" in e.get("text", "")]
        # exactly one violation: the injected script above; the report's own script is not one
        assert len(violations) == 1, violations
        errors = [e for e in dt.events if e.get("method") == "Runtime.exceptionThrown"]
        assert not errors, errors
        assert token not in server.audit.read_text() + server.logs()
    finally:
        server.stop()
