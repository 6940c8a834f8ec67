"""gunicorn on loopback, for the benchmark and the fault tests: started, waited for, and stopped by its own pid."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """A gunicorn server with sync workers on a free loopback port; its log goes to `log_path` when given."""

    def __init__(self, target: str, env: dict[str, str], *, workers: int, log_path: Path | None = None) -> None:
        self.port = free_port()
        self.log_path = log_path
        log = open(log_path, "wb") if log_path is not None else None  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--timeout", "120", target],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {target} exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn {target} did not start within 60 s")

    def worker_pids(self) -> list[int]:
        """The worker processes of the master."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def log_text(self) -> str:
        """What the server wrote to its log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path is not None else ""

    def stop(self) -> None:
        """Graceful stop, then a kill of this server's master if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
