"""`kubegenie agents list`, `tasks list|show|cancel` and `worker` as a person uses them: rich tables, --json,
exit codes of DESIGN.md section 3, and clear messages (never a traceback) for bad ids, states, settings,
an unreachable database or broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubegenie.cli import app
from kubegenie.domain.intents import HealthCheckRequest, ScaleRequest
from kubegenie.orchestration.runtime import Runtime, build_registry
from kubegenie.orchestration.task import Task
from kubegenie.settings import Settings, get_settings
from kubegenie.store.records import NewTask
from kubegenie.store.store import Store
from tests.support.runtime_agents import (
    CostAgent,
    HealthAgent,
    ScaleAgent,
    agents_distribution,
    displaced_builtins,
)

# Agents whose intents no built-in agent claims, installed as a real distribution.
ENTRIES = {name: f"tests.support.runtime_agents:{cls}" for name, cls in
           [("health", "HealthAgent"), ("cost", "CostAgent"), ("scaler", "ScaleAgent")]}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("KUBEGENIE_QUEUE__BACKEND", "KUBEGENIE_STORE__URL", "KUBEGENIE_QUEUE__BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KUBEGENIE_DATA_DIR", str(tmp_path / "data"))
    displaced = displaced_builtins((HealthAgent, CostAgent, ScaleAgent))
    monkeypatch.setenv("KUBEGENIE_AGENTS__DISABLED", json.dumps(displaced))
    monkeypatch.syspath_prepend(str(agents_distribution(tmp_path / "site", entries=ENTRIES)))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def kubegenie(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def run_tasks(*requests: object) -> list[Task]:
    """Run requests through an in-process runtime on the CLI's data directory, as `kubegenie serve` would."""

    async def go() -> list[Task]:
        settings = get_settings()
        runtime = await Runtime.open(settings, registry=build_registry(settings))
        try:
            return [await runtime.orchestrator.run(request, wait_seconds=10) for request in requests]  # type: ignore[arg-type]
        finally:
            await runtime.close()

    return asyncio.run(go())


def queue_task(*, running_on: str | None = None) -> str:
    """A task another process has queued (and maybe started on worker `running_on`)."""
    store = Store.open(get_settings().database_url())
    try:
        task_id = uuid.uuid4().hex
        store.tasks.create(NewTask(id=task_id, intent="health_check", agent="health",
                                   request={"intent": "health_check"}, backend="celery"))
        if running_on is not None:
            store.tasks.claim(task_id, 1, running_on)
        return task_id
    finally:
        store.close()


def test_agents_list(env: Path) -> None:
    run_tasks(HealthCheckRequest(), HealthCheckRequest(), ScaleRequest(name="web", replicas=2))

    code, out, _ = kubegenie("agents", "list")
    code_json, out_json, _ = kubegenie("agents", "list", "--json")

    assert code == 0 and code_json == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["NAME"][:9] == ["NAME", "STATUS", "INTENTS", "QUEUED", "ACTIVE", "COMPLETED", "FAILED", "P50", "P95"]
    assert lines["health"][1:6] == ["idle", "health_check", "0", "0", "2"]
    assert lines["scaler"][1:7] == ["idle", "scale", "0", "0", "0", "1"]
    assert "Intents no installed agent answers" in out and "security_audit" in out
    data = json.loads(out_json)
    agents = {agent["name"]: agent for agent in data["agents"]}
    assert agents["health"]["completed"] == 2 and agents["health"]["latency_p50_ms"] > 0
    assert agents["health"]["origin"] == "kubegenie-test-agents 1.0 (tests.support.runtime_agents:HealthAgent)"
    assert agents["cost"]["intents"] == ["cost_report"] and agents["cost"]["status"] == "idle"
    assert "security_audit" in data["unserved_intents"] and "health_check" not in data["unserved_intents"]


def test_tasks_list_show_and_filter(env: Path) -> None:
    ok, failed = run_tasks(HealthCheckRequest(namespace="shop"), ScaleRequest(name="web", replicas=2))

    code, out, _ = kubegenie("tasks", "list")
    _, only_failed, _ = kubegenie("tasks", "list", "--state", "failed")
    _, as_json, _ = kubegenie("tasks", "list", "--json", "--agent", "health")
    show_code, shown, _ = kubegenie("tasks", "show", ok.id[:8])
    _, shown_failed, _ = kubegenie("tasks", "show", failed.id)
    _, shown_json, _ = kubegenie("tasks", "show", ok.id, "--json")

    assert code == 0 and show_code == 0
    assert out.splitlines()[0].split() == ["ID", "STATE", "INTENT", "AGENT", "PRIORITY", "AGE", "DURATION",
                                           "TRIES", "OUTCOME"]
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert rows[ok.id[:12]].split()[1:5] == ["succeeded", "health_check", "health", "normal"]
    assert "cluster_unreachable: connection refused" in rows[failed.id[:12]]
    assert [line.split()[0] for line in only_failed.splitlines()[1:]] == [failed.id[:12]]
    assert [task["id"] for task in json.loads(as_json)] == [ok.id]
    assert f"Task {ok.id}" in shown and "1 pod is crash-looping." in shown
    assert "api-0 restarted 12 times" in shown and "Read its previous logs." in shown
    assert "Pod/shop/api-0" in shown
    assert "cluster_unreachable: connection refused" in shown_failed
    assert "What to do: Check that the cluster is running" in shown_failed
    assert json.loads(shown_json)["result"]["findings"][0]["id"] == "pod-crashloop"


