"""Translate a spikesim model's scalar Python functions into Brian2 abstract code.

The functions are the very source the kernels compile (:func:`spikesim.backends.codegen.
function_source`: the model function, the plain helper functions it calls and the module
constants it reads). :class:`Translator` walks their syntax tree (Python's :mod:`ast`) and
evaluates it *symbolically* for one population:

* values known when the network is built (``dt``, parameters and derived values shared by the
  whole population, numeric constants) are folded in Python with float64 arithmetic, which is
  the arithmetic the kernel does with them at run time;
* everything else becomes Brian2 statements with **one operation per statement**
  (``tq7 = tq5 * x0``), in the evaluation order of the Python expression, so that Brian2's
  sympy pass cannot re-associate sums or products: the numpy target then computes the same
  float64 numbers as the Numba loop;
* ``a if c else b`` and ``if c: ... else: ...`` (including an ``if`` whose body returns, the
  rest of the function being the other branch) with a condition known at build time translate
  only the branch taken (so an unused branch that would divide by zero is never evaluated);
  with a per-neuron condition both branches are evaluated and each result is chosen with
  ``ss_where(c, a, b)``, a Brian2 function that *selects* (``numpy.where`` / C's ``c ? a : b``),
  so the result is exactly the value of the branch taken, whatever the other one is (inf, NaN).
  (The product form ``int(c)*a + (1-int(c))*b`` is not exact when the other branch is not
  finite, which happens in ``exprel`` at 0.)  Booleans are chosen with ``(c and a) or (not c and b)``;
* helper functions are inlined (their arguments bound, their body evaluated in place);
* numbers that are not 0/1-like literals are passed as named constants (``kc3``) in the
  namespace, so no code printer rounds them to 15 digits;
* ``math.*`` / ``numpy.*`` functions map to Brian2 functions. With ``exact_math`` (the numpy
  target's default) the transcendental ones (exp, expm1, log, log1p, sin, cos, tan, tanh,
  pow, ...) are Brian2 functions whose numpy implementation calls Python's ``math`` module
  element by element, i.e. the C library's libm, which is what ``math.exp`` compiles to in
  Numba; NumPy's own vectorised ``exp`` may differ from libm in the last bit on some CPUs.
  Exact but slow (about 0.1 us per call): meant for validation runs. Without it (and on the
  cython / cpp_standalone targets) Brian2's own functions are used (the C library's, up to
  the compiler's optimisations: equal in distribution, not bit for bit). The functions of
  :mod:`spikesim.kernel_math` (which models call as helpers, e.g. Hodgkin-Huxley's rates) are
  not inlined: with ``exact_math`` they are Brian2 functions that run the very Python function
  element by element (the kernels' bits), otherwise Brian2's ``exp`` / ``expm1``.

Supported syntax: arithmetic (+ - * / // % **, unary -/+), comparisons (chained too),
``and``/``or``/``not``, ``a if c else b``, ``if``/``elif``/``else`` blocks, assignments
(tuple unpacking, augmented), ``return`` of a value or tuple, calls of helper functions,
``math``/``numpy`` functions, ``abs``/``min``/``max``/``float``/``int``/``bool``. Anything
else (loops, subscripts, attributes other than math/numpy ones) raises ``NotImplementedError``
naming the model function and the construct.
"""
from __future__ import annotations

import ast
import math
import operator

import numpy as np

from spikesim import kernel_math
from spikesim.backends.codegen import function_source, unwrap
from spikesim.neurons.base import arg_names

# ------------------------------------------------------------------------------------ values


class Sym:
    """A Brian2 name (group variable or temporary); ``kind`` is "float" or "bool"."""

    __slots__ = ("name", "kind")

    def __init__(self, name: str, kind: str = "float"):
        self.name, self.kind = name, kind

    def __repr__(self):
        return f"Sym({self.name}, {self.kind})"


