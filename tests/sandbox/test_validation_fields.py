"""Server-side field validation with every kubectl: unknown fields are a 400 strict decoding error under
the default --validate=strict, a `Warning:` under --validate=warn, silently dropped under --validate=false,
for built-in kinds and custom resources alike; and the same through the Python client's fieldValidation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

NAMESPACE = "fields"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("fields"), crds.RDS_INSTANCES)
    crds.create_namespace(sandbox, NAMESPACE)
    yield sandbox
    sandbox.thread.stop()


def deployment(name: str, spec_extra: dict[str, Any] | None = None,
               container_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}}, **(spec_extra or {}),
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                           **(container_extra or {})}]}}}}


def instance(name: str, **for_provider: Any) -> dict[str, Any]:
    return {"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance", "metadata": {"name": name},
            "spec": {"forProvider": {"region": "us-east-1", "instanceClass": "db.t3.micro", **for_provider}}}


def suffix(binary: kubectl.Kubectl) -> str:
    return binary.label.replace(".", "-")


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_strict_is_the_default_and_names_every_unknown_field(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"strict-{suffix(binary)}"
    document = deployment(name, {"replicaz": 2}, {"imagePullPolcy": "Always"})
    created = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(document))
    assert created.returncode == 1
    assert created.stderr.strip() == (
        'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled '
        'as a Deployment: strict decoding error: unknown field "spec.replicaz", unknown field '
        '"spec.template.spec.containers[0].imagePullPolcy"')
    applied = run(env, binary, "-n", NAMESPACE, "apply", "-f", "-", input=yaml.safe_dump(document))
    assert 'strict decoding error: unknown field "spec.replicaz"' in applied.stderr
    assert env.cluster.store.get("apps/deployments", NAMESPACE, name) is None


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_warn_creates_and_prints_warnings(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"warn-{suffix(binary)}"
    document = deployment(name, {"replicaz": 2})
    document["metadata"]["colour"] = "red"
    created = run(env, binary, "-n", NAMESPACE, "create", "--validate=warn", "-f", "-",
                  input=yaml.safe_dump(document))
    assert created.stdout.strip() == f"deployment.apps/{name} created"
    assert created.stderr.splitlines() == ['Warning: unknown field "metadata.colour"',
                                           'Warning: unknown field "spec.replicaz"']
    stored = env.cluster.store.get("apps/deployments", NAMESPACE, name)
    assert stored is not None and "replicaz" not in stored["spec"] and "colour" not in stored["metadata"]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_validate_false_drops_unknown_fields_silently(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"ignore-{suffix(binary)}"
    created = run(env, binary, "-n", NAMESPACE, "create", "--validate=false", "-f", "-",
                  input=yaml.safe_dump(deployment(name, {"replicaz": 2})))
    assert (created.stdout.strip(), created.stderr) == (f"deployment.apps/{name} created", "")
    got = run(env, binary, "-n", NAMESPACE, "get", "deployment", name, "-o", "json")
    assert "replicaz" not in json.loads(got.stdout)["spec"]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_custom_resource_unknown_fields(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"db-{suffix(binary)}"
    document = instance(name, regon="eu-west-1", engine="postgres")
    document["spec"]["bogus"] = True
    refused = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(document))
    assert refused.stderr.strip() == (
        'Error from server (BadRequest): error when creating "STDIN": Instance in version "v1beta1" cannot be '
        'handled as a Instance: strict decoding error: unknown field "spec.bogus", unknown field '
        '"spec.forProvider.regon"')
    warned = run(env, binary, "-n", NAMESPACE, "apply", "--validate=warn", "-f", "-",
                 input=yaml.safe_dump(document))
    assert warned.stdout.strip() == f"instance.rds.aws.m.upbound.io/{name} created"
    assert warned.stderr.splitlines() == ['Warning: unknown field "spec.bogus"',
                                          'Warning: unknown field "spec.forProvider.regon"']
    stored = env.cluster.store.get("rds.aws.m.upbound.io/instances", NAMESPACE, name)
    assert stored is not None
    assert stored["spec"]["forProvider"] == {"region": "us-east-1", "instanceClass": "db.t3.micro",
                                             "engine": "postgres"}
    # Schema defaults were filled in, as the apiserver does for Crossplane's providerConfigRef.
    assert stored["spec"]["providerConfigRef"] == {"kind": "ClusterProviderConfig", "name": "default"}
    assert stored["spec"]["managementPolicies"] == ["*"]


def test_python_client_field_validation(env: SandboxEnv) -> None:
    api_client = config.new_client_from_config(config_file=str(env.kubeconfig))
    try:
        # The typed AppsV1Api refuses unknown fields itself (pydantic), so the raw object API sends them.
        objects = client.CustomObjectsApi(api_client)
        body = deployment("py-strict", {"replicaz": 1})
        with pytest.raises(ApiException) as strict:
            objects.create_namespaced_custom_object("apps", "v1", NAMESPACE, "deployments", body,
                                                    field_validation="Strict")
        status = json.loads(strict.value.body)
        assert (strict.value.status, status["reason"]) == (400, "BadRequest")
        assert status["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
                                     'error: unknown field "spec.replicaz"')
        with pytest.raises(ApiException) as unsupported:
            objects.create_namespaced_custom_object("apps", "v1", NAMESPACE, "deployments", body,
                                                    field_validation="Loose")
        assert json.loads(unsupported.value.body)["message"] == (
            'fieldValidation parameter unsupported: "Loose"; use one of Ignore, Warn, or Strict')
        created = objects.create_namespaced_custom_object("apps", "v1", NAMESPACE, "deployments", body,
                                                          field_validation="Ignore")
        assert created["metadata"]["name"] == "py-strict" and "replicaz" not in created["spec"]
        typed = client.AppsV1Api(api_client).read_namespaced_deployment("py-strict", NAMESPACE)
        assert typed.spec.selector.match_labels == {"app": "py-strict"}
        with pytest.raises(ApiException) as custom:
            objects.create_namespaced_custom_object("rds.aws.m.upbound.io", "v1beta1", NAMESPACE, "instances",
                                                    instance("py-db", color="red"), field_validation="Strict")
        assert json.loads(custom.value.body)["message"].endswith(
            'strict decoding error: unknown field "spec.forProvider.color"')
    finally:
        api_client.close()
