"""Identity over HTTPS: the kubeconfig's CA and admin certificate, bearer tokens (static and service account),
client certificates, and impersonation, with every kubectl and with the Python client (sync and aio)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.aio import client as aio_client
from kubernetes.client.rest import ApiException

from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.identity import Identity, client_certificate
from kubegenie.sandbox.server import TokenUser
from kubegenie.sandbox.tls import CertificateAuthority
from tests.support import kubectl
from tests.support.sandbox import SandboxEnv, start_sandbox

RBAC = "rbac.authorization.k8s.io/v1"
FORBIDDEN = "Error from server (Forbidden): "
UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)"


def make(env: SandboxEnv, api_version: str, plural: str, namespace: str, body: dict[str, Any]) -> None:
    async def create() -> None:
        bootstrap.create(env.cluster, api_version, plural, namespace, body)
        await env.cluster.settle()

    env.thread.call(create)


def bind(env: SandboxEnv, name: str, role: str, user: str, namespace: str = "") -> None:
    body = {"metadata": {"name": name}, "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                                                      "name": user}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}}
    make(env, RBAC, "rolebindings" if namespace else "clusterrolebindings", namespace, body)


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    """HTTPS sandbox. jane (token) views team-a; bob (token) may impersonate jane, the service account
    team-a/robot and the user extra scopes=read, nothing else."""
    tokens = {"jane-token": TokenUser("jane", ("devs",), "uid-jane"), "bob-token": TokenUser("bob")}
    env = start_sandbox(tmp_path_factory.mktemp("secure"), tls=True, tokens=tokens, name="secure")
    make(env, "v1", "namespaces", "", {"metadata": {"name": "team-a"}})
    make(env, "v1", "serviceaccounts", "team-a", {"metadata": {"name": "robot"}})
    bind(env, "jane-view", "view", "jane", "team-a")
    make(env, RBAC, "clusterroles", "", {"metadata": {"name": "impersonate-jane"}, "rules": [
        {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"], "resourceNames": ["jane"]},
        {"verbs": ["impersonate"], "apiGroups": ["authentication.k8s.io"], "resources": ["userextras/scopes"],
         "resourceNames": ["read"]}]})
    make(env, RBAC, "clusterroles", "", {"metadata": {"name": "impersonate-robot"}, "rules": [
        {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["serviceaccounts"], "resourceNames": ["robot"]}]})
    bind(env, "bob-impersonates-jane", "impersonate-jane", "bob")
    bind(env, "bob-impersonates-robot", "impersonate-robot", "bob", "team-a")
    yield env
    env.thread.stop()


def kubeconfig(env: SandboxEnv, path: Path, user: dict[str, str]) -> Path:
    """The sandbox's cluster entry (HTTPS server and CA) with the given user credentials."""
    config = yaml.safe_load(env.kubeconfig.read_text())
    config["users"] = [{"name": "secure", "user": user}]
    path.write_text(yaml.safe_dump(config))
    return path


def cert_user(env: SandboxEnv, name: str, groups: tuple[str, ...]) -> dict[str, str]:
    cert, key = client_certificate(env.cluster.ca, Identity(name, groups))
    return {"client-certificate-data": base64.b64encode(cert).decode(),
            "client-key-data": base64.b64encode(key).decode()}


