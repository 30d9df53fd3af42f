"""The small, safe condition language of scenario rules.

A condition such as ``state in ["TX", "OK"] and annual_new_units < 300`` is parsed with
Python's :mod:`ast` and then checked node by node against a whitelist; it is turned into a
tree of plain functions over DataFrame columns. Nothing from a scenario file is ever passed
to ``eval``, ``exec``, ``compile`` or ``DataFrame.query``, so a file can never run code.

Missing values follow SQL's three-valued logic: a comparison with a missing value is
*unknown*; ``not`` keeps it unknown, ``and`` / ``or`` combine it in the usual way, and a
condition that ends unknown counts as false. So ``not (annual_new_units >= 600)`` is false,
like ``annual_new_units >= 600``, for a store without volume figures. Division by zero is
missing too; text compared with a number is never equal and never smaller or larger.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dealernet._errors import ConditionError
from dealernet.engine._condition_values import (
    ANY,
    ARITHMETIC,
    BOOL,
    COMPARISONS,
    NUMBER,
    TEXT,
    Env,
    Value,
    arithmetic,
    as_data,
    as_truth,
    both,
    compare,
    either,
    member,
    negate,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["BOOL", "NUMBER", "TEXT", "Condition", "parse_condition"]

#: Longest condition text accepted, and deepest nesting of its parsed form.
MAX_LENGTH = 2000
MAX_DEPTH = 50

#: What the language allows, for error messages.
ALLOWED = (
    'Conditions may use field names, numbers, "quoted text", true / false, comparisons '
    "(== != < <= > >=, also chained: 300 <= annual_new_units < 600), in [...] / not in [...], "
    "and / or / not, + - * / %, and parentheses."
)

_OPS: dict[type, str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_FORBIDDEN: dict[type, str] = {
    ast.Call: "a function call",
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "indexing (a[...])",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (:=)",
    ast.IfExp: "an if / else expression",
    ast.Dict: "a dictionary",
    ast.Starred: "a starred expression (*x)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_Fn = Callable[[Env], Value]


@dataclass(frozen=True)
class Condition:
    """A parsed, checked condition; :meth:`evaluate` it over a frame of sites.

    Attributes
    ----------
    text
        The condition as written.
    fields
        The field names it uses, in order of first use.
    where
        Where it was written, for messages and traces.
    """

    text: str
    fields: tuple[str, ...]
    where: str = field(default="", compare=False)
    _root: _Fn | None = field(default=None, repr=False, compare=False)
    _kinds: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Whether the condition holds in each row (unknown counts as false).

        A field that ``frame`` lacks altogether counts as missing in every row.
        """
        if self._root is None:  # pragma: no cover - only built by parse_condition
            msg = "a Condition must come from parse_condition()"
            raise ConditionError(msg)
        env = Env(frame, self._kinds)
        return np.array(as_truth(self._root(env)).true, dtype=bool)

    def __str__(self) -> str:
        return self.text


def parse_condition(
    text: str,
    fields: Collection[str],
    *,
    where: str = "",
    choices: Mapping[str, Collection[str]] | None = None,
) -> Condition:
    """Parse and check a condition, or raise :class:`ConditionError` saying what is wrong.

    Parameters
    ----------
    text
        The condition, e.g. ``'state == "TX" and distance_to_nearest_host > 20'``.
    fields
        The field names it may use. A mapping of name to kind (``"number"``, ``"text"``,
        ``"bool"``) also catches mistakes such as ``state > 5`` here, instead of letting
        them quietly evaluate to false.
    where
        Where the text comes from, e.g. ``"scenario.toml, rule 'nearest', key 'when'"``;
        every error message starts with it.
    choices
        Text fields with a known set of values (state codes): comparing one with any other
        text is an error with a suggestion (``"tx"`` -> ``"TX"``).
    """
    if not isinstance(text, str):
        msg = _message(where, repr(text), "must be text")
        raise ConditionError(msg)
    kinds = dict(fields) if isinstance(fields, Mapping) else dict.fromkeys(fields, ANY)
    builder = _Builder(text, kinds, where, choices or {})
    root = builder.build()
    return Condition(text, tuple(builder.used), where, root, kinds)


