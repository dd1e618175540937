"""A throwaway PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` in a temp dir, loopback only.

Started once per test session (a few seconds), one fresh database per test cloned from a migrated
template by copying its files (``STRATEGY FILE_COPY``: ~30 ms on a RAM disk, where the default
WAL-logged copy of the sample database took 0.3-0.5 s). As root, the cluster runs as the
unprivileged ``postgres`` user (PostgreSQL refuses to run as root). Durability is switched off:
nothing here must survive the session.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

TEMPLATE = "pf_template"
USER = "paperfeed"


class ClusterError(RuntimeError):
    """The cluster could not be created or started (the message says which step and why)."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise ClusterError(
        f"PostgreSQL's {name} is not installed: run `bash scripts/install-test-deps.sh` (installs Debian's postgresql)"
    )


RAM_DISK = Path("/dev/shm")
RAM_DISK_ROOM = 2 * 1024**3  # bytes free before the cluster goes there: a test database is ~10 MB


def cluster_parent() -> str | None:
    """Where the cluster's files go: the machine's RAM disk when it has one with room, else the
    temp dir. On this project's CI machine (ext4 on a virtual disk) creating the ~300 files of a
    database copy took 0.4-0.6 s whenever the disk was writing back, against ~30 ms on tmpfs, and
    every PostgreSQL test makes one; nothing in the cluster must survive the session anyway."""
    try:
        room = os.statvfs(RAM_DISK)
    except OSError:
        return None
    if room.f_bavail * room.f_frsize < RAM_DISK_ROOM or not os.access(RAM_DISK, os.W_OK):
        return None
    return str(RAM_DISK)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgCluster:
    """One running cluster; :meth:`create_database` gives each test its own database."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="paperfeed-pg-", dir=cluster_parent()))
        self.data = self.root / "data"
        self.port = free_port()
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
            self.run_as = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.run_as, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(f"{' '.join(args[:2])} failed: {result.stderr.strip()} {tail}")

    def start(self) -> PgCluster:
        self._run(
            _binary("initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
        )
        self._run(
            _binary("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        self._create_template()
        return self

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True
        )

    def _create_template(self) -> None:
        from paperfeed.store import Database

        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        Database(self.url(TEMPLATE)).dispose()  # migrate once; every test database starts from here

    def create_database(self, template: str = TEMPLATE, name: str | None = None) -> str:
        """A new database copied from ``template`` (default: the empty, migrated one); its URL."""
        name = name or "t_" + uuid.uuid4().hex[:12]
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[-1]
        with self._admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
