"""The relational schema of KubeGenie: tasks, their results, conversations with their turns, and scan runs.

SQLAlchemy 2 declarative models, portable between SQLite and PostgreSQL. Alembic migrations under
`migrations/` create exactly this schema (a test compares the two); change both together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    intent: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[int] = mapped_column(SmallInteger)
    backend: Mapped[str] = mapped_column(String(32))
    request: Mapped[dict[str, Any]]
    cluster: Mapped[str | None] = mapped_column(String(253))
    requested_by: Mapped[str | None] = mapped_column(String(253))
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    timeout_seconds: Mapped[float] = mapped_column(Float)
    deadline: Mapped[datetime | None]
    read_only: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str | None] = mapped_column(String(255))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    remediation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_tasks_agent_state", "agent", "state"),)


class ResultRow(Base):
    """At most one per task: the unique task_id is what makes recording a redelivered task idempotent."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    attempt: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime]


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str | None] = mapped_column(String(253), index=True)
    state: Mapped[dict[str, Any] | None]
    """Dialogue state the conversation layer keeps between turns (last intent, slots, pending confirmation)."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TurnRow(Base):
    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None]
    task_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)


class ScanRunRow(Base):
    """One periodic scan in one time slot of one cluster; the unique key stops two schedulers running it twice."""

    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan: Mapped[str] = mapped_column(String(64))
    cluster: Mapped[str] = mapped_column(String(253))
    """Empty for the default cluster: NULLs would never collide in the unique key."""
    slot: Mapped[int] = mapped_column(BigInteger)
    task_id: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("scan", "cluster", "slot"),
        Index("ix_scan_runs_scan_cluster_started", "scan", "cluster", "started_at"),
    )


# Core handles on the tables: repositories use SQL expressions, not ORM sessions (fewer round trips).
TASKS = Base.metadata.tables["tasks"]
RESULTS = Base.metadata.tables["results"]
CONVERSATIONS = Base.metadata.tables["conversations"]
TURNS = Base.metadata.tables["turns"]
SCAN_RUNS = Base.metadata.tables["scan_runs"]
