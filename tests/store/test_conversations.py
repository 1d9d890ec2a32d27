"""Conversation history: turns in order (also when appended concurrently), dialogue state kept between turns,
listing by user, deleting."""

from __future__ import annotations

import threading

import pytest

from kubegenie.store.store import Store


def test_turns_and_state(store: Store) -> None:
    store.conversations.append("c-1", "user", "list pods in shop", user="jane")
    store.conversations.append("c-1", "assistant", "3 pods", intent="list_resources", task_id="a" * 32,
                               payload={"tables": [{"title": "Pods"}]})
    store.conversations.append("c-1", "user", "and in staging?")
    store.conversations.save_state("c-1", {"last_intent": "list_resources", "slots": {"namespace": "shop"}})
    store.conversations.append("c-2", "user", "hello", user="bob")

    turns = store.conversations.turns("c-1")
    last_two = store.conversations.turns("c-1", last=2)
    record = store.conversations.get("c-1")

    assert [(turn.seq, turn.role, turn.text) for turn in turns] == [
        (1, "user", "list pods in shop"), (2, "assistant", "3 pods"), (3, "user", "and in staging?")]
    assert turns[1].intent == "list_resources" and turns[1].task_id == "a" * 32
    assert turns[1].payload == {"tables": [{"title": "Pods"}]}
    assert [turn.seq for turn in last_two] == [2, 3]
    assert record is not None and record.user == "jane"
    assert store.conversations.state("c-1") == {"last_intent": "list_resources", "slots": {"namespace": "shop"}}
    assert store.conversations.state("nope") is None
    assert [c.id for c in store.conversations.recent(user="jane")] == ["c-1"]
    assert [c.id for c in store.conversations.recent()] == ["c-2", "c-1"]
    assert store.conversations.delete("c-1") and store.conversations.turns("c-1") == []
    assert not store.conversations.delete("c-1")


def test_a_reply_and_the_state_it_leaves_are_written_together(store: Store) -> None:
    store.conversations.append("c-3", "user", "list pods in shop")
    store.conversations.append("c-3", "assistant", "3 pods", state={"last_intent": "list_resources"})
    assert store.conversations.state("c-3") == {"last_intent": "list_resources"}
    store.conversations.append("c-3", "user", "thanks")  # a turn without a state leaves the state alone
    assert store.conversations.state("c-3") == {"last_intent": "list_resources"}
    with pytest.raises(ValueError):
        store.conversations.append("c-3", "robot", "?", state={"last_intent": "help"})
    assert store.conversations.state("c-3") == {"last_intent": "list_resources"}
    assert [turn.text for turn in store.conversations.turns("c-3")] == ["list pods in shop", "3 pods", "thanks"]


def test_concurrent_appends_get_distinct_places(store: Store) -> None:
    barrier = threading.Barrier(4)

    def talk(speaker: int) -> None:
        barrier.wait()
        for n in range(5):
            store.conversations.append("busy", "user", f"{speaker}-{n}")

    threads = [threading.Thread(target=talk, args=(speaker,)) for speaker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    turns = store.conversations.turns("busy")
    assert [turn.seq for turn in turns] == list(range(1, 21))
    assert sorted(turn.text for turn in turns) == sorted(f"{s}-{n}" for s in range(4) for n in range(5))


def test_unknown_role_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        store.conversations.append("c", "robot", "beep")
