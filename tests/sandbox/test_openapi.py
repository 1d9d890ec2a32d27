"""OpenAPI with every kubectl: `kubectl explain` of built-in and CRD kinds (v3, and v2 with
--output=plaintext-openapiv2), documents whose hashes change with the CRDs, client-side apply of custom
resources, and the v2 document in both of its encodings."""

from __future__ import annotations

import copy
import json
import urllib.request
from collections.abc import Iterator

import pytest
import yaml

from kubegenie.sandbox import openapiv2
from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("openapi"), crds.RDS_INSTANCES, crds.WIDGETS)
    crds.create_namespace(sandbox, "explain")
    yield sandbox
    sandbox.thread.stop()


def fetch(env: SandboxEnv, path: str, accept: str = "application/json") -> tuple[str, bytes]:
    request = urllib.request.Request(env.url + path, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.headers["Content-Type"], response.read()


def index(env: SandboxEnv) -> dict[str, str]:
    return {path: entry["serverRelativeURL"] for path, entry in
            json.loads(fetch(env, "/openapi/v3")[1])["paths"].items()}


@pytest.mark.parametrize("binary", kubectl.params())
def test_explain_builtin_fields(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    containers = run(env, binary, "explain", "pod.spec.containers")
    lines = containers.stdout.splitlines()
    assert lines[:2] == ["KIND:       Pod", "VERSION:    v1"], containers.stderr
    assert "FIELD: containers <[]Container>" in lines
    assert "  name\t<string> -required-" in lines
    assert "  image\t<string>" in lines
    recursive = run(env, binary, "explain", "deployment.spec", "--recursive")
    lines = recursive.stdout.splitlines()
    assert lines[:3] == ["GROUP:      apps", "KIND:       Deployment", "VERSION:    v1"]
    assert "  selector\t<LabelSelector> -required-" in lines
    assert "  template\t<PodTemplateSpec> -required-" in lines
    assert "      containers\t<[]Container> -required-" in lines
    assert "    rollingUpdate\t<RollingUpdateDeployment>" in lines


@pytest.mark.parametrize("binary", kubectl.params())
def test_explain_crd_kinds(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    spec = run(env, binary, "explain", "widget.spec")
    lines = spec.stdout.splitlines()
    assert lines[:3] == ["GROUP:      example.com", "KIND:       Widget", "VERSION:    v1"], spec.stderr
    assert "FIELD: spec <Object>" in lines
    assert "    WidgetSpec is the desired state of a Widget." in lines
    assert "  size\t<string> -required-" in lines
    assert "  tags\t<[]string>" in lines
    region = run(env, binary, "explain", "instances.rds.aws.m.upbound.io.spec.forProvider.region")
    assert "FIELD: region <string>" in region.stdout.splitlines()
    assert "Region where this resource will be managed." in region.stdout
    metadata = run(env, binary, "explain", "widget.metadata.labels")
    assert "FIELD: labels <map[string]string>" in metadata.stdout.splitlines()


@pytest.mark.parametrize("binary", kubectl.params())
def test_explain_from_openapi_v2(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    ports = run(env, binary, "explain", "pods.spec.containers.ports", "--output=plaintext-openapiv2")
    lines = ports.stdout.splitlines()
    assert lines[:2] == ["KIND:     Pod", "VERSION:  v1"], ports.stderr
    assert "RESOURCE: ports <[]Object>" in lines
    widget = run(env, binary, "explain", "widgets.spec", "--output=plaintext-openapiv2")
    assert widget.stdout.splitlines()[:2] == ["KIND:     Widget", "VERSION:  example.com/v1"]
    assert "   replicas\t<integer>" in widget.stdout.splitlines()


@pytest.mark.parametrize("binary", kubectl.params())
def test_client_side_apply_of_custom_resources(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"applied-{binary.label.replace('.', '-')}"
    document = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name},
                "spec": {"size": "small", "tags": ["a"]}}
    first = run(env, binary, "-n", "explain", "apply", "-f", "-", input=yaml.safe_dump(document))
    assert first.stdout.strip() == f"widget.example.com/{name} created", first.stderr
    document["spec"] = {"size": "large"}
    second = run(env, binary, "-n", "explain", "apply", "-f", "-", input=yaml.safe_dump(document))
    assert second.stdout.strip() == f"widget.example.com/{name} configured", second.stderr
    got = run(env, binary, "-n", "explain", "get", "widget", name, "-o", "jsonpath={.spec}")
    assert json.loads(got.stdout) == {"color": "blue", "paused": False, "replicas": 1, "size": "large"}
    unchanged = run(env, binary, "-n", "explain", "apply", "-f", "-", input=yaml.safe_dump(document))
    assert unchanged.stdout.strip() == f"widget.example.com/{name} unchanged"


def test_v3_documents_follow_crd_changes(env: SandboxEnv) -> None:
    before = index(env)
    assert "apis/example.com/v1" in before and "apis/example.com/v1beta1" in before
    group = "hashes.example.com"
    crds.install(env, crds.widget_crd(group))
    added = index(env)
    assert f"apis/{group}/v1" in added
    assert {path: url for path, url in added.items() if group not in path} == before
    _, body = fetch(env, added[f"apis/{group}/v1"])
    document = json.loads(body)
    widget = document["components"]["schemas"]["com.example.hashes.v1.Widget"]
    assert widget["x-kubernetes-group-version-kind"] == [{"group": group, "kind": "Widget", "version": "v1"}]
    assert widget["properties"]["metadata"] == {
        "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}],
        "description": "Standard object's metadata. More info: "
                       "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"}
    assert "enum" not in widget["properties"]["kind"]
    listing = document["components"]["schemas"]["com.example.hashes.v1.WidgetList"]
    assert listing["x-kubernetes-group-version-kind"] == [{"group": group, "kind": "WidgetList", "version": "v1"}]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in document["components"]["schemas"]
    patch = document["paths"][f"/apis/{group}/v1/namespaces/{{namespace}}/widgets/{{name}}"]["patch"]
    assert "fieldValidation" in [parameter["name"] for parameter in patch["parameters"]]

    async def change_schema() -> None:
        from kubegenie.sandbox.objects import WriteOptions

        crd_type = env.cluster.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crd_type is not None
        current = env.cluster.objects.get(crd_type, "", f"widgets.{group}")
        changed = copy.deepcopy(current)
        changed["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"] = "Changed."
        env.cluster.objects.update(crd_type, "", f"widgets.{group}", changed, WriteOptions())
        await env.cluster.settle()

    env.thread.call(change_schema)
    changed = index(env)
    assert changed[f"apis/{group}/v1"] != added[f"apis/{group}/v1"]
    assert changed["apis/apps/v1"] == added["apis/apps/v1"]
    stale_hash = added[f"apis/{group}/v1"]
    _, body = fetch(env, stale_hash.split("?")[0])
    assert json.loads(body)["components"]["schemas"]["com.example.hashes.v1.Widget"]["description"] == "Changed."


def test_openapi_v2_encodings(env: SandboxEnv) -> None:
    content_type, body = fetch(env, "/openapi/v2")
    assert content_type == "application/json"
    document = json.loads(body)
    assert document["swagger"] == "2.0"
    instance = document["definitions"]["io.upbound.m.aws.rds.v1beta1.Instance"]
    assert instance["x-kubernetes-group-version-kind"] == [
        {"group": "rds.aws.m.upbound.io", "kind": "Instance", "version": "v1beta1"}]
    assert instance["properties"]["metadata"]["$ref"] == \
        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    assert document["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    protobuf_type, protobuf = fetch(env, "/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
    assert protobuf_type == openapiv2.PROTOBUF
    assert protobuf.startswith(b"\n\x032.0\x12")  # Document.swagger = "2.0", then Document.info
    assert protobuf == openapiv2.encode_document(document)


def test_protobuf_encoding_of_a_schema() -> None:
    encoded = openapiv2.encode_schema({"type": "object", "description": "d", "required": ["a"],
                                       "properties": {"a": {"type": "integer", "minimum": 1}},
                                       "additionalProperties": False, "x-kubernetes-map-type": "atomic"})
    fields = _decode(encoded)
    assert sorted(fields) == [4, 19, 21, 22, 25, 31]  # description, required, additionalProperties, type, ...
    assert fields[4] == [b"d"] and fields[19] == [b"a"]
    assert _decode(fields[21][0]) == {2: [0]}  # AdditionalPropertiesItem.boolean
    assert _decode(fields[22][0]) == {1: [b"object"]}  # TypeItem.value
    named = _decode(_decode(fields[25][0])[1][0])  # Properties.additional_properties[0]
    assert named[1] == [b"a"]
    inner = _decode(named[2][0])
    assert inner[9] == [1.0] and _decode(inner[22][0]) == {1: [b"integer"]}
    extension = _decode(fields[31][0])  # NamedAny
    assert extension[1] == [b"x-kubernetes-map-type"]
    assert _decode(extension[2][0]) == {2: [b'"atomic"']}  # Any.yaml


def _decode(data: bytes) -> dict[int, list[object]]:
    """A minimal protobuf reader (varint, 64-bit and length-delimited fields) for checking encodings."""
    import struct

    fields: dict[int, list[object]] = {}
    position = 0

    def varint() -> int:
        nonlocal position
        shift = result = 0
        while True:
            byte = data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        value: object
        if wire == 0:
            value = varint()
        elif wire == 1:
            value = struct.unpack("<d", data[position:position + 8])[0]
            position += 8
        else:
            length = varint()
            value = data[position:position + length]
            position += length
        fields.setdefault(number, []).append(value)
    return fields
