"""Fault injection for reliability tests: forced errors and latency per path and verb (seen by kubectl and
raw clients), dropped watch streams, refused connections on the same port, the admin endpoint's own
validation, and `kubegenie sandbox up --faults FILE`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support import kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv

ADMIN = "/sandbox/faults"


@pytest.fixture
async def faults(fresh_sandbox: SandboxEnv) -> AsyncIterator[SandboxEnv]:
    """A sandbox of the test's own whose faults are cleared afterwards (rules must not leak)."""
    yield fresh_sandbox
    await rawapi.call(fresh_sandbox, "DELETE", ADMIN)


async def add(sandbox: SandboxEnv, document: dict[str, Any]) -> dict[str, Any]:
    reply = await rawapi.call(sandbox, "POST", ADMIN, document)
    assert reply.status == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


async def test_admin_endpoint_starts_empty_and_clears(faults: SandboxEnv) -> None:
    initial = await rawapi.call(faults, "GET", ADMIN)
    assert initial.json() == {"rules": [], "watches": {"open": 0, "dropped": 0}, "refusing": False}
    added = await add(faults, {"rules": [{"path": "/api/v1/pods", "status": 500},
                                         {"path": "/apis/*", "latency": 0.01}]})
    assert added["added"] == ["r1", "r2"]
    assert [rule["id"] for rule in added["rules"]] == ["r1", "r2"]
    removed_one = await rawapi.call(faults, "DELETE", ADMIN, params={"id": "r1"})
    assert [rule["id"] for rule in removed_one.json()["rules"]] == ["r2"]
    unknown = await rawapi.call(faults, "DELETE", ADMIN, params={"id": "r9"})
    assert (unknown.status, unknown.json()["message"]) == (404, 'fault rule "r9" not found')
    cleared = await rawapi.call(faults, "DELETE", ADMIN)
    assert cleared.json()["rules"] == []


@pytest.mark.parametrize(("document", "message"), [
    ({"rules": [{"path": "/api"}]}, "rules[0]: a rule needs a status, a latency or a jitter"),
    ({"rules": [{"path": "/api", "status": 200}]},
     "rules[0].status: must be an HTTP error code between 400 and 599, not 200"),
    ({"rules": [{"path": "/api", "status": 500, "rate": 2}]}, "rules[0].rate: must be between 0 and 1, not 2.0"),
    ({"rules": [{"path": "re:(", "status": 500}]}, "rules[0].path: invalid regular expression: missing ), "
                                                   "unterminated subpattern at position 0"),
    ({"rules": [{"path": "/api", "status": 500, "colour": "red"}]},
     "rules[0]: unknown field 'colour' (known: jitter, latency, message, path, rate, retryAfter, status, times, "
     "verbs)"),
    ({"rules": {"path": "/api"}}, "rules: must be a list"),
    ({"refuse": {"seconds": 0}}, "refuse.seconds: must be more than 0"),
    ({"watches": {"mode": "explode"}}, "watches.mode: must be close or reset"),
    ({"chaos": True}, "unknown field 'chaos' (known: refuse, rules, seed, watches)"),
])
async def test_bad_fault_documents_are_400(faults: SandboxEnv, document: dict[str, Any], message: str) -> None:
    reply = await rawapi.call(faults, "POST", ADMIN, document)
    assert reply.status == 400
    body = reply.json()
    assert (body["kind"], body["code"], body["message"]) == ("Status", 400, message)
    assert (await rawapi.call(faults, "GET", ADMIN)).json()["rules"] == []


async def test_admin_endpoint_rejects_other_input(faults: SandboxEnv) -> None:
    not_json = await rawapi.call(faults, "POST", ADMIN, b"{rules: nope")
    assert not_json.status == 400 and not_json.json()["message"].startswith("the fault document is not JSON")
    a_list = await rawapi.call(faults, "POST", ADMIN, [])
    assert a_list.status == 400
    put = await rawapi.call(faults, "PUT", ADMIN, {})
    assert (put.status, put.json()["reason"]) == (405, "MethodNotAllowed")


