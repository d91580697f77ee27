"""Every rule names a conda env; the env provides every program the rule runs, pinned to what CI runs.

CI runs the workflow with Debian 12's tools (apt) and the package's venv; ``--sdm conda`` users get
the envs under ``envs/``. These tests keep the two in step: a rule that calls a program its env
lacks, an unpinned dependency, or a pin that differs from the version CI actually runs, fails here.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version
from smk_rules import BASE_PROGRAMS, parse_workflow, programs

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - python < 3.11
    tomllib = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parent.parent
ENVS = REPO / "envs"

# program -> conda packages that provide it (any one suffices)
PROVIDERS: dict[str, set[str]] = {
    "minimap2": {"minimap2"},
    "bwa": {"bwa"},
    "samtools": {"samtools"},
    "bcftools": {"bcftools"},
    "tabix": {"htslib", "tabix"},
    "bgzip": {"htslib", "tabix"},
    "freebayes": {"freebayes"},
    "plink2": {"plink2"},
    "fastp": {"fastp"},
    "art_illumina": {"art"},
    "python": {"python"},
    "python3": {"python"},
}
# conda package -> (program, argv printing its version). Pins must equal what CI runs.
VERSION_PROBES: dict[str, tuple[str, list[str]]] = {
    "minimap2": ("minimap2", ["minimap2", "--version"]),
    "bwa": ("bwa", ["bwa"]),
    "samtools": ("samtools", ["samtools", "--version"]),
    "bcftools": ("bcftools", ["bcftools", "--version"]),
    "htslib": ("bgzip", ["bgzip", "--version"]),
    "tabix": ("tabix", ["tabix", "--version"]),
    "freebayes": ("freebayes", ["freebayes", "--version"]),
    "plink2": ("plink2", ["plink2", "--version"]),
    "fastp": ("fastp", ["fastp", "--version"]),
}
# Where bioconda has no build of Debian 12's version: package -> (Debian's, pinned, why).
VERSION_EXCEPTIONS: dict[str, tuple[str, str, str]] = {
    "plink2": ("2.00a3.5", "2.00a3.7", "bioconda has no 2.00a3.5; 2.00a3.7 is the nearest alpha-3 build"),
}
UNPINNED_OK = {"pip", "setuptools", "wheel"}
SPEC_RE = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<op>==|=|>=|<=|>|<|!=)?\s*(?P<version>[^\s]*)$")


def load_env(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict) and "dependencies" in data, f"{path}: not a conda env file"
    return data


def conda_deps(env: dict) -> dict[str, tuple[str | None, str]]:
    """package -> (operator, version) of the conda (not pip) dependencies."""
    deps: dict[str, tuple[str | None, str]] = {}
    for item in env["dependencies"]:
        if isinstance(item, str):
            spec = item.split("::")[-1]
            match = SPEC_RE.match(spec.strip())
            assert match, f"unparseable dependency {item!r}"
            deps[match["name"].lower()] = (match["op"], match["version"])
    return deps


def pip_deps(env: dict) -> list[str]:
    return [p for item in env["dependencies"] if isinstance(item, dict) for p in item.get("pip", [])]


def installs_genorx(env_file: Path) -> bool:
    script = env_file.with_name(env_file.name.replace(".yaml", ".post-deploy.sh"))
    return script.exists() and "pip install" in script.read_text() and "genorx" in script.read_text()


WORKFLOW = parse_workflow(REPO)
RULES = WORKFLOW.rules
COMMAND_RULES = [r for r in RULES if {"shell", "script", "run", "wrapper", "notebook"} & set(r.directives)]


def configs() -> list[tuple[str, dict]]:
    """The default config, and one per choice of every tool-selecting key (aligner, caller)."""
    base = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    schema = yaml.safe_load((REPO / "config" / "schemas" / "config.schema.yaml").read_text())
    for key, prop in schema["properties"].items():
        if "default" in prop:
            base.setdefault(key, prop["default"])
    choices = {
        key: prop["enum"]
        for key, prop in schema["properties"].items()
        if set(prop.get("enum", [])) and set(prop["enum"]) <= set(PROVIDERS)
    }
    combos = [{}]
    for key, values in choices.items():
        combos = [{**c, key: v} for c in combos for v in values]
    return [(",".join(f"{k}={v}" for k, v in c.items()) or "default", {**base, **c}) for c in combos]


CONFIGS = configs()


def env_file_of(rule, config: dict) -> Path:
    value = rule.evaluate("conda", WORKFLOW.namespace(config))
    assert isinstance(value, str), f"{rule.where}: conda: must name envs/<name>.yaml (got {value!r})"
    base = REPO if rule.path.name == "Snakefile" else rule.path.parent
    return (base / value).resolve()


def test_rules_were_found():
    names = [r.name for r in RULES]
    assert {"all", "align", "call_variants"} <= set(names)
    top_level = [r.name for r in RULES if r.indent == 0]  # others sit in if/else branches
    assert len(top_level) == len(set(top_level)), f"duplicate rule names: {top_level}"


@pytest.mark.parametrize("rule", COMMAND_RULES, ids=lambda r: r.name)
def test_rule_declares_env_resources_log_benchmark(rule):
    missing = [d for d in ("conda", "threads", "resources", "log", "benchmark") if d not in rule.directives]
    assert not missing, f"{rule.where}: missing {', '.join(missing)}"
    assert "run" not in rule.directives, f"{rule.where}: run: cannot use a conda env; call the genorx CLI"
    resources = rule.keyword_names("resources")
    assert {"mem_mb", "runtime"} <= resources, f"{rule.where}: resources must set mem_mb and runtime"
    for label, config in CONFIGS:
        env = env_file_of(rule, config)
        assert env.parent == ENVS.resolve() and env.suffix == ".yaml", f"{rule.where}: {env} not envs/*.yaml"
        assert env.exists(), f"{rule.where} ({label}): {env} does not exist"


SHELL_CASES = [(label, r) for label, _ in CONFIGS for r in COMMAND_RULES if "shell" in r.directives]


@pytest.mark.parametrize(("label", "rule"), SHELL_CASES, ids=[f"{lab}-{r.name}" for lab, r in SHELL_CASES])
def test_env_provides_every_program_the_rule_runs(label, rule):
    config = dict(CONFIGS)[label]
    env_file = env_file_of(rule, config)
    deps = conda_deps(load_env(env_file))
    command = WORKFLOW.render_shell(rule, WORKFLOW.namespace(config))
    used = programs(command, REPO / "workflow" / "scripts") - BASE_PROGRAMS
    assert used, f"{rule.where}: no program found in shell: {command!r}"
    for program in sorted(used):
        if program == "genorx":
            assert installs_genorx(env_file), (
                f"{rule.where}: runs genorx; {env_file.name} does not install it"
            )
            continue
        assert program in PROVIDERS, f"{rule.where}: runs {program!r}; add its conda package to PROVIDERS"
        assert PROVIDERS[program] & set(deps), (
            f"{rule.where} ({label}): runs {program}; {env_file.name} lacks {sorted(PROVIDERS[program])}"
        )


ENV_FILES = sorted(ENVS.glob("*.yaml"))


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_env_is_pinned(env_file):
    env = load_env(env_file)
    assert env.get("channels"), f"{env_file.name}: name its channels (conda-forge, bioconda)"
    assert "defaults" not in env["channels"], (
        f"{env_file.name}: the defaults channel mixes badly with bioconda"
    )
    for name, (op, version) in conda_deps(env).items():
        if name in UNPINNED_OK:
            continue
        assert op in {"=", "=="} and version, (
            f"{env_file.name}: pin {name} to one version (found {op}{version})"
        )
    for spec in pip_deps(env):
        if spec.startswith("-"):
            continue
        assert "==" in spec, f"{env_file.name}: pin pip dependency {spec!r} with =="


def package_programs() -> dict[str, set[str]]:
    """Programs the package runs itself: argv list literals (``["bcftools", "mpileup", ...]``)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "workflow" / "genorx").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.List) and node.elts and isinstance(node.elts[0], ast.Constant):
                first = node.elts[0].value
                if isinstance(first, str) and first in PROVIDERS:
                    found.setdefault(first, set()).add(str(path.relative_to(REPO)))
    return found


