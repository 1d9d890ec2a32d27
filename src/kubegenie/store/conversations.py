"""Conversation history: the turns of each conversation in order, and the dialogue state the conversation
layer keeps between turns (last intent and slots, a pending confirmation). The store only keeps them; what
the state means is the conversation layer's business.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select

from kubegenie.store.database import Database
from kubegenie.store.models import CONVERSATIONS, TURNS
from kubegenie.store.records import ConversationRecord, JsonObject, TurnRecord
from kubegenie.store.tasks import Clock, utcnow

ROLES = frozenset({"user", "assistant", "system"})


class ConversationRepository:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    def append(self, conversation_id: str, role: str, text: str, *, user: str | None = None,
               intent: str | None = None, payload: JsonObject | None = None,
               task_id: str | None = None, state: JsonObject | None = None) -> TurnRecord:
        """Add a turn at the end of a conversation, creating the conversation on its first turn; `state`, when
        given, becomes the conversation's dialogue state in the same transaction (a reply and the state it
        leaves are kept together or not at all)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {role!r}")
        now = self._clock()
        with self._db.begin() as conn:
            # Touching the conversation row first locks it (PostgreSQL), so concurrent appends take turns.
            self._touch(conn, conversation_id, user, now, state)
            seq = conn.execute(select(func.coalesce(func.max(TURNS.c.seq), 0))
                               .where(TURNS.c.conversation_id == conversation_id)).scalar_one() + 1
            conn.execute(TURNS.insert(), [{
                "conversation_id": conversation_id, "seq": seq, "role": role, "text": text, "intent": intent,
                "payload": payload, "task_id": task_id, "created_at": now,
            }])
        return TurnRecord(conversation_id=conversation_id, seq=seq, role=role, text=text, intent=intent,
                          payload=payload, task_id=task_id, created_at=now)

    def turns(self, conversation_id: str, *, last: int | None = None) -> list[TurnRecord]:
        """The turns in order; `last` keeps only the most recent ones."""
        statement = select(TURNS).where(TURNS.c.conversation_id == conversation_id).order_by(TURNS.c.seq.desc())
        if last is not None:
            statement = statement.limit(last)
        with self._db.read() as conn:
            rows = list(conn.execute(statement))
        return [_turn(row) for row in reversed(rows)]

    def get(self, conversation_id: str) -> ConversationRecord | None:
        with self._db.read() as conn:
            row = conn.execute(select(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation_id)).first()
        return _conversation(row) if row is not None else None

    def state(self, conversation_id: str) -> JsonObject | None:
        record = self.get(conversation_id)
        return record.state if record is not None else None

    def save_state(self, conversation_id: str, state: JsonObject, *, user: str | None = None) -> None:
        now = self._clock()
        with self._db.begin() as conn:
            self._touch(conn, conversation_id, user, now, state)

    def recent(self, *, user: str | None = None, limit: int = 50) -> list[ConversationRecord]:
        """Most recently active first."""
        statement = select(CONVERSATIONS).order_by(CONVERSATIONS.c.updated_at.desc()).limit(limit)
        if user is not None:
            statement = statement.where(CONVERSATIONS.c.user == user)
        with self._db.read() as conn:
            return [_conversation(row) for row in conn.execute(statement)]

    def delete(self, conversation_id: str) -> bool:
        with self._db.begin() as conn:
            conn.execute(TURNS.delete().where(TURNS.c.conversation_id == conversation_id))
            return conn.execute(CONVERSATIONS.delete().where(CONVERSATIONS.c.id == conversation_id)).rowcount == 1

    def _touch(self, conn: Any, conversation_id: str, user: str | None, now: datetime,
               state: JsonObject | None = None) -> None:
        """Create the conversation row or mark it active (and set its state, when given), in one statement."""
        insert = self._db.insert(CONVERSATIONS).values(id=conversation_id, user=user, state=state, created_at=now,
                                                       updated_at=now)
        changes: dict[str, Any] = {"updated_at": now} if state is None else {"updated_at": now, "state": state}
        conn.execute(insert.on_conflict_do_update(index_elements=["id"], set_=changes))


def _turn(row: Row[Any]) -> TurnRecord:
    return TurnRecord(conversation_id=row.conversation_id, seq=row.seq, role=row.role, text=row.text,
                      intent=row.intent, payload=row.payload, task_id=row.task_id, created_at=row.created_at)


def _conversation(row: Row[Any]) -> ConversationRecord:
    return ConversationRecord(id=row.id, user=row.user, state=row.state, created_at=row.created_at,
                              updated_at=row.updated_at)
