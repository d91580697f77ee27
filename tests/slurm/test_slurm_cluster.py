"""The loopback SLURM cluster itself: jobs run, nested ``srun`` works without SLURM_CONF, a failing
job is reported as FAILED with its exit code, and tear-down leaves nothing running."""

from __future__ import annotations

import subprocess
import time

import pytest
from slurm_cluster import PARTITION, SYSTEM_CONF, short_hostname

pytestmark = pytest.mark.slurm


def wait_done(cluster, jobid: str, timeout: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = cluster.show_job(jobid)
        if info.get("JobState") in {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL"}:
            return info
        time.sleep(0.5)
    raise AssertionError(f"job {jobid} not finished after {timeout} s: {cluster.show_job(jobid)}")


def test_jobs_nested_srun_and_failures(slurm_cluster, tmp_path):
    out = tmp_path / "ok.out"
    # the jobstep plugin runs `srun` inside the job without SLURM_CONF: it must still find the cluster
    ok = slurm_cluster.run(
        "sbatch", "--parsable", "-c", "1", "--mem", "100", "-o", str(out),
        "--wrap", "unset SLURM_CONF; srun -n1 hostname; echo nested-ok",
    ).strip()  # fmt: skip
    bad = slurm_cluster.run("sbatch", "--parsable", "--mem", "100", "--wrap", "exit 3").strip()
    info_ok, info_bad = wait_done(slurm_cluster, ok), wait_done(slurm_cluster, bad)
    assert info_ok["JobState"] == "COMPLETED" and info_ok["ExitCode"] == "0:0"
    assert info_ok["Partition"] == PARTITION and info_ok["NodeList"] == short_hostname()
    assert out.read_text().split() == [short_hostname(), "nested-ok"]
    assert info_bad["JobState"] == "FAILED" and info_bad["ExitCode"] == "3:0"
    states = slurm_cluster.job_states()
    assert states[ok]["state"] == "COMPLETED" and states[bad]["state"] == "FAILED"
    completion = slurm_cluster.completion_log()
    assert completion[ok]["JobState"] == "COMPLETED" and completion[bad]["JobState"] == "FAILED"


def test_teardown_stops_everything_even_with_a_running_job(slurm_cluster):
    """Runs last in this module: stops the module's cluster while a job is still running."""
    cluster = slurm_cluster
    jobid = cluster.run("sbatch", "--parsable", "--mem", "100", "--wrap", "sleep 613").strip()
    deadline = time.monotonic() + 30
    while cluster.show_job(jobid).get("JobState") != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert cluster.show_job(jobid)["JobState"] == "RUNNING"
    assert subprocess.run(["pgrep", "-f", "sleep 613"], capture_output=True).returncode == 0
    pids = {name: proc.pid for name, proc in cluster.procs.items()}
    assert set(pids) == {"munged", "slurmctld", "slurmd"}
    assert SYSTEM_CONF.resolve() == cluster.conf.resolve()
    cluster.stop()
    assert cluster.alive() == []
    for name, pid in pids.items():
        assert subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0, f"{name} alive"
    left = subprocess.run(["pgrep", "-f", "sleep 613"], capture_output=True, text=True).stdout.split()
    assert not left, f"job processes left behind: {left}"
    assert not SYSTEM_CONF.is_symlink() or SYSTEM_CONF.resolve() != cluster.conf.resolve()
    cluster.stop()  # idempotent
