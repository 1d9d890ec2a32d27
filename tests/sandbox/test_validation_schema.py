"""422 Invalid from CRD schemas and from the CustomResourceDefinition rules themselves, with the apiserver's
texts as every kubectl prints them: OpenAPI value validations (required, enum, bounds, patterns, list
sets), CEL x-kubernetes-validations including transition rules, and malformed CRDs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from kubegenie.sandbox import cel, crdschema
from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

NAMESPACE = "schemas"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("schemas"), crds.RDS_INSTANCES, crds.COMPOSITIONS,
                               crds.PROVIDERS, crds.WIDGETS)
    crds.create_namespace(sandbox, NAMESPACE)
    yield sandbox
    sandbox.thread.stop()


def suffix(binary: kubectl.Kubectl) -> str:
    return binary.label.replace(".", "-")


def rds(name: str, **for_provider: Any) -> str:
    return yaml.safe_dump({"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance",
                           "metadata": {"name": name}, "spec": {"forProvider": for_provider}})


def composition(name: str, kind: str) -> str:
    return yaml.safe_dump({"apiVersion": "apiextensions.crossplane.io/v1", "kind": "Composition",
                           "metadata": {"name": name},
                           "spec": {"compositeTypeRef": {"apiVersion": "example.org/v1", "kind": kind},
                                    "pipeline": [{"step": "render", "functionRef": {"name": "fn"}}]}})


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_crossplane_required_parameters(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"db-{suffix(binary)}"
    no_class = run(env, binary, "-n", NAMESPACE, "apply", "-f", "-", input=rds(name, region="eu-west-1"))
    assert no_class.stderr.strip() == (
        f'The Instance "{name}" is invalid: spec: Invalid value: "object": spec.forProvider.instanceClass is a '
        f'required parameter')
    no_region = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=rds(name, instanceClass="db.t3.micro"))
    assert no_region.stderr.strip() == f'The Instance "{name}" is invalid: spec.forProvider.region: Required value'
    observe_only = yaml.safe_load(rds(name, region="eu-west-1"))
    observe_only["spec"]["managementPolicies"] = ["Observe"]
    created = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(observe_only))
    assert created.stdout.strip() == f"instance.rds.aws.m.upbound.io/{name} created", created.stderr


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_value_validations_list_every_cause(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"bad-{suffix(binary)}"
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name},
              "spec": {"size": "huge", "replicas": 101, "color": "Red1", "tags": ["a", "a"]}}
    refused = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(widget))
    assert refused.stderr.splitlines() == [
        f'The Widget "{name}" is invalid: ',
        "* spec.color: Invalid value: \"Red1\": spec.color in body should match '^[a-z]+$'",
        '* spec.replicas: Invalid value: 101: spec.replicas in body should be less than or equal to 100',
        '* spec.size: Unsupported value: "huge": supported values: "small", "medium", "large"',
        '* spec.tags[1]: Duplicate value: "a"']
    widget["spec"] = {"replicas": "three"}
    typed = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(widget))
    assert typed.stderr.splitlines() == [
        f'The Widget "{name}" is invalid: ',
        '* spec.size: Required value',
        '* spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_transition_rule_keeps_a_field_immutable(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"comp-{suffix(binary)}"
    created = run(env, binary, "apply", "-f", "-", input=composition(name, "XDatabase"))
    assert created.stdout.strip() == f"composition.apiextensions.crossplane.io/{name} created", created.stderr
    changed = run(env, binary, "apply", "-f", "-", input=composition(name, "XCache"))
    assert changed.stderr.strip() == (
        f'The Composition "{name}" is invalid: spec.compositeTypeRef: Invalid value: "object": Value is immutable')
    mode = run(env, binary, "get", "composition", name, "-o", "jsonpath={.spec.mode}")
    assert mode.stdout == "Pipeline"  # defaulted from the schema


def test_crd_validation_messages(env: SandboxEnv) -> None:
    api_client = config.new_client_from_config(config_file=str(env.kubeconfig))
    extensions = client.ApiextensionsV1Api(api_client)

    def refused(body: dict[str, Any]) -> dict[str, Any]:
        with pytest.raises(ApiException) as error:
            extensions.create_custom_resource_definition(body)
        assert error.value.status == 422
        status: dict[str, Any] = json.loads(error.value.body)
        return status

    try:
        misnamed = crds.widget_crd("misnamed.example.com")
        misnamed["metadata"]["name"] = "gadgets.misnamed.example.com"
        status = refused(misnamed)
        assert status["message"] == ('CustomResourceDefinition.apiextensions.k8s.io "gadgets.misnamed.example.com" is '
                                     'invalid: metadata.name: Invalid value: "gadgets.misnamed.example.com": must be '
                                     'spec.names.plural+"."+spec.group')
        two_storage = crds.widget_crd("storage.example.com")
        two_storage["spec"]["versions"][1]["storage"] = True
        causes = refused(two_storage)["details"]["causes"]
        assert [(c["field"], c["message"].split(": ")[-1]) for c in causes] == [
            ("spec.versions", "must have exactly one version marked as storage version")]
        dotless = crds.widget_crd("dotless")
        dotless["spec"]["scope"] = "Global"
        causes = refused(dotless)["details"]["causes"]
        assert [(c["field"], c["reason"], c["message"]) for c in causes] == [
            ("spec.group", "FieldValueInvalid", 'Invalid value: "dotless": should be a domain with at least one dot'),
            ("spec.scope", "FieldValueNotSupported",
             'Unsupported value: "Global": supported values: "Cluster", "Namespaced"')]
        extensions.create_custom_resource_definition(crds.widget_crd("immutable.example.com"))
        env.settle()
        # Read it back: the naming controller has written its status (and resourceVersion) since the create.
        established = extensions.read_custom_resource_definition("widgets.immutable.example.com")
        assert [c.type for c in established.status.conditions] == ["NamesAccepted", "Established"]
        created_dict = api_client.sanitize_for_serialization(established)
        created_dict["spec"]["scope"] = "Cluster"
        with pytest.raises(ApiException) as error:
            extensions.replace_custom_resource_definition("widgets.immutable.example.com", created_dict)
        assert json.loads(error.value.body)["message"].endswith(
            'spec.scope: Invalid value: "Cluster": field is immutable')
    finally:
        api_client.close()


@pytest.mark.parametrize(("rule", "variables", "expected"), [
    ("self.size() <= 3 && size(self) >= 1", {"self": "ab"}, True),
    ("self.exists(x, x.startsWith('a')) && !self.all(x, x.endsWith('z'))", {"self": ["abc", "x"]}, True),
    ("self.exists_one(x, x > 1)", {"self": [1, 2, 3]}, False),
    ("self.filter(x, x % 2 == 0) == [2]", {"self": [1, 2, 3]}, True),
    ("'k' in self && self['k'] == 'v'", {"self": {"k": "v"}}, True),
    ("duration(self.a) < duration(self.b)", {"self": {"a": "90s", "b": "1h"}}, True),
    ("self.x.y == 1 || true", {"self": {}}, True),
    ("has(self.spec) ? self.spec.replicas : 0", {"self": {"spec": {"replicas": 4}}}, 4),
    ("'a,b'.split(',').join('-') + string(1)", {}, "a-b1"),
    ("r'\\d+' == '\\\\d+' && b'ab'.size() == 2", {}, True),
    ("[3, 1].isSorted() || [1, 2, 3].sum() == 6", {}, True),
    ("timestamp('2024-01-02T00:00:00Z') > timestamp('2024-01-01T00:00:00Z')", {}, True),
])
def test_cel_evaluation(rule: str, variables: dict[str, Any], expected: Any) -> None:
    assert cel.compile_rule(rule).evaluate(variables) == expected


@pytest.mark.parametrize("rule", ["self.x +", "frobnicate(self)", "self.x.y == 1 && true"])
def test_cel_errors(rule: str) -> None:
    with pytest.raises(cel.CELError):
        cel.compile_rule(rule).evaluate({"self": {}})


def test_rules_that_cannot_be_evaluated_do_not_block() -> None:
    schema = {"type": "object", "x-kubernetes-validations": [{"rule": "self.unknownFunction()"},
                                                             {"rule": "self.a == oldSelf.a", "message": "a is fixed"}]}
    assert crdschema.validate(schema, {"a": 1}) == []
    assert crdschema.validate(schema, {"a": 2}, old={"a": 1}) == [
        ("FieldValueInvalid", "", 'Invalid value: "object": a is fixed')]


def test_message_expression_reason_and_field_path() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-validations": [
        {"rule": "self.min <= self.max", "messageExpression": "'min ' + string(self.min) + ' exceeds max'",
         "fieldPath": ".min", "reason": "FieldValueForbidden"}]}}}
    assert crdschema.validate(schema, {"spec": {"min": 5, "max": 2}}) == [
        ("FieldValueForbidden", "spec.min", "Forbidden: min 5 exceeds max")]
