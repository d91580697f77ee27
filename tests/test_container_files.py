"""The container recipes stay in step with the repository (no container engine needed).

Containerfile and containers/genorx.def copy paths that must exist and not be excluded by
.dockerignore, install the same Debian package list, and that list carries every program the
workflow's rules run (checked against the Debian packages that provide them on this machine).
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from smk_rules import BASE_PROGRAMS, parse_workflow, programs

REPO = Path(__file__).resolve().parent.parent
PACKAGES = REPO / "containers" / "debian-packages.txt"


def debian_packages() -> list[str]:
    return [
        line.strip()
        for line in PACKAGES.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def containerfile_copies() -> list[str]:
    sources = []
    for line in (REPO / "Containerfile").read_text().splitlines():
        match = re.match(r"^\s*COPY\s+(?!--from)(.+)$", line)
        if match:
            sources += match.group(1).split()[:-1]
    return sources


def def_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {"header": []}
    current = "header"
    for line in (REPO / "containers" / "genorx.def").read_text().splitlines():
        if line.startswith("%"):
            current = line[1:].split()[0]
            sections[current] = []
        elif line.strip() and not line.lstrip().startswith("#"):
            sections[current].append(line.strip())
    return sections


def ignored(path: str) -> bool:
    patterns = [p.strip() for p in (REPO / ".dockerignore").read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]
    return any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_containerfile_copies_existing_unignored_paths():
    sources = containerfile_copies()
    assert "workflow" in sources and "pyproject.toml" in sources and "Snakefile" in sources
    for src in sources:
        assert (REPO / src).exists(), f"Containerfile copies {src}, which does not exist"
        assert not ignored(src), f"Containerfile copies {src}, which .dockerignore excludes"
    text = (REPO / "Containerfile").read_text()
    assert re.search(r"^ARG BASE=\S*debian:bookworm", text, re.M), "BASE must default to Debian 12"
    assert "FROM ${BASE}" in text
    assert "containers/debian-packages.txt" in text


def test_apptainer_definition_matches_the_containerfile():
    sections = def_sections()
    header = dict(line.split(":", 1) for line in sections["header"])
    assert header["Bootstrap"].strip() == "docker" and "bookworm" in header["From"]
    copied = {line.split()[0] for line in sections["files"]}
    for src in copied:
        assert (REPO / src).exists(), f"genorx.def copies {src}, which does not exist"
    assert set(containerfile_copies()) <= copied, "genorx.def must copy what the Containerfile copies"
    post = "\n".join(sections["post"])
    assert "debian-packages.txt" in post and "pip install" in post and "/opt/genorx/src" in post
    assert any("PATH=/opt/genorx/venv/bin" in line for line in sections["environment"])


def test_package_list_carries_every_program_the_rules_run():
    if shutil.which("dpkg") is None:
        pytest.skip("needs dpkg to map programs to Debian packages")
    packages = set(debian_packages())
    workflow = parse_workflow(REPO)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    used: set[str] = set()
    for aligner in ("minimap2", "bwa"):
        for caller in ("bcftools", "freebayes"):
            ns = workflow.namespace({**config, "aligner": aligner, "caller": caller})
            for rule in workflow.rules:
                if "shell" in rule.directives:
                    used |= programs(workflow.render_shell(rule, ns), REPO / "workflow" / "scripts")
    used -= BASE_PROGRAMS | {"genorx", "python", "python3"}
    assert {"minimap2", "samtools", "bcftools"} <= used
    for program in sorted(used):
        exe = shutil.which(program)
        assert exe, f"a rule runs {program}, which is not installed here"
        owner = subprocess.run(["dpkg", "-S", str(Path(exe).resolve())], capture_output=True, text=True)
        assert owner.returncode == 0, f"{program} ({exe}) is not from a Debian package"
        package = owner.stdout.split(":")[0]
        assert package in packages, (
            f"rules run {program} (Debian package {package}); add it to {PACKAGES.name}"
        )


def test_package_list_is_installable_debian_12():
    if shutil.which("apt-cache") is None:
        pytest.skip("needs apt-cache")
    res = subprocess.run(["apt-cache", "policy", *debian_packages()], capture_output=True, text=True)
    candidates = dict(re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)", res.stdout, re.M))
    if not candidates:
        pytest.skip("apt has no package lists here (run apt-get update)")
    missing = [p for p in debian_packages() if candidates.get(p, "(none)") == "(none)"]
    assert not missing, f"not in this machine's Debian sources: {missing}"
