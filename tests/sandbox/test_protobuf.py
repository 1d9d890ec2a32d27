"""The protobuf body decoder: envelope, wire types, Go's JSON conventions, and 400/415 for bad input."""

from __future__ import annotations

import base64

import aiohttp
import pytest

from kubegenie.sandbox import bodies, protobuf, status
from tests.support.sandbox import SandboxEnv

# --- a minimal encoder, written from the protobuf wire-format spec, to build test inputs ---------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def f(number: int, value: int | bytes | str) -> bytes:
    """One field: ints as varints, strings and bytes (and nested messages) length-delimited."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def m(*fields: bytes) -> bytes:
    return b"".join(fields)


def envelope(api_version: str, kind: str, raw: bytes, content_encoding: str = "") -> bytes:
    return b"k8s\x00" + m(f(1, m(f(1, api_version), f(2, kind))), f(2, raw), f(3, content_encoding), f(4, ""))


def entry(key: str, value: bytes | str) -> bytes:
    return m(f(1, key), f(2, value))


# gogo-proto writes every non-pointer scalar, empty or not; this is ObjectMeta as kubectl sends it.
def meta(name: str) -> bytes:
    return m(f(1, name), f(2, ""), f(3, ""), f(4, ""), f(5, ""), f(6, ""), f(7, 0), f(8, b""))


def test_self_subject_access_review_decodes_to_what_kubectl_sends_as_json() -> None:
    raw = m(f(1, m(f(7, 0))), f(2, m(f(1, m(f(1, "team-a"), f(2, "delete"), f(3, "apps"), f(4, ""),
                                            f(5, "deployments"), f(6, "scale"), f(7, ""))))),
            f(3, m(f(1, 0), f(4, 0))))
    decoded = protobuf.decode(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", raw))
    assert decoded == {
        "kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
        "spec": {"resourceAttributes": {"namespace": "team-a", "verb": "delete", "group": "apps",
                                        "resource": "deployments", "subresource": "scale"}},
        "status": {"allowed": False}}


def test_zero_values_follow_go_omitempty_and_pointers() -> None:
    container = m(f(1, "web"), f(2, "nginx"), f(5, ""), f(6, m(f(1, ""), f(2, 0), f(3, 80), f(4, ""), f(5, ""))),
                  f(8, b""), f(16, 0), f(17, 0), f(18, 0))
    spec = m(f(1, 0), f(2, m(f(1, entry("app", "web")))), f(3, m(f(1, meta("")), f(2, m(f(2, container))))),
             f(4, m(f(1, ""))), f(5, 0), f(7, 0))
    decoded = protobuf.decode(envelope("apps/v1", "Deployment", m(f(1, meta("web")), f(2, spec), f(3, b""))))
    # replicas is a pointer: an explicit 0 stays; minReadySeconds/paused are omitempty and vanish.
    assert decoded["spec"]["replicas"] == 0
    assert "minReadySeconds" not in decoded["spec"] and "paused" not in decoded["spec"]
    assert decoded["metadata"] == {"name": "web"}
    # containerPort has no omitempty; non-nullable structs (resources, strategy, status) stay as {}.
    assert decoded["spec"]["template"]["spec"]["containers"] == [
        {"name": "web", "image": "nginx", "ports": [{"containerPort": 80}], "resources": {}}]
    assert decoded["spec"]["strategy"] == {} and decoded["status"] == {}


def test_well_known_types() -> None:
    port = m(f(1, "http"), f(2, "TCP"), f(3, 80), f(4, m(f(1, 1), f(2, 0), f(3, "web"))))
    numeric = m(f(3, 443), f(4, m(f(1, 0), f(2, 8443), f(3, ""))))
    service = protobuf.decode(envelope("v1", "Service", m(f(1, meta("svc")), f(2, m(f(1, port), f(1, numeric))))))
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["web", 8443]

    hard = m(f(1, entry("cpu", m(f(1, "250m")))), f(1, entry("pods", b"")))
    quota = protobuf.decode(envelope("v1", "ResourceQuota", m(f(1, meta("q")), f(2, hard))))
    assert quota["spec"]["hard"] == {"cpu": "250m", "pods": "0"}

    stamped = m(f(1, "n"), f(8, m(f(1, 1700000000), f(2, 5))), f(9, b""))
    decoded = protobuf.decode(envelope("v1", "ConfigMap", m(f(1, stamped))))
    assert decoded["metadata"] == {"name": "n", "creationTimestamp": "2023-11-14T22:13:20Z"}

    secret = protobuf.decode(envelope("v1", "Secret", m(f(1, meta("s")), f(2, entry("key", b"\x00\xffbin")),
                                                          f(3, "Opaque"))))
    assert secret["data"] == {"key": base64.b64encode(b"\x00\xffbin").decode()}
    assert secret["type"] == "Opaque"


def test_negative_and_packed_integers() -> None:
    security = m(f(2, 1000), f(4, m(_varint(10) + _varint(20))), f(4, 30))
    pod_spec = m(f(14, security), f(25, -5))
    pod = protobuf.decode(envelope("v1", "Pod", m(f(1, meta("p")), f(2, pod_spec))))
    assert pod["spec"]["priority"] == -5
    assert pod["spec"]["securityContext"] == {"runAsUser": 1000, "supplementalGroups": [10, 20, 30]}


def test_inlined_structs_merge_into_their_parent() -> None:
    env_var = m(f(1, "PASSWORD"), f(3, m(f(4, m(f(1, m(f(1, "db"))), f(2, "password"), f(3, 1))))))
    probe = m(f(1, m(f(2, m(f(1, "/healthz"), f(2, m(f(1, 0), f(2, 8080))))))), f(4, 5))
    container = m(f(1, "app"), f(7, env_var), f(11, probe))
    volume = m(f(1, "config"), f(2, m(f(19, m(f(1, m(f(1, "settings"))), f(3, 420))))))
    pod = protobuf.decode(envelope("v1", "Pod", m(f(1, meta("p")), f(2, m(f(1, volume), f(2, container))))))
    spec = pod["spec"]
    assert spec["containers"][0]["env"] == [
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password", "optional": True}}}]
    assert spec["containers"][0]["readinessProbe"] == {"httpGet": {"path": "/healthz", "port": 8080},
                                                      "periodSeconds": 5}
    assert spec["volumes"] == [{"name": "config", "configMap": {"name": "settings", "defaultMode": 420}}]


def test_extra_values_and_unknown_fields() -> None:
    spec = m(f(1, m(f(2, "get"), f(5, "pods"))), f(3, "jane"), f(4, "dev"),
             f(5, entry("scopes", m(f(1, "a"), f(1, "b")))), f(99, "ignored"), f(98, 7))
    review = protobuf.decode(envelope("authorization.k8s.io/v1", "SubjectAccessReview", m(f(2, spec))))
    assert review["spec"] == {"resourceAttributes": {"verb": "get", "resource": "pods"}, "user": "jane",
                              "groups": ["dev"], "extra": {"scopes": ["a", "b"]}}


def test_every_kind_maps_to_a_message_whose_types_resolve() -> None:
    table = protobuf.schema()
    assert set(protobuf.KINDS.values()) <= set(table)
    assert table["ObjectMeta"][11] == protobuf.Field("labels", "s", mapped=True)
    assert table["DeploymentSpec"][1].keep_zero


@pytest.mark.parametrize(("body", "fragment"), [
    (b'{"kind":"ConfigMap"}', "expected prefix [107 56 115 0]"),
    (envelope("apps/v1", "Deployment", m(f(1, meta("x")))[:-3]), 'Deployment in version "v1" cannot be handled'),
    (envelope("v1", "ConfigMap", _varint(1 << 3 | 3)), "illegal wireType 3"),
    (envelope("v1", "ConfigMap", m(f(1, 5))), "wrong wireType = 0 for field metadata"),
    (envelope("v1", "ConfigMap", _varint(18) + _varint(1 << 40)), "unexpected EOF"),
    (b"k8s\x00" + b"\xff" * 11, "integer overflow"),
    (envelope("example.com/v1", "Widget", b""), 'no kind "Widget" is registered for version "example.com/v1"'),
    (envelope("v1", "", b""), "Object 'Kind' is missing"),
])
def test_malformed_bodies_are_bad_requests(body: bytes, fragment: str) -> None:
    with pytest.raises(status.ApiError) as raised:
        bodies.decode_object(body, "application/vnd.kubernetes.protobuf")
    assert raised.value.code == 400
    assert fragment in raised.value.message


def test_compressed_or_foreign_content_is_unsupported_media() -> None:
    with pytest.raises(status.ApiError) as raised:
        protobuf.decode(envelope("v1", "ConfigMap", m(f(1, meta("x"))), content_encoding="gzip"))
    assert raised.value.code == 415
    assert "application/vnd.kubernetes.protobuf" in raised.value.message


async def test_server_answers_protobuf_writes_and_rejects_garbage(sandbox: SandboxEnv, namespace: str) -> None:
    url = f"{sandbox.url}/api/v1/namespaces/{namespace}/configmaps"
    headers = {"Content-Type": "application/vnd.kubernetes.protobuf", "Accept": "application/json"}
    good = envelope("v1", "ConfigMap", m(f(1, meta("from-protobuf")), f(2, entry("mode", "fast"))))
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=good, headers=headers) as created:
            assert created.status == 201
            body = await created.json()
        async with session.post(url, data=b"k8s\x00\x0a\xff\xff", headers=headers) as broken:
            assert broken.status == 400
            problem = await broken.json()
    assert body["metadata"]["name"] == "from-protobuf" and body["data"] == {"mode": "fast"}
    assert body["metadata"]["namespace"] == namespace
    assert problem["kind"] == "Status" and problem["reason"] == "BadRequest" and problem["code"] == 400
    assert "unexpected EOF" in problem["message"]
