"""Hostile and malformed requests, sent raw: each gets the apiserver's status code and a Status body (kind
Status, apiVersion v1, code equal to the HTTP status), never a 500, and leaves every stored object as it was."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support import kubectl, kubelet, rawapi
from tests.support.sandbox import SandboxEnv, start_sandbox

NS = "hostile"
CM = f"/api/v1/namespaces/{NS}/configmaps"
PODS = f"/api/v1/namespaces/{NS}/pods"
DEPLOY = f"/apis/apps/v1/namespaces/{NS}/deployments"
JSON = "application/json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
YAML = "application/yaml"
BIG = 3 * 1024 * 1024 + 512 * 1024


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    code: int
    body: Any = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    """A part of the Status message that must be there."""


def configmap(name: str = "fresh", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **extra}


def deployment(name: str = "fresh-web", **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}}, **spec}}


def deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def deep_field(levels: int, name: str = "deep") -> bytes:
    """A ConfigMap whose one extra field nests `levels` deep: valid JSON the decoder takes."""
    return b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' + name.encode() + b'"},"extra":' + \
        deep(levels) + b"}"


def deep_yaml(levels: int) -> bytes:
    return b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nextra: " + b"{a: " * levels + b"1" + \
        b"}" * levels + b"\n"


NESTED = "nested more than 200 levels deep"


TARGET = configmap("target", data={"k": "v"})

CASES: list[Case] = [
    # --- broken bodies ----------------------------------------------------------------------------------
    Case("json-truncated", "POST", CM, 400, b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"'),
    Case("json-array", "POST", CM, 400, b"[1, 2, 3]", message="Object 'Kind' is missing"),
    Case("json-string", "POST", CM, 400, b'"configmap"'),
    Case("json-null", "POST", CM, 400, b"null"),
    Case("json-number", "POST", CM, 400, b"42"),
    Case("json-empty", "POST", CM, 400, b"", message="the body of the request was empty"),
    Case("json-whitespace", "POST", CM, 400, b"   \n  "),
    Case("json-trailing-garbage", "POST", CM, 400, orjson.dumps(configmap()) + b"}}}"),
    Case("json-invalid-utf8", "POST", CM, 400, b'{"metadata":{"name":"\xff\xfe"}}'),
    Case("json-deep-nesting", "POST", CM, 400, deep(5000)),
    Case("json-nested-250", "POST", CM, 400, deep_field(250), message=NESTED),
    Case("json-nested-900", "POST", CM, 400, deep_field(900), message=NESTED),
    Case("yaml-nested-250", "POST", CM, 400, deep_yaml(250), YAML, message=NESTED),
    Case("yaml-nested-2000", "POST", CM, 400, deep_yaml(2000), YAML),
    Case("put-nested-300", "PUT", f"{CM}/target", 400, deep_field(300, "target"), message=NESTED),
    Case("merge-patch-nested-300", "PATCH", f"{CM}/target", 400, b'{"extra":' + deep(300) + b"}", MERGE,
         message=NESTED),
    Case("strategic-patch-nested-300", "PATCH", f"{CM}/target", 400, b'{"extra":' + deep(300) + b"}", STRATEGIC,
         message=NESTED),
    Case("json-patch-nested-300", "PATCH", f"{CM}/target", 400,
         b'[{"op":"add","path":"/extra","value":' + deep(300) + b"}]", JSON_PATCH, message=NESTED),
    Case("apply-patch-nested-300", "PATCH", f"{CM}/target?fieldManager=t", 400, deep_yaml(300), APPLY,
         message=NESTED),
    Case("scale-merge-patch-nested-900", "PATCH", f"{DEPLOY}/web/scale", 400,
         b'{"spec":{"replicas":2},"extra":' + deep(900) + b"}", MERGE),
    Case("scale-json-patch-nested-900", "PATCH", f"{DEPLOY}/web/scale", 400,
         b'[{"op":"add","path":"/extra","value":' + deep(900) + b"}]", JSON_PATCH),
    Case("apply-create-nested-300", "PATCH", f"{CM}/deep?fieldManager=t", 400, deep_yaml(300), APPLY,
         message=NESTED),
    Case("json-nan", "POST", CM, 400, b'{"metadata":{"name":"x"},"data":{"k":NaN}}'),
    Case("yaml-broken", "POST", CM, 400, b"metadata: [name: x\n", YAML),
    Case("yaml-list", "POST", CM, 400, b"- a\n- b\n", YAML),
    Case("yaml-scalar", "POST", CM, 400, b"just text\n", YAML),
    Case("yaml-tabs", "POST", CM, 400, b"metadata:\n\tname: x\n", YAML),
    Case("yaml-python-tag", "POST", CM, 400, b"metadata: !!python/object/apply:os.system ['true']\n", YAML),
    Case("put-truncated", "PUT", f"{CM}/target", 400, b'{"metadata":'),
    Case("merge-patch-broken", "PATCH", f"{CM}/target", 400, b'{"data":', MERGE),
    Case("merge-patch-array", "PATCH", f"{CM}/target", 400, b"[]", MERGE),
    Case("strategic-patch-array", "PATCH", f"{CM}/target", 400, b'[{"op":"add"}]', STRATEGIC),
    Case("json-patch-object", "PATCH", f"{CM}/target", 400, b'{"data":{}}', JSON_PATCH),
    Case("json-patch-broken", "PATCH", f"{CM}/target", 400, b'[{"op":', JSON_PATCH),
    Case("json-patch-missing-path", "PATCH", f"{CM}/target", 422,
         b'[{"op":"remove","path":"/data/missing"}]', JSON_PATCH),
    Case("json-patch-failed-test", "PATCH", f"{CM}/target", 422,
         b'[{"op":"test","path":"/data/k","value":"other"},{"op":"replace","path":"/data/k","value":"x"}]',
         JSON_PATCH),
    Case("apply-patch-broken-yaml", "PATCH", f"{CM}/target?fieldManager=t", 400, b"data: {k: [\n", APPLY),
    Case("apply-patch-no-manager", "PATCH", f"{CM}/target", 400, b"data: {k: v}\n", APPLY,
         message="field manager is required for apply requests"),
    # --- wrong apiVersion, kind, namespace, name -------------------------------------------------------
    Case("kind-secret-to-configmaps", "POST", CM, 400, {**configmap(), "kind": "Secret"},
         message="the kind in the data (Secret) does not match the expected kind (ConfigMap)"),
    Case("apiversion-apps-to-configmaps", "POST", CM, 400, {**configmap(), "apiVersion": "apps/v1"}),
    Case("apiversion-extensions-deployment", "POST", DEPLOY, 400,
         {**deployment(), "apiVersion": "extensions/v1beta1"}),
    Case("apiversion-garbage", "POST", CM, 400, {**configmap(), "apiVersion": "///"}),
    Case("put-kind-pod", "PUT", f"{CM}/target", 400, {**TARGET, "kind": "Pod"}),
    Case("namespace-mismatch", "POST", CM, 400, {**configmap(), "metadata": {"name": "x", "namespace": "default"}},
         message="the namespace of the provided object does not match the namespace sent on the request"),
    Case("put-name-mismatch", "PUT", f"{CM}/target", 400, configmap("other"),
         message="the name of the object (other) does not match the name on the URL (target)"),
    Case("metadata-is-a-list", "POST", CM, 400, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": ["x"]}),
    Case("metadata-is-a-string", "PUT", f"{CM}/target", 400, {**TARGET, "metadata": "target"}),
    # --- invalid names ---------------------------------------------------------------------------------
    Case("name-uppercase", "POST", CM, 422, configmap("Upper"), message="a lowercase RFC 1123 subdomain"),
    Case("name-space", "POST", CM, 422, configmap("has space")),
    Case("name-leading-dash", "POST", CM, 422, configmap("-lead")),
    Case("name-too-long", "POST", CM, 422, configmap("a" * 254), message="must be no more than 253 characters"),
    Case("name-unicode", "POST", CM, 422, configmap("ñame")),
    Case("name-dot-dot", "POST", CM, 422, configmap("..")),
    Case("name-slash", "POST", CM, 422, configmap("a/b")),
    Case("name-missing", "POST", CM, 422, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
         message="name or generateName is required"),
    Case("namespace-with-dot", "POST", "/api/v1/namespaces", 422,
         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}},
         message="a lowercase RFC 1123 label"),
    Case("namespace-too-long", "POST", "/api/v1/namespaces", 422,
         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n" * 64}}),
    Case("create-in-missing-namespace", "POST", "/api/v1/namespaces/nowhere/configmaps", 404, configmap(),
         message='namespaces "nowhere" not found'),
    Case("duplicate-name", "POST", CM, 409, TARGET, message='configmaps "target" already exists'),
    # --- path traversal and hostile paths -------------------------------------------------------------
    Case("dotdot-in-path", "GET", f"{CM}/../secrets", 404),
    Case("dotdot-encoded", "GET", f"{CM}/%2e%2e/secrets", 404),
    Case("dotdot-namespace", "GET", "/api/v1/namespaces/%2e%2e/configmaps", 404),
    Case("encoded-slash-name", "GET", f"{CM}/a%2Fb", 404),
    Case("encoded-nul-name", "GET", f"{CM}/a%00b", 404),
    Case("traversal-to-kube-system", "GET", "/api/v1/namespaces/hostile/../kube-system/secrets", 404),
    Case("apis-dotdot", "GET", "/apis/../api/v1/secrets", 404),
    Case("backslash-name", "GET", f"{CM}/a%5C..%5Cb", 404),
    Case("very-long-name", "GET", f"{CM}/{'x' * 6000}", 404),
    Case("delete-dotdot", "DELETE", f"{CM}/%2e%2e", 404),
    Case("put-encoded-slash", "PUT", f"{CM}/a%2Fb", 404, configmap("a/b")),
    Case("unknown-resource", "GET", f"/api/v1/namespaces/{NS}/unicorns", 404,
         message="the server could not find the requested resource"),
    Case("unknown-group", "GET", "/apis/nope.example.com/v1/things", 404),
    Case("unknown-version", "GET", "/api/v2/pods", 404),
    Case("unknown-subresource", "GET", f"{CM}/target/bogus", 404),
    Case("too-many-segments", "GET", f"{CM}/target/a/b/c", 404),
    Case("namespaced-item-without-namespace", "GET", "/api/v1/configmaps/target", 404),
    Case("not-an-api-path", "GET", "/etc/passwd", 404),
    # --- optimistic concurrency ------------------------------------------------------------------------
    Case("put-stale-resource-version", "PUT", f"{CM}/target", 409,
         {**TARGET, "metadata": {"name": "target", "resourceVersion": "2"}},
         message='Operation cannot be fulfilled on configmaps "target": the object has been modified; please '
                 "apply your changes to the latest version and try again"),
    Case("merge-patch-stale-resource-version", "PATCH", f"{CM}/target", 409,
         {"metadata": {"resourceVersion": "2"}, "data": {"k": "x"}}, MERGE),
    Case("delete-stale-precondition", "DELETE", f"{CM}/target", 409,
         {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"resourceVersion": "2"}},
         message="Precondition failed"),
    Case("delete-wrong-uid-precondition", "DELETE", f"{CM}/target", 409,
         {"preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}}),
    Case("status-stale-resource-version", "PUT", f"{DEPLOY}/web/status", 409,
         {**deployment("web"), "metadata": {"name": "web", "resourceVersion": "2"}}),
    # --- unknown fields under Strict -------------------------------------------------------------------
    Case("strict-top-level", "POST", f"{CM}?fieldValidation=Strict", 400, configmap(bogus=1),
         message='strict decoding error: unknown field "bogus"'),
    Case("strict-nested", "POST", f"{DEPLOY}?fieldValidation=Strict", 400,
         deployment(surprise=True), message='unknown field "spec.surprise"'),
    Case("strict-put", "PUT", f"{CM}/target?fieldValidation=Strict", 400, {**TARGET, "extra": {}}),
    Case("strict-merge-patch", "PATCH", f"{CM}/target?fieldValidation=Strict", 400, {"dta": {"k": "v"}}, MERGE),
    Case("strict-container-field", "POST", f"{PODS}?fieldValidation=Strict", 400,
         {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
          "spec": {"containers": [{"name": "c", "image": "nginx", "imagePullPolcy": "Always"}]}}),
    Case("field-validation-unsupported", "POST", f"{CM}?fieldValidation=Loose", 400, configmap(),
         message="fieldValidation parameter unsupported"),
    # --- oversized bodies -----------------------------------------------------------------------------
    Case("oversized-create", "POST", CM, 413, configmap(data={"blob": "x" * BIG})),
    Case("oversized-put", "PUT", f"{CM}/target", 413, {**TARGET, "data": {"blob": "y" * BIG}}),
    Case("oversized-patch", "PATCH", f"{CM}/target", 413, {"data": {"blob": "z" * BIG}}, MERGE),
    Case("oversized-yaml", "POST", CM, 413, b"metadata: {name: big}\ndata: {blob: " + b"w" * BIG + b"}\n", YAML),
    # --- selectors -------------------------------------------------------------------------------------
    Case("label-selector-unclosed", "GET", f"{CM}?labelSelector=a%20in%20(b", 400),
    Case("label-selector-no-key", "GET", f"{CM}?labelSelector=%3D%3Dx", 400),
    Case("label-selector-bad-value", "GET", f"{CM}?labelSelector=a%3Db%20c", 400),
    Case("label-selector-long-key", "GET", f"{CM}?labelSelector={'k' * 64}%3Dv", 400),
    Case("label-selector-bad-key", "GET", f"{CM}?labelSelector=-x-%3Dv", 400),
    Case("field-selector-unsupported", "GET", f"{PODS}?fieldSelector=spec.image%3Dnginx", 400,
         message="field label not supported: spec.image"),
    Case("field-selector-garbage", "GET", f"{PODS}?fieldSelector=nonsense", 400),
    Case("field-selector-events", "GET", f"/api/v1/namespaces/{NS}/events?fieldSelector=involvedObject.bogus%3Dx",
         400),
    Case("watch-bad-selector", "GET", f"{CM}?watch=true&labelSelector=a%20notin%20b", 400),
    Case("deletecollection-bad-selector", "DELETE", f"{CM}?labelSelector=((", 400),
    Case("deletecollection-bad-field", "DELETE", f"{CM}?fieldSelector=data.k%3Dv", 400),
    # --- query parameters -------------------------------------------------------------------------------
    Case("limit-negative", "GET", f"{CM}?limit=-1", 400),
    Case("limit-text", "GET", f"{CM}?limit=ten", 400),
    Case("continue-garbage", "GET", f"{CM}?continue=%%%", 400),
    Case("continue-forged", "GET", f"{CM}?continue=eyJydiI6MX0", 400),
    Case("watch-timeout-text", "GET", f"{CM}?watch=true&timeoutSeconds=soon", 400),
    Case("watch-resource-version-text", "GET", f"{CM}?watch=true&resourceVersion=latest", 400),
    Case("watch-initial-events-alone", "GET", f"{CM}?watch=true&sendInitialEvents=true", 422),
    Case("dry-run-bogus", "POST", f"{CM}?dryRun=Maybe", 400, configmap()),
    Case("propagation-sideways", "DELETE", f"{CM}/target?propagationPolicy=Sideways", 400),
    Case("grace-period-text", "DELETE", f"{CM}/target?gracePeriodSeconds=later", 400),
    Case("include-object-bogus", "GET", f"{CM}?includeObject=Everything", 400,
         headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}),
    Case("field-manager-too-long", "POST", f"{CM}?fieldManager={'m' * 129}", 400, configmap()),
    Case("log-tail-negative", "GET", f"{PODS}/p/log?tailLines=-5", 422),
    Case("log-since-time-text", "GET", f"{PODS}/p/log?sinceTime=yesterday", 400),
    Case("log-follow-perhaps", "GET", f"{PODS}/p/log?follow=perhaps", 400),
    Case("log-limit-zero", "GET", f"{PODS}/p/log?limitBytes=0", 422),
    Case("log-unknown-container", "GET", f"{PODS}/p/log?container=ghost", 400,
         message="container ghost is not valid for pod p"),
    # --- content types --------------------------------------------------------------------------------
    Case("create-text-plain", "POST", CM, 415, b"name=x", "text/plain",
         message="the body of the request was in an unknown format"),
    Case("create-xml", "POST", CM, 415, b"<configmap/>", "application/xml"),
    Case("put-form", "PUT", f"{CM}/target", 415, b"a=b", "application/x-www-form-urlencoded"),
    Case("patch-plain-json", "PATCH", f"{CM}/target", 415, {"data": {}}, JSON),
    Case("patch-no-content-type", "PATCH", f"{CM}/target", 415, b'{"data":{}}', ""),
    Case("patch-cbor-apply", "PATCH", f"{CM}/target?fieldManager=t", 415, b"\xa0", "application/apply-patch+cbor"),
    Case("protobuf-garbage", "POST", CM, 400, b"k8s\x00\xff\xff\xff\xff", "application/vnd.kubernetes.protobuf"),
    Case("protobuf-no-magic", "POST", CM, 400, b"\x0a\x02v1", "application/vnd.kubernetes.protobuf"),
    # --- methods ---------------------------------------------------------------------------------------
    Case("post-to-item", "POST", f"{CM}/target", 405, TARGET),
    Case("put-to-collection", "PUT", CM, 405, TARGET),
    Case("patch-collection", "PATCH", CM, 405, {"data": {}}, MERGE),
    Case("deletecollection-namespaces", "DELETE", "/api/v1/namespaces", 405),
    Case("put-discovery", "PUT", "/api/v1", 405, {}),
    Case("delete-componentstatuses", "DELETE", "/api/v1/componentstatuses/etcd-0", 405),
    Case("post-metrics", "POST", f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods", 405, {}),
    Case("get-eviction", "GET", f"{PODS}/p/eviction", 405),
    Case("put-log", "PUT", f"{PODS}/p/log", 405, {}),
    Case("options-pods", "OPTIONS", PODS, 405),
    Case("patch-bindings", "PATCH", f"/api/v1/namespaces/{NS}/bindings", 405, {}, MERGE),
    Case("watch-metrics", "GET", "/apis/metrics.k8s.io/v1beta1/pods?watch=true", 405),
    # --- subresource bodies -----------------------------------------------------------------------------
    Case("eviction-wrong-name", "POST", f"{PODS}/p/eviction", 400,
         {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "q"}}),
    Case("eviction-kind-pod", "POST", f"{PODS}/p/eviction", 400,
         {"apiVersion": "policy/v1", "kind": "Pod", "metadata": {"name": "p"}}),
    Case("eviction-broken-json", "POST", f"{PODS}/p/eviction", 400, b"{"),
    Case("eviction-bad-delete-options", "POST", f"{PODS}/p/eviction", 400,
         {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p"}, "deleteOptions": []}),
    Case("eviction-missing-pod", "POST", f"{PODS}/ghost/eviction", 404,
         {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "ghost"}}),
    Case("binding-no-target", "POST", f"{PODS}/p/binding", 422,
         {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"}}),
    Case("binding-already-bound", "POST", f"{PODS}/p/binding", 409,
         {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"}, "target": {"name": "n2"}}),
    Case("scale-negative", "PATCH", f"{DEPLOY}/web/scale", 422, {"spec": {"replicas": -5}}, MERGE),
    Case("scale-text", "PUT", f"{DEPLOY}/web/scale", 400,
         {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web"},
          "spec": {"replicas": "many"}}),
    # --- per-kind validation ---------------------------------------------------------------------------
    Case("deployment-negative-replicas", "POST", DEPLOY, 422, deployment(replicas=-1),
         message="spec.replicas: Invalid value: -1"),
    Case("pod-without-containers", "POST", PODS, 422,
         {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "empty"}, "spec": {"containers": []}}),
    Case("label-value-too-long", "POST", CM, 422, {**configmap(), "metadata": {"name": "x", "labels": {
        "k": "v" * 64}}}),
    Case("bad-quantity", "POST", PODS, 400,
         {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"},
          "spec": {"containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": "lots"}}}]}}),
    # --- identity -------------------------------------------------------------------------------------
    Case("bearer-token-unknown", "GET", CM, 401, headers={"Authorization": "Bearer not-a-token"}),
    Case("impersonated-user-forbidden", "GET", f"/api/v1/namespaces/{NS}/secrets", 403,
         headers={"Impersonate-User": "mallory"},
         message='secrets is forbidden: User "mallory" cannot list resource "secrets"'),
    Case("impersonated-delete-forbidden", "DELETE", f"{CM}/target", 403, headers={"Impersonate-User": "mallory"}),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    """A sandbox of this module's own holding a few objects for the requests to aim at."""
    env = start_sandbox(Path(tmp_path_factory.mktemp("hostile")))
    kubelet.create(env, "v1", "namespaces", "", {"metadata": {"name": NS}})
    kubelet.create(env, "v1", "configmaps", NS, TARGET)
    kubelet.create(env, "apps/v1", "deployments", NS, deployment("web"))
    kubelet.run_pod(env, NS, "p", node="n1")
    yield env
    env.thread.stop()


