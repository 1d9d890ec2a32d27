"""KubeGenie's servers (the sandbox, the API and web UI) listen on loopback addresses only."""

from __future__ import annotations

import ipaddress


def check_loopback(host: str) -> None:
    """Raise ValueError, worded for a `--host` option, unless `host` is a loopback address."""
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise ValueError(f"--host must be a loopback address such as 127.0.0.1, not {host!r}") from exc
    if not address.is_loopback:
        raise ValueError(f"--host must be a loopback address such as 127.0.0.1, not {host}")
