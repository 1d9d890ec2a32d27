"""Container images as a node's runtime sees them: the normalised reference (`nginx` ->
`docker.io/library/nginx:latest`), a stable digest and size per image, how long a pull takes, and why a pull
fails (a registry host ending in `.invalid`, or the tag `does-not-exist`), with containerd's error texts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kubegenie.sandbox.sim.usage import unit

MISSING_TAG = "does-not-exist"
DEAD_HOST_SUFFIX = ".invalid"
PULL_BANDWIDTH = 40e6
"""Bytes per second of a simulated registry pull."""


@dataclass(frozen=True)
class ImageRef:
    registry: str
    repository: str
    tag: str
    digest: str

    @property
    def name(self) -> str:
        """`registry/repository:tag` (or `@digest`), as container statuses report the image."""
        base = f"{self.registry}/{self.repository}"
        return f"{base}@{self.digest}" if self.digest and not self.tag else f"{base}:{self.tag}"

    @property
    def image_id(self) -> str:
        """`registry/repository@sha256:...`, the imageID of a running container."""
        digest = self.digest or "sha256:" + hashlib.sha256(self.name.encode()).hexdigest()
        return f"{self.registry}/{self.repository}@{digest}"


def parse(image: str) -> ImageRef:
    """Normalise an image reference the way containerd does."""
    rest, _, digest = image.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
        if "/" not in path:
            path = "library/" + path
    last = path.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        path, _, tag = path.rpartition(":")
    elif not digest:
        tag = "latest"
    return ImageRef(registry, path, tag, digest)


def size_bytes(image: str) -> int:
    """A plausible, stable compressed size for an image (2 MB to 400 MB)."""
    return int(2_000_000 + unit("image-size", parse(image).name) * 398_000_000)


def pull_seconds(image: str) -> float:
    return 0.25 + size_bytes(image) / PULL_BANDWIDTH


def pull_error(image: str) -> str | None:
    """containerd's error for a pull that cannot succeed, or None when the image exists."""
    ref = parse(image)
    full = ref.name
    if ref.registry.split(":")[0].endswith(DEAD_HOST_SUFFIX):
        host = ref.registry
        return (f'failed to pull and unpack image "{full}": failed to resolve reference "{full}": failed to do '
                f'request: Head "https://{host}/v2/{ref.repository}/manifests/{ref.tag or ref.digest}": dial tcp: '
                f"lookup {host.split(':')[0]}: no such host")
    if ref.tag == MISSING_TAG:
        return f'failed to pull and unpack image "{full}": failed to resolve reference "{full}": {full}: not found'
    return None


def go_duration_ms(value: float) -> str:
    """A pull duration as the kubelet prints it: Go's Duration truncated to milliseconds ("891ms", "1.01s")."""
    millis = int(value * 1000)
    if millis < 1000:
        return f"{millis}ms"
    minutes, millis = divmod(millis, 60_000)
    secs = f"{millis / 1000:.3f}".rstrip("0").rstrip(".")
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"
