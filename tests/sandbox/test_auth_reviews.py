"""Access reviews and self reviews: `kubectl auth can-i` (with --as, --as-group, -n, --list, subresources
and URLs) and `kubectl auth whoami` on every kubectl, and the review APIs through the Python client."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.aio import client as aio_client
from kubernetes.aio import config as aio_config
from kubernetes.client.rest import ApiException

from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.server import TokenUser
from tests.support import kubectl
from tests.support.sandbox import SandboxEnv, start_sandbox

RBAC = "rbac.authorization.k8s.io/v1"


def grant(env: SandboxEnv, kind: str, name: str, namespace: str, role: dict[str, str],
          subjects: list[dict[str, str]]) -> None:
    async def create() -> None:
        bootstrap.create(env.cluster, RBAC, kind, namespace, {
            "metadata": {"name": name}, "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", **role}})

    env.thread.call(create)


def make(env: SandboxEnv, api_version: str, plural: str, namespace: str, body: dict[str, object]) -> None:
    async def create() -> None:
        bootstrap.create(env.cluster, api_version, plural, namespace, body)
        await env.cluster.settle()

    env.thread.call(create)


def user(name: str) -> dict[str, str]:
    return {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}


@pytest.fixture(scope="module")
def rbac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    """jane views team-a and may exec into pod `web` there; auditors read /logs/*; ghost is bound to a Role
    that does not exist."""
    env = start_sandbox(tmp_path_factory.mktemp("reviews"), tokens={"jane-token": TokenUser("jane", ("devs",))})
    for name in ("team-a", "team-b"):
        make(env, "v1", "namespaces", "", {"metadata": {"name": name}})
    make(env, RBAC, "roles", "team-a", {"metadata": {"name": "web-exec"}, "rules": [
        {"verbs": ["create"], "apiGroups": [""], "resources": ["pods/exec"], "resourceNames": ["web"]}]})
    make(env, RBAC, "clusterroles", "", {"metadata": {"name": "log-reader"}, "rules": [
        {"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}]})
    grant(env, "rolebindings", "jane-view", "team-a", {"kind": "ClusterRole", "name": "view"}, [user("jane")])
    grant(env, "rolebindings", "jane-exec", "team-a", {"kind": "Role", "name": "web-exec"}, [user("jane")])
    grant(env, "clusterrolebindings", "auditors", "", {"kind": "ClusterRole", "name": "log-reader"},
          [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "auditors"}])
    grant(env, "rolebindings", "ghost", "team-a", {"kind": "Role", "name": "gone"}, [user("ghost")])
    yield env
    env.thread.stop()


def message(error: ApiException) -> str:
    """The Status message of a failed request."""
    return str(json.loads(error.body)["message"])


def run(env: SandboxEnv, binary: kubectl.Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    return binary.run(env.kubeconfig, env.cache_dir, *args)


# --- kubectl ---------------------------------------------------------------------------------------------


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_whoami(rbac: SandboxEnv, binary: kubectl.Kubectl) -> None:
    admin = run(rbac, binary, "auth", "whoami")
    assert admin.returncode == 0, admin.stderr
    assert admin.stdout.splitlines() == [
        "ATTRIBUTE   VALUE",
        "Username    kubernetes-admin",
        "Groups      [kubeadm:cluster-admins system:masters system:authenticated]"]
    jane = run(rbac, binary, "auth", "whoami", "--as=jane", "--as-group=devs", "--as-group=qa")
    assert jane.returncode == 0, jane.stderr
    assert jane.stdout.splitlines()[1:] == ["Username    jane", "Groups      [devs qa system:authenticated]"]
    account = run(rbac, binary, "auth", "whoami", "--as=system:serviceaccount:team-a:robot", "-o", "jsonpath="
                  "{.status.userInfo.username} {.status.userInfo.groups}")
    assert account.stdout == ('system:serviceaccount:team-a:robot ["system:serviceaccounts",'
                              '"system:serviceaccounts:team-a","system:authenticated"]')


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_can_i(rbac: SandboxEnv, binary: kubectl.Kubectl) -> None:
    def can_i(*args: str) -> tuple[int, str]:
        result = run(rbac, binary, "auth", "can-i", *args)
        return result.returncode, result.stdout.strip()

    assert can_i("delete", "nodes") == (0, "yes")
    assert can_i("list", "pods", "-n", "team-a", "--as=jane") == (0, "yes")
    assert can_i("watch", "deployments.apps", "-n", "team-a", "--as=jane") == (0, "yes")
    assert can_i("delete", "pods", "-n", "team-a", "--as=jane") == (1, "no")
    assert can_i("list", "pods", "-n", "team-b", "--as=jane") == (1, "no")
    assert can_i("list", "secrets", "-n", "team-a", "--as=jane") == (1, "no")
    assert can_i("get", "pods/db", "--subresource=log", "-n", "team-a", "--as=jane") == (0, "yes")
    assert can_i("create", "pods/web", "--subresource=exec", "-n", "team-a", "--as=jane") == (0, "yes")
    assert can_i("create", "pods/db", "--subresource=exec", "-n", "team-a", "--as=jane") == (1, "no")
    assert can_i("create", "pods", "--subresource=exec", "-n", "team-a", "--as=jane") == (1, "no")
    assert can_i("get", "/logs/today", "--as=jane") == (1, "no")
    assert can_i("get", "/logs/today", "--as=jane", "--as-group=auditors") == (0, "yes")
    assert can_i("get", "pods", "-n", "team-a", "--as=ghost") == \
        (1, 'no - RBAC: role.rbac.authorization.k8s.io "gone" not found')


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_can_i_list(rbac: SandboxEnv, binary: kubectl.Kubectl) -> None:
    result = run(rbac, binary, "auth", "can-i", "--list", "-n", "team-a", "--as=jane")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["pods/exec", "[]", "[web]", "[create]"] in rows
    assert ["pods/log", "[]", "[]", "[get", "list", "watch]"] in rows
    assert ["pods", "[]", "[]", "[get", "list", "watch]"] in rows
    assert ["deployments.apps", "[]", "[]", "[get", "list", "watch]"] in rows
    assert ["selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"] in rows
    assert ["[/api/*]", "[]", "[get]"] in rows
    assert not any(row[0].startswith("secrets") for row in rows)
    elsewhere = run(rbac, binary, "auth", "can-i", "--list", "-n", "team-b", "--as=jane")
    assert not any(line.startswith("pods") for line in elsewhere.stdout.splitlines())


# --- the Python client -----------------------------------------------------------------------------------


@pytest.fixture
def api(rbac: SandboxEnv) -> Iterator[k8s.ApiClient]:
    client = k8s_config.new_client_from_config(config_file=str(rbac.kubeconfig))
    yield client
    client.close()


def test_subject_access_review(api: k8s.ApiClient) -> None:
    authz = k8s.AuthorizationV1Api(api)
    review = authz.create_subject_access_review(k8s.V1SubjectAccessReview(spec=k8s.V1SubjectAccessReviewSpec(
        user="jane", resource_attributes=k8s.V1ResourceAttributes(namespace="team-a", verb="list",
                                                                  resource="pods"))))
    assert review.status.allowed is True
    assert review.status.reason == ('RBAC: allowed by RoleBinding "jane-view/team-a" of ClusterRole "view" to '
                                    'User "jane"')
    assert review.spec.user == "jane" and review.kind == "SubjectAccessReview"
    denied = authz.create_subject_access_review(k8s.V1SubjectAccessReview(spec=k8s.V1SubjectAccessReviewSpec(
        user="jane", non_resource_attributes=k8s.V1NonResourceAttributes(path="/logs/x", verb="get"))))
    assert denied.status.allowed is False and not denied.status.reason
    grouped = authz.create_subject_access_review(k8s.V1SubjectAccessReview(spec=k8s.V1SubjectAccessReviewSpec(
        user="jane", groups=["auditors"],
        non_resource_attributes=k8s.V1NonResourceAttributes(path="/logs/x", verb="get"))))
    assert grouped.status.reason == 'RBAC: allowed by ClusterRoleBinding "auditors" of ClusterRole "log-reader" ' \
                                    'to Group "auditors"'
    with pytest.raises(ApiException) as invalid:
        authz.create_subject_access_review(k8s.V1SubjectAccessReview(spec=k8s.V1SubjectAccessReviewSpec(
            resource_attributes=k8s.V1ResourceAttributes(verb="get", resource="pods"))))
    assert invalid.value.status == 422
    assert message(invalid.value) == 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid ' \
                                     'value: "": at least one of user or group must be specified'


def test_local_subject_access_review(api: k8s.ApiClient) -> None:
    authz = k8s.AuthorizationV1Api(api)
    review = authz.create_namespaced_local_subject_access_review("team-a", k8s.V1LocalSubjectAccessReview(
        spec=k8s.V1SubjectAccessReviewSpec(user="jane", resource_attributes=k8s.V1ResourceAttributes(
            namespace="team-a", verb="create", resource="pods", subresource="exec", name="web"))))
    assert review.status.allowed is True
    assert review.metadata.namespace == "team-a"
    assert review.status.reason == 'RBAC: allowed by RoleBinding "jane-exec/team-a" of Role "web-exec" to User ' \
                                   '"jane"'
    with pytest.raises(ApiException) as mismatch:
        authz.create_namespaced_local_subject_access_review("team-a", k8s.V1LocalSubjectAccessReview(
            spec=k8s.V1SubjectAccessReviewSpec(user="jane", resource_attributes=k8s.V1ResourceAttributes(
                namespace="team-b", verb="get", resource="pods"))))
    assert mismatch.value.status == 400
    assert message(mismatch.value) == "spec.resourceAttributes.namespace must match namespace: team-a"


def test_self_reviews(api: k8s.ApiClient) -> None:
    authz = k8s.AuthorizationV1Api(api)
    allowed = authz.create_self_subject_access_review(k8s.V1SelfSubjectAccessReview(
        spec=k8s.V1SelfSubjectAccessReviewSpec(resource_attributes=k8s.V1ResourceAttributes(
            verb="delete", resource="nodes"))))
    assert allowed.status.allowed is True
    rules = authz.create_self_subject_rules_review(k8s.V1SelfSubjectRulesReview(
        spec=k8s.V1SelfSubjectRulesReviewSpec(namespace="default")))
    assert rules.status.incomplete is False
    assert any(rule.verbs == ["*"] and rule.resources == ["*"] for rule in rules.status.resource_rules)
    with pytest.raises(ApiException) as neither:
        authz.create_self_subject_access_review(k8s.V1SelfSubjectAccessReview(
            spec=k8s.V1SelfSubjectAccessReviewSpec()))
    assert neither.value.status == 422
    assert message(neither.value) == ('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: '
                                      'spec.resourceAttributes: Invalid value: "null": exactly one of '
                                      'nonResourceAttributes or resourceAttributes must be specified')
    me = k8s.AuthenticationV1Api(api).create_self_subject_review(k8s.V1SelfSubjectReview())
    assert me.status.user_info.username == "kubernetes-admin"
    assert me.status.user_info.groups == ["kubeadm:cluster-admins", "system:masters", "system:authenticated"]


def test_token_review(rbac: SandboxEnv, api: k8s.ApiClient) -> None:
    authn = k8s.AuthenticationV1Api(api)
    static = authn.create_token_review(k8s.V1TokenReview(spec=k8s.V1TokenReviewSpec(token="jane-token")))
    assert static.status.authenticated is True
    assert (static.status.user.username, static.status.user.groups) == ("jane", ["devs", "system:authenticated"])
    make(rbac, "v1", "serviceaccounts", "team-a", {"metadata": {"name": "robot"}})
    request = k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(audiences=["vault"]))
    token = k8s.CoreV1Api(api).create_namespaced_service_account_token("robot", "team-a", request).status.token
    for_vault = authn.create_token_review(k8s.V1TokenReview(spec=k8s.V1TokenReviewSpec(token=token,
                                                                                       audiences=["vault"])))
    assert for_vault.status.authenticated is True
    assert for_vault.status.user.username == "system:serviceaccount:team-a:robot"
    assert for_vault.status.audiences == ["vault"]
    for_api = authn.create_token_review(k8s.V1TokenReview(spec=k8s.V1TokenReviewSpec(token=token)))
    assert not for_api.status.authenticated and for_api.status.error == "invalid bearer token"
    bogus = authn.create_token_review(k8s.V1TokenReview(spec=k8s.V1TokenReviewSpec(token="nope")))
    assert not bogus.status.authenticated


async def test_reviews_with_the_async_client(rbac: SandboxEnv) -> None:
    configuration = aio_client.Configuration()
    await aio_config.load_kube_config(config_file=str(rbac.kubeconfig), client_configuration=configuration)
    async with aio_client.ApiClient(configuration) as api:
        review = await aio_client.AuthorizationV1Api(api).create_self_subject_access_review(
            aio_client.V1SelfSubjectAccessReview(spec=aio_client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=aio_client.V1ResourceAttributes(namespace="team-a", verb="list",
                                                                    resource="pods"))),
            _headers={"Impersonate-User": "jane"})
        me = await aio_client.AuthenticationV1Api(api).create_self_subject_review(
            aio_client.V1SelfSubjectReview(), _headers={"Impersonate-User": "jane"})
    assert review.status.allowed is True
    assert review.status.reason.startswith('RBAC: allowed by RoleBinding "jane-view/team-a"')
    assert me.status.user_info.username == "jane"
    assert me.status.user_info.groups == ["system:authenticated"]
