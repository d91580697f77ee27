"""Content-Security-Policy for served reports.

Every response gets :data:`BASE_CSP` (no scripts, no external loads). The HTML report is
self-contained and carries a small inline script (filtering, print); rather than allow any
inline script, an HTML response permits exactly the scripts the file holds, by their
SHA-256 (CSP Level 2 hash sources), so nothing injected into a report could run.
"""

from __future__ import annotations

import base64
import hashlib
import re

BASE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_SCRIPT = re.compile(rb"<script(?:\s[^>]*)?>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def script_hashes(html: bytes) -> list[str]:
    """CSP hash sources (``'sha256-<base64>'``) of every non-empty inline ``<script>`` block."""
    # Browsers hash the script text after the HTML parser has turned CRLF/CR into LF.
    found = {m.group(1).replace(b"\r\n", b"\n").replace(b"\r", b"\n") for m in _SCRIPT.finditer(html)}
    found = {s for s in found if s.strip()}
    return sorted(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in found)


def html_csp(html: bytes) -> str:
    """The policy for one HTML report: the base policy plus its own inline scripts."""
    hashes = script_hashes(html)
    return f"{BASE_CSP}; script-src {' '.join(hashes)}" if hashes else BASE_CSP
