"""Kubernetes resource quantities ("250m", "1.5Gi", "2e3"): parsing, canonical form and formatting.

Follows k8s.io/apimachinery/pkg/api/resource: a quantity is a decimal number with an optional binary-SI
(Ki, Mi, ...), decimal-SI (m, k, M, ...) or decimal-exponent (e3) suffix; the canonical form keeps the
suffix family the value was written in and picks the largest unit that keeps the number an integer.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
            "P": Decimal("1e15"), "E": Decimal("1e18")}
_PATTERN = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


def parse(value: str | int | float) -> Decimal:
    """The quantity's value in base units (cores, bytes); raises QuantityError when malformed."""
    if isinstance(value, bool):
        raise QuantityError(f"quantities must match the regular expression, got {value!r}")
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _PATTERN.match(value.strip())
    if not match or not value.strip():
        raise QuantityError(
            f"quantities must match the regular expression "
            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', got {value!r}"
        )
    number, suffix = match.group(1), match.group(2) or ""
    try:
        amount = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regular expression admits only numbers
        raise QuantityError(f"not a number: {value!r}") from exc
    if suffix in _BINARY:
        return amount * _BINARY[suffix]
    if suffix in _DECIMAL:
        return amount * _DECIMAL[suffix]
    return amount * Decimal(10) ** int(suffix[1:])


def _suffix_family(value: str | int | float) -> str:
    if isinstance(value, str):
        match = _PATTERN.match(value.strip())
        if match and match.group(2):
            suffix = match.group(2)
            if suffix in _BINARY:
                return "binary"
            if suffix[0] in "eE":
                return "exponent"
    return "decimal"


def canonical(value: str | int | float) -> str:
    """The string the API server stores for this quantity, e.g. 0.5 -> "500m", "1024Mi" -> "1Gi"."""
    amount = parse(value)
    family = _suffix_family(value)
    if family == "binary" and amount == amount.to_integral_value() and amount >= 1024:
        whole = int(amount)
        for suffix, size in sorted(_BINARY.items(), key=lambda item: -item[1]):
            if whole % size == 0:
                return f"{whole // size}{suffix}"
        return str(whole)
    # Decimal SI: at most nano precision, rounded up as the API server does.
    nanos = (amount * Decimal("1e9")).to_integral_value(rounding=ROUND_CEILING)
    if nanos == 0:
        return "0"
    for suffix, scale in (("E", 18), ("P", 15), ("T", 12), ("G", 9), ("M", 6), ("k", 3), ("", 0),
                          ("m", -3), ("u", -6), ("n", -9)):
        divisor = 10 ** (scale + 9)
        if nanos % divisor == 0:
            number = int(nanos // divisor)
            if family == "exponent" and suffix not in ("", "m", "u", "n"):
                return f"{number}e{scale}"
            return f"{number}{suffix}"
    return str(nanos) + "n"  # pragma: no cover - the loop always ends at nano


def cpu_millicores(value: str | int | float) -> int:
    """CPU in millicores, rounded up (1 -> 1000, "250m" -> 250)."""
    if isinstance(value, str):
        return _cpu_millicores_text(value)
    return int((parse(value) * 1000).to_integral_value(rounding=ROUND_CEILING))


def memory_bytes(value: str | int | float) -> int:
    """Memory (or storage) in bytes, rounded up."""
    if isinstance(value, str):
        return _memory_bytes_text(value)
    return int(parse(value).to_integral_value(rounding=ROUND_CEILING))


# Clusters repeat a handful of quantity strings ("100m", "128Mi") across thousands of containers.
@functools.lru_cache(maxsize=4096)
def _cpu_millicores_text(value: str) -> int:
    return int((parse(value) * 1000).to_integral_value(rounding=ROUND_CEILING))


@functools.lru_cache(maxsize=4096)
def _memory_bytes_text(value: str) -> int:
    return int(parse(value).to_integral_value(rounding=ROUND_CEILING))
