"""Alembic migrations of the KubeGenie store, shipped inside the package and run by `Database.migrate()`."""
