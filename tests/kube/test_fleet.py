"""One question over many clusters: answers from the live ones, the dead one named with its reason."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubegenie import errors
from kubegenie.assistant import Assistant
from kubegenie.cli import app
from kubegenie.domain.clusters import ClusterSummary
from kubegenie.kube.fleet import fan_out
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.settings import KubeSettings, Settings
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support.sandbox import start_sandbox


@pytest.fixture(scope="module")
def fleet_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> object:
    root = tmp_path_factory.mktemp("fleet")
    envs = [start_sandbox(root / name, name=name) for name in ("prod", "staging", "dev-1")]
    entries = [{"name": env.cluster.name, **context_of(env)} for env in envs]
    envs[2].thread.stop()  # dev-1 goes down; its kubeconfig entry stays.
    path = write_kubeconfig(root / "fleet.yaml", entries, current="prod")
    yield path
    for env in envs[:2]:
        env.thread.stop()


async def test_fan_out_labels_answered_and_failed(fleet_kubeconfig: Path) -> None:
    registry = ClusterRegistry(KubeSettings(connect_timeout_seconds=1.0), [fleet_kubeconfig])

    async def namespaces(name: str) -> tuple[int, float | None]:
        cache = await registry.cache(name, wait=3)
        status = cache.status()
        if status.state.value == "unreachable":
            raise errors.ClusterUnreachable(status.reason)
        return len(cache.namespaces()), status.stale_age_seconds

    try:
        result = await fan_out(registry.names(), namespaces, concurrency=2, timeout=4)
    finally:
        await registry.close()
    assert sorted(o.cluster for o in result.answered) == ["prod", "staging"]
    assert [o.value for o in result.answered] == [4, 4]
    assert [o.cluster for o in result.failed] == ["dev-1"]
    assert "connection refused" in result.summary()
    assert result.summary().startswith("2 of 3 clusters answered")


async def test_a_hanging_cluster_times_out_without_blocking_others() -> None:
    async def ask(name: str) -> tuple[str, float | None]:
        if name == "slow":
            await asyncio.sleep(10)
        return name.upper(), None

    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await fan_out(["a", "slow", "b"], ask, concurrency=3, timeout=0.3)
    assert loop.time() - started < 2
    assert [o.value for o in result.answered] == ["A", "B"]
    assert "did not answer within 0.3s" in result.failed[0].error.message  # type: ignore[union-attr]


async def test_assistant_lists_every_cluster(fleet_kubeconfig: Path) -> None:
    settings = Settings(kube=KubeSettings(kubeconfig=[fleet_kubeconfig], connect_timeout_seconds=1.0,
                                          fleet_timeout_seconds=3.0))
    assistant = Assistant(settings)
    try:
        summaries = {s.name: s for s in await assistant.list_clusters()}
    finally:
        await assistant.close()
    assert summaries["prod"].default and summaries["prod"].status == "synced"
    assert summaries["prod"].version == "v1.31.4" and summaries["prod"].namespaces == 4
    assert summaries["dev-1"].error is not None and "connection refused" in summaries["dev-1"].error
    assert "dev-1" in (summaries["dev-1"].remediation or "")


def test_cli_clusters_list_and_show(fleet_kubeconfig: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["clusters", "list", "--kubeconfig", str(fleet_kubeconfig), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"prod", "staging", "dev-1"}
    assert rows["staging"]["status"] == "synced" and rows["dev-1"]["error"]
    table = runner.invoke(app, ["clusters", "list", "--kubeconfig", str(fleet_kubeconfig)])
    assert "prod (default)" in table.stdout and "unreachable" in table.stdout
    shown = runner.invoke(app, ["clusters", "show", "staging", "--kubeconfig", str(fleet_kubeconfig)])
    assert shown.exit_code == 0 and "Namespaces (4): default, kube-node-lease, kube-public, kube-system" in shown.stdout
    dead = runner.invoke(app, ["clusters", "show", "dev-1", "--kubeconfig", str(fleet_kubeconfig)])
    assert dead.exit_code == 3 and "What to do:" in dead.output
    unknown = runner.invoke(app, ["clusters", "show", "prd", "--kubeconfig", str(fleet_kubeconfig)])
    assert unknown.exit_code == 2 and "Did you mean 'prod'" in unknown.output


def test_fleet_over_the_sandbox_clusters_mode_with_one_down(tmp_path: Path) -> None:
    """`sandbox up --clusters 3`: one kubeconfig, three contexts; the dev-1 server stops; the others answer."""
    from kubegenie.sandbox.scenarios.launch import LaunchOptions
    from tests.support.scenario import start_scenario

    env = start_scenario(tmp_path, LaunchOptions(nodes=3, pods=40, clusters=3), seed=4)
    try:
        down = next(index for index, c in enumerate(env.thread.sandbox.clusters) if c.name == "dev-1")

        async def stop() -> None:
            await env.thread.sandbox.servers[down].stop()

        env.thread.call(stop)
        settings = Settings(kube=KubeSettings(kubeconfig=[env.kubeconfig], connect_timeout_seconds=1.0,
                                              fleet_timeout_seconds=5.0))

        async def ask() -> list[ClusterSummary]:
            assistant = Assistant(settings)
            try:
                return await assistant.list_clusters()
            finally:
                await assistant.close()

        summaries = {s.name: s for s in asyncio.run(ask())}
        assert set(summaries) == {"prod", "staging", "dev-1"}
        for name in ("prod", "staging"):
            assert summaries[name].status == "synced" and (summaries[name].pods or 0) > 0
        dead = summaries["dev-1"]
        assert dead.error is not None and "connection refused" in dead.error
        assert "dev-1" in (dead.remediation or "")
    finally:
        env.stop()
