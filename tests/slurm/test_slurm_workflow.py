"""The demo workflow through a real SLURM cluster (``--executor slurm`` with the project profile).

Every job snakemake does not run locally by design must have gone through SLURM: its SLURM job
id is in snakemake's log, slurmctld knows the job (``scontrol show job`` / ``squeue --states=all``;
accounting is off, so no ``sacct``) as COMPLETED with exit code 0 in the test partition, its SLURM
comment names the same rule, and the job completion log has it. The final outputs must equal those
of a plain local run of the same demo. Job ids and states are printed to the CI log.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
from slurm_cluster import PARTITION
from smk_rules import parse_workflow
from workflow_runs import REPO, compare_runs, copy_inputs, job_stats, reference_run, snakemake, tool_env

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.")
# Options for a cluster without job accounting (see the profile's comments); the test cluster is
# tiny, so status is polled every 2 s instead of the plugin's 40 s default.
NO_ACCOUNTING = [
    "--slurm-status-command", "squeue", "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2",
]  # fmt: skip


@pytest.fixture(scope="module")
def local_run(request, tmp_path_factory) -> Path:
    return reference_run(request, tmp_path_factory)


def submissions(log: str) -> list[dict[str, str]]:
    jobs = []
    for snakemake_id, slurm_id, logfile in SUBMITTED.findall(log):
        match = re.search(r"/slurm_logs/(?:rule|group)_([^/]+)/(?:(.+)/)?[^/]+\.log$", logfile)
        assert match, f"unexpected SLURM log path {logfile}"
        jobs.append(
            {"snakemake": snakemake_id, "slurm": slurm_id, "rule": match[1], "wildcards": match[2] or ""}
        )
    return jobs


def test_demo_workflow_runs_through_slurm(slurm_cluster, local_run, tmp_path, capsys):
    work = copy_inputs(local_run, tmp_path / "slurm-run")
    t0 = time.monotonic()
    log = snakemake(
        work, "--profile", str(REPO / "config" / "profiles" / "slurm"), "--jobs", "4", *NO_ACCOUNTING,
        env=tool_env(slurm_cluster.env),
    )  # fmt: skip
    elapsed = time.monotonic() - t0

    # Which jobs snakemake ran locally: only rules that run nothing (e.g. `all`) may.
    idle_rules = {
        r.name for r in parse_workflow(REPO).rules if not {"shell", "script", "run"} & set(r.directives)
    }
    local = Counter(re.findall(r"^localrule (\w+):", log, re.M))
    assert set(local) <= idle_rules, f"rules run outside SLURM: {sorted(set(local) - idle_rules)}"

    jobs = submissions(log)
    expected = Counter({rule: n for rule, n in job_stats(log).items() if rule not in local})
    assert Counter(j["rule"] for j in jobs) == expected, "every non-local job must be submitted to SLURM"
    assert len({j["slurm"] for j in jobs}) == len(jobs)

    known = slurm_cluster.job_states()
    completion = slurm_cluster.completion_log()
    lines = [f"SLURM run of the demo workflow: {len(jobs)} jobs in {elapsed:.0f} s (partition {PARTITION})"]
    lines.append(f"{'jobid':>6}  {'rule':<26} {'wildcards':<14} {'squeue state':<13} {'scontrol':<10} exit")
    for job in sorted(jobs, key=lambda j: int(j["slurm"])):
        info = slurm_cluster.show_job(job["slurm"])
        queue = known.get(job["slurm"], {})
        lines.append(
            f"{job['slurm']:>6}  {job['rule']:<26} {job['wildcards']:<14} {queue.get('state', '?'):<13} "
            f"{info.get('JobState', '?'):<10} {info.get('ExitCode', '?')}"
        )
        assert info.get("JobState") == "COMPLETED" and info.get("ExitCode") == "0:0", info
        assert info.get("Partition") == PARTITION and queue.get("state") == "COMPLETED", (info, queue)
        assert queue.get("comment", "").startswith(f"rule_{job['rule']}"), queue
        assert completion.get(job["slurm"], {}).get("JobState") == "COMPLETED", (
            f"job {job['slurm']} not logged"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
        print(slurm_cluster.run("squeue", "--states=all", "-o", "%.6i %.40k %.10T %.9P %.10M %N"))

    problems = compare_runs(local_run, work)
    with capsys.disabled():
        print(f"outputs: {len(problems)} differences between the local and the SLURM run")
    assert not problems, "\n".join(problems)
