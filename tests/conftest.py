"""Shared fixtures: a sandbox cluster per test session (tests use their own namespaces in it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import SandboxEnv, start_sandbox, unique_name


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    env = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield env
    env.thread.stop()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[SandboxEnv]:
    """A sandbox of the test's own, for tests that change cluster-wide state."""
    env = start_sandbox(tmp_path / "sandbox")
    yield env
    env.thread.stop()


@pytest.fixture
def namespace(sandbox: SandboxEnv, request: pytest.FixtureRequest) -> str:
    """A new namespace in the session sandbox, named after the test."""
    from kubegenie.sandbox import bootstrap

    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    name = unique_name(base or "test")

    async def create() -> None:
        bootstrap.create(sandbox.cluster, "v1", "namespaces", "", {"metadata": {"name": name}})
        await sandbox.cluster.settle()

    sandbox.thread.call(create)
    return name
