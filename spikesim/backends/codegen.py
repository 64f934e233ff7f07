"""Turn a model's scalar Python functions into self-contained source for generated kernels.

:func:`function_source` takes a function (a model's ``update``, ``current``, ...), renames it
(``<prefix>_<name>``) and returns its source together with everything it needs from its module:
numeric constants (emitted as ``<prefix>_<NAME> = value``), other plain functions (included the
same way, recursively) and the ``math`` / ``numpy`` modules under the names it uses. Anything
else (an object, a class, a closure) cannot be compiled into a kernel and raises
:class:`~spikesim.neurons.base.ModelError` naming the model, the function and the name.

The generated text is what the drivers compile and what their on-disk cache is keyed by, so a
change of a model's source gives a new kernel (written and imported by :mod:`spikesim.generated`).
"""
from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types

import numpy as np

from spikesim.generated import cache_dir, import_generated  # noqa: F401  (re-exported for the drivers)
from spikesim.neurons.base import ModelError

_BUILTINS_OK = {"abs", "min", "max", "float", "int", "bool", "round", "range", "len", "True", "False", "None"}
_MODULES_OK = {"math": "math", "numpy": "numpy"}


def unwrap(cls, name: str):
    """The plain function behind ``cls.<name>`` (a staticmethod or a function)."""
    obj = inspect.getattr_static(cls, name)
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if not isinstance(obj, types.FunctionType):
        raise ModelError(f"{cls.__name__}.{name} must be a plain function (a @staticmethod), got {type(obj).__name__}")
    return obj


def _fn_ast(fn, label: str) -> ast.FunctionDef:
    try:
        src = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as exc:
        raise ModelError(f"{label}: cannot read the source of {fn.__name__}() ({exc}); define models in a file "
                         "or a notebook cell, not with exec or lambda") from None
    tree = ast.parse(src)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):
        raise ModelError(f"{label}: {fn.__name__} must be defined with def (not a lambda)")
    node.decorator_list = []
    return node


def _local_names(node: ast.FunctionDef) -> set[str]:
    names = {a.arg for a in node.args.args + node.args.kwonlyargs}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
    return names


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name(id=self.mapping[node.id], ctx=node.ctx), node)
        return node


def function_source(fn, new_name: str, prefix: str, label: str, _seen: dict | None = None,
                    external: dict | None = None) -> tuple[str, set[str]]:
    """Source of ``fn`` renamed to ``new_name`` plus its dependencies; returns (source, imports)
    where imports are lines such as ``import numpy as np``. ``external``: functions (objects)
    that are called by the given name instead of being included (the Brian2 translator maps
    :mod:`spikesim.kernel_math`'s functions to Brian2 functions this way)."""
    seen = {} if _seen is None else _seen
    node = _fn_ast(fn, label)
    node.name = new_name
    local = _local_names(node)
    glb = fn.__globals__
    clos = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__ or ())))
    mapping, pieces, imports = {}, [], set()
    for sub in ast.walk(node):
        if not (isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)) or sub.id in local:
            continue
        name = sub.id
        if name in mapping:
            continue
        if name in clos:
            value = clos[name]
        elif name in glb:
            value = glb[name]
        elif name in _BUILTINS_OK or hasattr(builtins, name):
            if name not in _BUILTINS_OK:
                raise ModelError(f"{label}: {fn.__name__}() uses the builtin {name!r}, which kernels do not support")
            continue
        else:
            raise ModelError(f"{label}: {fn.__name__}() uses the name {name!r}, which is not defined where the "
                             "model is")
        if isinstance(value, types.ModuleType):
            base = _MODULES_OK.get(value.__name__)
            if base is None:
                raise ModelError(f"{label}: {fn.__name__}() uses the module {value.__name__!r}; kernels can use "
                                 "math and numpy only")
            imports.add(f"import {base} as {name}" if name != base else f"import {base}")
            continue
        if isinstance(value, (bool, int, float, np.floating, np.integer)) and not isinstance(value, np.bool_):
            mapping[name] = f"{prefix}_{name}"
            pieces.append(f"{prefix}_{name} = {float(value)!r}" if isinstance(value, (float, np.floating))
                          else f"{prefix}_{name} = {int(value)!r}")
            continue
        if isinstance(value, types.FunctionType) and external and value in external:
            mapping[name] = external[value]
            continue
        if isinstance(value, types.FunctionType):
            dep = f"{prefix}_{value.__name__}"
            mapping[name] = dep
            if id(value) not in seen:
                seen[id(value)] = dep
                src, imp = function_source(value, dep, prefix, label, seen, external)
                pieces.append(src)
                imports |= imp
            continue
        raise ModelError(f"{label}: {fn.__name__}() uses {name!r} ({type(value).__name__}); kernels can use "
                         "numbers, math/numpy functions and other plain functions only")
    node = _Rename(mapping).visit(node)
    ast.fix_missing_locations(node)
    head = "\n".join(p for p in pieces)
    body = ast.unparse(node)
    return (head + "\n\n" if head else "") + body, imports



