"""pods/log: what `kubectl logs` shows in every version, the kubelet's and apiserver's errors, option
handling over raw HTTP, and `follow` streams that end when the container stops or the pod goes."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import kubectl, kubelet, rawapi
from tests.support.kubelet import container_state
from tests.support.sandbox import SandboxEnv, unique_name

pytestmark = pytest.mark.kubectl

LOG = "sim.kubegenie.io/log"
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (.*)$")


def run(sandbox: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(sandbox.kubeconfig, sandbox.cache_dir, *args)


def two_containers() -> list[dict[str, str]]:
    return [{"name": "web", "image": "nginx:1.27"}, {"name": "sidecar", "image": "busybox:1.36"}]


@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_logs_options(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    kubelet.run_pod(sandbox, namespace, "solo", annotations={LOG: "one\ntwo\nthree\nfour"})
    plain = run(sandbox, binary, "-n", namespace, "logs", "solo")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == "one\ntwo\nthree\nfour\n"
    tail = run(sandbox, binary, "-n", namespace, "logs", "solo", "--tail=2")
    assert tail.stdout == "three\nfour\n"
    stamped = run(sandbox, binary, "-n", namespace, "logs", "pod/solo", "--timestamps", "-c", "app")
    matches = [TIMESTAMPED.match(line) for line in stamped.stdout.splitlines()]
    assert all(matches), stamped.stdout
    assert [m.group(1) for m in matches if m] == ["one", "two", "three", "four"]
    previous = run(sandbox, binary, "-n", namespace, "logs", "solo", "--previous")
    assert previous.returncode == 1
    assert previous.stderr.strip() == ('Error from server (BadRequest): previous terminated container "app" in '
                                       'pod "solo" not found')


@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_logs_container_choice(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    kubelet.run_pod(sandbox, namespace, "pair", containers=two_containers(), annotations={LOG: "from both"})
    # kubectl picks the first container itself; the apiserver's wording shows when the API is asked directly.
    defaulted = run(sandbox, binary, "-n", namespace, "logs", "pair")
    assert defaulted.stdout == "from both\n"
    assert defaulted.stderr.strip() == 'Defaulted container "web" out of: web, sidecar'
    chosen = run(sandbox, binary, "-n", namespace, "logs", "pair", "-c", "sidecar")
    assert chosen.stdout == "from both\n"
    wrong = run(sandbox, binary, "-n", namespace, "logs", "pair", "-c", "nope")
    assert wrong.returncode == 1
    assert "container nope is not valid for pod pair" in wrong.stderr


async def test_several_containers_need_a_name(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "pair", containers=two_containers())
    reply = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/pair/log")
    assert reply.status == 400
    body = reply.json()
    assert body["message"] == "a container name must be specified for pod pair, choose one of: [web sidecar]"
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "BadRequest", 400)


@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_logs_previous_instance(sandbox: SandboxEnv, namespace: str, binary: kubectl.Kubectl) -> None:
    kubelet.run_pod(sandbox, namespace, "crashy", annotations={LOG: "booting"}, restarts=1, last_exit_code=1)
    kubelet.write_log(sandbox, namespace, "crashy", "app", "second run only")
    current = run(sandbox, binary, "-n", namespace, "logs", "crashy")
    assert current.stdout == "booting\nsecond run only\n"
    previous = run(sandbox, binary, "-n", namespace, "logs", "crashy", "-p")
    assert previous.returncode == 0, previous.stderr
    assert previous.stdout == "booting\n"


@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_logs_by_selector_and_deployment(sandbox: SandboxEnv, namespace: str,
                                                 binary: kubectl.Kubectl) -> None:
    labels = {"app": "web"}
    kubelet.create(sandbox, "apps/v1", "deployments", namespace, {
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                     {"name": "app", "image": "nginx:1.27"}]}}}})
    for index in (1, 2):
        kubelet.run_pod(sandbox, namespace, f"web-{index}", labels=labels,
                        annotations={LOG: "\n".join(f"web-{index} line {n}" for n in range(15))})
    kubelet.run_pod(sandbox, namespace, "other", labels={"app": "other"}, annotations={LOG: "not me"})
    selected = run(sandbox, binary, "-n", namespace, "logs", "-l", "app=web")
    assert selected.returncode == 0, selected.stderr
    lines = selected.stdout.splitlines()
    # With a selector kubectl asks each pod for its last 10 lines.
    assert sorted(lines) == sorted([f"web-{i} line {n}" for i in (1, 2) for n in range(5, 15)])
    by_deployment = run(sandbox, binary, "-n", namespace, "logs", "deploy/web", "--tail=1")
    assert by_deployment.returncode == 0, by_deployment.stderr
    assert by_deployment.stdout in ("web-1 line 14\n", "web-2 line 14\n")


@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_logs_follow_ends_when_the_container_stops(sandbox: SandboxEnv, namespace: str,
                                                           binary: kubectl.Kubectl) -> None:
    kubelet.run_pod(sandbox, namespace, "live", annotations={LOG: "started"})
    stream = binary.popen(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "logs", "-f", "live")
    try:
        assert stream.wait_for(lambda lines: lines == ["started"]), stream.lines
        kubelet.write_log(sandbox, namespace, "live", "app", "request 1\nrequest 2")
        assert stream.wait_for(lambda lines: lines[-1:] == ["request 2"]), stream.lines

        def terminate(pod: dict[str, object]) -> None:
            status = pod["status"]
            assert isinstance(status, dict)
            status["phase"] = "Succeeded"
            status["containerStatuses"] = [container_state("app", "nginx:1.27", "x", "2024-01-01T00:00:00Z",
                                                           exit_code=0)]

        kubelet.set_pod_status(sandbox, namespace, "live", terminate)
        code, errors = stream.wait(timeout=15)
    finally:
        stream.stop()
    assert code == 0, errors
    assert stream.lines == ["started", "request 1", "request 2"]


def test_follow_ends_when_the_pod_is_deleted(sandbox: SandboxEnv, namespace: str) -> None:
    binary = kubectl.discover()[0]
    kubelet.run_pod(sandbox, namespace, "doomed", annotations={LOG: "alive"})
    stream = binary.popen(sandbox.kubeconfig, sandbox.cache_dir, "-n", namespace, "logs", "-f", "doomed")
    try:
        assert stream.wait_for(lambda lines: lines == ["alive"]), stream.lines
        deleted = run(sandbox, binary, "-n", namespace, "delete", "pod", "doomed", "--wait=false")
        assert deleted.stdout.strip() == 'pod "doomed" deleted'
        code, errors = stream.wait(timeout=15)
    finally:
        stream.stop()
    assert code == 0, errors


async def test_logs_are_text_even_when_json_is_asked_for(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "texty", annotations={LOG: '{"json":"looking"}\nplain'})
    reply = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/texty/log",
                              headers={"Accept": "application/json"})
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.text == '{"json":"looking"}\nplain\n'


async def test_since_seconds_since_time_and_limit_bytes(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "aged", annotations={LOG: "at start"})
    path = f"/api/v1/namespaces/{namespace}/pods/aged/log"
    time.sleep(1.2)
    kubelet.write_log(sandbox, namespace, "aged", "app", "just now")
    recent = await rawapi.call(sandbox, "GET", path, params={"sinceSeconds": "1"})
    assert recent.text == "just now\n"
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    none = await rawapi.call(sandbox, "GET", path, params={"sinceTime": future})
    assert (none.status, none.text) == (200, "")
    past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    everything = await rawapi.call(sandbox, "GET", path, params={"sinceTime": past})
    assert everything.text == "at start\njust now\n"
    limited = await rawapi.call(sandbox, "GET", path, params={"limitBytes": "5"})
    assert limited.text == "at st"
    stamped = await rawapi.call(sandbox, "GET", path, params={"timestamps": "true", "tailLines": "1"})
    match = TIMESTAMPED.match(stamped.text.rstrip("\n"))
    assert match is not None and match.group(1) == "just now"


@pytest.mark.parametrize(("params", "message"), [
    ({"tailLines": "-1"}, 'PodLogOptions "opts" is invalid: tailLines: Invalid value: -1: must be greater than or '
                          "equal to 0"),
    ({"limitBytes": "0"}, 'PodLogOptions "opts" is invalid: limitBytes: Invalid value: 0: must be greater than 0'),
    ({"sinceSeconds": "0"}, 'PodLogOptions "opts" is invalid: sinceSeconds: Invalid value: 0: must be greater '
                            "than 0"),
    ({"sinceSeconds": "5", "sinceTime": "2024-01-01T00:00:00Z"},
     'PodLogOptions "opts" is invalid: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified'),
])
async def test_invalid_options_are_422(sandbox: SandboxEnv, namespace: str, params: dict[str, str],
                                       message: str) -> None:
    kubelet.run_pod(sandbox, namespace, "opts")
    reply = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/opts/log", params=params)
    assert reply.status == 422
    body = reply.json()
    assert (body["reason"], body["message"], body["details"]["kind"]) == ("Invalid", message, "PodLogOptions")


@pytest.mark.parametrize(("params", "message"), [
    ({"tailLines": "ten"}, 'strconv.ParseInt: parsing "ten": invalid syntax'),
    ({"follow": "maybe"}, 'strconv.ParseBool: parsing "maybe": invalid syntax'),
])
async def test_unparsable_options_are_400(sandbox: SandboxEnv, namespace: str, params: dict[str, str],
                                          message: str) -> None:
    kubelet.run_pod(sandbox, namespace, "parse")
    reply = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/parse/log", params=params)
    assert (reply.status, reply.json()["message"]) == (400, message)


async def test_waiting_and_unscheduled_containers(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "pulling", phase="Pending")

    def image_pull_backoff(pod: dict[str, object]) -> None:
        status = pod["status"]
        assert isinstance(status, dict)
        status["containerStatuses"][0]["state"] = {"waiting": {"reason": "ImagePullBackOff"}}

    kubelet.set_pod_status(sandbox, namespace, "pulling", image_pull_backoff)
    pulling = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/pulling/log")
    assert pulling.status == 400
    assert pulling.json()["message"] == ('container "app" in pod "pulling" is waiting to start: trying and failing '
                                         "to pull image")
    kubelet.run_pod(sandbox, namespace, "creating", phase="Pending")
    creating = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/creating/log")
    assert creating.json()["message"] == 'container "app" in pod "creating" is waiting to start: ContainerCreating'
    kubelet.run_pod(sandbox, namespace, "unscheduled", node=None)
    unscheduled = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/unscheduled/log")
    assert (unscheduled.status, unscheduled.text) == (200, "")
    missing = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/ghost/log")
    assert (missing.status, missing.json()["message"]) == (404, 'pods "ghost" not found')


async def test_default_lines_follow_the_image(sandbox: SandboxEnv, namespace: str) -> None:
    kubelet.run_pod(sandbox, namespace, "nginx", containers=[{"name": "web", "image": "nginx:1.27"}])
    kubelet.run_pod(sandbox, namespace, "redis", containers=[{"name": "db", "image": "redis:7"}])
    nginx = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/nginx/log")
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up" in nginx.text.splitlines()
    assert '"GET / HTTP/1.1" 200 615' in nginx.text
    redis = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/redis/log")
    assert redis.text.splitlines()[-1].endswith("* Ready to accept connections tcp")


def test_follow_over_http_streams_appended_lines(sandbox: SandboxEnv, namespace: str) -> None:
    import http.client
    from urllib.parse import urlparse

    name = unique_name("stream")
    kubelet.run_pod(sandbox, namespace, name, annotations={LOG: "first"})
    url = urlparse(sandbox.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        connection.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log?follow=true&timestamps=true")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert TIMESTAMPED.match(response.readline().decode().rstrip("\n"))
        kubelet.write_log(sandbox, namespace, name, "app", "second")
        line = response.readline().decode().rstrip("\n")
        match = TIMESTAMPED.match(line)
        assert match is not None and match.group(1) == "second"
    finally:
        connection.close()


async def test_lines_appended_before_the_first_read_follow_the_start_up_lines(sandbox: SandboxEnv,
                                                                              namespace: str) -> None:
    from kubegenie.sandbox.logsource import LogKey, LogLine

    pod = kubelet.run_pod(sandbox, namespace, "fed", annotations={LOG: "boot 1\nboot 2"})
    key = LogKey(pod["metadata"]["uid"], "app", 0)
    kubelet.on_loop(sandbox, lambda: sandbox.cluster.logs.append(
        key, [LogLine(sandbox.cluster.clock.time() + 1, "served /"), LogLine(sandbox.cluster.clock.time() + 2,
                                                                              "served /healthz")]))
    reply = await rawapi.call(sandbox, "GET", f"/api/v1/namespaces/{namespace}/pods/fed/log")
    assert reply.text == "boot 1\nboot 2\nserved /\nserved /healthz\n"
