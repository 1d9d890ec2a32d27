"""Follow-ups resolved against the dialogue state, and the confirmation flow for changes."""

from __future__ import annotations

import pytest

from kubegenie.conversation import (
    Ask,
    Cancelled,
    Confirm,
    DialogueState,
    ItemRef,
    Reply,
    Run,
    new_state,
    parse_reply,
    record_items,
    respond,
)
from kubegenie.domain.intents import (
    DescribeResourceRequest,
    DiagnoseRequest,
    ListResourcesRequest,
    PodLogsRequest,
    PodStatusFilter,
    ResourceKind,
    RestartRequest,
    ScaleRequest,
)
from kubegenie.nlu import NluContext

POD_A = ItemRef(kind=ResourceKind.POD, name="payments-api-7f8c9d6b4-w4xzs", namespace="payments")
POD_B = ItemRef(kind=ResourceKind.POD, name="cart-84c7b5d9f6-9tqkz", namespace="payments")


def _listed(context: NluContext) -> DialogueState:
    turn = respond("list failing pods in payments", new_state("c1"), context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == ListResourcesRequest(namespace="payments", status=PodStatusFilter.FAILING)
    return record_items(turn.state, [POD_A, POD_B])


def test_and_in_another_cluster_repeats_the_question_there(context: NluContext) -> None:
    turn = respond("and in staging?", _listed(context), context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == ListResourcesRequest(namespace="payments", status=PodStatusFilter.FAILING,
                                                        cluster="staging")
    assert turn.state.cluster == "staging"


def test_what_about_another_namespace(context: NluContext) -> None:
    turn = respond("what about shop", _listed(context), context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == ListResourcesRequest(namespace="shop", status=PodStatusFilter.FAILING)


def test_the_second_one_then_its_logs_then_why(context: NluContext) -> None:
    state = _listed(context)
    turn = respond("the second one", state, context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == DescribeResourceRequest(kind=ResourceKind.POD, name=POD_B.name,
                                                           namespace="payments")
    turn = respond("show its logs", turn.state, context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == PodLogsRequest(name=POD_B.name, namespace="payments")
    turn = respond("why?", turn.state, context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == DiagnoseRequest(kind=ResourceKind.POD, name=POD_B.name, namespace="payments")


def test_describe_it_uses_the_last_object(context: NluContext) -> None:
    state = respond("logs of checkout", new_state("c2"), context).state
    turn = respond("describe it", state, context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request == DescribeResourceRequest(kind=ResourceKind.DEPLOYMENT, name="checkout")


def test_restart_it_asks_to_confirm_and_yes_runs_it(context: NluContext) -> None:
    state = respond("describe deployment web in shop", new_state("c3"), context).state
    turn = respond("restart it", state, context)
    expected = RestartRequest(name="web", namespace="shop")
    assert isinstance(turn.outcome, Confirm)
    assert turn.outcome.request == expected
    assert turn.outcome.question == "This will restart deployment web in shop. Go ahead? (yes / no)"
    assert turn.state.pending is not None
    confirmed = respond("yes", turn.state, context)
    assert isinstance(confirmed.outcome, Run)
    assert confirmed.outcome.confirmed and confirmed.outcome.request == expected
    assert confirmed.state.pending is None


@pytest.mark.parametrize("reply", ["no", "cancel", "nope", "abort"])
def test_no_or_cancel_changes_nothing(reply: str, context: NluContext) -> None:
    turn = respond("scale deployment web to 3 replicas", new_state("c4"), context)
    assert isinstance(turn.outcome, Confirm)
    answer = respond(reply, turn.state, context)
    assert isinstance(answer.outcome, Cancelled)
    assert answer.outcome.request == ScaleRequest(name="web", replicas=3)
    assert answer.state.pending is None


def test_moving_on_drops_the_pending_change(context: NluContext) -> None:
    turn = respond("drain node-2", new_state("c5"), context)
    assert isinstance(turn.outcome, Confirm)
    moved = respond("list nodes", turn.state, context)
    assert isinstance(moved.outcome, Run)
    assert moved.state.pending is None
    assert "nothing was changed" in moved.notes[0]
    assert isinstance(respond("yes", moved.state, context).outcome, Ask)


def test_a_clarification_option_can_be_picked_by_number(context: NluContext) -> None:
    turn = respond("describe pod web", new_state("c6"), context)
    assert isinstance(turn.outcome, Ask)
    picked = respond("2", turn.state, context)
    assert isinstance(picked.outcome, Run)
    assert picked.outcome.request == DescribeResourceRequest(kind=ResourceKind.POD, name="web-6b8d9c7f5-lmn2p")


def test_did_you_mean_namespace_then_yes(context: NluContext) -> None:
    turn = respond("pods in paymnts", new_state("c7"), context)
    assert isinstance(turn.outcome, Ask)
    picked = respond("yes", turn.state, context)
    assert isinstance(picked.outcome, Run)
    assert picked.outcome.request == ListResourcesRequest(namespace="payments")


def test_picking_a_change_from_options_still_needs_confirmation(context: NluContext) -> None:
    turn = respond("restart deployment chekout", new_state("c8"), context)
    assert isinstance(turn.outcome, Ask)
    picked = respond("yes", turn.state, context)
    assert isinstance(picked.outcome, Confirm)
    assert picked.outcome.request == RestartRequest(name="checkout")


def test_cluster_stays_for_later_questions(context: NluContext) -> None:
    state = respond("pods on staging", new_state("c9"), context).state
    turn = respond("list deployments", state, context)
    assert isinstance(turn.outcome, Run)
    assert turn.outcome.request.cluster == "staging"


def test_follow_up_without_history_asks(context: NluContext) -> None:
    assert isinstance(respond("restart it", new_state("c10"), context).outcome, Ask)
    assert isinstance(respond("the second one", new_state("c11"), context).outcome, Ask)


def test_state_round_trips_as_json(context: NluContext) -> None:
    state = respond("restart deployment web", _listed(context), context).state
    assert DialogueState.model_validate_json(state.model_dump_json()) == state


@pytest.mark.parametrize(("text", "reply"), [
    ("yes", Reply.YES), ("Y", Reply.YES), ("go ahead!", Reply.YES), ("do it", Reply.YES), ("lgtm", Reply.YES),
    ("no", Reply.NO), ("nope.", Reply.NO), ("never mind", Reply.NO), ("cancel", Reply.CANCEL),
    ("forget it", Reply.CANCEL), ("yes but on staging", None), ("list pods", None),
])
def test_reply_parsing(text: str, reply: Reply | None) -> None:
    assert parse_reply(text) is reply


def test_hostile_input_mid_conversation(context: NluContext) -> None:
    turn = respond("scale deployment web to 3 replicas", new_state("c12"), context)
    for text in ("", "x" * 1_000_000, b"\xff\x00", "'; DROP TABLE x; --"):
        answer = respond(text, turn.state, context)
        assert isinstance(answer.outcome, Ask)
        assert answer.state.pending is None