def test_genorx_env_provides_the_programs_the_package_runs():
    deps = set(conda_deps(load_env(ENVS / "genorx.yaml")))
    used = package_programs()
    assert used, "expected the package to run htslib tools (e.g. samtools faidx)"
    for program, where in sorted(used.items()):
        assert PROVIDERS[program] & deps, (
            f"{', '.join(sorted(where))} run {program}; genorx.yaml needs one of {sorted(PROVIDERS[program])}"
        )


def tool_version(argv: list[str]) -> str:
    res = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=60)
    text = res.stdout + res.stderr
    match = re.search(r"(\d+\.\d+(?:\.\d+)?(?:a\d+(?:\.\d+)?)?)", text)
    assert match, f"no version in output of {' '.join(argv)}: {text[:200]!r}"
    return match.group(1)


def tool_pins() -> list[tuple[str, str, str]]:
    pins = []
    for env_file in ENV_FILES:
        for name, (_, version) in conda_deps(load_env(env_file)).items():
            if name in VERSION_PROBES:
                pins.append((env_file.name, name, version))
    return pins


@pytest.mark.parametrize(("env_name", "package", "pinned"), tool_pins())
def test_tool_pin_matches_the_version_ci_runs(env_name, package, pinned):
    program, argv = VERSION_PROBES[package]
    if shutil.which(program) is None:
        pytest.skip(f"{program} not installed here (CI installs it via apt)")
    running = tool_version(argv)
    if package in VERSION_EXCEPTIONS:
        debian, pin, why = VERSION_EXCEPTIONS[package]
        if running == debian:
            assert pinned == pin, f"{env_name}: {package} must be pinned to {pin} ({why})"
            return
    assert running == pinned, f"{env_name}: {package} pinned to {pinned} but CI runs {running}"


