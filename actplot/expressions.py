"""Safe expressions in x, such as `x**2` or `x * sigmoid(b*x)`: the text is parsed into a syntax
tree and only whitelisted nodes are walked and mapped to operations; nothing is evaluated as
Python (no eval, exec or compile). Fit targets and user activations share this parser; in an
activation the free names are parameters and registered activations may be called. No torch here:
the operations come from the caller, so the same tree runs on torch tensors or numpy arrays.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .errors import SpecError

MAX_LENGTH = 500
# Levels of nesting: sqrt(sqrt(x)) is 2, 1/(1 + x) is 2. matplotlib's mathtext, which typesets
# the formula in the title, recurses once per level and gives up between 20 and 25.
MAX_DEPTH = 20
CONSTANTS = {"pi": math.pi, "e": math.e}
FUNCTIONS = ("abs", "sqrt", "exp", "log", "log1p", "expm1", "sin", "cos", "tan", "atan", "tanh",
             "erf", "sign", "floor")
# Named targets for `actplot fit --target`: the seeds' parabola and a few shapes that show what
# an activation can and cannot bend into.
NAMED_TARGETS = {
    "square": "x**2",
    "cube": "x**3",
    "sin": "sin(x)",
    "abs": "abs(x)",
    "step": "where(x >= 0, 1, 0)",
    "sawtooth": "x - floor(x)",
}
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_SPECIAL = {"where": 3, "clamp": 3, "min": 2, "max": 2}  # argument counts
SPECIAL_FUNCTIONS = tuple(_SPECIAL)
_COMPARE = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}


@dataclass(frozen=True)
class Expression:
    text: str
    tree: ast.Expression
    parameters: tuple[str, ...] = ()  # free names, in order of appearance (function expressions)

    def __call__(self, x: Any, ops: Mapping[str, Callable], params: Mapping[str, float] = {}) -> Any:
        return _walk(self.tree.body, x, ops, params)


@dataclass(frozen=True)
class _Grammar:
    field: str  # the spec field that errors name
    activations: frozenset[str]  # callable by name, such as relu(x)
    parameters: bool  # free names are parameters rather than errors

    def allowed(self) -> str:
        extra = " and any element-wise activation by name, such as relu(x)" if self.activations else ""
        names = "; other names are parameters (-p NAME=VALUE)" if self.parameters else ""
        return (f"numbers, x, pi, e, + - * / **, comparisons, a if c else b, where(c, a, b), min, "
                f"max, clamp, {', '.join(FUNCTIONS)}{extra}{names}")


_TARGETS = _Grammar("target", frozenset(), False)


def _fail(text: str, node: ast.AST | None, what: str, grammar: _Grammar) -> SpecError:
    column = getattr(node, "col_offset", None)
    where = f" at column {column + 1}" if column is not None else ""
    return SpecError(grammar.field, f"{what}{where} of {text!r}; an expression in x may use "
                                    f"{grammar.allowed()}")


def parse(text: str) -> Expression:
    """A checked fit target, or SpecError naming the offending token and its column."""
    if isinstance(text, str):
        text = NAMED_TARGETS.get(text.strip(), text)
    return _parse(text, _TARGETS, "the target")


def parse_function(text: str, activations: Iterable[str]) -> Expression:
    """A checked activation expression: its free names are parameters, and the activations named
    may be called. SpecError naming the offending token and its column."""
    return _parse(text, _Grammar("functions", frozenset(activations), True), "the expression")


def _parse(text: Any, grammar: _Grammar, what: str) -> Expression:
    if not isinstance(text, str):
        raise SpecError(grammar.field, f"{what} must be text, not {text!r}")
    if not text.strip():
        raise SpecError(grammar.field, f"{what} is empty; give an expression in x such as x**2")
    if len(text) > MAX_LENGTH:
        raise SpecError(grammar.field, f"{what} has {len(text)} characters; at most {MAX_LENGTH}")
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise SpecError(grammar.field, f"{text!r} is not an expression: {error.msg} at column "
                                       f"{error.offset or 0}") from None
    parameters: list[str] = []
    _check(tree.body, text, 0, grammar, parameters)
    return Expression(text, tree, tuple(parameters))


def _check(node: ast.AST, text: str, depth: int, grammar: _Grammar, parameters: list[str]) -> None:
    def check(child: ast.AST) -> None:
        _check(child, text, depth + 1, grammar, parameters)

    if depth > MAX_DEPTH:
        raise _fail(text, node, f"nested more than {MAX_DEPTH} levels deep (the most an "
                                "expression may be)", grammar)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _fail(text, node, f"{node.value!r} is not a number", grammar)
        if not _fits_float64(node.value):
            shown = ast.get_source_segment(text, node) or str(node.value)
            shown = shown if len(shown) <= 24 else shown[:20] + "..."
            raise _fail(text, node, f"the number {shown} does not fit a float64 (largest "
                                    "1.8e308)", grammar)
        return
    if isinstance(node, ast.Name):
        if node.id == "x" or node.id in CONSTANTS:
            return
        if not grammar.parameters:
            raise _fail(text, node, f"unknown name '{node.id}'", grammar)
        if node.id in FUNCTIONS or node.id in _SPECIAL or node.id in grammar.activations:
            raise _fail(text, node, f"'{node.id}' is a function: call it, as {node.id}(x)", grammar)
        if node.id not in parameters:
            parameters.append(node.id)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return check(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        # a + b + c is one level, not two: the parser nests it, the typesetting does not
        if _chained(node, node.left):
            _check(node.left, text, depth, grammar, parameters)
        else:
            check(node.left)
        return check(node.right)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        check(node.left)
        return check(node.comparators[0])
    if isinstance(node, ast.IfExp):
        for part in (node.test, node.body, node.orelse):
            check(part)
        return
    if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
        check(node.func)  # (lambda: x)() names the lambda, x.sum() the attribute
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name, count = node.func.id, len(node.args)
        wanted = _SPECIAL.get(name, 1)
        if name not in FUNCTIONS and name not in _SPECIAL and name not in grammar.activations:
            raise _fail(text, node, f"unknown function '{name}'", grammar)
        if count != wanted:
            raise _fail(text, node, f"{name} takes {wanted} argument{'s' * (wanted > 1)}, "
                                    f"not {count}", grammar)
        for argument in node.args:
            check(argument)
        return
    kind = type(node).__name__.lower()
    raise _fail(text, node, f"'{ast.get_source_segment(text, node) or kind}' ({kind}) is not "
                            "allowed", grammar)


_CHAINS = ({ast.Add, ast.Sub}, {ast.Mult})


def _chained(parent: ast.BinOp, child: ast.AST) -> bool:
    return isinstance(child, ast.BinOp) and any(
        type(parent.op) in chain and type(child.op) in chain for chain in _CHAINS)


def _fits_float64(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int of 400 digits
        return False


def _walk(node: ast.AST, x: Any, ops: Mapping[str, Callable], params: Mapping[str, float]) -> Any:
    def walk(child: ast.AST) -> Any:
        return _walk(child, x, ops, params)

    if isinstance(node, ast.Constant):
        return ops["const"](node.value, x)
    if isinstance(node, ast.Name):
        if node.id == "x":
            return x
        return ops["const"](CONSTANTS[node.id] if node.id in CONSTANTS else params[node.id], x)
    if isinstance(node, ast.UnaryOp):
        value = walk(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return ops[_BINARY[type(node.op)]](walk(node.left), walk(node.right))
    if isinstance(node, ast.Compare):
        return ops[_COMPARE[type(node.ops[0])]](walk(node.left), walk(node.comparators[0]))
    if isinstance(node, ast.IfExp):
        return ops["where"](walk(node.test), walk(node.body), walk(node.orelse))
    return ops[node.func.id](*(walk(argument) for argument in node.args))


def torch_ops() -> dict[str, Callable]:
    """The operations over torch tensors (imported here, by the caller's layer)."""
    import operator

    import torch

    def const(value, like):
        return torch.full_like(like, float(value))

    ops = {"const": const, "add": operator.add, "sub": operator.sub, "mul": operator.mul,
           "div": operator.truediv, "pow": torch.pow,
           # a comparison is a number, 1 or 0, as where() and arithmetic on it expect
           **{name: (lambda compare: lambda a, b: compare(a, b).to(a.dtype))(compare)
              for name, compare in (("lt", operator.lt), ("le", operator.le), ("gt", operator.gt),
                                    ("ge", operator.ge), ("eq", operator.eq),
                                    ("ne", operator.ne))},
           "where": lambda c, a, b: torch.where(c.bool(), a, b),
           "min": torch.minimum, "max": torch.maximum,
           "clamp": lambda v, lo, hi: torch.minimum(torch.maximum(v, lo), hi),
           "abs": torch.abs, "sqrt": torch.sqrt, "exp": torch.exp, "log": torch.log,
           "log1p": torch.log1p, "expm1": torch.expm1, "sin": torch.sin, "cos": torch.cos,
           "tan": torch.tan, "atan": torch.atan, "tanh": torch.tanh, "erf": torch.erf,
           "sign": torch.sign, "floor": torch.floor}
    return ops