async def test_forced_errors_match_path_and_verb(faults: SandboxEnv) -> None:
    kubelet.run_pod(faults, "default", "target")
    await add(faults, {"rules": [{"path": "/api/v1/namespaces/*/pods", "verbs": ["list"], "status": 503}]})
    listed = await rawapi.call(faults, "GET", "/api/v1/namespaces/default/pods")
    assert listed.status == 503
    assert listed.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": "the server is currently unable to handle the request",
                             "reason": "ServiceUnavailable", "code": 503}
    single = await rawapi.call(faults, "GET", "/api/v1/namespaces/default/pods/target")
    assert single.status == 200
    other = await rawapi.call(faults, "GET", "/api/v1/namespaces/default/configmaps")
    assert other.status == 200
    state = (await rawapi.call(faults, "GET", ADMIN)).json()
    assert (state["rules"][0]["hits"], state["rules"][0]["errors"]) == (1, 1)


@pytest.mark.kubectl
def test_kubectl_sees_forced_errors(faults: SandboxEnv) -> None:
    binary = kubectl.discover()[0]
    asyncio.run(add(faults, {"rules": [
        {"path": "re:^/api/v1/namespaces/[^/]+/secrets$", "verbs": ["list"], "status": 403,
         "message": 'secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" '
                    'in the namespace "default"'},
        {"path": "/api/v1/namespaces/*/configmaps", "verbs": ["POST"], "status": 500, "times": 1}]}))
    denied = binary.run(faults.kubeconfig, faults.cache_dir, "get", "secrets")
    assert denied.returncode == 1
    assert denied.stderr.strip() == ('Error from server (Forbidden): secrets is forbidden: User "system:anonymous" '
                                     'cannot list resource "secrets" in API group "" in the namespace "default"')
    failed = binary.run(faults.kubeconfig, faults.cache_dir, "create", "configmap", "once")
    assert failed.returncode == 1
    assert "Internal error occurred: injected fault" in failed.stderr
    retried = binary.run(faults.kubeconfig, faults.cache_dir, "create", "configmap", "once")
    assert retried.stdout.strip() == "configmap/once created"


