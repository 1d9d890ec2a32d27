"""Kubernetes name rules (DNS-1123 subdomain and label, path segments) with the apiserver's messages; used by
the sandbox to validate objects and by the product to validate names taken from user text."""

from __future__ import annotations

import re

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# Resources whose names must be DNS-1123 labels rather than subdomains.
LABEL_NAMED = frozenset({"namespaces", "services"})
# Resources whose names only have to be valid path segments.
PATH_SEGMENT_NAMED = frozenset({"roles", "rolebindings", "clusterroles", "clusterrolebindings"})


def dns1123_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL.match(value):
        errors.append("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                      "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                      "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
    return errors


def dns1123_subdomain_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _SUBDOMAIN.match(value):
        errors.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                      "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                      "regex used for validation is "
                      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return errors


def path_segment_errors(value: str) -> list[str]:
    if value in (".", ".."):
        return [f'may not be \'{value}\'']
    for bad in ("/", "%"):
        if bad in value:
            return [f"may not contain '{bad}'"]
    return []


def name_errors(plural: str, value: str) -> list[str]:
    """Why `value` cannot name an object of this resource (empty when it can)."""
    if plural in PATH_SEGMENT_NAMED:
        return path_segment_errors(value)
    if plural in LABEL_NAMED:
        return dns1123_label_errors(value)
    return dns1123_subdomain_errors(value)


def unsafe_path_segment(value: str) -> bool:
    """Names that could never be valid in a URL path segment (traversal, separators, control bytes)."""
    return value in (".", "..") or "/" in value or "%" in value or any(ord(c) < 32 for c in value)
