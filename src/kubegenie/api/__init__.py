"""The REST API (FastAPI): `create_app(settings or assistant)`. The only package that imports fastapi."""

from kubegenie.api.app import create_app

__all__ = ["create_app"]
