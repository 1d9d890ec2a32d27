"""Persistence: tasks, results, conversation history and scan results in SQLite or PostgreSQL (SQLAlchemy 2,
Alembic migrations). Knows nothing of agents or queues; it keeps records and enforces the task lifecycle."""
