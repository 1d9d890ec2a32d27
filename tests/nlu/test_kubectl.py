"""kubectl-style input is parsed as arguments (never run) into the same requests as plain language."""

from __future__ import annotations

import pytest

from kubegenie.domain.intents import (
    DescribeResourceRequest,
    ListEventsRequest,
    ListResourcesRequest,
    PodLogsRequest,
    PodStatusFilter,
    ResourceKind,
    RestartRequest,
    ScaleRequest,
    TopRequest,
)
from kubegenie.nlu import Clarification, ClarificationReason, NluContext, Understood, understand
from kubegenie.nlu.kubectl import NotKubectl, parse_kubectl


def _request(text: str, context: NluContext) -> object:
    result = understand(text, context)
    assert isinstance(result, Understood), result
    assert result.confidence == 1.0
    return result.request


def test_get_pods_in_a_namespace_wide(context: NluContext) -> None:
    assert _request("kubectl get po -n shop -o wide", context) == ListResourcesRequest(
        kind=ResourceKind.POD, namespace="shop", wide=True)


def test_all_namespaces_flag_survives_lowercasing(context: NluContext) -> None:
    assert _request("get pods -A", context) == ListResourcesRequest(all_namespaces=True)


def test_field_selector_phase(context: NluContext) -> None:
    assert _request("kubectl get pods --field-selector=status.phase=Pending", context) == ListResourcesRequest(
        status=PodStatusFilter.PENDING)


def test_describe_short_kind(context: NluContext) -> None:
    assert _request("describe deploy web", context) == DescribeResourceRequest(kind=ResourceKind.DEPLOYMENT,
                                                                               name="web")


def test_logs_flags_and_workload_name(context: NluContext) -> None:
    assert _request("logs -f web --tail 20 -c app", context) == PodLogsRequest(
        name="web", kind=ResourceKind.DEPLOYMENT, tail=20, container="app")


def test_logs_previous_of_a_pod(context: NluContext) -> None:
    assert _request("kubectl logs -p postgres-1 -n data", context) == PodLogsRequest(
        name="postgres-1", kind=ResourceKind.POD, previous=True, namespace="data")


def test_top_sort_by_memory(context: NluContext) -> None:
    assert _request("top pods --sort-by=memory", context) == TopRequest(sort_by="memory")


def test_scale_with_replicas_flag(context: NluContext) -> None:
    assert _request("scale deploy web --replicas=3", context) == ScaleRequest(name="web", replicas=3)


def test_rollout_restart_type_slash_name(context: NluContext) -> None:
    assert _request("kubectl rollout restart deploy/api -n shop", context) == RestartRequest(name="api",
                                                                                             namespace="shop")


def test_events_for_an_object(context: NluContext) -> None:
    assert _request("kubectl events --for pod/postgres-0 --types=Warning", context) == ListEventsRequest(
        involved_kind=ResourceKind.POD, involved_name="postgres-0", warnings_only=True)


def test_commands_kubegenie_does_not_run_are_refused_plainly(context: NluContext) -> None:
    result = understand("kubectl delete pod web-6b8d9c7f5-lmn2p", context)
    assert isinstance(result, Clarification)
    assert result.reason is ClarificationReason.UNSUPPORTED
    assert "kubectl delete" in result.question


@pytest.mark.parametrize("text", ["get pods in payments", "describe the web deployment", "show logs",
                                  "top of the morning"])
def test_plain_language_that_starts_like_kubectl_is_not_parsed_as_kubectl(text: str) -> None:
    with pytest.raises(NotKubectl):
        parse_kubectl(text)


def test_unbalanced_quotes_are_not_a_command_line() -> None:
    with pytest.raises(NotKubectl):
        parse_kubectl("logs web grep 'oops")
