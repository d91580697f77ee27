"""The container image: built by ``make image`` with root podman from a local Debian rootfs, then run.

No container registry is reachable here, so the base image is a debootstrap rootfs imported into a
private podman store (containers/build-base.sh); ``make image`` builds the real Containerfile on it
(Debian tools, the package from PyPI). Inside the image: the CLI, every tool, and the demo workflow,
whose final outputs must equal those of the same run on the host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from workflow_runs import compare_runs, copy_inputs, job_stats, reference_run, snakemake_argv

REPO = Path(__file__).resolve().parent.parent
IMAGE = "localhost/genorx:test"
BASE = "localhost/genorx-base"

pytestmark = [pytest.mark.container, pytest.mark.slow]


def unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root podman (rootless podman needs subuid maps this test does not set up)"
    missing = [t for t in ("podman", "runc", "debootstrap") if shutil.which(t) is None]
    if missing:
        return f"needs Debian packages podman runc debootstrap (missing: {', '.join(missing)})"
    return None


def run(argv: list[str], env: dict[str, str], timeout: float, **kw) -> subprocess.CompletedProcess[str]:
    t0 = time.monotonic()
    res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, **kw)
    print(f"[container] {' '.join(argv[:4])} ... rc={res.returncode} in {time.monotonic() - t0:.0f} s")
    assert res.returncode == 0, f"{' '.join(argv)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def host_ca_bundle() -> Path | None:
    """This machine's CA bundle: pip in the build must trust whatever TLS proxy the host trusts."""
    for path in (os.environ.get("PIP_CERT"), "/etc/ssl/certs/ca-certificates.crt"):
        if path and Path(path).is_file():
            return Path(path)
    return None


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory):
    reason = unavailable_reason()
    if reason and os.environ.get("CI"):  # .ci/run installs podman runc debootstrap: never a silent skip
        pytest.fail(f"root podman unavailable in CI: {reason}")
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("podman")
    out = subprocess.run(
        ["bash", str(REPO / "containers" / "podman-env.sh"), str(root)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env = dict(os.environ)
    for assignment in out.removeprefix("export ").split():
        key, _, value = assignment.partition("=")
        env[key] = value.strip("'")
    yield env
    subprocess.run(["podman", "system", "reset", "--force"], env=env, capture_output=True, timeout=300)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def image(podman: dict[str, str]) -> dict[str, str]:
    run(["bash", str(REPO / "containers" / "build-base.sh"), BASE], {**podman, "ENGINE": "podman"}, 1200)
    args = ["--pull=never", "--network=host", f"--build-arg=BASE={BASE}"]
    ca = host_ca_bundle()
    if ca:
        args += [f"--volume={ca}:/etc/ssl/host-ca.crt:ro", "--build-arg=PIP_CERT=/etc/ssl/host-ca.crt"]
    run(
        ["make", "-C", str(REPO), "image", f"IMAGE={IMAGE}", f"IMAGE_BUILD_ARGS={' '.join(args)}"],
        podman,
        1800,
    )
    return podman


def in_image(env: dict[str, str], *cmd: str, mount: Path | None = None, timeout: float = 600) -> str:
    argv = ["podman", "run", "--rm"]
    if mount is not None:
        argv += [f"--volume={mount}:/data", "--workdir=/data"]
    res = run([*argv, IMAGE, *cmd], env, timeout)
    return res.stdout + res.stderr


def test_image_runs_the_cli_and_carries_every_tool(image):
    from genorx import __version__

    assert in_image(image, "genorx", "--version").strip() == f"genorx {__version__}"
    versions = in_image(
        image, "sh", "-c", "minimap2 --version; samtools --version | head -1; bcftools --version | head -1; "
        "bgzip --version | head -1; freebayes --version; plink2 --version; snakemake --version",
    )  # fmt: skip
    print(versions)
    for expected in ("samtools 1.16", "bcftools 1.16", "bgzip (htslib) 1.16", "v1.3.6", "PLINK v2"):
        assert expected in versions
    listing = in_image(image, "ls", "/opt/genorx/src")
    for entry in ("Snakefile", "rules", "envs", "config", "resources"):
        assert entry in listing.split()


@pytest.fixture(scope="module")
def local_run(request, tmp_path_factory) -> Path:
    return reference_run(request, tmp_path_factory)


def test_demo_workflow_in_the_image_equals_the_local_run(image, local_run, tmp_path, capsys):
    """The demo workflow with the image's own snakemake, package and tools, in a mounted directory."""
    work = copy_inputs(local_run, tmp_path / "container-run")
    t0 = time.monotonic()
    argv = snakemake_argv("--cores", "2", snakefile="/opt/genorx/src/Snakefile")
    log = in_image(image, *argv, mount=work, timeout=1800)
    elapsed = time.monotonic() - t0
    stats = job_stats(log)
    problems = compare_runs(local_run, work, b_aliases={"/data": "<RUN>", "/opt/genorx/src": "<WORKFLOW>"})
    with capsys.disabled():
        print(f"\n[container] demo workflow in {IMAGE}: {sum(stats.values())} jobs in {elapsed:.0f} s; "
              f"{len(problems)} differences from the local run")  # fmt: skip
    assert not problems, "\n".join(problems)
