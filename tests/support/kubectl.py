"""Finding the real kubectl binaries (the one on PATH and kubectl.1.27 ... kubectl.1.33 beside it) and
running them against a sandbox with their own discovery cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

VERSIONS = ("1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33")


@dataclass(frozen=True)
class Kubectl:
    label: str
    path: Path

    def run(self, kubeconfig: Path, cache_dir: Path, *args: str, input: str | None = None,
            timeout: float = 60, check: bool = False) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("KUBE")}
        env["KUBECONFIG"] = str(kubeconfig)
        env["HOME"] = str(cache_dir.parent)
        command = [str(self.path), "--kubeconfig", str(kubeconfig), "--cache-dir",
                   str(cache_dir / self.label), *args]
        result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=timeout, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"{self.label} {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def popen(self, kubeconfig: Path, cache_dir: Path, *args: str) -> Streaming:
        """Start a long-running command (`logs -f`, `get -w`) whose output lines are collected as they come."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("KUBE")}
        env["KUBECONFIG"] = str(kubeconfig)
        env["HOME"] = str(cache_dir.parent)
        command = [str(self.path), "--kubeconfig", str(kubeconfig), "--cache-dir",
                   str(cache_dir / self.label), *args]
        return Streaming(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          env=env))


class Streaming:
    """A running kubectl: stdout lines arrive in `lines` from a reader thread; `stop` or `wait` end it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._errors = ""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 20) -> bool:
        """Wait until `predicate(lines)` holds; False when it does not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.2))
        return True

    def wait(self, timeout: float = 20) -> tuple[int, str]:
        """Wait for the command to exit by itself; returns (exit code, stderr)."""
        code = self.process.wait(timeout)
        return code, self._finish()

    def stop(self) -> str:
        """End the command; returns its stderr."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        return self._finish()

    def _finish(self) -> str:
        self._reader.join(5)
        assert self.process.stdout is not None and self.process.stderr is not None
        if not self.process.stderr.closed:
            self._errors = self.process.stderr.read()
            self.process.stderr.close()
            self.process.stdout.close()
        return self._errors


def _base_dir() -> Path | None:
    found = shutil.which("kubectl")
    return Path(found).resolve().parent if found else None


def discover() -> list[Kubectl]:
    """Every kubectl found; the PATH one first."""
    found: list[Kubectl] = []
    on_path = shutil.which("kubectl")
    if on_path:
        found.append(Kubectl("kubectl", Path(on_path)))
    base = _base_dir()
    for version in VERSIONS:
        candidate = base / f"kubectl.{version}" if base else None
        if candidate is not None and candidate.exists():
            found.append(Kubectl(f"kubectl.{version}", candidate))
    return found


def params() -> list[object]:
    """pytest params for every expected kubectl; missing versions are reported as skipped."""
    available = {k.label: k for k in discover()}
    result: list[object] = []
    for label in ("kubectl", *(f"kubectl.{v}" for v in VERSIONS)):
        if label in available:
            result.append(pytest.param(available[label], id=label))
        else:
            result.append(pytest.param(None, id=label, marks=pytest.mark.skip(reason=f"{label} not found on "
                                                                                     f"this machine")))
    return result
