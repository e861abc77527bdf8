"""The user's own functions as activations: an expression in x, or an import path to their code.

An expression is parsed by expressions.py and never run as Python. An import path
(`package.module:attr` or `path/to/file.py:attr`) does run the user's code: that is what it is for,
and the README says so. It names a function from tensor to tensor, an nn.Module subclass (built
with the -p values as keyword arguments) or an nn.Module instance. Neither kind declares kinks or
jumps: they are detected numerically (see detection.py).

torch is imported only when such a function is built or run, never at import.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import math
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable

from .errors import ComputeError, SpecError
from .expressions import Expression, parse_function
from .registry import ALIASES, REGISTRY, Activation, Parameter
from .usercode import guarded

MODULE_ATTR = re.compile(r"(?P<module>[A-Za-z_][\w.]*|.+\.py):(?P<attr>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
NAMED = re.compile(r"\s*(?P<name>[^\W\d]\w*)\s*=(?!=)(?P<body>.*)", re.DOTALL)  # any script
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
SCALAR_KINDS = (bool, int, float)


def is_import_path(token: str) -> bool:
    """MODULE:ATTR or FILE.py:ATTR; anything else is read as an expression (which may not hold
    the lambdas, slices or dicts that a colon would otherwise mean)."""
    return MODULE_ATTR.fullmatch(token.strip()) is not None


# ---- expressions -------------------------------------------------------------------------------

def element_wise_activations() -> dict[str, Activation]:
    """The built-ins that an expression may call by name or alias: every element-wise one."""
    names = {name: entry for name, entry in REGISTRY.items() if not entry.vector}
    names.update({alias: REGISTRY[name] for alias, name in ALIASES.items() if name in names})
    return names


def from_expression(token: str, reserved: Callable[[str], bool]) -> Activation:
    """`x * sigmoid(b*x)` or `swish2 = x * sigmoid(b*x)`; free names become required parameters.
    `reserved(name)` says whether a name is taken (a built-in, an alias, a plugin)."""
    title, body = "", token
    named = NAMED.fullmatch(token)
    if named:
        title, body = named["name"], named["body"]
        if title == "x" or reserved(title):
            raise SpecError("functions", f"'{title}' in {token!r} is already a function's name; "
                                         "give the expression another name")
    expression = parse_function(body, element_wise_activations())
    params = tuple(Parameter(name, 1.0, "a free name of the expression", required=True)
                   for name in expression.parameters)
    formula = to_mathtext(expression)
    return Activation(
        token.strip(), _expression_forward(expression), formula,
        f"Your expression: {expression.text}", params=params, detect_breakpoints=True,
        title=title or expression.text, source="expression",
    )


_TORCH_OPS: dict[str, Callable] = {}


def _expression_forward(expression: Expression) -> Callable:
    def forward(F, x, params):
        if not _TORCH_OPS:
            from .expressions import torch_ops

            _TORCH_OPS.update(torch_ops())
            for name, entry in element_wise_activations().items():
                if name not in _TORCH_OPS:
                    _TORCH_OPS[name] = lambda v, e=entry: e.forward(F, v, e.defaults())
        return expression(x, _TORCH_OPS, params)

    return forward


_MATH_NAMES = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh", "log": r"\ln",
               "atan": r"\arctan", "min": r"\min", "max": r"\max", "exp": r"\exp",
               "sigmoid": r"\sigma"}
_OPERATORS = {ast.Lt: "<", ast.LtE: r"\leq", ast.Gt: ">", ast.GtE: r"\geq", ast.Eq: "=",
              ast.NotEq: r"\neq"}


def to_mathtext(expression: Expression) -> str:
    """The expression typeset for a title: fractions, powers, roots and function names."""
    return _tex(expression.tree.body)


def _tex(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return f"{node.value:g}" if isinstance(node.value, float) else str(node.value)
    if isinstance(node, ast.Name):
        return {"x": "x", "pi": r"\pi", "e": "e"}.get(node.id, r"\mathrm{" + node.id.replace("_", r"\_") + "}")
    if isinstance(node, ast.UnaryOp):
        return ("-" if isinstance(node.op, ast.USub) else "+") + _grouped(node.operand)
    if isinstance(node, ast.BinOp):
        left, right = node.left, node.right
        if isinstance(node.op, ast.Div):
            return r"\frac{" + _tex(left) + "}{" + _tex(right) + "}"
        if isinstance(node.op, ast.Pow):
            return "{" + _grouped(left, power=True) + "}^{" + _tex(right) + "}"
        if isinstance(node.op, ast.Mult):
            return _grouped(left) + r"\," + _grouped(right)
        sign = " + " if isinstance(node.op, ast.Add) else " - "
        return _tex(left) + sign + (_grouped(right) if isinstance(node.op, ast.Sub) else _tex(right))
    if isinstance(node, ast.Compare):
        return f"{_tex(node.left)} {_OPERATORS[type(node.ops[0])]} {_tex(node.comparators[0])}"
    if isinstance(node, ast.IfExp):
        return rf"{_tex(node.body)}\ \mathrm{{if}}\ {_tex(node.test)}\ \mathrm{{else}}\ {_tex(node.orelse)}"
    name, args = node.func.id, [_tex(a) for a in node.args]
    if name == "sqrt":
        return r"\sqrt{" + args[0] + "}"
    if name == "abs":
        return "|" + args[0] + "|"
    command = _MATH_NAMES.get(name, r"\mathrm{" + name.replace("_", r"\_") + "}")
    return command + "(" + ",\\ ".join(args) + ")"


def _grouped(node: ast.AST, power: bool = False) -> str:
    simple = isinstance(node, (ast.Constant, ast.Name, ast.Call))
    if power and isinstance(node, ast.Constant) and node.value < 0:
        simple = False
    loose = isinstance(node, (ast.BinOp, ast.Compare, ast.IfExp, ast.UnaryOp)) and not (
        isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Pow)) and not power)
    return f"({_tex(node)})" if loose and not simple else _tex(node)


# ---- imports -----------------------------------------------------------------------------------

def from_import(token: str) -> Activation:
    """The object that MODULE:ATTR or FILE.py:ATTR names, as an activation. Runs the user's code."""
    match = MODULE_ATTR.fullmatch(token.strip())
    if not match:
        raise SpecError("functions", f"'{token}' is not an import path; write package.module:name "
                                     "or path/to/file.py:name")
    module_name, attr = match["module"], match["attr"]
    module = _import(module_name, token)
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            public = sorted(n for n in dir(module) if not n.startswith("_"))[:12]
            raise SpecError("functions", f"'{token}': {module_name} has no attribute '{part}' "
                                         f"(it has {', '.join(public) or 'no public names'})")
        target = getattr(target, part)
    return _as_activation(token.strip(), attr.rsplit(".", 1)[-1], target)


