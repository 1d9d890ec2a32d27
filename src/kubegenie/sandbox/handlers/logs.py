"""pods/log: container logs as text/plain, with the apiserver's option checks, the kubelet's choice of
container instance and its errors, tailLines/sinceSeconds/sinceTime/timestamps/limitBytes, and `follow`
streams that end when the container stops running or the pod goes away. Lines come from `cluster.logs`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from kubegenie.domain.durations import parse_rfc3339
from kubegenie.sandbox import handlers, status
from kubegenie.sandbox.logsource import LogKey, LogLine, container_status, current_instance, instance_start
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.selectors import parse_field_selector
from kubegenie.sandbox.store import Obj

CONTENT_TYPE = "text/plain"
LIVENESS_CHECK = 1.0  # seconds between checks that a follower is still connected
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"", "0", "f", "F", "FALSE", "false", "False"})


@dataclass(frozen=True)
class LogOptions:
    container: str
    follow: bool
    previous: bool
    timestamps: bool
    tail_lines: int | None
    since: float | None
    """Seconds since the epoch; lines before it are left out."""
    limit_bytes: int | None


def _bool(query: Any, name: str) -> bool:
    value = query.get(name, "")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise status.bad_request(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def _int(query: Any, name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value, 10)
    except ValueError as exc:
        raise status.bad_request(f'strconv.ParseInt: parsing "{value}": invalid syntax') from exc


def _invalid(name: str, causes: list[tuple[str, str, str]]) -> status.ApiError:
    """422 for PodLogOptions, as ValidatePodLogOptions reports it."""
    parts = [f"{field}: {message}" if field else message for _, field, message in causes]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = {"name": name, "kind": "PodLogOptions",
               "causes": [{"reason": reason, "message": message, "field": field} for reason, field, message in causes]}
    return status.ApiError(422, "Invalid", f'PodLogOptions "{name}" is invalid: {summary}', details)


def parse_options(query: Any, name: str, now: float) -> LogOptions:
    tail, limit, since_seconds = _int(query, "tailLines"), _int(query, "limitBytes"), _int(query, "sinceSeconds")
    since_time: float | None = None
    raw_time = query.get("sinceTime")
    if raw_time:
        try:
            since_time = parse_rfc3339(raw_time).timestamp()
        except ValueError as exc:
            raise status.bad_request(f'parsing time "{raw_time}" as "2006-01-02T15:04:05Z07:00": cannot parse '
                                     f'"{raw_time}" as "2006"') from exc
    causes: list[tuple[str, str, str]] = []
    if tail is not None and tail < 0:
        causes.append(("FieldValueInvalid", "tailLines", f"Invalid value: {tail}: must be greater than or equal to 0"))
    if limit is not None and limit < 1:
        causes.append(("FieldValueInvalid", "limitBytes", f"Invalid value: {limit}: must be greater than 0"))
    if since_seconds is not None and since_time is not None:
        causes.append(("FieldValueForbidden", "", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be "
                                                  "specified"))
    elif since_seconds is not None and since_seconds < 1:
        causes.append(("FieldValueInvalid", "sinceSeconds", f"Invalid value: {since_seconds}: must be greater "
                                                            f"than 0"))
    if causes:
        raise _invalid(name, causes)
    since = now - since_seconds if since_seconds is not None else since_time
    return LogOptions(query.get("container", ""), _bool(query, "follow"), _bool(query, "previous"),
                      _bool(query, "timestamps"), tail, since, limit)


def _names(pod: Obj, section: str) -> list[str]:
    return [str(c.get("name")) for c in (pod.get("spec") or {}).get(section) or [] if isinstance(c, dict)]


def choose_container(pod: Obj, requested: str) -> str:
    """The container to read, as the apiserver's LogLocation picks and checks it."""
    name = pod["metadata"]["name"]
    containers = _names(pod, "containers")
    if requested:
        if requested not in containers + _names(pod, "initContainers") + _names(pod, "ephemeralContainers"):
            raise status.bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    if len(containers) == 1:
        return containers[0]
    if not containers:
        raise status.bad_request(f"a container name must be specified for pod {name}")
    message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
    init = _names(pod, "initContainers")
    if init:
        message += f" or one of the init containers: [{' '.join(init)}]"
    raise status.bad_request(message)


