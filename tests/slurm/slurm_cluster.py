"""A real single-node SLURM cluster on loopback, started and stopped by this module alone.

Debian's ``slurm-wlm`` + ``munge``: a private ``munged`` (own key and socket in a temp dir),
``slurmctld`` and ``slurmd`` in the foreground as child processes, every state/spool/log/pid
path in the temp dir, one partition ``ci`` (default). Nothing is started by an init system and
nothing outside the temp dir is touched except ``/etc/slurm/slurm.conf``: a symlink to the temp
config, because the snakemake jobstep plugin drops ``SLURM_CONF`` inside jobs and the nested
``srun`` then reads the compiled-in path. The link is made only where no config exists and is
removed at teardown.

Accounting is off (no slurmdbd): finished jobs stay visible to ``squeue --states=all`` and
``scontrol show job`` for ``MinJobAge`` seconds, and every finished job is appended to a job
completion log (``jobcomp/filetxt``), our ``sacct`` equivalent.

Manual use (root)::

    python tests/slurm/slurm_cluster.py run -- snakemake --profile config/profiles/slurm ...

brings the cluster up, runs the command with ``SLURM_CONF`` set, and stops every daemon.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PARTITION = "ci"
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel")
TERMINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"}


class ClusterError(RuntimeError):
    """The cluster could not be brought up (the message says which step and shows its log)."""


def unavailable_reason() -> str | None:
    """Why a cluster cannot be brought up on this machine, or None when it can."""
    if os.geteuid() != 0:
        return "needs root to start munged/slurmctld/slurmd (run as root, e.g. in CI)"
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return f"needs Debian packages slurm-wlm and munge (missing: {', '.join(missing)})"
    host = short_hostname()
    try:
        addr = socket.gethostbyname(host)
    except OSError:
        return f"hostname {host!r} does not resolve; add '127.0.1.1 {host}' to /etc/hosts"
    if not addr.startswith("127."):
        return f"hostname {host!r} resolves to {addr}, not loopback; add '127.0.1.1 {host}' to /etc/hosts"
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.is_symlink():
        return f"{SYSTEM_CONF} exists (a real cluster's config?); refusing to shadow it"
    if _linked_cluster_alive():
        return f"another test cluster is running ({SYSTEM_CONF} -> {SYSTEM_CONF.resolve()})"
    return None


def _linked_cluster_alive() -> bool:
    """Whether /etc/slurm/slurm.conf links to the config of a test cluster whose slurmctld runs."""
    if not SYSTEM_CONF.is_symlink():
        return False
    pidfile = SYSTEM_CONF.resolve().parent / "run" / "slurmctld.pid"
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def short_hostname() -> str:
    return socket.gethostname().split(".")[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def node_memory_mb() -> int:
    """About 90% of what ``slurmd -C`` reports, leaving room for the OS."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RealMemory=(\d+)", out)
    total = int(match.group(1)) if match else 4096
    return max(512, total * 9 // 10)


def render_conf(
    *, host: str, root: Path, munge_socket: Path, ctld_port: int, slurmd_port: int, cpus: int, mem_mb: int
) -> str:
    return f"""# written by tests/slurm/slurm_cluster.py: single node, loopback only
ClusterName=genorxci
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig={root}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=600
ReturnToService=2
SlurmdTimeout=60
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


@dataclass
class SlurmCluster:
    """Start with :meth:`start`, stop with :meth:`stop` (idempotent; also a context manager)."""

    root: Path
    host: str = field(default_factory=short_hostname)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    linked_system_conf: bool = False
    created_etc_slurm: bool = False

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment for client commands (sbatch, squeue, snakemake --executor slurm)."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def __enter__(self) -> SlurmCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- bring-up -------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> None:
        reason = unavailable_reason()
        if reason:
            raise ClusterError(reason)
        try:
            self._write_files()
            self._start_munge()
            self._link_system_conf()
            self._spawn("slurmctld", ["slurmctld", "-D", "-c", "-f", str(self.conf)])
            self._wait_for(
                lambda: self._ok(["scontrol", "ping"], "UP"), timeout, "slurmctld", "slurmctld.log"
            )
            self._spawn("slurmd", ["slurmd", "-D", "-f", str(self.conf)])
            self._wait_for(self._node_idle, timeout, "slurmd (node idle)", "slurmd.log")
        except BaseException:
            self.stop()
            raise

    def _write_files(self) -> None:
        for sub in ("state", "spool", "log", "run", "munge"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # munged wants the socket's directories searchable by all
        (self.root / "munge").chmod(0o755)
        (self.root / "plugstack.conf").write_text("")
        self.conf.write_text(
            render_conf(
                host=self.host,
                root=self.root,
                munge_socket=self.root / "munge" / "munge.socket",
                ctld_port=free_port(),
                slurmd_port=free_port(),
                cpus=os.cpu_count() or 1,
                mem_mb=node_memory_mb(),
            )
        )

    def _start_munge(self) -> None:
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o600)
        m = self.root / "munge"
        self._spawn(
            "munged",
            [
                "munged", "--foreground", "--force", f"--socket={m / 'munge.socket'}",
                f"--key-file={key}", f"--pid-file={m / 'munged.pid'}",
                f"--log-file={self.root / 'log' / 'munged.log'}", f"--seed-file={m / 'munged.seed'}",
            ],
        )  # fmt: skip
        sock = str(m / "munge.socket")
        self._wait_for(lambda: self._ok(["munge", "-S", sock, "-n"]), 20, "munged", "munged.log")

    def _link_system_conf(self) -> None:
        if SYSTEM_CONF.is_symlink():  # a stale link from an interrupted run
            SYSTEM_CONF.unlink()
        if not SYSTEM_CONF.parent.exists():
            SYSTEM_CONF.parent.mkdir(parents=True)
            self.created_etc_slurm = True
        SYSTEM_CONF.symlink_to(self.conf)
        self.linked_system_conf = True

    def _spawn(self, name: str, argv: list[str]) -> None:
        out = open(self.root / "log" / f"{name}.stdout", "wb")
        self.procs[name] = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env
        )

    def _ok(self, argv: list[str], expect: str = "") -> bool:
        res = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=30)
        return res.returncode == 0 and expect in res.stdout

    def _node_idle(self) -> bool:
        res = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True, env=self.env, timeout=30
        )
        return res.returncode == 0 and res.stdout.strip() == "idle"

    def _wait_for(self, ready: object, timeout: float, what: str, log: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [n for n, p in self.procs.items() if p.poll() is not None]
            if dead:
                raise ClusterError(f"{', '.join(dead)} exited during start-up\n{self.log_tail(log)}")
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.5)
        raise ClusterError(f"{what} not ready after {timeout:.0f} s\n{self.log_tail(log)}")

    # --- queries --------------------------------------------------------------------------
    def run(self, *argv: str) -> str:
        return subprocess.run(list(argv), capture_output=True, text=True, env=self.env, check=True).stdout

    def job_states(self) -> dict[str, dict[str, str]]:
        """Every job slurmctld still remembers (``squeue --states=all``): id -> fields."""
        out = self.run("squeue", "--states=all", "-h", "-o", "%i|%T|%P|%N|%k|%j")
        keys = ("state", "partition", "nodes", "comment", "name")
        jobs = {}
        for line in out.splitlines():
            jobid, *values = line.split("|", 5)
            jobs[jobid] = dict(zip(keys, values, strict=True))
        return jobs

    def show_job(self, jobid: str) -> dict[str, str]:
        """``scontrol show job`` as key -> value (JobState, ExitCode, Partition, NodeList, ...)."""
        out = self.run("scontrol", "show", "job", "-o", jobid)
        return dict(tok.split("=", 1) for tok in out.split() if "=" in tok)

    def completion_log(self) -> dict[str, dict[str, str]]:
        """The job completion log (jobcomp/filetxt): one record per finished job."""
        path = self.root / "log" / "jobcomp.txt"
        records = {}
        for line in path.read_text().splitlines() if path.exists() else []:
            rec = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
            records[rec.get("JobId", "?")] = rec
        return records

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.root / "log" / name
        text = path.read_text(errors="replace") if path.exists() else "(no log)"
        return f"--- {path} (last {lines} lines) ---\n" + "\n".join(text.splitlines()[-lines:])

    # --- tear-down ------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel every job, stop every daemon we started, remove the /etc/slurm link."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            self._cancel_all()
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if (
            self.linked_system_conf
            and SYSTEM_CONF.is_symlink()
            and SYSTEM_CONF.resolve() == self.conf.resolve()
        ):
            SYSTEM_CONF.unlink()
            self.linked_system_conf = False
        if self.created_etc_slurm:
            try:
                SYSTEM_CONF.parent.rmdir()
            except OSError:
                pass
            self.created_etc_slurm = False

    def _cancel_all(self) -> None:
        try:
            ids = self.run("squeue", "-h", "-o", "%i").split()
            if ids:
                subprocess.run(["scancel", *ids], env=self.env, capture_output=True, timeout=30)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.run("squeue", "-h", "-o", "%i").strip():
                time.sleep(0.5)
        except (subprocess.SubprocessError, OSError):
            pass

    def alive(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is None]


def _main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "run" or argv[1] != "--":
        print("usage: slurm_cluster.py run -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    reason = unavailable_reason()
    if reason:
        print(f"slurm_cluster: cannot start: {reason}", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="genorx-slurm-"))
    with SlurmCluster(root) as cluster:
        print(f"slurm_cluster: up (SLURM_CONF={cluster.conf}, partition {PARTITION})", file=sys.stderr)
        code = subprocess.run(argv[2:], env=cluster.env).returncode
        for jobid, info in sorted(cluster.job_states().items(), key=lambda kv: int(kv[0])):
            print(f"slurm_cluster: job {jobid} {info['state']} {info['comment']}", file=sys.stderr)
    print(f"slurm_cluster: stopped; logs in {root / 'log'}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
