"""The example questions help, the web UI and the README tour offer are understood as the intent they are listed
under, on the demo scenario's cluster; and scope words that name nothing on it get a plain answer."""

from __future__ import annotations

import pytest

from kubegenie.domain.examples import EXAMPLES, TOUR
from kubegenie.domain.intents import Intent, ListResourcesRequest
from kubegenie.nlu import Clarification, ClarificationReason, NluContext, Understood, understand
from tests.nlu.demo_context import demo_context

_LISTED = [(intent, text) for intent, texts in EXAMPLES.items() for text in texts]
_TOUR = {text: next(i for i, texts in EXAMPLES.items() if text in texts) for text in TOUR if any(
    text in texts for texts in EXAMPLES.values())}


@pytest.mark.parametrize(("intent", "text"), _LISTED, ids=[text for _, text in _LISTED])
def test_every_example_is_its_intent_on_the_demo_cluster(intent: Intent, text: str, demo: NluContext) -> None:
    result = understand(text, demo)
    assert result.intent is intent, result
    assert isinstance(result, Understood) or result.reason is not ClarificationReason.AMBIGUOUS


@pytest.mark.parametrize("text", TOUR)
def test_every_tour_question_is_answered_without_asking_back(text: str, demo: NluContext) -> None:
    result = understand(text, demo)
    if text in _TOUR:
        assert result.intent is _TOUR[text]
    if result.intent is not None and result.intent.value in ("scale",):
        return  # a change is confirmed by the dialogue, not here
    assert isinstance(result, Understood), result


def test_the_first_tour_question_is_an_overview(demo: NluContext) -> None:
    result = understand("how is the cluster doing?", demo)
    assert isinstance(result, Understood) and result.intent is Intent.CLUSTER_OVERVIEW


def test_named_object_of_an_unknown_name_is_kept_not_asked_for(demo: NluContext) -> None:
    result = understand("tell me about service web in shop", demo)
    assert isinstance(result, Understood)
    assert (result.request.intent, result.request.name, result.request.namespace) == (  # type: ignore[union-attr]
        Intent.DESCRIBE_RESOURCE, "web", "shop")


@pytest.mark.parametrize("text", ["list pods in billing", "pods in the billing namespace", "kubectl get po -n billing",
                                  "how many pods in billing"])
def test_a_namespace_the_cluster_lacks_is_named_with_the_ones_it_has(text: str, demo: NluContext) -> None:
    result = understand(text, demo)
    assert isinstance(result, Clarification), result
    assert result.reason is ClarificationReason.UNKNOWN_NAMESPACE
    assert result.question.startswith("No namespace 'billing' on prod; namespaces there: analytics, data, default, ")
    assert "legacy-reports" in result.question and "shop" in result.question


def test_in_prod_on_a_cluster_not_called_prod_is_an_unknown_namespace() -> None:
    context = demo_context(("kubegenie-demo",))
    result = understand("list pods in prod", context)
    assert isinstance(result, Clarification), result
    assert result.reason is ClarificationReason.UNKNOWN_NAMESPACE
    assert result.question.startswith("No namespace 'prod' on kubegenie-demo; namespaces there: ")


def test_a_close_namespace_is_offered(demo: NluContext) -> None:
    result = understand("list pods in paymnts", demo)
    assert isinstance(result, Clarification)
    assert result.question == "No namespace 'paymnts' on prod; did you mean payments?"
    assert result.options[0].request == ListResourcesRequest(namespace="payments")


@pytest.mark.parametrize(("text", "question"), [
    ("list pods on prd", "No cluster 'prd'; did you mean prod?"),
    ("list pods on the prd cluster", "No cluster 'prd'; did you mean prod?"),
    ("pods in prdo", "No cluster 'prdo'; did you mean prod?"),
    ("list pods on staging", "No cluster 'staging'; the clusters are prod."),
    ("kubectl get pods --context prd", "No cluster 'prd'; did you mean prod?"),
])
def test_a_cluster_that_is_not_configured_is_refused(text: str, question: str, demo: NluContext) -> None:
    result = understand(text, demo)
    assert isinstance(result, Clarification), result
    assert result.reason is ClarificationReason.UNKNOWN_CLUSTER
    assert result.question == question


@pytest.mark.parametrize(("text", "node"), [("pods on ip-10-0-62-117.ec2.internal", "ip-10-0-62-117.ec2.internal"),
                                            ("list pods on node ip-10-0-17-41.ec2.internal",
                                             "ip-10-0-17-41.ec2.internal")])
def test_nodes_after_on_stay_nodes(text: str, node: str, demo: NluContext) -> None:
    result = understand(text, demo)
    assert isinstance(result, Understood), result
    assert result.request == ListResourcesRequest(node=node)
