"""A real ``gisplan serve`` (uvicorn) on a free loopback port, for the serve tests.

The server runs as a subprocess in its own process group, waits are bounded,
and :meth:`Server.stop` always ends it (and its worker processes).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    return env


class Server:
    """``gisplan serve`` in a subprocess.

    Parameters
    ----------
    store, data_dir : Path
    users : Path, optional
    extra : list of str
        More command-line options.
    """

    def __init__(self, store: Path, data_dir: Path, users: Path | None = None, extra: list[str] | None = None):
        # a postgresql:// URL stays a string (Path would fold its "//")
        self.store = store if isinstance(store, str) else Path(store)
        self.data_dir, self.users = Path(data_dir), users
        self.extra = list(extra or [])
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log = self.data_dir.parent / f"{self.data_dir.name}-server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        self.port = free_port()
        cmd = [sys.executable, "-m", "gisplan.cli", "serve", "--store", str(self.store), "--data-dir",
               str(self.data_dir), "--port", str(self.port), "--workers", "1", *self.extra]
        if self.users:
            cmd += ["--users", str(self.users)]
        self._log = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, env=serve_env(), stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/favicon.ico", timeout=2).status_code == 204:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout} s: {self.log.read_text()[-2000:]}")

    def children(self) -> list[int]:
        """Process ids whose parent is the server (its workers)."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if f"\nPPid:\t{self.proc.pid}\n" in text:
                found.append(int(status.parent.name))
        return found

    def kill9(self) -> list[int]:
        """``kill -9`` the server process alone; returns the worker ids it had (they must end by themselves)."""
        assert self.proc is not None
        workers = self.children()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        return workers

    def wait_gone(self, pids: list[int], timeout: float = 20.0) -> list[int]:
        """The ids among ``pids`` still alive after up to ``timeout`` s; then the group is ended anyway."""
        deadline = time.monotonic() + timeout
        alive = list(pids)
        while alive and time.monotonic() < deadline:
            time.sleep(0.3)
            alive = [p for p in alive if Path(f"/proc/{p}").exists() and "State:\tZ" not in _status(p)]
        self._end_group()
        return alive

    def _end_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._end_group()
        self._log.close()
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return ""


def local_client(server: Server) -> httpx.Client:
    """A client of a server without --users (a local script: no session, no Origin)."""
    return httpx.Client(base_url=server.url, timeout=60)


def login(server: Server, name: str, password: str) -> httpx.Client:
    """A client logged in through the form flow (prelogin CSRF cookie, then session); ``.csrf`` set."""
    c = httpx.Client(base_url=server.url, timeout=60)
    pre = c.get("/api/session").json()
    r = c.post("/api/login", data={"username": name, "password": password, "csrf_token": pre["csrf"]})
    assert r.status_code == 200, r.text
    c.csrf = r.json()["csrf"]
    return c


def have_browser() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()
