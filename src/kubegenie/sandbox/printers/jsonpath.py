"""The JSONPath dialect of k8s.io/client-go/util/jsonpath, as CRD additionalPrinterColumns use it: fields
(with `\\.` escapes), `..` recursive descent, `*`, `[n]`, `[start:end:step]`, unions, quoted keys and
`[?(@.path <op> literal)]` filters. Missing keys yield no result instead of an error.

Only evaluation lives here; how results become table cells is the printer's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Step = Callable[[Any], Iterator[Any]]


class JSONPathError(ValueError):
    """The expression cannot be parsed."""


@dataclass(frozen=True)
class JSONPath:
    """A parsed expression; `find` returns every match in document order."""

    text: str
    steps: tuple[Step, ...]

    def find(self, data: Any) -> list[Any]:
        current = [data]
        for step in self.steps:
            current = [found for value in current for found in step(value)]
        return current


def parse(text: str) -> JSONPath:
    """Parse `.a.b[0]` or `{.a.b[0]}`; a leading `$` is allowed."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    if body.startswith("$"):
        body = body[1:]
    steps: list[Step] = []
    position = 0
    while position < len(body):
        char = body[position]
        if body.startswith("..", position):
            steps.append(_descendants)
            position += 2
            if position < len(body) and body[position] not in ".[":
                name, position = _read_name(body, position)
                steps.append(_field(name))
        elif char == ".":
            name, position = _read_name(body, position + 1)
            if name:
                steps.append(_field(name))
        elif char == "[":
            end = _closing_bracket(body, position)
            steps.append(_bracket(body[position + 1:end].strip()))
            position = end + 1
        elif char.isspace():
            position += 1
        else:
            name, position = _read_name(body, position)
            if not name:
                raise JSONPathError(f"unrecognized character in action: {char!r}")
            steps.append(_field(name))
    return JSONPath(text, tuple(steps))


def _read_name(body: str, position: int) -> tuple[str, int]:
    name: list[str] = []
    while position < len(body):
        char = body[position]
        if char == "\\" and position + 1 < len(body):
            name.append(body[position + 1])
            position += 2
            continue
        if char in ".[ }":
            break
        name.append(char)
        position += 1
    return "".join(name), position


def _closing_bracket(body: str, start: int) -> int:
    depth = 0
    quote = ""
    for index in range(start, len(body)):
        char = body[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth == 0 and char == "]":
                return index
    raise JSONPathError(f"unclosed array expect ] in {body!r}")


def _field(name: str) -> Step:
    if name == "*":
        return _wildcard

    def step(value: Any) -> Iterator[Any]:
        if isinstance(value, dict) and name in value:
            yield value[name]

    return step


def _wildcard(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        yield from (value[key] for key in sorted(value))
    elif isinstance(value, list):
        yield from value


def _descendants(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        yield from _descendants(child)


_SLICE = re.compile(r"^(-?\d*)\s*:\s*(-?\d*)\s*(?::\s*(-?\d*))?$")


def _bracket(inner: str) -> Step:
    if inner.startswith("?"):
        return _filter(inner[1:].strip())
    if inner == "*":
        return _wildcard
    parts = _split_union(inner)
    if len(parts) > 1:
        selectors = [_bracket(part) for part in parts]
        return lambda value: (found for selector in selectors for found in selector(value))
    if inner[:1] in "'\"" and inner[-1:] == inner[:1]:
        return _field(inner[1:-1])
    sliced = _SLICE.match(inner)
    if sliced:
        start, stop, step_text = (int(part) if part else None for part in sliced.groups())

        def slice_step(value: Any) -> Iterator[Any]:
            if isinstance(value, list):
                yield from value[start:stop:step_text]

        return slice_step
    try:
        index = int(inner)
    except ValueError as exc:
        raise JSONPathError(f"invalid array index {inner!r}") from exc

    def index_step(value: Any) -> Iterator[Any]:
        if isinstance(value, list) and -len(value) <= index < len(value):
            yield value[index]

    return index_step


def _split_union(inner: str) -> list[str]:
    parts, current, quote = [], [], ""
    for char in inner:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == ",":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


_COMPARISON = re.compile(r"^(.+?)\s*(==|!=|<=|>=|<|>)\s*(.+)$")


def _filter(expression: str) -> Step:
    if not (expression.startswith("(") and expression.endswith(")")):
        raise JSONPathError(f"unclosed filter {expression!r}")
    expression = expression[1:-1].strip()
    match = _COMPARISON.match(expression)
    if match is None:
        left = _operand(expression)
        return _select(lambda item: bool(left(item)))
    left, operator, right = _operand(match.group(1)), match.group(2), _operand(match.group(3))

    def test(item: Any) -> bool:
        lhs, rhs = left(item), right(item)
        if not lhs or not rhs:
            return False
        return _compare(lhs[0], operator, rhs[0])

    return _select(test)


def _select(test: Callable[[Any], bool]) -> Step:
    def step(value: Any) -> Iterator[Any]:
        items = value if isinstance(value, list) else value.values() if isinstance(value, dict) else ()
        yield from (item for item in items if test(item))

    return step


def _operand(text: str) -> Callable[[Any], list[Any]]:
    text = text.strip()
    if text.startswith("@"):
        path = parse(text[1:])
        return path.find
    if text[:1] in "'\"" and text[-1:] == text[:1]:
        literal: Any = text[1:-1]
    elif text in ("true", "false"):
        literal = text == "true"
    else:
        try:
            literal = int(text)
        except ValueError:
            try:
                literal = float(text)
            except ValueError as exc:
                raise JSONPathError(f"unrecognized filter operand {text!r}") from exc
    return lambda _: [literal]


def _compare(left: Any, operator: str, right: Any) -> bool:
    if operator == "==":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    numeric = (int, float)
    if isinstance(left, numeric) and isinstance(right, numeric) and not isinstance(left, bool):
        return bool({"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[operator])
    return False