class Const:
    """A value known when the network is built (Python float, int or bool)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Const({self.value!r})"


_BINOPS = {ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
           ast.Div: ("/", operator.truediv), ast.FloorDiv: ("//", operator.floordiv), ast.Mod: ("%", operator.mod),
           ast.Pow: ("**", operator.pow)}
_CMPOPS = {ast.Lt: ("<", operator.lt), ast.LtE: ("<=", operator.le), ast.Gt: (">", operator.gt),
           ast.GtE: (">=", operator.ge), ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne)}


# ------------------------------------------------------------------------ math functions


def _safe1(fn, low=None):
    """Scalar libm call with IEEE results where Python's math raises (overflow -> inf, domain -> nan)."""
    def f(x):
        x = float(x)
        try:
            return fn(x)
        except OverflowError:
            return math.inf
        except ValueError:
            if low is not None and x == low:
                return -math.inf
            return math.nan
    return f


def _safe_pow(x, y):
    try:
        return math.pow(float(x), float(y))
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return float(np.power(float(x), float(y)))


#: name in math / numpy -> (Python scalar function, Brian2 builtin, number of arguments, exact in IEEE)
MATH = {
    "exp": (math.exp, "exp", 1, False), "expm1": (math.expm1, "expm1", 1, False),
    "log": (math.log, "log", 1, False), "log1p": (math.log1p, "log1p", 1, False),
    "log10": (math.log10, "log10", 1, False), "sin": (math.sin, "sin", 1, False),
    "cos": (math.cos, "cos", 1, False), "tan": (math.tan, "tan", 1, False),
    "sinh": (math.sinh, "sinh", 1, False), "cosh": (math.cosh, "cosh", 1, False),
    "tanh": (math.tanh, "tanh", 1, False), "asin": (math.asin, "arcsin", 1, False),
    "arcsin": (math.asin, "arcsin", 1, False), "acos": (math.acos, "arccos", 1, False),
    "arccos": (math.acos, "arccos", 1, False), "atan": (math.atan, "arctan", 1, False),
    "arctan": (math.atan, "arctan", 1, False), "pow": (_safe_pow, None, 2, False),
    "power": (_safe_pow, None, 2, False),
    "sqrt": (math.sqrt, "sqrt", 1, True), "fabs": (abs, "abs", 1, True), "abs": (abs, "abs", 1, True),
    "absolute": (abs, "abs", 1, True), "floor": (math.floor, "floor", 1, True),
    "ceil": (math.ceil, "ceil", 1, True),
    # spikesim.kernel_math's functions (called as helpers in model code; see KERNEL_MATH)
    "kexp": (kernel_math.exp, "exp", 1, False), "kexpm1": (kernel_math.expm1, "expm1", 1, False),
}
#: kernel_math function -> its MATH name: the translator calls it as a Brian2 function (exact_math:
#: the very Python function, element by element, so the numpy target gives the kernels' bits)
KERNEL_MATH = {kernel_math.exp: "kexp", kernel_math.expm1: "kexpm1"}
_LOW = {"log": 0.0, "log10": 0.0, "log1p": -1.0}
_CONSTS = {"e": math.e, "pi": math.pi, "inf": math.inf, "nan": math.nan, "tau": math.tau}


def _vectorised(pyfn, nargs):
    safe = _safe1(pyfn, _LOW.get(getattr(pyfn, "__name__", ""))) if nargs == 1 else pyfn
    uf = np.frompyfunc(safe, nargs, 1)

    def f(*args):
        out = uf(*args)
        return np.asarray(out, dtype=np.float64) if isinstance(out, np.ndarray) else np.float64(out)
    f.__name__ = f"libm_{getattr(pyfn, '__name__', 'fn')}"
    return f


def fast_function(pyfunc, nargs: int, arg_types=None, return_type: str = "float"):
    """A dimensionless Brian2 ``Function`` whose numpy implementation is ``pyfunc`` itself
    (Brian2's default numpy wrapper checks units and formats the result array into an error
    message on every call, which costs more than the computation)."""
    from brian2 import Function
    f = Function(pyfunc, arg_units=[1] * nargs, return_unit=1, arg_types=arg_types or ["float"] * nargs,
                 return_type=return_type, stateless=True)
    f.implementations.add_implementation("numpy", code=pyfunc)
    return f