def _import(module_name: str, token: str):
    def refused(message: str) -> SpecError:
        return SpecError("functions", message)

    label = f"importing {module_name} (for '{token}')"
    if module_name.endswith(".py"):
        path = Path(module_name).expanduser().resolve()
        if not path.is_file():
            raise SpecError("functions", f"'{token}': there is no file {path}")
        unique = "actplot_user_" + re.sub(r"\W", "_", str(path))
        if unique in sys.modules:
            return sys.modules[unique]
        spec = importlib.util.spec_from_file_location(unique, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        try:
            with guarded(label, refused):
                spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` would: the user's modules are here
    with guarded(label, refused):
        return importlib.import_module(module_name)


def _as_activation(key: str, title: str, target: Any) -> Activation:
    import torch

    if isinstance(target, type) and issubclass(target, torch.nn.Module):
        params = _parameters(inspect.signature(target), skip_first=False, owner=title)
        forward = _module_class_forward(key, target)
        summary = f"nn.Module class {target.__module__}.{target.__qualname__}"
    elif isinstance(target, torch.nn.Module):
        params = ()
        forward = _module_instance_forward(key, target)
        summary = f"nn.Module instance {type(target).__qualname__}"
    elif callable(target) and not isinstance(target, type):
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            signature = None
        params = _parameters(signature, skip_first=True, owner=title) if signature else ()
        forward = lambda F, x, p: target(x, **p)  # noqa: E731
        summary = f"function {getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', title)}"
    else:
        raise SpecError("functions", f"'{key}' is a {type(target).__name__}; an import path must name "
                                     "a function of a tensor, an nn.Module class or an nn.Module "
                                     "instance")
    doc = (inspect.getdoc(target) or "").strip().splitlines()
    return Activation(
        key, checked_forward(key, forward), r"\mathrm{" + title.replace("_", r"\_") + r"}(x)",
        doc[0] if doc else summary, params=params, detect_breakpoints=True, title=title,
        source=f"your code: {summary}",
    )


def _parameters(signature: inspect.Signature, skip_first: bool, owner: str) -> tuple[Parameter, ...]:
    """Keyword arguments with a number or bool default become -p parameters."""
    found = []
    items = list(signature.parameters.values())[1 if skip_first else 0:]
    for item in items:
        if item.kind in (item.VAR_POSITIONAL, item.VAR_KEYWORD):
            continue
        if item.default is item.empty:
            found.append(Parameter(item.name, 1.0, f"argument of {owner} (no default)", required=True))
        elif type(item.default) in SCALAR_KINDS and not (
                isinstance(item.default, float) and not math.isfinite(item.default)):
            found.append(Parameter(item.name, item.default, f"argument of {owner}"))
    return tuple(found)


def _placed(module, x):
    """The module on x's device, in x's dtype (a float32 module plots in float64 too)."""
    tensors = [*module.parameters(), *module.buffers()]
    if any(t.device != x.device or (t.is_floating_point() and t.dtype != x.dtype) for t in tensors):
        module.to(device=x.device, dtype=x.dtype)
    return module


def _module_class_forward(key: str, cls: type) -> Callable:
    instances: dict[tuple, Any] = {}

    def forward(F, x, params):
        identity = tuple(sorted(params.items()))
        if identity not in instances:
            with guarded(f"{key}: {cls.__name__}({_arguments(params)})", ComputeError):
                instances[identity] = cls(**params)
        return _placed(instances[identity], x)(x)

    return forward


def _module_instance_forward(key: str, module) -> Callable:
    return lambda F, x, params: _placed(module, x)(x)


def _arguments(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def checked_forward(key: str, forward: Callable) -> Callable:
    """The user's forward (an import's or a plugin's), with any failure, and any result that is
    not a real tensor like x on x's device, as one ComputeError (exit 1); a result cut off from
    autograd is refused too: its derivative would be drawn as 0."""
    def run(F, x, params):
        import torch

        with guarded(key, ComputeError):
            y = forward(F, x, params)
        if not isinstance(y, torch.Tensor) or y.shape != x.shape:
            what = f"a tensor of shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else \
                f"a {type(y).__name__}"
            raise ComputeError(f"{key} returned {what}; an activation must return a tensor shaped "
                               f"like its input {tuple(x.shape)}")
        if y.is_complex() or not y.is_floating_point():
            raise ComputeError(f"{key} returned a {str(y.dtype).replace('torch.', '')} tensor; an "
                               "activation must return real floating-point values")
        if y.device != x.device:
            raise ComputeError(f"{key} returned a tensor on {y.device}, not on {x.device} where its "
                               "input is; an activation must compute where its input lives")
        if x.requires_grad and not y.requires_grad and torch.is_grad_enabled():
            raise ComputeError(f"{key} returned a tensor with no autograd history (it detaches, or "
                               "leaves torch for numpy), so its derivative cannot be taken")
        return y

    return run