@pytest.mark.kubectl
def test_kubectl_retries_too_many_requests(faults: SandboxEnv) -> None:
    binary = kubectl.discover()[0]
    asyncio.run(add(faults, {"rules": [{"path": "/api/v1/namespaces/default/configmaps", "status": 429,
                                        "times": 2}]}))
    result = binary.run(faults.kubeconfig, faults.cache_dir, "get", "configmaps", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "configmap/kube-root-ca.crt"
    state = asyncio.run(rawapi.call(faults, "GET", ADMIN)).json()
    assert (state["rules"][0]["hits"], state["rules"][0]["errors"]) == (2, 2)


async def test_too_many_requests_says_when_to_come_back(faults: SandboxEnv) -> None:
    await add(faults, {"rules": [{"path": "/version", "status": 429, "retryAfter": 3}]})
    reply = await rawapi.call(faults, "GET", "/version")
    assert (reply.status, reply.headers["Retry-After"]) == (429, "3")
    assert reply.json()["details"] == {"retryAfterSeconds": 3}
    assert reply.json()["message"] == "Too many requests, please try again later."


async def test_error_rate_is_repeatable_with_a_seed(faults: SandboxEnv) -> None:
    async def pattern() -> list[int]:
        await rawapi.call(faults, "DELETE", ADMIN)
        await add(faults, {"seed": 7, "rules": [{"path": "/api/v1/namespaces", "status": 500, "rate": 0.5}]})
        return [(await rawapi.call(faults, "GET", "/api/v1/namespaces")).status for _ in range(40)]

    first, second = await pattern(), await pattern()
    assert first == second
    assert set(first) == {200, 500}
    assert 10 <= first.count(500) <= 30


async def test_latency_applies_to_matching_requests_only(faults: SandboxEnv) -> None:
    await add(faults, {"rules": [{"path": "/api/v1/namespaces/default/configmaps*", "latency": 0.4,
                                  "jitter": 0.1}]})
    started = time.monotonic()
    slow = await rawapi.call(faults, "GET", "/api/v1/namespaces/default/configmaps")
    slow_time = time.monotonic() - started
    started = time.monotonic()
    fast = await rawapi.call(faults, "GET", "/api/v1/namespaces/default/secrets")
    fast_time = time.monotonic() - started
    assert slow.status == fast.status == 200
    assert 0.4 <= slow_time < 2
    assert fast_time < 0.3


async def open_watch(sandbox: SandboxEnv, session: aiohttp.ClientSession, path: str) -> aiohttp.ClientResponse:
    response = await session.get(sandbox.url + path, params={"watch": "true", "resourceVersion": "0"})
    assert response.status == 200
    await response.content.readline()  # the first ADDED event: the stream is live
    return response


async def ends_cleanly(response: aiohttp.ClientResponse) -> bool:
    """Read what is left of a watch; True when the server ended it (the rest is whole JSON events)."""
    rest = await asyncio.wait_for(response.content.read(), 5)
    return response.content.at_eof() and all(json.loads(line)["type"] == "ADDED" for line in rest.splitlines())


async def wait_for_open_watches(sandbox: SandboxEnv, count: int) -> None:
    for _ in range(50):
        if (await rawapi.call(sandbox, "GET", ADMIN)).json()["watches"]["open"] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the watches never opened")


async def test_drop_matching_watches_now(faults: SandboxEnv) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        namespaces = await open_watch(faults, session, "/api/v1/namespaces")
        services = await open_watch(faults, session, "/api/v1/services")
        await wait_for_open_watches(faults, 2)
        state = await add(faults, {"watches": {"drop": True, "path": "/api/v1/namespaces"}})
        assert state["watches"]["dropped"] == 1
        assert await ends_cleanly(namespaces)
        assert not services.content.at_eof()
        reset = await add(faults, {"watches": {"drop": True, "mode": "reset"}})
        assert reset["watches"]["dropped"] == 2
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(services.content.read(), 5)
        namespaces.release()
        services.release()


async def test_drop_watches_every_few_seconds(faults: SandboxEnv) -> None:
    await add(faults, {"watches": {"every": 0.5}})
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        for _ in range(2):
            started = time.monotonic()
            response = await open_watch(faults, session, "/api/v1/configmaps")
            assert await ends_cleanly(response)
            assert time.monotonic() - started < 2
            response.release()
    stopped = await add(faults, {"watches": {"every": 0}})
    assert "every" not in stopped["watches"]


async def test_refused_connections_then_back_on_the_same_port(faults: SandboxEnv) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        watch = await open_watch(faults, session, "/api/v1/namespaces")
        await add(faults, {"refuse": {"seconds": 1.5}})
        await asyncio.sleep(0.2)
        with pytest.raises(aiohttp.ClientConnectorError):
            await rawapi.call(faults, "GET", "/version")
        # The open watch went down with the server.
        with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
            await asyncio.wait_for(watch.content.read(), 5)
        watch.release()
    for _ in range(60):
        await asyncio.sleep(0.1)
        try:
            back = await rawapi.call(faults, "GET", "/version")
        except aiohttp.ClientConnectorError:
            continue
        assert back.status == 200
        assert (await rawapi.call(faults, "GET", ADMIN)).json()["refusing"] is False
        return
    raise AssertionError("the server never listened again")


def get_json(url: str, expect: int = 200) -> Any:
    """A GET to a sandbox running in another process; the body as JSON."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == expect
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        assert error.code == expect
        with error:
            return json.loads(error.read())


def test_sandbox_up_reads_a_faults_file(tmp_path: Path) -> None:
    document = tmp_path / "faults.yaml"
    document.write_text('rules:\n- path: "/api/v1/namespaces/*/pods"\n  verbs: [list]\n  status: 503\n'
                        "  message: etcd is unhappy\n")
    kubegenie = str(Path(sys.executable).parent / "kubegenie")
    command = [kubegenie, "sandbox", "up", "--port", "0", "--kubeconfig", str(tmp_path / "kubeconfig")]
    environment = {**os.environ, "HOME": str(tmp_path)}
    process = subprocess.Popen([*command, "--faults", str(document)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert " ready at " in ready, ready
        url = ready.split(" ready at ")[1].split()[0]
        state = get_json(url + ADMIN)
        assert [(rule["path"], rule["status"]) for rule in state["rules"]] == [("/api/v1/namespaces/*/pods", 503)]
        refused = get_json(url + "/api/v1/namespaces/default/pods", expect=503)
        assert refused["message"] == "etcd is unhappy"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n- path: /api\n")
    failed = subprocess.run([*command, "--faults", str(bad)], capture_output=True, text=True, timeout=60,
                            env=environment)
    assert failed.returncode == 2
    assert failed.stderr.strip() == f"Error: {bad}: rules[0]: a rule needs a status, a latency or a jitter"