def snapshot(sandbox: SandboxEnv) -> bytes:
    """Every stored object, serialised in a stable order."""

    def take() -> bytes:
        store = sandbox.cluster.store
        return orjson.dumps({key: store.list_sorted(key) for key in sorted(store.storage_keys())},
                            option=orjson.OPT_SORT_KEYS)

    return kubelet.on_loop(sandbox, take)


def test_there_are_at_least_a_hundred_cases() -> None:
    assert len(CASES) >= 100
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_request(hostile: SandboxEnv, case: Case) -> None:
    before = snapshot(hostile)
    reply = asyncio.run(rawapi.call(hostile, case.method, case.path, case.body, content_type=case.content_type,
                                    headers=case.headers, raw_path=True))
    assert reply.status != 500, reply.text
    assert reply.status == case.code, reply.text
    assert reply.headers["Content-Type"].startswith("application/json"), reply.headers
    body = reply.json()
    assert (body["kind"], body["apiVersion"], body["status"], body["code"]) == ("Status", "v1", "Failure",
                                                                                 case.code), body
    assert body["reason"] and body["message"]
    if case.message is not None:
        assert case.message in body["message"], body["message"]
    assert snapshot(hostile) == before


def managed_fields_nested(levels: int, name: str) -> dict[str, Any]:
    """A ConfigMap that nests `levels` deep through a (client-set) managedFields entry, the one place a built-in
    object can hold an arbitrary tree: root, metadata, the list and its entry take 4 levels."""
    tree: dict[str, Any] = {}
    for _ in range(levels - 5):
        tree = {"f:x": tree}
    entry = {"manager": "m", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": tree}
    return configmap(name, metadata={"name": name, "managedFields": [entry]})


def nesting(data: Any) -> int:
    children = data.values() if isinstance(data, dict) else data if isinstance(data, list) else []
    return 1 + max((nesting(child) for child in children if isinstance(child, dict | list)), default=0)


def test_two_hundred_levels_are_stored_listed_and_watched(hostile: SandboxEnv) -> None:
    refused = asyncio.run(rawapi.call(hostile, "POST", CM, managed_fields_nested(201, "deep-201")))
    assert refused.status == 400 and NESTED in refused.json()["message"], refused.text
    body = managed_fields_nested(200, "deep-200")
    assert nesting(body) == 200
    created = asyncio.run(rawapi.call(hostile, "POST", CM, body))
    assert created.status == 201, created.text
    assert nesting(created.json()) == 200
    try:
        listed = asyncio.run(rawapi.call(hostile, "GET", CM))
        assert "deep-200" in [item["metadata"]["name"] for item in listed.json()["items"]]
        table = asyncio.run(rawapi.call(hostile, "GET", CM, params={"includeObject": "Object"}, headers={
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}))
        assert "deep-200" in [row["cells"][0] for row in table.json()["rows"]], table.text
        watched = asyncio.run(rawapi.call(hostile, "GET", CM, params={
            "watch": "true", "resourceVersion": "0", "timeoutSeconds": "1"}))
        assert b'"name":"deep-200"' in watched.body
    finally:
        asyncio.run(rawapi.call(hostile, "DELETE", f"{CM}/deep-200"))


@pytest.mark.kubectl
def test_kubectl_replace_with_a_stale_resource_version(hostile: SandboxEnv) -> None:
    binary = kubectl.discover()[0]
    stale = orjson.dumps({**TARGET, "metadata": {"name": "target", "namespace": NS, "resourceVersion": "2"},
                          "data": {"k": "changed"}}).decode()
    before = snapshot(hostile)
    result = binary.run(hostile.kubeconfig, hostile.cache_dir, "replace", "-f", "-", input=stale)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps '
        '"target": the object has been modified; please apply your changes to the latest version and try again')
    assert snapshot(hostile) == before