# --- messages ---------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _short(text: str, limit: int = 120) -> str:
    """Text fit for a one-line message: control characters escaped, long text cut."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _message(where: str, shown: str, problem: str, hint: str = "") -> str:
    head = f"{where}: " if where else ""
    return f"{head}condition `{_short(shown)}` {problem}." + (f" {hint}" if hint else "")


# --- parsing ------------------------------------------------------------------------------


@dataclass
class _Node:
    fn: _Fn
    kind: str


class _Builder:
    """Walks the parsed tree once, checking every node and building its function."""

    def __init__(
        self, text: str, kinds: dict[str, str], where: str, choices: Mapping[str, Collection[str]]
    ) -> None:
        self.text = text
        self.kinds = kinds
        self.where = where
        self.choices = choices
        self.used: list[str] = []

    def fail(self, problem: str, node: ast.AST, hint: str = ALLOWED) -> ConditionError:
        at = f"`{_short(self._segment(node), 60)}` at column {self._column(node)}"
        return ConditionError(_message(self.where, self.text, f"{problem}: {at}", hint))

    def _segment(self, node: ast.AST) -> str:
        try:
            return ast.get_source_segment(self.text, node) or type(node).__name__
        except Exception:  # odd positions: the node's name will do
            return type(node).__name__

    def _column(self, node: ast.AST) -> int:
        lines = re.split(r"\r\n|\r|\n", self.text)
        lineno = getattr(node, "lineno", 1) or 1
        line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
        offset = getattr(node, "col_offset", 0) or 0  # in UTF-8 bytes
        return len(line.encode("utf-8")[:offset].decode("utf-8", errors="ignore")) + 1

    def build(self) -> _Fn:
        text = self.text
        if len(text) > MAX_LENGTH:
            problem = f"is {len(text):,} characters long; the limit is {MAX_LENGTH:,}"
            raise ConditionError(_message(self.where, text, problem, "Split the rule up."))
        if not text.strip():
            hint = "Leave the key out to apply the rule to every site."
            raise ConditionError(_message(self.where, text, "is empty", hint))
        tree = self._parse(text)
        self._check_depth(tree)
        node = self.visit(tree.body)
        if node.kind in (NUMBER, TEXT):
            what = "a number" if node.kind == NUMBER else "text"
            hint = 'Compare it with something: annual_new_units >= 600, state == "TX".'
            raise self.fail(f"is {what}, not a true / false condition", tree.body, hint)
        return node.fn

    def _parse(self, text: str) -> ast.Expression:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ConditionError(self._syntax_message(exc)) from None
        except (ValueError, MemoryError, RecursionError, OverflowError) as exc:
            problem = f"cannot be read ({_short(str(exc), 80)})"
            raise ConditionError(_message(self.where, text, problem, ALLOWED)) from None

    def _syntax_message(self, exc: SyntaxError) -> str:
        msg = (exc.msg or "invalid syntax").split(". Maybe you meant")[0]
        place = f" at column {exc.offset}" if exc.offset else ""
        if exc.lineno and exc.lineno > 1:
            place = f" at line {exc.lineno}, column {exc.offset or 1}"
        hints = []
        if re.search(r"(?<![=!<>])=(?!=)", self.text):
            hints.append("Use == to compare (a single = is not allowed).")
        if re.search(r"&&|\|\||!(?!=)", self.text):
            hints.append("Use and / or / not instead of && / || / !.")
        if re.search(r"\b(AND|OR|NOT|And|Or|Not)\b", self.text):
            hints.append("Write and / or / not in lower case.")
        hint = " ".join(hints) or ALLOWED
        return _message(self.where, self.text, f"is not valid: {msg}{place}", hint)

    def _check_depth(self, tree: ast.AST) -> None:
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                problem = f"is nested too deeply (more than {MAX_DEPTH} levels)"
                hint = "Simplify it or split the rule up."
                raise ConditionError(_message(self.where, self.text, problem, hint))
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    # --- node visitors --------------------------------------------------------------------

    def visit(self, node: ast.AST) -> _Node:
        if isinstance(node, ast.BoolOp):
            return self._boolop(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            raise self.fail("has a list where only `in [...]` / `not in [...]` allow one", node)
        what = _FORBIDDEN.get(type(node), f"`{type(node).__name__}`")
        raise self.fail(f"uses {what}, which conditions do not allow", node)

    def _boolop(self, node: ast.BoolOp) -> _Node:
        parts = [self._truth(v) for v in node.values]
        join = both if isinstance(node.op, ast.And) else either

        def fn(env: Env) -> Value:
            result = as_truth(parts[0](env))
            for part in parts[1:]:
                result = join(result, as_truth(part(env)))
            return result

        return _Node(fn, BOOL)

    def _truth(self, node: ast.AST) -> _Fn:
        """A sub-expression used as true / false (an operand of and / or / not)."""
        built = self.visit(node)
        if built.kind in (NUMBER, TEXT):
            what = "a number" if built.kind == NUMBER else "text"
            hint = "and / or / not join conditions: compare the value first, e.g. employees > 0."
            raise self.fail(f"uses {what} as a true / false condition", node, hint)
        return built.fn

    def _unary(self, node: ast.UnaryOp) -> _Node:
        if isinstance(node.op, ast.Not):
            inner = self._truth(node.operand)
            return _Node(lambda env: negate(as_truth(inner(env))), BOOL)
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self._numeric(node.operand, node)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0

            def fn(env: Env) -> Value:
                return arithmetic("*", env.constant(sign), as_data(operand(env)))

            return _Node(fn, NUMBER)
        raise self.fail("uses the operator ~, which conditions do not allow", node)

    def _numeric(self, operand: ast.AST, parent: ast.AST) -> _Fn:
        built = self.visit(operand)
        if built.kind == TEXT:
            hint = "Arithmetic works on numbers only."
            raise self.fail("does arithmetic on text", parent, hint)
        return built.fn

    def _binop(self, node: ast.BinOp) -> _Node:
        symbol = _OPS.get(type(node.op), type(node.op).__name__)
        if symbol not in ARITHMETIC:
            hint = ALLOWED
            if symbol in ("&", "|"):
                hint = "Join conditions with and / or. " + ALLOWED
            raise self.fail(
                f"uses the operator {symbol}, which conditions do not allow", node, hint
            )
        left, right = self._numeric(node.left, node), self._numeric(node.right, node)

        def fn(env: Env) -> Value:
            return arithmetic(symbol, as_data(left(env)), as_data(right(env)))

        return _Node(fn, NUMBER)

    def _name(self, node: ast.Name) -> _Node:
        name = node.id
        if name not in self.kinds and name.lower() in ("true", "false"):
            truth = name.lower() == "true"
            return _Node(lambda env: env.always(truth), BOOL)
        if name not in self.kinds:
            raise self.fail("uses an unknown field", node, self._known_fields(name))
        if name not in self.used:
            self.used.append(name)
        return _Node(lambda env: env.column(name), self.kinds[name])

    def _known_fields(self, name: str) -> str:
        known = sorted(self.kinds)
        folded = {k.casefold(): k for k in known}
        close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
        guess = f"Did you mean `{folded[close[0]]}`? " if close else ""
        quotes = "" if close else ' (Text values need quotes: state == "TX".)'
        return f"{guess}Known fields: {', '.join(known)}.{quotes}"

    def _constant(self, node: ast.Constant) -> _Node:
        value = node.value
        if isinstance(value, bool):
            return _Node(lambda env: env.always(value), BOOL)
        if isinstance(value, str):
            return _Node(lambda env: env.constant(value), TEXT)
        if isinstance(value, (int, float)):
            number = self._float(value, node)
            return _Node(lambda env: env.constant(number), NUMBER)
        what = {bytes: "bytes", complex: "a complex number", type(None): "None"}.get(
            type(value), repr(value)
        )
        raise self.fail(f"uses {what}, which conditions do not allow", node)

    def _float(self, value: float, node: ast.AST) -> float:
        try:
            return float(value)
        except OverflowError:
            raise self.fail("has a number too large to use", node, "") from None

    def _compare(self, node: ast.Compare) -> _Node:
        if len(node.ops) > 1 and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            hint = 'Join them with and: state in ["TX", "OK"] and employees > 20.'
            raise self.fail("chains `in` with other comparisons", node, hint)
        if isinstance(node.ops[0], (ast.In, ast.NotIn)):
            return self._membership(node)
        symbols = [_OPS.get(type(op), "") for op in node.ops]
        for symbol in symbols:
            if symbol not in COMPARISONS:
                hint = "Use == or != to compare values."
                raise self.fail(f"uses `{symbol}`, which conditions do not allow", node, hint)
        operands = [node.left, *node.comparators]
        built = [self.visit(x) for x in operands]
        steps: list[_Fn] = []
        for i, symbol in enumerate(symbols):
            self._check_kinds(built[i].kind, built[i + 1].kind, node)
            self._check_choice(operands[i], operands[i + 1], node)
            steps.append(self._pair(symbol, built[i].fn, built[i + 1].fn))

        def fn(env: Env) -> Value:
            result = as_truth(steps[0](env))
            for step in steps[1:]:
                result = both(result, as_truth(step(env)))
            return result

        return _Node(fn, BOOL)

    @staticmethod
    def _pair(symbol: str, a: _Fn, b: _Fn) -> _Fn:
        return lambda env: compare(symbol, as_data(a(env)), as_data(b(env)))

    def _check_kinds(self, a: str, b: str, node: ast.AST) -> None:
        if {a, b} in ({TEXT, NUMBER}, {TEXT, BOOL}):
            hint = 'Compare text with quoted text (state == "TX") and numbers with numbers.'
            raise self.fail("compares text with a number", node, hint)

    def _check_choice(self, left: ast.AST, right: ast.AST, node: ast.AST) -> None:
        for a, b in ((left, right), (right, left)):
            if isinstance(a, ast.Name) and isinstance(b, ast.Constant):
                self._check_value(a.id, b.value, node)

    def _check_value(self, name: str, value: object, node: ast.AST) -> None:
        allowed = self.choices.get(name)
        if allowed is None or not isinstance(value, str) or value in allowed:
            return
        folded = {str(v).casefold(): str(v) for v in allowed}
        guess = folded.get(value.casefold())
        if guess is None:
            close = difflib.get_close_matches(value.casefold(), list(folded), n=1)
            guess = folded[close[0]] if close else None
        examples = ", ".join(repr(v) for v in sorted(map(str, allowed))[:3])
        hint = (f"Did you mean {guess!r}? " if guess else "") + f"Values look like {examples}."
        problem = f"compares `{name}` with {value!r}, which it never holds (case matters)"
        raise self.fail(problem, node, hint)

    def _membership(self, node: ast.Compare) -> _Node:
        right = node.comparators[0]
        if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
            hint = 'Write the values as a list: state in ["TX", "OK"].'
            raise self.fail("needs a list of values after `in`", node, hint)
        left = self.visit(node.left)
        numbers: set[float] = set()
        texts: set[str] = set()
        for item in right.elts:
            value = self._list_item(item)
            if isinstance(value, str):
                self._check_kinds(left.kind, TEXT, item)
                if isinstance(node.left, ast.Name):
                    self._check_value(node.left.id, value, item)
                texts.add(value)
            else:
                self._check_kinds(left.kind, NUMBER, item)
                numbers.add(value)
        excluded = isinstance(node.ops[0], ast.NotIn)
        left_fn = left.fn

        def fn(env: Env) -> Value:
            truth = member(as_data(left_fn(env)), numbers, texts)
            return negate(truth) if excluded else truth

        return _Node(fn, BOOL)

    def _list_item(self, item: ast.AST) -> float | str:
        node, sign = item, 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign *= -1.0 if isinstance(node.op, ast.USub) else 1.0
            node = node.operand
        word = node.id.lower() if isinstance(node, ast.Name) else ""
        if word in ("true", "false") and isinstance(node, ast.Name) and node.id not in self.kinds:
            return sign * (1.0 if node.id.lower() == "true" else 0.0)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, str) and node is item:
                return v
            if isinstance(v, (bool, int, float)):
                return sign * self._float(v, node)
        raise self.fail("has a list item that is not a number, quoted text or true / false", item)