def run(env: SandboxEnv, binary: kubectl.Kubectl, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(config, env.cache_dir, *args)


def whoami(env: SandboxEnv, binary: kubectl.Kubectl, config: Path, *args: str) -> list[str]:
    result = run(env, binary, config, "auth", "whoami", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[1:]


# --- kubectl ---------------------------------------------------------------------------------------------


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_https_with_the_kubeconfig_ca_and_admin_certificate(secure: SandboxEnv, binary: kubectl.Kubectl) -> None:
    written = yaml.safe_load(secure.kubeconfig.read_text())
    assert written["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:")
    assert "client-certificate-data" in written["users"][0]["user"]
    namespaces = run(secure, binary, secure.kubeconfig, "get", "namespaces", "-o", "name")
    assert "namespace/team-a" in namespaces.stdout.split()
    assert whoami(secure, binary, secure.kubeconfig) == [
        "Username    kubernetes-admin", "Groups      [kubeadm:cluster-admins system:masters system:authenticated]"]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_bearer_tokens(secure: SandboxEnv, binary: kubectl.Kubectl, tmp_path: Path) -> None:
    jane = kubeconfig(secure, tmp_path / "jane", {"token": "jane-token"})
    assert whoami(secure, binary, jane) == ["Username    jane", "UID         uid-jane",
                                           "Groups      [devs system:authenticated]"]
    listed = run(secure, binary, jane, "get", "pods", "-n", "team-a")
    assert (listed.returncode, listed.stderr.strip()) == (0, "No resources found in team-a namespace.")
    denied = run(secure, binary, jane, "delete", "pod", "web", "-n", "team-a")
    assert denied.returncode == 1
    assert denied.stderr.strip() == FORBIDDEN + 'pods "web" is forbidden: User "jane" cannot delete resource ' \
                                                '"pods" in API group "" in the namespace "team-a"'
    elsewhere = run(secure, binary, jane, "get", "pods", "-n", "default")
    assert elsewhere.stderr.strip() == FORBIDDEN + 'pods is forbidden: User "jane" cannot list resource "pods" in ' \
                                                   'API group "" in the namespace "default"'
    nodes = run(secure, binary, jane, "get", "nodes")
    assert nodes.stderr.strip() == FORBIDDEN + 'nodes is forbidden: User "jane" cannot list resource "nodes" in ' \
                                               'API group "" at the cluster scope'
    wrong = run(secure, binary, kubeconfig(secure, tmp_path / "wrong", {"token": "not-a-token"}), "get", "pods")
    assert (wrong.returncode, wrong.stderr.strip()) == (1, UNAUTHORIZED)


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_client_certificates(secure: SandboxEnv, binary: kubectl.Kubectl, tmp_path: Path) -> None:
    carol = kubeconfig(secure, tmp_path / "carol", cert_user(secure, "carol", ("devs", "qa")))
    assert whoami(secure, binary, carol) == ["Username    carol", "Groups      [devs qa system:authenticated]"]
    denied = run(secure, binary, carol, "get", "secrets", "-n", "team-a")
    assert denied.stderr.strip() == FORBIDDEN + 'secrets is forbidden: User "carol" cannot list resource ' \
                                                '"secrets" in API group "" in the namespace "team-a"'


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_service_account_tokens(secure: SandboxEnv, binary: kubectl.Kubectl, tmp_path: Path) -> None:
    account = f"sa-{binary.label.replace('.', '-')}"
    admin = secure.kubeconfig
    assert run(secure, binary, admin, "-n", "team-a", "create", "serviceaccount", account).returncode == 0
    token = run(secure, binary, admin, "-n", "team-a", "create", "token", account).stdout.strip()
    robot = kubeconfig(secure, tmp_path / "robot", {"token": token})
    rows = [line.split(None, 1) for line in whoami(secure, binary, robot)]
    assert rows[0] == ["Username", f"system:serviceaccount:team-a:{account}"]
    assert rows[1][0] == "UID"
    assert rows[2] == ["Groups", "[system:serviceaccounts system:serviceaccounts:team-a system:authenticated]"]
    assert rows[3][0] == "Extra:" and rows[3][1].split()[0] == "authentication.kubernetes.io/credential-id"
    assert rows[3][1].split()[1].startswith("[JTI=")
    denied = run(secure, binary, robot, "get", "pods", "-n", "team-a")
    assert denied.stderr.strip() == FORBIDDEN + f'pods is forbidden: User "system:serviceaccount:team-a:{account}" ' \
                                                'cannot list resource "pods" in API group "" in the namespace "team-a"'
    for_vault = run(secure, binary, admin, "-n", "team-a", "create", "token", account, "--audience=vault")
    other_audience = kubeconfig(secure, tmp_path / "vault", {"token": for_vault.stdout.strip()})
    assert run(secure, binary, other_audience, "get", "pods").stderr.strip() == UNAUTHORIZED
    assert run(secure, binary, admin, "-n", "team-a", "delete", "serviceaccount", account).returncode == 0
    revoked = run(secure, binary, robot, "auth", "whoami")
    assert (revoked.returncode, revoked.stderr.strip()) == (1, UNAUTHORIZED)


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_impersonation(secure: SandboxEnv, binary: kubectl.Kubectl, tmp_path: Path) -> None:
    bob = kubeconfig(secure, tmp_path / "bob", {"token": "bob-token"})
    assert whoami(secure, binary, bob, "--as=jane") == ["Username    jane", "Groups      [system:authenticated]"]
    as_jane = run(secure, binary, bob, "--as=jane", "get", "pods", "-n", "team-a")
    assert (as_jane.returncode, as_jane.stderr.strip()) == (0, "No resources found in team-a namespace.")
    alice = run(secure, binary, bob, "--as=alice", "get", "pods")
    assert alice.stderr.strip() == FORBIDDEN + 'users "alice" is forbidden: User "bob" cannot impersonate resource ' \
                                               '"users" in API group "" at the cluster scope'
    admins = run(secure, binary, bob, "--as=jane", "--as-group=admins", "get", "pods")
    assert admins.stderr.strip() == FORBIDDEN + 'groups "admins" is forbidden: User "bob" cannot impersonate ' \
                                                'resource "groups" in API group "" at the cluster scope'
    uid = run(secure, binary, bob, "--as=jane", "--as-uid=1234", "get", "pods")
    assert uid.stderr.strip() == FORBIDDEN + 'uids.authentication.k8s.io "1234" is forbidden: User "bob" cannot ' \
                                             'impersonate resource "uids" in API group "authentication.k8s.io" at ' \
                                             'the cluster scope'
    assert whoami(secure, binary, bob, "--as=system:serviceaccount:team-a:robot")[1] == \
        "Groups      [system:serviceaccounts system:serviceaccounts:team-a system:authenticated]"
    other = run(secure, binary, bob, "--as=system:serviceaccount:default:robot", "get", "pods")
    assert other.stderr.strip() == FORBIDDEN + 'serviceaccounts "robot" is forbidden: User "bob" cannot ' \
                                               'impersonate resource "serviceaccounts" in API group "" in the ' \
                                               'namespace "default"'


def test_tokens_file_flag(tmp_path: Path) -> None:
    binary = next(iter(kubectl.discover()), None)
    if binary is None:
        pytest.skip("no kubectl on this machine")
    tokens = tmp_path / "tokens.csv"
    tokens.write_text('# token,user,uid,"groups"\nops-token,olga,uid-olga,"ops,oncall"\nci-token,ci\n')
    config = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "kubegenie", "sandbox", "up", "--tls", "--tokens-file", str(tokens), "--port", "0",
         "--kubeconfig", str(config), "--name", "tokens"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HOME": str(tmp_path)})
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert "Sandbox cluster 'tokens' ready at https://127.0.0.1:" in ready, process.stderr.read()
        written = yaml.safe_load(config.read_text())
        written["users"] = [{"name": "tokens", "user": {"token": "ops-token"}}]
        olga = tmp_path / "olga"
        olga.write_text(yaml.safe_dump(written))
        result = binary.run(olga, tmp_path / "cache", "auth", "whoami", "-o", "json")
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)["status"]["userInfo"]
        assert info == {"username": "olga", "uid": "uid-olga", "groups": ["ops", "oncall", "system:authenticated"]}
        written["users"] = [{"name": "tokens", "user": {"token": "nope"}}]
        olga.write_text(yaml.safe_dump(written))
        refused = binary.run(olga, tmp_path / "cache", "get", "pods")
        # With no discovery cache yet, discovery itself gets the 401 and kubectl words it this way.
        assert refused.stderr.strip().splitlines()[-1] == "error: You must be logged in to the server (the server " \
                                                          "has asked for the client to provide credentials)"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0
    assert "tokens" not in [c["name"] for c in yaml.safe_load(config.read_text()).get("contexts") or []]


# --- the Python client -----------------------------------------------------------------------------------


def test_certificates_from_another_ca_are_refused(secure: SandboxEnv, tmp_path: Path) -> None:
    """The TLS handshake refuses them (kube-apiserver would instead ignore the certificate)."""
    cert, key = client_certificate(CertificateAuthority.generate(), Identity("mallory", ("system:masters",)))
    for name, data in (("ca", secure.cluster.ca.cert_pem), ("crt", cert), ("key", key)):
        (tmp_path / name).write_bytes(data)
    context = ssl.create_default_context(cafile=str(tmp_path / "ca"))
    context.load_cert_chain(tmp_path / "crt", tmp_path / "key")
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
        urllib.request.urlopen(f"{secure.url}/api/v1/namespaces", context=context, timeout=10)


def token_configuration(env: SandboxEnv, token: str, directory: Path) -> k8s.Configuration:
    ca = directory / "ca.crt"
    ca.write_bytes(env.cluster.ca.cert_pem)
    configuration = k8s.Configuration(host=env.url, api_key={"authorization": f"Bearer {token}"})
    configuration.ssl_ca_cert = str(ca)
    return configuration


def reason(error: ApiException) -> str:
    return str(json.loads(error.body)["message"])


def test_python_client_over_https(secure: SandboxEnv, tmp_path: Path) -> None:
    with k8s_config.new_client_from_config(config_file=str(secure.kubeconfig)) as admin:
        names = [ns.metadata.name for ns in k8s.CoreV1Api(admin).list_namespace().items]
        assert "team-a" in names
    with k8s.ApiClient(token_configuration(secure, "jane-token", tmp_path)) as jane:
        core = k8s.CoreV1Api(jane)
        assert core.list_namespaced_pod("team-a").items == []
        with pytest.raises(ApiException) as denied:
            core.delete_namespaced_config_map("settings", "team-a")
        assert denied.value.status == 403
        assert reason(denied.value) == 'configmaps "settings" is forbidden: User "jane" cannot delete resource ' \
                                       '"configmaps" in API group "" in the namespace "team-a"'
        assert json.loads(denied.value.body)["details"] == {"name": "settings", "kind": "configmaps"}
    with k8s.ApiClient(token_configuration(secure, "wrong", tmp_path)) as wrong:
        with pytest.raises(ApiException) as unauthorized:
            k8s.CoreV1Api(wrong).list_namespace()
        assert unauthorized.value.status == 401
        assert json.loads(unauthorized.value.body)["reason"] == "Unauthorized"
    carol = kubeconfig(secure, tmp_path / "carol", cert_user(secure, "carol", ("devs",)))
    with k8s_config.new_client_from_config(config_file=str(carol)) as api:
        me = k8s.AuthenticationV1Api(api).create_self_subject_review(k8s.V1SelfSubjectReview())
        assert (me.status.user_info.username, me.status.user_info.groups) == ("carol", ["devs",
                                                                                      "system:authenticated"])


def test_python_client_service_account_token_and_impersonation(secure: SandboxEnv, tmp_path: Path) -> None:
    with k8s_config.new_client_from_config(config_file=str(secure.kubeconfig)) as admin:
        request = k8s.CoreV1Api(admin).create_namespaced_service_account_token(
            "robot", "team-a", k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(audiences=[],
                                                                                         expiration_seconds=600)))
    assert request.spec.audiences == ["https://kubernetes.default.svc.cluster.local"]
    assert request.spec.expiration_seconds == 600
    with k8s.ApiClient(token_configuration(secure, request.status.token, tmp_path)) as robot:
        me = k8s.AuthenticationV1Api(robot).create_self_subject_review(k8s.V1SelfSubjectReview())
        assert me.status.user_info.username == "system:serviceaccount:team-a:robot"
    with k8s.ApiClient(token_configuration(secure, "bob-token", tmp_path)) as bob:
        authn = k8s.AuthenticationV1Api(bob)
        me = authn.create_self_subject_review(k8s.V1SelfSubjectReview(), _headers={
            "Impersonate-User": "jane", "Impersonate-Extra-Scopes": "read"})
        assert me.status.user_info.username == "jane" and me.status.user_info.extra == {"scopes": ["read"]}
        with pytest.raises(ApiException) as extra:
            authn.create_self_subject_review(k8s.V1SelfSubjectReview(), _headers={
                "Impersonate-User": "jane", "Impersonate-Extra-Scopes": "write"})
        assert reason(extra.value) == 'userextras.authentication.k8s.io "write" is forbidden: User "bob" cannot ' \
                                      'impersonate resource "userextras/scopes" in API group ' \
                                      '"authentication.k8s.io" at the cluster scope'
        with pytest.raises(ApiException) as headless:
            authn.create_self_subject_review(k8s.V1SelfSubjectReview(), _headers={"Impersonate-Group": "admins"})
        assert headless.value.status == 500
        assert reason(headless.value) == "Internal error occurred: requested [{Group  admins    }] without " \
                                         "impersonating a user"


async def test_async_client_tokens_over_https(secure: SandboxEnv, tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_bytes(secure.cluster.ca.cert_pem)

    def configuration(token: str) -> aio_client.Configuration:
        result = aio_client.Configuration(host=secure.url, api_key={"authorization": f"Bearer {token}"})
        result.ssl_ca_cert = str(ca)
        return result

    async with aio_client.ApiClient(configuration("jane-token")) as api:
        me = await aio_client.AuthenticationV1Api(api).create_self_subject_review(aio_client.V1SelfSubjectReview())
        pods = await aio_client.CoreV1Api(api).list_namespaced_pod("team-a")
    assert me.status.user_info.username == "jane" and pods.items == []
    async with aio_client.ApiClient(configuration("wrong")) as api:
        with pytest.raises(aio_client.ApiException) as unauthorized:
            await aio_client.CoreV1Api(api).list_namespaced_pod("team-a")
    assert unauthorized.value.status == 401
