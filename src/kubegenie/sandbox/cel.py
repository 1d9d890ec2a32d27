"""A CEL interpreter for the `x-kubernetes-validations` rules of CRDs: the expression language (literals,
field selection, indexing, arithmetic, comparison, `in`, `&&`/`||` with error absorption, `?:`) and the
macros (has, all, exists, exists_one, map, filter); the functions live in `celfunctions.py`.

Anything it cannot parse or evaluate raises `CELError`; callers decide what an error means.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubegenie.sandbox import celfunctions as functions
from kubegenie.sandbox.celfunctions import CELError, Duration

__all__ = ["CELError", "Duration", "Program", "compile_rule"]

# --- lexer -------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>0x[0-9a-fA-F]+u?|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+u?)
  | (?P<string>[rRbB]{0,2}(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:.,()\[\]{}])
""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise CELError(f"Syntax error: token recognition error at: '{text[position]}'")
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            found.append((kind, match.group()))
    found.append(("end", ""))
    return found


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f",
            "v": "\v", "`": "`", "?": "?"}


def _string_literal(token: str) -> str | bytes:
    prefix = ""
    while token[0] in "rRbB":
        prefix += token[0].lower()
        token = token[1:]
    quote = token[:3] if token[:3] in ("'''", '"""') else token[0]
    body = token[len(quote):-len(quote)]
    if "r" not in prefix:
        body = re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{3}|.)", _unescape, body)
    return body.encode() if "b" in prefix else body


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in "ux":
        return chr(int(code[1:], 16))
    if code.isdigit():
        return chr(int(code, 8))
    return _ESCAPES.get(code, code)


# --- parser (to closures) ----------------------------------------------------------------------------------

Env = dict[str, Any]
Node = Callable[[Env], Any]
_MACROS = ("all", "exists", "exists_one", "map", "filter")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position]

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.position]
        if value is not None and token[1] != value:
            raise CELError(f"Syntax error: expected {value!r}, found {token[1]!r}")
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.conditional()
        if self.peek()[0] != "end":
            raise CELError(f"Syntax error: unexpected {self.peek()[1]!r}")
        return node

    def conditional(self) -> Node:
        test = self.or_()
        if self.peek()[1] != "?":
            return test
        self.take("?")
        yes = self.conditional()
        self.take(":")
        no = self.conditional()
        return lambda env: yes(env) if _bool(test(env)) else no(env)

    def or_(self) -> Node:
        node = self.and_()
        while self.peek()[1] == "||":
            self.take()
            node = _logical(node, self.and_(), True)
        return node

    def and_(self) -> Node:
        node = self.relation()
        while self.peek()[1] == "&&":
            self.take()
            node = _logical(node, self.relation(), False)
        return node

    def relation(self) -> Node:
        node = self.addition()
        while self.peek()[1] in ("==", "!=", "<", "<=", ">", ">=", "in"):
            operator = self.take()[1]
            node = _binary(operator, node, self.addition())
        return node

    def addition(self) -> Node:
        node = self.multiplication()
        while self.peek()[1] in ("+", "-"):
            operator = self.take()[1]
            node = _binary(operator, node, self.multiplication())
        return node

    def multiplication(self) -> Node:
        node = self.unary()
        while self.peek()[1] in ("*", "/", "%"):
            operator = self.take()[1]
            node = _binary(operator, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek()[1] == "!":
            self.take()
            inner = self.unary()
            return lambda env: not _bool(inner(env))
        if self.peek()[1] == "-":
            self.take()
            inner = self.unary()
            return lambda env: -functions.number(inner(env))
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while self.peek()[1] in (".", "["):
            if self.take()[1] == "[":
                index = self.conditional()
                self.take("]")
                node = _index(node, index)
                continue
            name = self.take()[1]
            if self.peek()[1] == "(":
                self.take("(")
                if name in _MACROS:
                    node = self.macro(name, node)
                else:
                    node = _method(name, node, self.arguments(")"))
            else:
                node = _select(node, name)
        return node

    def macro(self, name: str, target: Node) -> Node:
        variable = self.take()[1]
        self.take(",")
        body = self.conditional()
        self.take(")")
        return _comprehension(name, target, variable, body)

    def arguments(self, closing: str) -> list[Node]:
        nodes: list[Node] = []
        while self.peek()[1] != closing:
            nodes.append(self.conditional())
            if self.peek()[1] == ",":
                self.take()
        self.take(closing)
        return nodes

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return _constant(_number_literal(value))
        if kind == "string":
            return _constant(_string_literal(value))
        if value == "(":
            node = self.conditional()
            self.take(")")
            return node
        if value == "[":
            items = self.arguments("]")
            return lambda env: [item(env) for item in items]
        if value == "{":
            return self.map_literal()
        if kind == "name":
            if value in ("true", "false"):
                return _constant(value == "true")
            if value == "null":
                return _constant(None)
            if self.peek()[1] == "(":
                self.take("(")
                if value == "has":
                    return self.has()
                return _function(value, self.arguments(")"))
            return lambda env: _variable(env, value)
        raise CELError(f"Syntax error: unexpected {value!r}")

    def map_literal(self) -> Node:
        entries: list[tuple[Node, Node]] = []
        while self.peek()[1] != "}":
            key = self.conditional()
            self.take(":")
            entries.append((key, self.conditional()))
            if self.peek()[1] == ",":
                self.take()
        self.take("}")
        return lambda env: {key(env): value(env) for key, value in entries}

    def has(self) -> Node:
        target = self.member()
        self.take(")")
        return target.has if isinstance(target, _Selection) else _raise("invalid argument to has() macro")


def _raise(message: str) -> Node:
    def fail(_: Env) -> Any:
        raise CELError(message)

    return fail


def _constant(value: Any) -> Node:
    return lambda _: value


def _number_literal(text: str) -> int | float:
    if text.endswith("u"):
        text = text[:-1]
    if text.startswith("0x"):
        return int(text, 16)
    if any(c in text for c in ".eE"):
        return float(text)
    return int(text)


def _variable(env: Env, name: str) -> Any:
    if name not in env:
        raise CELError(f"undeclared reference to '{name}'")
    return env[name]


class _Selection:
    """`target.name`, which `has()` turns into a presence test instead of a lookup."""

    def __init__(self, target: Node, name: str) -> None:
        self.target = target
        self.name = name

    def __call__(self, env: Env) -> Any:
        value = self.target(env)
        if isinstance(value, dict):
            if self.name not in value:
                raise CELError(f"no such key: {self.name}")
            return value[self.name]
        raise CELError(f"no such key: {self.name}")

    def has(self, env: Env) -> bool:
        value = self.target(env)
        if isinstance(value, dict):
            return self.name in value
        raise CELError("invalid type for field selection.")


def _select(target: Node, name: str) -> Node:
    return _Selection(target, name)


def _index(target: Node, index: Node) -> Node:
    def evaluate(env: Env) -> Any:
        container, key = target(env), index(env)
        try:
            if isinstance(container, list) and isinstance(key, float):
                key = int(key) if key.is_integer() else key
            return container[key]
        except (KeyError, IndexError, TypeError) as exc:
            raise CELError(f"no such key: {key}") from exc

    return evaluate


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CELError("no such overload")
    return value


def _logical(left: Node, right: Node, is_or: bool) -> Node:
    """CEL's commutative && and ||: a decisive side wins even if the other side errs."""

    def evaluate(env: Env) -> bool:
        results: list[bool] = []
        error: CELError | None = None
        for side in (left, right):
            try:
                value = _bool(side(env))
            except CELError as exc:
                error = exc
                continue
            if value is is_or:
                return is_or
            results.append(value)
        if error is not None:
            raise error
        return not is_or

    return evaluate


def _binary(operator: str, left: Node, right: Node) -> Node:
    def evaluate(env: Env) -> Any:
        a, b = left(env), right(env)
        if operator == "in":
            if isinstance(b, list | dict | str):
                return a in b
            raise CELError("no such overload")
        if operator == "==":
            return _equal(a, b)
        if operator == "!=":
            return not _equal(a, b)
        if operator in ("<", "<=", ">", ">="):
            return functions.compare(operator, a, b)
        return _arithmetic(operator, a, b)

    return evaluate


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _arithmetic(operator: str, a: Any, b: Any) -> Any:
    if operator == "+":
        if isinstance(a, str) and isinstance(b, str):
            return a + b
        if isinstance(a, list) and isinstance(b, list):
            return a + b
        if isinstance(a, Duration) and isinstance(b, Duration):
            return Duration(a.seconds + b.seconds)
        if isinstance(a, datetime) and isinstance(b, Duration):
            return a + timedelta(seconds=b.seconds)
        return functions.number(a) + functions.number(b)
    if operator == "-":
        if isinstance(a, Duration) and isinstance(b, Duration):
            return Duration(a.seconds - b.seconds)
        if isinstance(a, datetime) and isinstance(b, datetime):
            return Duration((a - b).total_seconds())
        return functions.number(a) - functions.number(b)
    x, y = functions.number(a), functions.number(b)
    if operator == "*":
        return x * y
    if y == 0:
        raise CELError("division by zero" if operator == "/" else "modulus by zero")
    if isinstance(x, int) and isinstance(y, int):
        quotient = abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)
        return quotient if operator == "/" else x - quotient * y
    return x / y if operator == "/" else x % y


