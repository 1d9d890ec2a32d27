"""Container logs through kubectl: lines in the formats of each image's program, the declared lines, the
previous run's last words after a restart, and `logs -f` following lines as they are written."""

from __future__ import annotations

import re

import yaml

from kubegenie.sandbox import bootstrap
from tests.support.scenario import ScenarioEnv

NGINX_ACCESS = re.compile(r'^10\.244\.\d+\.\d+ - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "(GET|POST) /\S* '
                          r'HTTP/1\.1" \d{3} \d+ "-" "[^"]+" "-"$')


def _pod(env: ScenarioEnv, namespace: str, selector: str) -> str:
    return str(env.get_json("pods", "-n", namespace, "-l", selector)["items"][0]["metadata"]["name"])


def test_lines_follow_the_image(shop: ScenarioEnv) -> None:
    web = shop.ok("logs", "-n", "shop", _pod(shop, "shop", "app.kubernetes.io/name=storefront"), "--tail=20")
    lines = web.strip().splitlines()
    assert len(lines) == 20 and all(NGINX_ACCESS.match(line) for line in lines), lines[:3]
    java = shop.ok("logs", "-n", "payments", _pod(shop, "payments", "app.kubernetes.io/name=payments-api"),
                   "--tail=3")
    assert all(re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\s+(INFO|WARN) 1 --- \[nio-8080-exec-\d+\] ", line)
               for line in java.strip().splitlines()), java
    def postgres() -> str | None:
        result = shop.kubectl("logs", "-n", "shop", "orders-db-0")
        return result.stdout if "database system is ready" in result.stdout else None

    assert "LOG:  database system is ready to accept connections" in shop.wait("PostgreSQL to start", postgres, 120)
    dns = shop.ok("logs", "-n", "kube-system", _pod(shop, "kube-system", "k8s-app=kube-dns"))
    assert dns.splitlines()[:3] == [".:53", dns.splitlines()[1], "CoreDNS-1.11.3"]
    leaking = shop.ok("logs", "-n", "shop", _pod(shop, "shop", "app.kubernetes.io/name=cart-service"), "--tail=200")
    assert re.search(r'"msg":"memory usage high","rss_mb":\d+,"limit_mb":512,', leaking), leaking[-500:]
    timed = shop.ok("logs", "-n", "shop", _pod(shop, "shop", "app.kubernetes.io/name=storefront"), "--tail=1",
                    "--timestamps")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 10\.244\.", timed)


def test_previous_logs_after_a_restart_end_with_the_crash(shop: ScenarioEnv) -> None:
    def restarted() -> str | None:
        pods = shop.get_json("pods", "-n", "payments", "-l", "app.kubernetes.io/name=payment-gateway")["items"]
        found = [p for p in pods if p["status"]["containerStatuses"][0]["restartCount"] >= 1]
        return str(found[0]["metadata"]["name"]) if found else None

    name = shop.wait("a payment-gateway restart", restarted, 120)
    previous = shop.ok("logs", "-n", "payments", name, "--previous").strip().splitlines()
    assert previous[0].startswith('{"level":"info"') and '"msg":"starting payment-gateway"' in previous[0]
    assert previous[-1].startswith('{"level":"fatal"') and "config.yaml: no such file or directory" in previous[-1]


def test_declared_lines_replace_the_image_defaults(shop: ScenarioEnv) -> None:
    def create() -> None:
        bootstrap.create(shop.cluster, "v1", "namespaces", "", {"metadata": {"name": "log-declared"}})

    shop.on_loop(create)
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "talker", "namespace": "log-declared",
                        "annotations": {"sim.kubegenie.io/log": "hello from talker\nsecond line"}},
           "spec": {"containers": [{"name": "app", "image": "nginx:1.27.2"}]}}
    shop.binary.run(shop.kubeconfig, shop.cache_dir, "apply", "-f", "-", input=yaml.safe_dump(pod))

    def logged() -> str | None:
        result = shop.kubectl("logs", "-n", "log-declared", "talker")
        return result.stdout if result.returncode == 0 and result.stdout else None

    assert shop.wait("the declared lines", logged, 60) == "hello from talker\nsecond line\n"


def test_follow_gets_new_lines_as_they_are_written(shop: ScenarioEnv) -> None:
    name = _pod(shop, "shop", "app.kubernetes.io/name=storefront")
    stream = shop.binary.popen(shop.kubeconfig, shop.cache_dir, "logs", "-f", "-n", "shop", name, "--tail=1")
    try:
        assert stream.wait_for(lambda lines: len(lines) >= 3, timeout=30), stream.lines
        assert all(NGINX_ACCESS.match(line) for line in stream.lines[:3])
        times = [re.search(r"\[([^\]]+)\]", line).group(1) for line in stream.lines[:3]]  # type: ignore[union-attr]
        assert times == sorted(times) and len(set(times)) >= 2
    finally:
        stream.stop()


def test_follow_ends_with_the_last_words_of_a_crashing_container(shop: ScenarioEnv) -> None:
    name = _pod(shop, "payments", "app.kubernetes.io/name=payment-gateway")

    def started() -> bool:
        pod = shop.get_json("pod", "-n", "payments", name)
        return "running" in pod["status"]["containerStatuses"][0]["state"]

    shop.wait("a payment-gateway start", started, 400, poll=0.05)
    stream = shop.binary.popen(shop.kubeconfig, shop.cache_dir, "logs", "-f", "-n", "payments", name)
    try:
        assert stream.wait_for(lambda lines: any('"level":"fatal"' in line for line in lines), timeout=30), \
            stream.lines
        code, _ = stream.wait(30)
        assert code == 0
        assert '"level":"fatal"' in stream.lines[-1]
    finally:
        stream.stop()