def project_requirements() -> dict[str, Requirement]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    reqs = [Requirement(r) for r in data["project"]["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def test_genorx_env_satisfies_the_package_requirements():
    env = load_env(ENVS / "genorx.yaml")
    deps = conda_deps(env)
    assert deps["python"][1].startswith("3.11"), "the package targets Python 3.11"
    pinned = {name: version for name, (_, version) in deps.items()}
    for spec in pip_deps(env):
        name, _, version = spec.partition("==")
        pinned[name.lower()] = version
    workflow_engine = {"snakemake", "snakemake-executor-plugin-slurm"}  # run by the host, not inside rules
    for name, req in project_requirements().items():
        if name in workflow_engine:
            continue
        assert name in pinned, f"genorx.yaml lacks {name} (a dependency in pyproject.toml)"
        assert Version(pinned[name]) in req.specifier, f"genorx.yaml pins {name}={pinned[name]}, needs {req}"


def test_genorx_post_deploy_installs_the_workflow_source(tmp_path):
    """Run the post-deploy script the way snakemake does (a copy elsewhere, cwd = the run directory)."""
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    copy = tmp_path / "conda" / "0123abcd.post-deploy.sh"
    copy.parent.mkdir()
    shutil.copy(ENVS / "genorx.post-deploy.sh", copy)
    rundir = tmp_path / "run"
    rundir.mkdir()
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "GENORX_SOURCE": str(REPO)}
    env.pop("PYTHONPATH", None)
    res = subprocess.run(
        ["bash", str(copy)], cwd=rundir, env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().startswith("genorx "), res.stdout
    res = subprocess.run(
        [str(venv / "bin" / "genorx"), "--version"], capture_output=True, text=True, cwd=rundir, env=env
    )
    assert res.returncode == 0 and "genorx" in res.stdout
    # without GENORX_SOURCE and outside the source tree it must say what to do, not half-install
    env.pop("GENORX_SOURCE")
    res = subprocess.run(["bash", str(copy)], cwd=rundir, env=env, capture_output=True, text=True)
    assert res.returncode != 0 and "GENORX_SOURCE" in res.stderr