def _comprehension(kind: str, target: Node, variable: str, body: Node) -> Node:
    def evaluate(env: Env) -> Any:
        collection = target(env)
        items = list(collection) if isinstance(collection, dict | list) else None
        if items is None:
            raise CELError("no such overload")
        results = [body({**env, variable: item}) for item in items]
        if kind == "all":
            return all(_bool(result) for result in results)
        if kind == "exists":
            return any(_bool(result) for result in results)
        if kind == "exists_one":
            return sum(1 for result in results if _bool(result)) == 1
        if kind == "map":
            return results
        return [item for item, keep in zip(items, results, strict=True) if _bool(keep)]

    return evaluate


def _function(name: str, arguments: list[Node]) -> Node:
    function = functions.GLOBALS.get(name)
    if function is None:
        raise CELError(f"undeclared reference to '{name}'")

    def evaluate(env: Env) -> Any:
        try:
            return function(*(argument(env) for argument in arguments))
        except (TypeError, ValueError, KeyError) as exc:
            raise CELError(f"no such overload: {name}") from exc

    return evaluate


def _method(name: str, target: Node, arguments: list[Node]) -> Node:
    function = functions.METHODS.get(name)
    if function is None:
        raise CELError(f"undeclared reference to '{name}'")

    def evaluate(env: Env) -> Any:
        try:
            return function(target(env), *(argument(env) for argument in arguments))
        except (TypeError, ValueError, AttributeError) as exc:
            raise CELError(f"no such overload: {name}") from exc

    return evaluate


# --- entry points ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Program:
    source: str
    node: Node
    uses_old_self: bool

    def evaluate(self, variables: Env) -> Any:
        return self.node(variables)


_CACHE: dict[str, Program] = {}


def compile_rule(source: str) -> Program:
    """Parse a rule once; compiled programs are shared by every cluster of the process."""
    program = _CACHE.get(source)
    if program is None:
        node = _Parser(source).parse()
        program = Program(source, node, re.search(r"\boldSelf\b", source) is not None)
        if len(_CACHE) < 10_000:
            _CACHE[source] = program
    return program
