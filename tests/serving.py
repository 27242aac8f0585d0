"""A real `itnews serve` in a subprocess on a free loopback port, for the tests that call it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import REPO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``itnews serve ARGS`` until `stop`; `url` once /readyz answers 200."""

    def __init__(self, *args: str, log: Path, ready: bool = True, timeout: float = 180):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "itnews.cli", "serve", "--port", str(self.port), *args]
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr
            )
        if ready:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited {self.process.returncode}: {self.stderr()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server was not ready in {timeout} s: {self.stderr()}")

    def first_answers(self, timeout: float = 60) -> tuple[httpx.Response, httpx.Response]:
        """/healthz and /readyz as soon as the server answers at all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return httpx.get(f"{self.url}/healthz"), httpx.get(f"{self.url}/readyz")
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the server did not answer in {timeout} s: {self.stderr()}")

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=60)
