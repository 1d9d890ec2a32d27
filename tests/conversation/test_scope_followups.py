"""Follow-ups that must not point back: "top pods ..." after a list is a new question about the cluster being
talked about, not "the first item listed"; "the top one" still is."""

from __future__ import annotations

from kubegenie.conversation import ItemRef, Run, new_state, record_items, respond
from kubegenie.domain.intents import DescribeResourceRequest, ResourceKind, TopRequest
from kubegenie.nlu import NluContext
from tests.nlu.demo_context import demo_context

DEMO = demo_context(("prod", "staging"))
LISTED = (ItemRef(kind=ResourceKind.POD, name="payment-gateway-5c7d9f8b6-x2x4z", namespace="payments", cluster="prod"),
          ItemRef(kind=ResourceKind.POD, name="payouts-worker-5c7d9f8b6-x2x4z", namespace="payments", cluster="prod"))


def _after_a_list(context: NluContext) -> object:
    turn = respond("which pods are failing?", new_state("t1"), context)
    assert isinstance(turn.outcome, Run)
    return record_items(turn.state, LISTED)


def test_top_pods_after_a_list_is_a_new_question() -> None:
    state = _after_a_list(DEMO)
    turn = respond("top pods by memory in payments", state, DEMO)  # type: ignore[arg-type]
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == TopRequest(sort_by="memory", namespace="payments")


def test_top_pods_after_switching_cluster_asks_the_new_one() -> None:
    state = _after_a_list(DEMO).model_copy(update={"cluster": "staging"})  # type: ignore[attr-defined]
    turn = respond("top pods by memory in payments", state, DEMO)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == TopRequest(sort_by="memory", namespace="payments", cluster="staging")
    assert turn.state.cluster == "staging"


def test_top_n_is_a_limit_not_an_item() -> None:
    turn = respond("top 3 pods by cpu", _after_a_list(DEMO), DEMO)  # type: ignore[arg-type]
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == TopRequest(sort_by="cpu", limit=3)


def test_the_top_one_still_points_at_the_first_item() -> None:
    turn = respond("describe the top one", _after_a_list(DEMO), DEMO)  # type: ignore[arg-type]
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == DescribeResourceRequest(kind=ResourceKind.POD, name=LISTED[0].name,
                                                           namespace="payments", cluster="prod")


def test_and_in_another_namespace_after_switching_cluster_asks_the_new_one() -> None:
    state = _after_a_list(DEMO).model_copy(update={"cluster": "staging"})  # type: ignore[attr-defined]
    turn = respond("and in shop?", state, DEMO)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request.cluster == "staging"
    assert turn.outcome.request.namespace == "shop"


def test_what_about_a_namespace_named_like_a_word_repeats_the_question_there() -> None:
    turn = respond("list pods in data", new_state("t2"), DEMO)
    turn = respond("what about monitoring", turn.state, DEMO)
    assert isinstance(turn.outcome, Run)
    assert (turn.outcome.request.intent.value, turn.outcome.request.namespace) == ("list_resources", "monitoring")
