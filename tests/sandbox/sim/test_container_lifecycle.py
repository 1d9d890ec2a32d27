"""Container lifecycle as a real kubelet shows it: crash loops with back-off and Last State, OOMKilled past
the memory limit (steady or leaking), image pull failures and back-off, init containers, Job pods that
finish, and graceful deletion with a Killing event."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.sandbox.sim.conftest import Sim, deployment, start_simulated, table
from tests.support import kubectl


def _in_back_off(sim: Sim, namespace: str, name: str) -> bool:
    pod = sim.store_get("pods", namespace, name) or {}
    status = ((pod.get("status") or {}).get("containerStatuses") or [{}])[0]
    return ((status.get("state") or {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff"


@pytest.fixture(scope="module")
def crashing(sim: Sim) -> tuple[str, str]:
    """A Deployment whose container exits 1 after 5 s, left to crash-loop."""
    namespace = sim.namespace("crashloop")
    sim.apply(namespace, deployment("crasher", image="busybox:1.36",
                                    annotations={"sim.kubegenie.io/exit-code": "1"}))
    started = sim.now()

    def looping() -> str | None:
        for pod in sim.pods(namespace, "crasher-"):
            status = (pod.get("status") or {}).get("containerStatuses") or [{}]
            waiting = (status[0].get("state") or {}).get("waiting") or {}
            if status[0].get("restartCount", 0) >= 2 and waiting.get("reason") == "CrashLoopBackOff":
                return str(pod["metadata"]["name"])
        return None

    name = sim.wait("CrashLoopBackOff with 2 restarts", looping, 60)
    assert sim.now() - started <= 60 + 2 * sim.speed  # within 60 simulated seconds (plus polling slack)
    return namespace, name


def test_crash_loop_shows_in_get_pods(sim: Sim, crashing: tuple[str, str]) -> None:
    namespace, name = crashing
    rows: dict[str, dict[str, str]] = {}
    for _ in range(5):  # read it while it waits (the container restarts now and then)
        sim.wait("the back-off between two runs", lambda: _in_back_off(sim, namespace, name), 400)
        rows = {row["NAME"]: row for row in table(sim.ok("-n", namespace, "get", "pods"))}
        if rows[name]["STATUS"] == "CrashLoopBackOff":
            break
    assert rows[name]["READY"] == "0/1"
    assert rows[name]["STATUS"] == "CrashLoopBackOff"
    restarts = re.match(r"(\d+) \((\S+) ago\)", rows[name]["RESTARTS"])
    assert restarts is not None and int(restarts.group(1)) >= 2


@pytest.mark.parametrize("binary", kubectl.params())
def test_describe_shows_last_state_and_back_off(sim: Sim, crashing: tuple[str, str], binary: kubectl.Kubectl) -> None:
    namespace, name = crashing
    text = ""
    for _ in range(5):  # the container restarts now and then: describe it while it waits
        sim.wait("the back-off between two runs", lambda: _in_back_off(sim, namespace, name), 400)
        result = sim.kubectl("-n", namespace, "describe", "pod", name, binary=binary)
        assert result.returncode == 0, result.stderr
        text = result.stdout
        if re.search(r"State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff", text):
            break
    assert re.search(r"State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff", text)
    assert re.search(r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1\n\s+Started:.*\n\s+Finished:",
                     text)
    assert re.search(r"Restart Count:\s+[2-9]", text)
    uid = sim.store_get("pods", namespace, name)["metadata"]["uid"]  # type: ignore[index]
    assert re.search(rf"Warning\s+BackOff\s+.*kubelet\s+Back-off restarting failed container app in pod "
                     rf"{name}_{namespace}\({uid}\)", text)
    assert re.search(r"Normal\s+Started\s+\S+ \(x[2-9] over \S+\)\s+kubelet\s+Started container app", text)


def test_waiting_message_names_the_back_off(sim: Sim, crashing: tuple[str, str]) -> None:
    namespace, name = crashing
    pod: dict[str, Any] = {}
    for _ in range(5):  # read it while it waits (the container restarts now and then)
        sim.wait("the back-off between two runs", lambda: _in_back_off(sim, namespace, name), 400)
        pod = sim.get_json("-n", namespace, "pod", name)
        if "waiting" in pod["status"]["containerStatuses"][0]["state"]:
            break
    status = pod["status"]["containerStatuses"][0]
    message = status["state"]["waiting"]["message"]
    assert re.fullmatch(rf"back-off (10s|20s|40s|1m20s) restarting failed container=app pod={name}_{namespace}"
                        rf"\({pod['metadata']['uid']}\)", message)
    terminated = status["lastState"]["terminated"]
    assert terminated["exitCode"] == 1 and terminated["reason"] == "Error"
    assert terminated["containerID"].startswith("containerd://")
    assert pod["status"]["phase"] == "Running"
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [app]"


def test_back_off_events_are_aggregated(sim: Sim, crashing: tuple[str, str]) -> None:
    namespace, name = crashing
    events = sim.get_json("-n", namespace, "events", "--field-selector", f"involvedObject.name={name},reason=BackOff")
    assert len(events["items"]) == 1
    event = events["items"][0]
    assert event["count"] >= 2 and event["type"] == "Warning"
    assert event["source"] == {"component": "kubelet", "host": sim.store_get("pods", namespace, name)["spec"][
        "nodeName"]}  # type: ignore[index]
    assert event["involvedObject"]["fieldPath"] == "spec.containers{app}"
    assert event["firstTimestamp"] < event["lastTimestamp"]


def test_memory_above_the_limit_is_oom_killed(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("hog", annotations={"sim.kubegenie.io/memory": "300Mi"},
                             container={"resources": {"limits": {"memory": "128Mi"}}}))

    def killed() -> str | None:
        for pod in sim.pods(ns, "hog-"):
            for status in (pod.get("status") or {}).get("containerStatuses") or []:
                for state in (status.get("state") or {}, status.get("lastState") or {}):
                    if (state.get("terminated") or {}).get("reason") == "OOMKilled":
                        return str(pod["metadata"]["name"])
        return None

    name = sim.wait("an OOMKilled container", killed, 60)
    text = sim.ok("-n", ns, "describe", "pod", name)
    assert re.search(r"Reason:\s+OOMKilled\n\s+Exit Code:\s+137", text)
    assert re.search(r"Limits:\n\s+memory:\s+128Mi", text)


def test_image_that_does_not_exist_backs_off(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("typo", image="nginx:does-not-exist"))

    def backing_off() -> str | None:
        for pod in sim.pods(ns, "typo-"):
            status = (pod.get("status") or {}).get("containerStatuses") or [{}]
            if ((status[0].get("state") or {}).get("waiting") or {}).get("reason") == "ImagePullBackOff":
                return str(pod["metadata"]["name"])
        return None

    name = sim.wait("ImagePullBackOff", backing_off, 60)
    # The kubelet alternates ErrImagePull (each retry) and ImagePullBackOff (between retries), so each view is
    # read again until it shows the back-off.
    def status_column_backs_off() -> bool:
        return [row["STATUS"] for row in table(sim.ok("-n", ns, "get", "pods"))] == ["ImagePullBackOff"]

    assert sim.wait("the STATUS column", status_column_backs_off, 120)
    text = sim.ok("-n", ns, "describe", "pod", name)
    assert "Status:           Pending" in text
    full = "docker.io/library/nginx:does-not-exist"
    assert (f'Failed to pull image "nginx:does-not-exist": failed to pull and unpack image "{full}": failed to '
            f'resolve reference "{full}": {full}: not found') in text
    assert re.search(r"Warning\s+Failed\s+.*kubelet\s+Error: ErrImagePull", text)
    assert re.search(r"Normal\s+BackOff\s+.*kubelet\s+Back-off pulling image \"nginx:does-not-exist\"", text)
    assert re.search(r"Warning\s+Failed\s+.*kubelet\s+Error: ImagePullBackOff", text)
    backoff = {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "nginx:does-not-exist"'}

    def backing_off_json() -> dict[str, Any] | None:
        pod = sim.get_json("-n", ns, "pod", name)
        return pod if pod["status"]["containerStatuses"][0]["state"]["waiting"] == backoff else None

    pod = sim.wait("the back-off in the pod's JSON", backing_off_json, 120)
    assert pod["status"]["containerStatuses"][0]["imageID"] == ""


def test_unreachable_registry_host(sim: Sim, ns: str) -> None:
    sim.ok("-n", ns, "run", "ghost", "--image=registry.example.invalid/team/api:2.1", "--restart=Never")

    def failed() -> str | None:
        pod = sim.store_get("pods", ns, "ghost") or {}
        waiting = (((pod.get("status") or {}).get("containerStatuses") or [{}])[0].get("state") or {}).get("waiting")
        return (waiting or {}).get("message") if (waiting or {}).get("reason") == "ErrImagePull" else None

    message = sim.wait("ErrImagePull", failed, 30)
    assert message == ('failed to pull and unpack image "registry.example.invalid/team/api:2.1": failed to resolve '
                       'reference "registry.example.invalid/team/api:2.1": failed to do request: Head '
                       '"https://registry.example.invalid/v2/team/api/manifests/2.1": dial tcp: lookup '
                       "registry.example.invalid: no such host")


def test_init_containers_run_first(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "with-init", "annotations": {
        "sim.kubegenie.io/run-seconds.migrate": "8", "sim.kubegenie.io/exit-code.migrate": "0"}},
        "spec": {"initContainers": [{"name": "migrate", "image": "busybox:1.36"}],
                 "containers": [{"name": "web", "image": "nginx:1.25"}]}})
    seen = sim.wait("Init:0/1", lambda: next((row["STATUS"] for row in table(sim.ok("-n", ns, "get", "pods"))
                                              if row["STATUS"].startswith("Init:")), None), 20)
    assert seen == "Init:0/1"
    sim.wait("Running", lambda: (sim.store_get("pods", ns, "with-init") or {}).get("status", {}).get("phase")
             == "Running", 40)
    pod = sim.get_json("-n", ns, "pod", "with-init")
    init = pod["status"]["initContainerStatuses"][0]
    assert init["state"]["terminated"]["reason"] == "Completed" and init["state"]["terminated"]["exitCode"] == 0
    started = pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
    assert started >= init["state"]["terminated"]["finishedAt"]


def test_job_pod_completes(sim: Sim, ns: str) -> None:
    sim.ok("-n", ns, "run", "once", "--image=busybox:1.36", "--restart=Never",
           "--annotations=sim.kubegenie.io/run-seconds=3")
    sim.wait("Succeeded", lambda: (sim.store_get("pods", ns, "once") or {}).get("status", {}).get("phase")
             == "Succeeded", 30)
    rows = table(sim.ok("-n", ns, "get", "pods", "-o", "wide"))
    assert rows[0]["STATUS"] == "Completed" and rows[0]["READY"] == "0/1" and rows[0]["IP"] == "<none>"
    pod = sim.get_json("-n", ns, "pod", "once")
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "PodCompleted"


def test_delete_is_graceful_with_a_killing_event(sim: Sim, ns: str) -> None:
    sim.ok("-n", ns, "run", "web", "--image=nginx:1.25")
    sim.wait("Running", lambda: (sim.store_get("pods", ns, "web") or {}).get("status", {}).get("phase")
             == "Running", 30)
    uid = sim.store_get("pods", ns, "web")["metadata"]["uid"]  # type: ignore[index]
    deleted = sim.ok("-n", ns, "delete", "pod", "web")
    assert deleted.strip() == 'pod "web" deleted'
    assert sim.store_get("pods", ns, "web") is None
    events = sim.get_json("-n", ns, "events", "--field-selector", f"involvedObject.uid={uid},reason=Killing")
    assert [e["message"] for e in events["items"]] == ["Stopping container web"]


def test_a_leak_reaches_the_limit(tmp_path: object) -> None:
    """A leaking container grows from 100Mi by 100Mi every 6 hours: with a 150Mi limit it dies after 3 hours."""
    from pathlib import Path

    fast = start_simulated(Path(str(tmp_path)) / "leak", nodes=1, speed=3600.0, hours_back=48)
    try:
        namespace = fast.namespace("leak")
        fast.apply(namespace, deployment("leaky", annotations={"sim.kubegenie.io/memory": "100Mi",
                                                               "sim.kubegenie.io/usage-pattern": "leak"},
                                         container={"resources": {"limits": {"memory": "150Mi"}}}))

        def killed() -> dict[str, object] | None:
            for pod in fast.pods(namespace, "leaky-"):
                for status in (pod.get("status") or {}).get("containerStatuses") or []:
                    terminated = (status.get("lastState") or {}).get("terminated") or {}
                    if terminated.get("reason") == "OOMKilled":
                        return dict(terminated)
            return None

        terminated = fast.wait("the leak to hit the limit", killed, 5 * 3600)
        from kubegenie.sandbox.sim.kube import seconds

        ran = (seconds(str(terminated["finishedAt"])) or 0) - (seconds(str(terminated["startedAt"])) or 0)
        assert terminated["exitCode"] == 137
        assert abs(ran - 3 * 3600) <= 2
    finally:
        fast.env.thread.stop()


def test_active_deadline_fails_the_pod(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bounded"},
                   "spec": {"activeDeadlineSeconds": 20, "containers": [{"name": "app", "image": "nginx:1.25"}]}})
    sim.wait("Failed", lambda: (sim.store_get("pods", ns, "bounded") or {}).get("status", {}).get("phase")
             == "Failed", 60)
    pod = sim.get_json("-n", ns, "pod", "bounded")
    assert pod["status"]["reason"] == "DeadlineExceeded"
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 137
    text = sim.ok("-n", ns, "describe", "pod", "bounded")
    assert re.search(r"Reason:\s+DeadlineExceeded", text)
    assert re.search(r"Warning\s+DeadlineExceeded\s+\S+\s+kubelet\s+Pod was active on the node longer than the "
                     r"specified deadline", text)
