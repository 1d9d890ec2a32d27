"""POST /api/v1/chat answers from the live cluster, follow-ups keep the conversation, and the stream sends
accepted, progress and answer in that order."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.conftest import Shop, problem_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


def events_of(text: str) -> list[tuple[str, dict[str, object], str]]:
    """(event, data, id) of each Server-Sent Event; comments are skipped."""
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            found.append((fields["event"], json.loads(fields["data"]), fields["id"]))
    return found


async def test_chat_answers_with_the_pods_of_the_namespace(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.post("/api/v1/chat", json={"message": f"list pods in {shop.namespace}"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["intent"] == "list_resources" and answer["agent"] == "inventory"
    assert answer["cluster"] == shop.cluster
    assert f"**2 pods** in namespace {shop.namespace}" in answer["text"]
    table = answer["tables"][0]
    rows = {row[table["columns"].index("Name")]: row for row in table["rows"]}
    assert set(rows) == {shop.failing, shop.healthy}
    assert rows[shop.failing][table["columns"].index("Status")] == "CrashLoopBackOff"
    assert rows[shop.healthy][table["columns"].index("Ready")] == "1/1"
    assert answer["task_id"] and answer["took_ms"] > 0 and answer["clarification"] is None


async def test_failing_pods_only_names_the_crashing_one(client: httpx.AsyncClient, shop: Shop) -> None:
    question = f"which pods are failing in {shop.namespace}?"
    answer = (await client.post("/api/v1/chat", json={"message": question})).json()
    assert "**1 failing pod**" in answer["text"]
    names = [row[answer["tables"][0]["columns"].index("Name")] for row in answer["tables"][0]["rows"]]
    assert names == [shop.failing]


async def test_follow_ups_reuse_the_conversation(client: httpx.AsyncClient, shop: Shop) -> None:
    first = (await client.post("/api/v1/chat", json={"message": f"which pods are failing in {shop.namespace}?"})).json()
    conversation = first["conversation_id"]
    second = await client.post("/api/v1/chat", json={"message": "the first one", "conversation_id": conversation})
    assert second.status_code == 200, second.text
    described = second.json()
    assert described["conversation_id"] == conversation and described["intent"] == "describe_resource"
    assert shop.failing in described["text"] and "CrashLoopBackOff" in described["text"]
    # The same pod, looked for in another namespace: the follow-up keeps the object and says it is not there.
    third = await client.post("/api/v1/chat", json={"message": "and in default?", "conversation_id": conversation})
    missing = problem_of(third, 404, "not_found")
    assert missing["detail"] == f"No pod '{shop.failing}' in namespace default on {shop.cluster}."
    history = await client.get(f"/api/v1/conversations/{conversation}")
    assert history.status_code == 200
    turns = history.json()["turns"]
    assert [t["role"] for t in turns[:4]] == ["user", "assistant"] * 2
    assert turns[2]["text"] == "the first one" and turns[3]["intent"] == "describe_resource"
    assert turns[-1]["text"] == "and in default?"


async def test_an_unknown_conversation_is_a_404_problem(client: httpx.AsyncClient) -> None:
    problem_of(await client.get("/api/v1/conversations/never-started"), 404, "not_found")


async def test_stream_sends_accepted_progress_answer_in_order(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.post("/api/v1/chat/stream", json={"message": f"list pods in {shop.namespace}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response.text)
    names = [name for name, _, _ in events]
    assert names[0] == "accepted" and names[-1] == "answer"
    assert set(names[1:-1]) == {"progress"} and len(names) >= 3
    assert [int(index) for _, _, index in events] == sorted(int(index) for _, _, index in events)
    accepted, answer = events[0][1], events[-1][1]
    assert answer["conversation_id"] == accepted["conversation_id"]
    last_progress = events[-2][1]
    assert last_progress["task_id"] == answer["task_id"] and last_progress["state"] == "succeeded"
    assert last_progress["agent"] == "inventory"
    assert shop.failing in json.dumps(answer["tables"])


async def test_accept_event_stream_on_chat_streams_too(client: httpx.AsyncClient, shop: Shop) -> None:
    response = await client.post("/api/v1/chat", json={"message": f"how many pods run in {shop.namespace}?"},
                                  headers={"Accept": "text/event-stream"})
    events = events_of(response.text)
    assert events[0][0] == "accepted" and events[-1][0] == "answer"
    assert events[-1][1]["intent"] == "count_resources" and "2" in str(events[-1][1]["text"])


async def test_stream_reports_refused_input_as_an_error_event(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/chat/stream", json={"message": "   "})
    events = events_of(response.text)
    assert [name for name, _, _ in events] == ["accepted", "error"]
    error = events[-1][1]
    assert error["code"] == "empty_message" and error["status"] == 422 and error["remediation"]


async def test_stream_reports_an_unknown_cluster_as_an_error_event(client: httpx.AsyncClient) -> None:
    events = events_of((await client.post("/api/v1/chat/stream", json={"message": "list pods",
                                                                          "cluster": "nowhere"})).text)
    assert events[-1][0] == "error" and events[-1][1]["code"] == "invalid_input"
    assert "nowhere" in str(events[-1][1]["detail"])
