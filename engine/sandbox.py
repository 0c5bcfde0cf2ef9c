"""The script environment for gateway conditions, script tasks and timer expressions.

Two layers. At deploy, `check_source` reads each expression's syntax tree and refuses imports,
dunder access and builtins outside an allowed set. At run time, code is compiled with
RestrictedPython and runs with only those builtins and guarded attribute, item and iteration
access, so whatever slips past the first layer fails its task with a clear error.
"""

from __future__ import annotations

import ast
import builtins
import json
import operator
import re
import warnings
from collections.abc import Callable, Iterable, MutableMapping
from functools import lru_cache
from types import CodeType
from typing import Any, Literal

from RestrictedPython import compile_restricted
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

Mode = Literal["eval", "exec"]

MAX_RESULT_ITEMS = 200_000
MAX_RESULT_CHARS = 5_000_000

ALLOWED_BUILTINS: frozenset[str] = frozenset(
    {
        "True",
        "False",
        "None",
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "frozenset",
        "int",
        "isinstance",
        "len",
        "list",
        "map",
        "max",
        "min",
        "range",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "ValueError",
    }
)
_PYTHON_BUILTINS = frozenset(dir(builtins))
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Import: "impor modul tidak diizinkan",
    ast.ImportFrom: "impor modul tidak diizinkan",
    ast.Global: "pernyataan global tidak diizinkan",
    ast.Nonlocal: "pernyataan nonlocal tidak diizinkan",
    ast.ClassDef: "definisi kelas tidak diizinkan",
    ast.AsyncFunctionDef: "fungsi async tidak diizinkan",
    ast.Await: "await tidak diizinkan",
    ast.Yield: "yield tidak diizinkan",
    ast.YieldFrom: "yield tidak diizinkan",
    ast.With: "pernyataan with tidak diizinkan",
    ast.AsyncWith: "pernyataan with tidak diizinkan",
}


# Attributes that lead from a value to the interpreter's frames, code or globals (and from there
# to the real builtins): a generator expression's `gi_frame.f_globals`, for one. Refused at deploy
# by `check_source` and at run time by the attribute guard.
_INTERPRETER_PREFIXES: tuple[str, ...] = ("gi_", "cr_", "ag_", "f_", "tb_", "co_", "func_", "im_")
_INTERPRETER_NAMES: frozenset[str] = frozenset({"mro", "format_map"})


class SandboxViolation(Exception):
    """Code broke a sandbox rule at run time."""


def refused_attribute(name: str) -> str | None:
    """Why attribute `name` may not be read by a script (None when it may)."""
    if name.startswith("_"):
        return f"atribut {name!r} tidak diizinkan (diawali garis bawah)"
    if name.startswith(_INTERPRETER_PREFIXES) or name in _INTERPRETER_NAMES:
        return f"atribut {name!r} tidak diizinkan (membuka bagian dalam interpreter)"
    return None


def check_source(source: str, mode: Mode) -> list[tuple[int, str]]:
    """Return (line, message) for every rule the code breaks; empty when it may be deployed."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return [(exc.lineno or 1, f"sintaks Python tidak valid: {exc.msg}")]
    problems = [(getattr(node, "lineno", 1), msg) for node, msg in _violations(tree)]
    return problems or _compile_problems(source, mode)


def _compile_problems(source: str, mode: Mode) -> list[tuple[int, str]]:
    """What RestrictedPython refuses to compile (a `match` statement, for one), as the runtime would."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            _compile(source, mode)
    except SyntaxError as exc:
        errors = exc.args[0] if exc.args and isinstance(exc.args[0], tuple | list) else (str(exc),)
        return [_compile_problem(str(error)) for error in errors]
    return []


def _compile_problem(error: str) -> tuple[int, str]:
    found = re.match(r"Line (\d+): (.*)", error)
    line, message = (int(found.group(1)), found.group(2)) if found else (1, error)
    return line, f"tidak dapat dikompilasi di sandbox: {message}"


def _violations(tree: ast.AST) -> Iterable[tuple[ast.AST, str]]:
    for node in ast.walk(tree):
        refused = _REFUSED_NODES.get(type(node))
        if refused:
            yield node, refused
        elif isinstance(node, ast.Attribute) and refused_attribute(node.attr):
            yield node, str(refused_attribute(node.attr))
        elif isinstance(node, ast.Name):
            message = _name_violation(node.id)
            if message:
                yield node, message
        elif isinstance(node, ast.FunctionDef | ast.Lambda):
            for arg in ast.walk(node.args):
                if isinstance(arg, ast.arg) and arg.arg.startswith("_"):
                    yield node, f"nama {arg.arg!r} tidak diizinkan (diawali garis bawah)"


def _name_violation(name: str) -> str | None:
    if name.startswith("_"):
        return f"nama {name!r} tidak diizinkan (diawali garis bawah)"
    if name in _PYTHON_BUILTINS and name not in ALLOWED_BUILTINS:
        return f"fungsi bawaan {name!r} tidak diizinkan"
    return None


@lru_cache(maxsize=1024)
def _compile(source: str, mode: Mode) -> CodeType:
    # RestrictedPython rewrites attribute, item and iteration access into guarded calls.
    code: CodeType = compile_restricted(source, filename="<bpmn>", mode=mode)
    return code


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "+=": operator.iadd,
        "-=": operator.isub,
        "*=": operator.imul,
        "/=": operator.itruediv,
        "//=": operator.ifloordiv,
        "%=": operator.imod,
        "|=": operator.ior,
        "&=": operator.iand,
    }
    if op not in operations:
        raise SandboxViolation(f"operator {op} tidak diizinkan")
    return operations[op](target, value)


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    refused = refused_attribute(name)
    if refused:
        raise SandboxViolation(refused)
    return safer_getattr(obj, name, default)


_SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in ALLOWED_BUILTINS}
_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
}
_RESERVED = frozenset(_GUARDS) | {"__builtins__"}


def _globals(context: MutableMapping[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    scope: dict[str, Any] = {"__builtins__": _SAFE_BUILTINS, **_GUARDS}
    scope.update(extra or {})
    scope.update(context)
    return scope


def evaluate(source: str, context: MutableMapping[str, Any], extra: dict[str, Any] | None = None) -> Any:
    """Evaluate an expression against process variables."""
    return eval(_compile(source.strip(), "eval"), _globals(context, extra))  # noqa: S307 - restricted code


def execute(source: str, context: MutableMapping[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Run a script; the variables it leaves behind become the process variables."""
    scope = _globals(context, extra)
    exec(_compile(source, "exec"), scope)  # noqa: S102 - restricted code
    hidden = _RESERVED | set(extra or {})
    result = {k: v for k, v in scope.items() if k not in hidden and not callable(v)}
    _require_json(result)
    for gone in set(context) - set(result):
        del context[gone]
    context.update(result)


def require_bounded(value: Any) -> None:
    """Refuse a result of more than MAX_RESULT_ITEMS values or MAX_RESULT_CHARS characters of text.

    A list of a hundred references to a list of a million is small in memory, but not once saved.
    """
    items, chars, stack = 0, 0, [value]
    while stack:
        current = stack.pop()
        items += 1
        if isinstance(current, str):
            chars += len(current)
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list | tuple):
            stack.extend(current)
        if items > MAX_RESULT_ITEMS or chars > MAX_RESULT_CHARS:
            raise SandboxViolation("hasil skrip terlalu besar untuk disimpan sebagai variabel proses")


def _require_json(values: dict[str, Any]) -> None:
    require_bounded(values)
    try:
        json.dumps(values, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SandboxViolation(f"variabel proses harus berupa data JSON: {exc}") from exc
