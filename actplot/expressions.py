"""Safe expressions in x, such as `x**2` or `sin(3*x) + abs(x)`: the text is parsed into a syntax
tree and only whitelisted nodes are walked and mapped to operations; nothing is evaluated as
Python (no eval, exec or compile). No torch here: the operations come from the caller, so the
same tree runs on torch tensors or numpy arrays.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .errors import SpecError

MAX_LENGTH = 500
MAX_DEPTH = 50
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
_COMPARE = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}


@dataclass(frozen=True)
class Expression:
    text: str
    tree: ast.Expression

    def __call__(self, x: Any, ops: Mapping[str, Callable]) -> Any:
        return _walk(self.tree.body, x, ops)


def _fail(text: str, node: ast.AST | None, what: str) -> SpecError:
    column = getattr(node, "col_offset", None)
    where = f" at column {column + 1}" if column is not None else ""
    return SpecError("target", f"{what}{where} of {text!r}; an expression in x may use numbers, "
                               f"x, pi, e, + - * / **, comparisons, a if c else b, where(c, a, b), "
                               f"min, max, clamp and {', '.join(FUNCTIONS)}")


def parse(text: str) -> Expression:
    """A checked expression, or SpecError naming the offending token and its column."""
    if not isinstance(text, str):
        raise SpecError("target", f"the target must be text, not {text!r}")
    text = NAMED_TARGETS.get(text.strip(), text)
    if not text.strip():
        raise SpecError("target", "the target is empty; give an expression in x such as x**2")
    if len(text) > MAX_LENGTH:
        raise SpecError("target", f"the target has {len(text)} characters; at most {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise SpecError("target", f"{text!r} is not an expression: {error.msg} at column "
                                  f"{error.offset or 0}") from None
    _check(tree.body, text.strip(), 0)
    return Expression(text.strip(), tree)


def _check(node: ast.AST, text: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _fail(text, node, "nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _fail(text, node, f"{node.value!r} is not a number")
        return
    if isinstance(node, ast.Name):
        if node.id != "x" and node.id not in CONSTANTS:
            raise _fail(text, node, f"unknown name '{node.id}'")
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _check(node.operand, text, depth + 1)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, depth + 1)
        return _check(node.right, text, depth + 1)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        _check(node.left, text, depth + 1)
        return _check(node.comparators[0], text, depth + 1)
    if isinstance(node, ast.IfExp):
        for part in (node.test, node.body, node.orelse):
            _check(part, text, depth + 1)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name, count = node.func.id, len(node.args)
        wanted = {"where": 3, "clamp": 3, "min": 2, "max": 2}.get(name, 1)
        if name not in FUNCTIONS and name not in ("where", "clamp", "min", "max"):
            raise _fail(text, node, f"unknown function '{name}'")
        if count != wanted:
            raise _fail(text, node, f"{name} takes {wanted} argument{'s' * (wanted > 1)}, "
                                    f"not {count}")
        for argument in node.args:
            _check(argument, text, depth + 1)
        return
    kind = type(node).__name__.lower()
    raise _fail(text, node, f"'{ast.get_source_segment(text, node) or kind}' ({kind}) is not "
                            "allowed")


def _walk(node: ast.AST, x: Any, ops: Mapping[str, Callable]) -> Any:
    if isinstance(node, ast.Constant):
        return ops["const"](node.value, x)
    if isinstance(node, ast.Name):
        return x if node.id == "x" else ops["const"](CONSTANTS[node.id], x)
    if isinstance(node, ast.UnaryOp):
        value = _walk(node.operand, x, ops)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return ops[_BINARY[type(node.op)]](_walk(node.left, x, ops), _walk(node.right, x, ops))
    if isinstance(node, ast.Compare):
        return ops[_COMPARE[type(node.ops[0])]](_walk(node.left, x, ops),
                                               _walk(node.comparators[0], x, ops))
    if isinstance(node, ast.IfExp):
        return ops["where"](_walk(node.test, x, ops), _walk(node.body, x, ops),
                            _walk(node.orelse, x, ops))
    return ops[node.func.id](*(_walk(argument, x, ops) for argument in node.args))


def torch_ops() -> dict[str, Callable]:
    """The operations over torch tensors (imported here, by the caller's layer)."""
    import operator

    import torch

    def const(value, like):
        return torch.full_like(like, float(value))

    ops = {"const": const, "add": operator.add, "sub": operator.sub, "mul": operator.mul,
           "div": operator.truediv, "pow": torch.pow,
           "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
           "eq": operator.eq, "ne": operator.ne,
           "where": lambda c, a, b: torch.where(c.bool(), a, b),
           "min": torch.minimum, "max": torch.maximum,
           "clamp": lambda v, lo, hi: torch.minimum(torch.maximum(v, lo), hi),
           "abs": torch.abs, "sqrt": torch.sqrt, "exp": torch.exp, "log": torch.log,
           "log1p": torch.log1p, "expm1": torch.expm1, "sin": torch.sin, "cos": torch.cos,
           "tan": torch.tan, "atan": torch.atan, "tanh": torch.tanh, "erf": torch.erf,
           "sign": torch.sign, "floor": torch.floor}
    return ops