def brian2_functions(exact_math: bool, used: set[str]) -> dict:
    """Namespace entries for the functions the translated code uses: ``ss_where`` always, the
    ``ss_<name>`` libm functions (exact_math) or ``ss_pow`` (Brian2 has no two-argument power
    function)."""
    ns = {}

    def where(c, a, b):
        return np.where(c, a, b)
    f = fast_function(where, 3, arg_types=["boolean", "float", "float"])
    f.implementations.add_implementation("cpp", "static inline double ss_where(bool c, double a, double b)"
                                                "{ return c ? a : b; }", name="ss_where")
    f.implementations.add_implementation("cython", "cdef double ss_where(bint c, double a, double b):\n"
                                                   "    return a if c else b\n", name="ss_where")
    ns["ss_where"] = f
    for name in sorted(used):
        pyfn, b2name, nargs, _ = MATH[name]
        if not (exact_math or b2name is None):
            continue
        fn = fast_function(_vectorised(pyfn, nargs) if exact_math else _numpy_math(name), nargs)
        cname = {"fabs": "fabs", "absolute": "fabs", "power": "pow", "arcsin": "asin", "arccos": "acos",
                 "arctan": "atan", "kexp": "exp", "kexpm1": "expm1"}.get(name, name)
        args = ", ".join(f"double a{k}" for k in range(nargs))
        call = ", ".join(f"a{k}" for k in range(nargs))
        fn.implementations.add_implementation("cpp", f"static inline double ss_{name}({args}){{ return {cname}({call}); }}",
                                              name=f"ss_{name}")
        fn.implementations.add_implementation("cython", f"from libc.math cimport {cname} as _c_{name}\n"
                                                        f"cdef double ss_{name}({args}):\n"
                                                        f"    return _c_{name}({call})\n", name=f"ss_{name}")
        ns[f"ss_{name}"] = fn
    return ns


def _numpy_math(name):
    return {"pow": np.power, "power": np.power}.get(name) or getattr(np, MATH[name][1])


# ------------------------------------------------------------------------------ translator


class Constants:
    """Named constants of the Brian2 namespace, shared by all translated code of one network."""

    def __init__(self):
        self.names: dict[tuple, str] = {}
        self.values: dict[str, float] = {}

    def name(self, value) -> str:
        if isinstance(value, (bool, np.bool_)):
            return "True" if value else "False"
        if isinstance(value, (int, np.integer)) and abs(int(value)) < 2 ** 31:
            key = ("i", int(value))
        else:
            value = float(value)
            key = ("f", value.hex() if math.isfinite(value) else repr(value))
        if key not in self.names:
            nm = f"kc{len(self.names)}"
            self.names[key] = nm
            self.values[nm] = int(value) if key[0] == "i" else float(value)
        return self.names[key]


class Emitter:
    """Collects one-operation statements; temporaries are named ``<prefix><k>``."""

    def __init__(self, consts: Constants, prefix: str = "tq"):
        self.lines: list[str] = []
        self.consts = consts
        self.prefix = prefix
        self.k = 0
        self.math_used: set[str] = set()
        self.exact_math = True

    def ref(self, v) -> str:
        if isinstance(v, Sym):
            return v.name
        return self.consts.name(v.value)

    def temp(self, expr: str, kind: str = "float") -> Sym:
        name = f"{self.prefix}{self.k}"
        self.k += 1
        self.lines.append(f"{name} = {expr}")
        return Sym(name, kind)

    def assign(self, target: str, v) -> None:
        self.lines.append(f"{target} = {self.ref(v)}")


class _Source:
    """A model function's self-contained source (function_source) parsed into functions and constants."""

    def __init__(self, cls, fname: str, label: str):
        src, imports = function_source(unwrap(cls, fname), "ss_main", "ssm", label, external=KERNEL_MATH)
        self.label = label
        self.modules = {}
        for line in imports:
            parts = line.split()
            mod, alias = parts[1], parts[-1]
            self.modules[alias] = mod
        self.modules.setdefault("math", "math")
        self.functions: dict[str, ast.FunctionDef] = {}
        self.constants: dict[str, object] = {}
        for node in ast.parse(src).body:
            if isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.constants[node.targets[0].id] = ast.literal_eval(node.value)
            else:
                raise NotImplementedError(f"{label}: unexpected top-level statement in the model source")


