"""Start, watch and stop the local stack's long-running processes.

Each service runs in its own session (process group) so that stopping it reaches every
child (Airflow forks workers, `runuser` wraps PostgreSQL). A pid file under var/run marks
what the project started; nothing else is ever signalled.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from refdata.errors import ConfigurationError


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def process_tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss_pages: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            statm = (entry / "statm").read_text()
        except OSError:
            continue
        fields_after_name = stat.rsplit(")", 1)[1].split()
        parent = int(fields_after_name[1])
        children.setdefault(parent, []).append(int(entry.name))
        rss_pages[int(entry.name)] = int(statm.split()[1])
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss_pages.get(current, 0)
        stack.extend(children.get(current, []))
    return total * os.sysconf("SC_PAGE_SIZE")


@dataclass
class ManagedProcess:
    """One long-running service process of the local stack."""

    name: str
    host: str
    port: int  # 0: the service listens on no port of its own
    port_setting: str  # the env var that moves this service to another port
    command: Callable[[], list[str]]
    run_dir: Path
    log_dir: Path
    env: Callable[[], dict[str, str]] = field(default=lambda: {})
    healthy: Callable[[], bool] | None = None
    start_timeout: float = 60.0
    cwd: Path | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 30.0
    extra_ports: tuple[tuple[int, str], ...] = ()

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def is_healthy(self) -> bool:
        if self.healthy is not None:
            try:
                return self.healthy()
            except Exception:  # a probe that raises means "not yet"
                return False
        return port_is_open(self.host, self.port)

    def check_ports_free(self) -> None:
        for port, setting in ((self.port, self.port_setting), *self.extra_ports):
            if port and port_is_open(self.host, port):
                raise ConfigurationError(
                    f"{self.name}: port {self.host}:{port} is already taken by another process; "
                    f"stop it or choose another port with {setting}=<port>"
                )

    def start(self) -> bool:
        """Start unless already running; returns True when this call started it."""
        if self.pid() is not None:
            self.wait_healthy()
            return False
        self.check_ports_free()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env()}
        with open(self.log_file, "ab") as log:
            log.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {self.name}\n".encode())
            log.flush()
            process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
                # Background shells ignore SIGINT; services such as Airflow stop cleanly
                # only on it, so give the child default signal handling back.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )
        self.pid_file.write_text(str(process.pid))
        try:
            self.wait_healthy(process)
        except Exception:
            self.stop()
            raise
        return True

    def wait_healthy(self, process: subprocess.Popen[bytes] | None = None) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.is_healthy():
                return
            if process is not None and process.poll() is not None:
                raise ConfigurationError(
                    f"{self.name} exited with code {process.returncode} during start-up; "
                    f"last lines of {self.log_file}:\n{self.tail()}"
                )
            time.sleep(0.3)
        raise ConfigurationError(
            f"{self.name} did not become healthy within {self.start_timeout:.0f}s; "
            f"last lines of {self.log_file}:\n{self.tail()}"
        )

    def stop(self) -> bool:
        """Stop the process group this project started; returns True if one was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        self._signal_group(pid, self.stop_signal)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and self._group_alive(pid):
            time.sleep(0.2)
        if self._group_alive(pid):
            self._signal_group(pid, signal.SIGKILL)
            time.sleep(0.3)
        self.pid_file.unlink(missing_ok=True)
        return True

    @staticmethod
    def _signal_group(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        # Reap our own child if it has exited, then look for live members of the group.
        try:
            os.waitpid(pgid, os.WNOHANG)
        except ChildProcessError:
            pass
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields_after_name = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields_after_name[2]) == pgid and fields_after_name[0] != "Z":
                return True
        return False

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