def test_tasks_cancel(env: Path) -> None:
    (finished,) = run_tasks(HealthCheckRequest())
    queued = queue_task()

    code, out, _ = kubegenie("tasks", "cancel", queued[:10])
    again_code, again, _ = kubegenie("tasks", "cancel", queued, "--json")
    done_code, done, _ = kubegenie("tasks", "cancel", finished.id)
    running = queue_task(running_on="worker-7@host")
    running_code, asked, _ = kubegenie("tasks", "cancel", running)
    _, shown, _ = kubegenie("tasks", "show", running)

    assert code == 0 and out.strip() == f"Cancelled task {queued[:12]} before it started."
    assert again_code == 1 and json.loads(again)["state"] == "cancelled"
    assert done_code == 1 and done.strip() == f"Task {finished.id[:12]} already succeeded; nothing to cancel."
    assert running_code == 0 and asked.startswith(f"Asked worker-7@host to stop task {running[:12]}")
    assert "Cancellation asked; the worker running it will stop it shortly." in shown


def test_bad_input_gives_messages_and_exit_codes(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing_code, _, missing = kubegenie("tasks", "show", "ffff0000")
    state_code, _, state = kubegenie("tasks", "list", "--state", "sleeping")
    not_id_code, _, not_id = kubegenie("tasks", "cancel", "drop table")

    assert missing_code == 1
    assert missing.splitlines() == ["Error: no task with id 'ffff0000'",
                                    "What to do: List tasks with `kubegenie tasks list` and use one of their ids."]
    assert state_code == 2 and "'sleeping' is not one of" in state
    assert not_id_code == 1 and "'drop table' is not a task id" in not_id
    for stderr in (missing, state, not_id):
        assert "Traceback" not in stderr

    monkeypatch.setenv("KUBEGENIE_STORE__URL", "postgresql://nobody@127.0.0.1:1/kubegenie")
    get_settings.cache_clear()
    db_code, _, db = kubegenie("tasks", "list")
    assert db_code == 1 and db.startswith("Error: cannot use the database at postgresql+psycopg://nobody@127.0.0.1:1")
    assert "What to do: Start the database or fix KUBEGENIE_STORE__URL" in db


def test_worker_refuses_clearly(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inprocess_code, _, inprocess = kubegenie("worker")

    monkeypatch.setenv("KUBEGENIE_QUEUE__BACKEND", "celery")
    monkeypatch.setenv("KUBEGENIE_QUEUE__BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("KUBEGENIE_QUEUE__CONNECT_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    broker_code, _, broker = kubegenie("worker")

    monkeypatch.setenv("KUBEGENIE_QUEUE__BACKEND", "kafka")
    get_settings.cache_clear()
    setting_code, _, setting = kubegenie("worker")

    assert inprocess_code == 2 and "serves the Celery queue, but the queue backend is 'inprocess'" in inprocess
    assert broker_code == 1
    assert broker.startswith("Error: cannot reach the Celery broker at redis://127.0.0.1:1/0")
    assert "What to do: Start the broker or fix KUBEGENIE_QUEUE__BROKER_URL" in broker
    assert setting_code == 2
    assert setting.startswith("Error: setting KUBEGENIE_QUEUE__BACKEND is not valid: Input should be 'inprocess'")


def test_registry_conflict_is_a_usage_error(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rival = agents_distribution(env / "rival", name="kubegenie-rival",
                                entries={"health": "tests.support.runtime_agents:HealthAgent"})
    monkeypatch.syspath_prepend(str(rival))

    code, _, err = kubegenie("agents", "list")

    assert code == 2
    assert err.startswith("Error: two agents are named 'health'")
    assert "KUBEGENIE_AGENTS__DISABLED" in err


def test_settings_accept_the_runtime_groups(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEGENIE_TASKS__TIMEOUTS", '{"cost": 120}')
    monkeypatch.setenv("KUBEGENIE_QUEUE__WORKERS", "3")
    settings = Settings()

    assert settings.tasks.timeouts == {"cost": 120} and settings.queue.workers == 3
    assert settings.database_url() == f"sqlite:///{env / 'data' / 'kubegenie.db'}"