def select_instance(pod: Obj, container: str, previous: bool) -> tuple[int, bool]:
    """(instance to read, whether it is running now), with the kubelet's errors when there is none."""
    pod_name = pod["metadata"]["name"]
    found = container_status(pod, container)
    current = current_instance(pod, container)
    if found is None:
        phase = (pod.get("status") or {}).get("phase")
        if previous:
            raise status.bad_request(f'previous terminated container "{container}" in pod "{pod_name}" not found')
        if phase in ("Running", "Succeeded", "Failed"):
            return current, phase == "Running"
        reason = "PodInitializing" if container in _names(pod, "containers") and _names(pod, "initContainers") \
            else "ContainerCreating"
        raise status.bad_request(f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}')
    state = found.get("state") or {}
    last = (found.get("lastState") or {}).get("terminated")
    if previous:
        if not last:
            raise status.bad_request(f'previous terminated container "{container}" in pod "{pod_name}" not found')
        return max(current - 1, 0), False
    if state.get("running") is not None:
        return current, True
    if state.get("terminated") is not None:
        return current, False
    if last:
        return max(current - 1, 0), False
    waiting = state.get("waiting")
    if waiting is not None:
        reason = str(waiting.get("reason") or "")
        why = {"ErrImagePull": "image can't be pulled",
               "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
        raise status.bad_request(f'container "{container}" in pod "{pod_name}" is waiting to start: {why}')
    raise status.bad_request(f'container "{container}" in pod "{pod_name}" is waiting to start - no logs yet')


def format_time(moment: float) -> str:
    """RFC 3339 with nanoseconds always written out, as the kubelet prefixes lines. Float seconds carry
    about a microsecond of precision, so finer digits would be noise."""
    nanos = round(moment * 1_000_000) * 1000
    seconds, fraction = divmod(nanos, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:09d}Z"


def render(line: LogLine, timestamps: bool) -> bytes:
    text = f"{format_time(line.time)} {line.text}\n" if timestamps else f"{line.text}\n"
    return text.encode()


def select_lines(lines: list[LogLine], options: LogOptions) -> list[LogLine]:
    """The kubelet's order: the last `tailLines` of the file, then what is not older than `since`."""
    if options.tail_lines is not None:
        lines = lines[len(lines) - options.tail_lines:] if options.tail_lines else []
    if options.since is not None:
        since = options.since
        lines = [line for line in lines if line.time >= since]
    return lines


class _Budget:
    """limitBytes: output stops after that many bytes, even in the middle of a line."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self, data: bytes) -> bytes:
        if self.left is None:
            return data
        data = data[: self.left]
        self.left -= len(data)
        return data

    @property
    def spent(self) -> bool:
        return self.left is not None and self.left <= 0


@handlers.subresource("pods", "log")
async def pod_log(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    assert path.name is not None
    pod = req.cluster.objects.get(path.rtype, req.namespace, path.name)
    options = parse_options(req.query, path.name, req.cluster.clock.time())
    container = choose_container(pod, options.container)
    if not (pod.get("spec") or {}).get("nodeName"):
        # An unscheduled pod has no kubelet to ask: the apiserver answers with an empty stream.
        return web.Response(body=b"", headers={"Content-Type": CONTENT_TYPE})
    instance, running = select_instance(pod, container, options.previous)
    key = LogKey(pod["metadata"]["uid"], container, instance)
    source = req.cluster.logs
    budget = _Budget(options.limit_bytes)
    if not (options.follow and running):
        lines = select_lines(list(source.read(pod, key, instance_start(pod, container, instance))), options)
        body = budget.take(b"".join(render(line, options.timestamps) for line in lines))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
    return await _follow(req, pod, key, options, budget)


async def _follow(req: ApiRequest, pod: Obj, key: LogKey, options: LogOptions, budget: _Budget) -> web.StreamResponse:
    cluster = req.cluster
    source = cluster.logs
    queue = source.subscribe(key)
    watcher = cluster.store.watch("pods", pod["metadata"].get("namespace", ""), None,
                                  parse_field_selector(f"metadata.name={pod['metadata']['name']}", "pods"),
                                  cluster.store.resource_version)
    lines = select_lines(list(source.read(pod, key, instance_start(pod, key.container, key.instance))), options)
    forward = asyncio.get_running_loop().create_task(_forward_pod_changes(watcher.queue, queue))
    response = web.StreamResponse(status=200, headers={"Content-Type": CONTENT_TYPE})
    response.enable_chunked_encoding()
    try:
        await response.prepare(req.http)
        for line in lines:
            await response.write(budget.take(render(line, options.timestamps)))
            if budget.spent:
                return response
        while not budget.spent:
            try:
                item = await asyncio.wait_for(queue.get(), LIVENESS_CHECK)
            except TimeoutError:
                if req.http.transport is None or req.http.transport.is_closing():
                    break
                continue
            if item is not None:
                if options.since is None or item.time >= options.since:
                    await response.write(budget.take(render(item, options.timestamps)))
                continue
            if forward.done() or not _still_running(
                    cluster.store.get("pods", pod["metadata"].get("namespace", ""), pod["metadata"]["name"]), key):
                while not queue.empty() and not budget.spent:
                    late = queue.get_nowait()
                    if late is not None:
                        await response.write(budget.take(render(late, options.timestamps)))
                break
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        forward.cancel()
        source.unsubscribe(key, queue)
        cluster.store.unwatch(watcher)
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


async def _forward_pod_changes(changes: asyncio.Queue[Any], wakeups: asyncio.Queue[LogLine | None]) -> None:
    """Every change of the followed pod wakes the follower up to look at it; the store closing the watch
    (the server stopping) ends the task, and with it the stream."""
    while True:
        change = await changes.get()
        wakeups.put_nowait(None)
        if change is None:
            return


def _still_running(pod: Obj | None, key: LogKey) -> bool:
    if pod is None or pod["metadata"].get("uid") != key.uid:
        return False
    if current_instance(pod, key.container) != key.instance:
        return False
    found = container_status(pod, key.container)
    if found is None:
        return (pod.get("status") or {}).get("phase") == "Running"
    return (found.get("state") or {}).get("running") is not None
