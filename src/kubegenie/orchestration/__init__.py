"""Orchestration: turns typed requests into tasks, queues them (in-process asyncio or Celery), runs them on
agents with timeouts, limits, retries and cancellation, fans one request out to several agents, and runs
periodic scans. The only package that knows queues; agents know nothing of it."""
