"""Safe arithmetic for computed form fields (totals, ratios): data written in YAML, never executed as Python.

Syntax, a subset of Python expressions checked node by node after ``ast.parse``:

- numbers: ``9``, ``0.46``;
- field ids of the same form: ``heures_realisees``;
- ``+``, ``-``, ``*``, ``/``, unary ``-`` and ``+``, parentheses;
- ``sum("prefix_*")``: the sum of every field of the form whose id starts with ``prefix_`` (the computed field
  itself excluded). The pattern is a quoted string because a bare ``charges_*`` is not a Python expression; the
  trailing ``*`` is mandatory so that a reader of the YAML sees a pattern, not a field id.

Semantics: ``decimal.Decimal`` arithmetic (no binary rounding on euros); a missing input counts as 0, because a
draft may be incomplete and a total of what was typed is still useful; an input bound to ``None`` is undefined
and makes the result undefined; a division by zero gives ``None`` (a ratio over nothing has no value, and 0 would
look like a real one).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException, localcontext

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_MAX_SOURCE = 1000
_LITERAL = re.compile(r"[0-9]+(\.[0-9]+)?")

# Internal tree, immutable and hashable: ("num", Decimal) | ("name", id) | ("sum", prefix)
# | ("neg", node) | ("bin", operator, left, right)
Node = tuple


class ExpressionError(ValueError):
    """The text of a computed expression is not in the supported syntax."""


@dataclass(frozen=True)
class Expression:
    source: str
    names: frozenset[str]
    prefixes: frozenset[str]
    tree: Node = field(repr=False)
    # prefix -> field ids, filled by bind() once the form's fields are known
    expansions: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def bind(self, field_ids: Iterable[str], own_id: str) -> Expression:
        """Resolve each ``sum("prefix_*")`` against the form's field ids, leaving out the computed field itself."""
        ids = [i for i in field_ids if i != own_id]
        expansions = {p: tuple(i for i in ids if i.startswith(p)) for p in sorted(self.prefixes)}
        return dataclasses.replace(self, expansions=expansions)

    @property
    def dependencies(self) -> frozenset[str]:
        """Every field id the value depends on (names and bound sum members)."""
        return self.names.union(*self.expansions.values())


def parse_expression(source: str) -> Expression:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("expression must be a non-empty string")
    if len(source) > _MAX_SOURCE:
        raise ExpressionError(f"expression longer than {_MAX_SOURCE} characters")
    try:
        body = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as error:
        raise ExpressionError(f"invalid syntax in {source!r}: {error.msg}") from None
    names: set[str] = set()
    prefixes: set[str] = set()
    tree = _convert(body, source.strip(), names, prefixes)
    return Expression(source=source.strip(), names=frozenset(names), prefixes=frozenset(prefixes), tree=tree)


def _convert(node: ast.expr, source: str, names: set[str], prefixes: set[str]) -> Node:
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _convert(node.left, source, names, prefixes)
        right = _convert(node.right, source, names, prefixes)
        return ("bin", _OPERATORS[type(node.op)], left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _convert(node.operand, source, names, prefixes)
        return ("neg", operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        # The literal text, not the float, so that 0.46 stays exactly 0.46
        literal = ast.get_source_segment(source, node) or str(node.value)
        if not _LITERAL.fullmatch(literal):
            raise ExpressionError(f"number {literal!r} must be written plainly, like 9 or 0.46")
        return ("num", Decimal(literal))
    if isinstance(node, ast.Name):
        names.add(node.id)
        return ("name", node.id)
    if isinstance(node, ast.Call):
        prefix = _sum_prefix(node)
        prefixes.add(prefix)
        return ("sum", prefix)
    segment = ast.get_source_segment(source, node) or type(node).__name__
    raise ExpressionError(f"unsupported element {segment!r} in {source!r}")


def _sum_prefix(node: ast.Call) -> str:
    well_formed = (
        isinstance(node.func, ast.Name)
        and node.func.id == "sum"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )
    if not well_formed:
        raise ExpressionError('the only function is sum, with a single quoted pattern: sum("prefix_*")')
    pattern: str = node.args[0].value  # type: ignore[attr-defined]  # a str Constant: checked by well_formed
    prefix = pattern[:-1]
    if not pattern.endswith("*") or not prefix or "*" in prefix:
        raise ExpressionError(f'sum pattern {pattern!r} must be a prefix followed by one final "*"')
    return prefix


class _Undefined(Exception):
    pass


def evaluate(expression: Expression, values: Mapping[str, Decimal | None]) -> Decimal | None:
    """The value of ``expression``: missing names count as 0; ``None`` inputs or a division by zero give None."""
    with localcontext() as context:
        context.prec = 28
        try:
            return _evaluate(expression.tree, expression, values)
        except (_Undefined, DecimalException):
            return None


def _evaluate(node: Node, expression: Expression, values: Mapping[str, Decimal | None]) -> Decimal:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        return _value(values, node[1])
    if kind == "sum":
        if node[1] not in expression.expansions:
            raise ExpressionError(f"sum pattern {node[1]!r}* is not bound to the form's fields")
        return sum((_value(values, i) for i in expression.expansions[node[1]]), Decimal(0))
    if kind == "neg":
        return -_evaluate(node[1], expression, values)
    operator, left, right = node[1], _evaluate(node[2], expression, values), _evaluate(node[3], expression, values)
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        raise _Undefined
    return left / right


def _value(values: Mapping[str, Decimal | None], name: str) -> Decimal:
    if name not in values:
        return Decimal(0)
    value = values[name]
    if value is None:
        raise _Undefined
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"field {name!r} is not a number: {value!r}")
    return Decimal(value)