class Translator:
    """Symbolic evaluation of one model function for one population."""

    def __init__(self, emitter: Emitter, cls, fname: str, label: str):
        self.em = emitter
        self.src = _Source(cls, fname, label)
        self.label = f"{label}.{fname}"
        self.argnames = arg_names(getattr(cls, fname))

    def __call__(self, binding: dict):
        missing = [a for a in self.argnames if a not in binding]
        if missing:
            raise NotImplementedError(f"{self.label}: no Brian2 value for {missing}")
        return self._call(self.src.functions["ss_main"], [binding[a] for a in self.argnames], {})

    # ---- statements
    def _fail(self, node, what):
        line = getattr(node, "lineno", "?")
        raise NotImplementedError(f"{self.label}: {what} (line {line} of the translated source) has no Brian2 "
                                  "translation in spikesim.compare.brian2")

    def _call(self, fn: ast.FunctionDef, args: list, kwargs: dict):
        params = [a.arg for a in fn.args.args]
        if fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs:
            self._fail(fn, "a function with *args/**kwargs/keyword-only arguments")
        env = dict(zip(params, args))
        env.update(kwargs)
        defaults = fn.args.defaults
        for name, d in zip(params[len(params) - len(defaults):], defaults):
            if name not in env:
                env[name] = self._expr(d, {})
        if set(params) - set(env):
            self._fail(fn, f"a call of {fn.name} without {sorted(set(params) - set(env))}")
        out = self._block(list(fn.body), env)
        if out is None:
            return Const(None)
        return out

    def _block(self, stmts: list, env: dict):
        """Run statements; returns the returned value or None (fell off the end)."""
        for k, st in enumerate(stmts):
            if isinstance(st, ast.Return):
                return Const(None) if st.value is None else self._expr(st.value, env)
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
                continue                                            # docstring
            if isinstance(st, ast.Pass):
                continue
            if isinstance(st, ast.Assign):
                v = self._expr(st.value, env)
                for tgt in st.targets:
                    self._bind(tgt, v, env)
                continue
            if isinstance(st, ast.AnnAssign) and st.value is not None:
                self._bind(st.target, self._expr(st.value, env), env)
                continue
            if isinstance(st, ast.AugAssign):
                v = self._binop(st.op, self._expr(ast.Name(st.target.id, ast.Load()), env), self._expr(st.value, env), st)
                self._bind(st.target, v, env)
                continue
            if isinstance(st, ast.If):
                rest = stmts[k + 1:]
                c = self._expr(st.test, env)
                if isinstance(c, Const):
                    return self._block(list(st.body if c.value else st.orelse) + rest, env)
                c = self._as_bool(c)
                env_a, env_b = dict(env), dict(env)
                ra = self._block(list(st.body) + rest, env_a)
                rb = self._block(list(st.orelse) + rest, env_b)
                if (ra is None) != (rb is None):
                    self._fail(st, "an if whose branches do not both return")
                if ra is not None:
                    return self._merge(c, ra, rb)
                for name in set(env_a) | set(env_b):
                    if name in env_a and name in env_b:
                        env[name] = self._merge(c, env_a[name], env_b[name])
                return None
            self._fail(st, f"the statement {type(st).__name__}")
        return None

    def _bind(self, tgt, v, env):
        if isinstance(tgt, ast.Name):
            env[tgt.id] = v
        elif isinstance(tgt, (ast.Tuple, ast.List)):
            if not isinstance(v, tuple) or len(v) != len(tgt.elts):
                self._fail(tgt, "unpacking of a value that is not a tuple of the same length")
            for t, x in zip(tgt.elts, v):
                self._bind(t, x, env)
        else:
            self._fail(tgt, f"assignment to {type(tgt).__name__}")

    # ---- selection
    def _as_bool(self, v):
        if isinstance(v, Const):
            return Const(bool(v.value))
        if v.kind == "bool":
            return v
        return self.em.temp(f"{v.name} != 0", "bool")

    def _merge(self, c, a, b):
        if isinstance(a, tuple) or isinstance(b, tuple):
            if not (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)):
                raise NotImplementedError(f"{self.label}: branches return tuples of different lengths")
            return tuple(self._merge(c, x, y) for x, y in zip(a, b))
        if a is b:
            return a
        if isinstance(a, Const) and isinstance(b, Const) and type(a.value) is type(b.value) and (
                a.value == b.value and (not isinstance(a.value, float) or math.copysign(1, a.value) == math.copysign(1, b.value))):
            return a
        kinds = {x.kind if isinstance(x, Sym) else ("bool" if isinstance(x.value, (bool, np.bool_)) else "float")
                 for x in (a, b)}
        em = self.em
        if kinds == {"bool"}:
            ca = em.temp(f"{c.name} and {em.ref(a)}", "bool")
            nc = em.temp(f"not {c.name}", "bool")
            cb = em.temp(f"{nc.name} and {em.ref(b)}", "bool")
            return em.temp(f"{ca.name} or {cb.name}", "bool")
        return em.temp(f"ss_where({c.name}, {em.ref(a)}, {em.ref(b)})")

    # ---- expressions
    def _expr(self, node, env):
        em = self.em
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bool, int, float)):
                return Const(node.value)
            self._fail(node, f"the constant {node.value!r}")
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.src.constants:
                return Const(self.src.constants[node.id])
            if node.id in ("True", "False"):
                return Const(node.id == "True")
            self._fail(node, f"the name {node.id!r}")
        if isinstance(node, ast.Tuple):
            return tuple(self._expr(e, env) for e in node.elts)
        if isinstance(node, ast.BinOp):
            return self._binop(node.op, self._expr(node.left, env), self._expr(node.right, env), node)
        if isinstance(node, ast.UnaryOp):
            v = self._expr(node.operand, env)
            if isinstance(node.op, ast.Not):
                if isinstance(v, Const):
                    return Const(not v.value)
                return em.temp(f"not {self._as_bool(v).name}", "bool")
            if isinstance(node.op, ast.USub):
                return Const(-v.value) if isinstance(v, Const) else em.temp(f"-{v.name}", v.kind)
            if isinstance(node.op, ast.UAdd):
                return v
            self._fail(node, "the operator ~")
        if isinstance(node, ast.Compare):
            left = self._expr(node.left, env)
            parts = []
            for op, comp in zip(node.ops, node.comparators):
                right = self._expr(comp, env)
                if type(op) not in _CMPOPS:
                    self._fail(node, f"the comparison {type(op).__name__}")
                sym, fn = _CMPOPS[type(op)]
                if isinstance(left, Const) and isinstance(right, Const):
                    parts.append(Const(bool(fn(left.value, right.value))))
                else:
                    parts.append(em.temp(f"{em.ref(left)} {sym} {em.ref(right)}", "bool"))
                left = right
            return self._boolop("and", parts)
        if isinstance(node, ast.BoolOp):
            # short-circuit on values known at build time (later operands are then not evaluated)
            word = "and" if isinstance(node.op, ast.And) else "or"
            parts = []
            for v in node.values:
                x = self._expr(v, env)
                parts.append(x)
                if isinstance(x, Const) and bool(x.value) == (word == "or"):
                    break
            return self._boolop(word, parts)
        if isinstance(node, ast.IfExp):
            c = self._expr(node.test, env)
            if isinstance(c, Const):
                return self._expr(node.body if c.value else node.orelse, env)
            c = self._as_bool(c)
            return self._merge(c, self._expr(node.body, env), self._expr(node.orelse, env))
        if isinstance(node, ast.Call):
            return self._callexpr(node, env)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and self.src.modules.get(node.value.id) in ("math", "numpy") \
                    and node.attr in _CONSTS:
                return Const(_CONSTS[node.attr])
            self._fail(node, f"the attribute {ast.unparse(node)}")
        self._fail(node, f"the expression {type(node).__name__}")

    def _boolop(self, word, parts):
        """Logical and/or of booleans: a known operand that decides the result (False for and,
        True for or) gives that constant; known operands that do not are dropped."""
        absorbing = word == "or"
        syms = []
        for p in parts:
            if isinstance(p, Const):
                if bool(p.value) == absorbing:
                    return Const(absorbing)
                continue
            syms.append(p)
        if not syms:
            return Const(not absorbing)
        if len(syms) == 1:
            return syms[0]
        acc = self._as_bool(syms[0])
        for s in syms[1:]:
            acc = self.em.temp(f"{acc.name} {word} {self._as_bool(s).name}", "bool")
        return acc

    def _binop(self, op, a, b, node):
        if isinstance(op, (ast.BitAnd, ast.BitOr)):         # on booleans: logical and / or (branch-free models)
            kinds = {x.kind if isinstance(x, Sym) else ("bool" if isinstance(x.value, (bool, np.bool_)) else "int")
                     for x in (a, b)}
            if kinds != {"bool"}:
                self._fail(node, "a bitwise operator on non-boolean values")
            return self._boolop("and" if isinstance(op, ast.BitAnd) else "or", [a, b])
        if type(op) not in _BINOPS:
            self._fail(node, f"the operator {type(op).__name__}")
        sym, fn = _BINOPS[type(op)]
        if isinstance(a, Const) and isinstance(b, Const):
            try:
                return Const(fn(a.value, b.value))
            except ZeroDivisionError:
                return Const(float(np.divide(np.float64(a.value), np.float64(b.value))))
        return self.em.temp(f"{self.em.ref(a)} {sym} {self.em.ref(b)}")

    def _callexpr(self, node, env):
        em = self.em
        f = node.func
        if node.keywords and not (isinstance(f, ast.Name) and f.id in self.src.functions):
            self._fail(node, "keyword arguments to a library function")
        args = [self._expr(a, env) for a in node.args]
        if isinstance(f, ast.Name) and f.id in self.src.functions:
            kwargs = {k.arg: self._expr(k.value, env) for k in node.keywords}
            return self._call(self.src.functions[f.id], args, kwargs)
        if isinstance(f, ast.Name) and f.id in KERNEL_MATH.values():
            return self._math(f.id, args, node)
        if isinstance(f, ast.Name) and f.id in ("float", "abs", "int", "bool", "min", "max", "round"):
            name = f.id
            if name == "float":
                (x,) = args
                return Const(float(x.value)) if isinstance(x, Const) else (x if x.kind == "float" else em.temp(f"int({x.name})"))
            if name == "bool":
                return self._as_bool(args[0])
            if name == "int":
                (x,) = args
                return Const(int(x.value)) if isinstance(x, Const) else em.temp(f"int({x.name})")
            if name == "abs":
                return self._math("abs", args, node)
            if name in ("min", "max"):
                if len(args) < 2:
                    self._fail(node, f"{name}() of one argument")
                acc = args[0]
                for x in args[1:]:
                    if isinstance(acc, Const) and isinstance(x, Const):
                        acc = Const((min if name == "min" else max)(acc.value, x.value))
                        continue
                    # Python's min(a, b) returns a unless b < a (max: unless b > a)
                    c = em.temp(f"{em.ref(x)} {'<' if name == 'min' else '>'} {em.ref(acc)}", "bool")
                    acc = self._merge(c, x, acc)
                return acc
            self._fail(node, "round()")
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                self.src.modules.get(f.value.id) in ("math", "numpy"):
            name = f.attr
            if name in ("float64", "double"):
                return args[0]
            if name in ("minimum", "maximum", "fmin", "fmax"):
                a, b = args
                c = em.temp(f"{em.ref(b)} {'<' if 'min' in name else '>'} {em.ref(a)}", "bool")
                return self._merge(c, b, a)
            if name in MATH:
                return self._math(name, args, node)
        self._fail(node, f"the call {ast.unparse(f)}()")

    def _math(self, name, args, node):
        pyfn, b2name, nargs, exact = MATH[name]
        if len(args) != nargs:
            self._fail(node, f"{name}() with {len(args)} arguments")
        if all(isinstance(a, Const) for a in args):
            try:
                value = pyfn(*[a.value for a in args])
                return Const(float(value) if isinstance(value, np.floating) else value)
            except (OverflowError, ValueError):
                return Const(_safe1(pyfn, _LOW.get(name))(args[0].value) if nargs == 1 else _safe_pow(*[a.value for a in args]))
        em = self.em
        refs = ", ".join(em.ref(a) for a in args)
        if exact or not (em.exact_math or b2name is None):
            return em.temp(f"{b2name}({refs})")
        em.math_used.add(name)
        return em.temp(f"ss_{name}({refs})")


def translate(emitter: Emitter, cls, fname: str, binding: dict, label: str | None = None):
    """Evaluate ``cls.<fname>`` on ``binding`` (name -> Sym/Const); statements go to ``emitter``.
    Returns the function's value (a Sym/Const, or a tuple of them)."""
    return Translator(emitter, cls, fname, label or f"{cls.kind_label} {cls.__name__}")(binding)


__all__ = ["Const", "Constants", "Emitter", "Sym", "Translator", "brian2_functions", "translate", "MATH"]
