"""Initial schema: tasks, results, conversations, turns and scan runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=True),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(128), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("cluster", sa.String(253), nullable=True),
        sa.Column("requested_by", sa.String(253), nullable=True),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        _when("deadline"),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("remediation", sa.Text(), nullable=True),
        _when("created_at", nullable=False),
        _when("started_at"),
        _when("finished_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_parent_id"), "tasks", ["parent_id"])
    op.create_index(op.f("ix_tasks_state"), "tasks", ["state"])
    op.create_index(op.f("ix_tasks_conversation_id"), "tasks", ["conversation_id"])
    op.create_index(op.f("ix_tasks_created_at"), "tasks", ["created_at"])
    op.create_index("ix_tasks_agent_state", "tasks", ["agent", "state"])

    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(255), nullable=True),
        _when("recorded_at", nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_results_task_id_tasks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
        sa.UniqueConstraint("task_id", name=op.f("uq_results_task_id")),
    )

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user", sa.String(253), nullable=True),
        sa.Column("state", sa.JSON(), nullable=True),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index(op.f("ix_conversations_user"), "conversations", ["user"])

    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("task_id", sa.String(32), nullable=True),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_turns_conversation_id_conversations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turns")),
        sa.UniqueConstraint("conversation_id", "seq", name=op.f("uq_turns_conversation_id")),
    )

    op.create_table(
        "scan_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan", sa.String(64), nullable=False),
        sa.Column("cluster", sa.String(253), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        _when("started_at", nullable=False),
        _when("finished_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_runs")),
        sa.UniqueConstraint("scan", "cluster", "slot", name=op.f("uq_scan_runs_scan")),
    )
    op.create_index("ix_scan_runs_scan_cluster_started", "scan_runs", ["scan", "cluster", "started_at"])


def downgrade() -> None:
    op.drop_table("scan_runs")
    op.drop_table("turns")
    op.drop_index(op.f("ix_conversations_user"), table_name="conversations")
    op.drop_table("conversations")
    op.drop_table("results")
    op.drop_table("tasks")
