"""A real single-node SLURM cluster for the tests in this directory (root + slurm-wlm + munge)."""

from __future__ import annotations

import os

import pytest
from slurm_cluster import SYSTEM_CONF, SlurmCluster, unavailable_reason


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory):
    """Started once per module; every daemon is stopped afterwards, also when a test failed."""
    reason = unavailable_reason()
    if reason and os.environ.get("CI"):  # .ci/run installs slurm-wlm and munge: never a silent skip
        pytest.fail(f"SLURM cluster unavailable in CI: {reason}")
    if reason:
        pytest.skip(f"SLURM cluster: {reason}")
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
    assert not cluster.alive(), f"daemons still running after stop: {cluster.alive()}"
    assert not (SYSTEM_CONF.is_symlink() and SYSTEM_CONF.resolve() == cluster.conf.resolve()), (
        f"{SYSTEM_CONF} still points at the test cluster"
    )
