"""Neuron models from Brian2 equations: ``ss.neurons.from_brian2(...)``.

::

    AdEx = ss.neurons.from_brian2('''
        dv/dt = (-g_L*(v - E_L) + g_L*Delta_T*exp((v - V_T)/Delta_T) - w + I)/C : volt (unless refractory)
        dw/dt = (a*(v - E_L) - w)/tau_w : amp
        ''', threshold="v > V_T + 5*Delta_T", reset="v = E_L; w += b", refractory=0.5 * ms,
        method="euler", params=dict(C=281*pF, g_L=30*nS, E_L=-70.6*mV, V_T=-50.4*mV, Delta_T=2*mV,
                                    tau_w=144*ms, a=4*nS, b=80.5*pA), initial=dict(v=-70.6*mV))
    pop = net.add(AdEx(100, b=np.linspace(0, 100, 100)), name="adex")

What it does, all with Brian2's own machinery (nothing here parses equations):

1. ``brian2.Equations`` parses the model; ``brian2.equations.refractory.add_refractoriness``
   multiplies the right-hand side of every ``(unless refractory)`` equation by
   ``int(not_refractory)``, as a Brian2 ``NeuronGroup`` does;
2. the Brian2 state updater named by ``method`` (``"euler"``, ``"exact"`` (= ``"linear"``),
   ``"rk2"``, ``"rk4"``, ``"exponential_euler"``, ``"heun"``) turns the equations into abstract
   code (sympy-based, subexpressions substituted);
3. each abstract-code statement, the threshold condition and the reset statements (parsed by
   ``brian2.parsing.statements.parse_statement``) are rendered back to Python by a subclass of
   Brian2's ``NodeRenderer`` that maps Brian2's functions onto ``math`` (``exp`` ->
   ``math.exp``, ``exprel`` -> a helper, ...) and writes integer powers as products
   (``v**2`` -> ``v*v``, the same in Python and Numba, unlike ``pow``);
4. the scalar ``update`` / ``threshold`` / ``reset`` (and ``derived``) functions are written to
   a module file in the kernel cache directory (``$SPIKESIM_CACHE_DIR`` or
   ``~/.cache/spikesim/kernels``, named by the hash of its source) and imported, so they are
   ordinary functions whose source ``inspect`` can read: every backend compiles them like a
   hand-written model. ``Model.generated_source`` holds that source.

Names
-----
``I`` is spikesim's total input current of the step (external currents, noise, synapse
currents); it must not be a differential equation or subexpression (declaring it as a parameter,
``I : amp``, is allowed and ignored). ``t`` and ``dt`` are the step's time and length.
Differential-equation variables are the model's state variables (initial values from
``initial``, default 0). Every other name in the equations, threshold or reset must be a
parameter (``params``: defaults of the model's per-neuron parameters, settable at construction
like any model's: ``Model(n, tau=rng.uniform(...))``), a constant of ``namespace`` (folded into
the generated code), a Brian2 unit or one of Brian2's constants ``pi``, ``e``, ``inf``.

Units
-----
spikesim is unitless: numbers are in mV, ms and pA and what follows from them (nS = pA/mV,
pF = pA ms/mV, GOhm = mV/pA, mV/ms, 1/ms; metre, mole, kelvin stay SI). A Brian2 quantity given
in ``params``, ``initial``, ``namespace`` or ``refractory`` is converted to that system (e.g.
``30*nS`` -> 30.0, ``144*ms`` -> 144.0, ``1*second`` -> 1000.0, ``5*Hz`` -> 0.005), rounded to
15 significant digits (which removes the last-bit error of Brian2's SI scaling:
``float(3*nS) / 1e-9 == 3.0000000000000004``); a plain number is taken as already in these units.
Unit names inside the equations (``v > -50*mV``) become their values in the same system. The
unit declarations after ``:`` are not checked against each other (write ``: 1`` if you like):
the equations must simply be consistent in the units above, as a hand-written model.

Refractoriness
--------------
``refractory`` is a duration (ms or a Brian2 quantity, default 0: none). It maps onto Brian2's
semantics: after a spike at step n the threshold is blocked until step n + ceil(t_ref / dt),
and ``(unless refractory)`` variables do not integrate during the updates in between (variables
without the flag keep integrating). The countdown is a state variable ``ref`` and the duration a
parameter ``t_ref`` (per neuron, as for LIF).

Not supported (a clear :class:`~spikesim.neurons.base.ModelError` at the call)
------------------------------------------------------------------------------
* stochastic equations (``xi``; use ``ss.inputs.GaussianCurrent`` for noise currents) and the
  random functions ``rand()``, ``randn()``, ``poisson()``;
* refractoriness given as a condition (``refractory="v > -50*mV"``) or per-neuron expression;
* ``(linked)`` variables, integer and boolean variables, ``(constant over dt)`` subexpressions,
  and Brian2 user functions or ``TimedArray`` in the namespace (use ``net.inject`` with an
  (n_steps, n) array instead);
* synaptic equations (``on_pre``/``on_post``, ``(event-driven)``, ``(clock-driven)``,
  ``(summed)`` variables): write synapses with :mod:`spikesim.synapses`; a summed current
  arrives in ``I``;
* ``I`` in the threshold or reset (only the update sees the input current);
* a reset that assigns anything but a differential-equation variable (a parameter changed at
  a spike, as Brian2's adaptive-threshold example does with a non-constant parameter, must be
  written as a state variable ``dvt/dt = 0 : volt``).

Differences from Brian2 to know about: spikes arriving at a ``Delta("v")`` synapse on an
``(unless refractory)`` variable are still added during the refractory period (Brian2 drops
them); Brian2's rounding (its sympy pass re-associates sums) is kept as it is, so a model
from equations matches a hand-written one to rounding, not bit for bit (tested: the same spikes
and v within 1e-9 over 300 ms for AdEx and QIF; LIF with ``method="exact"``). Reference and
numba run the generated functions bit-identically, like any model. A model is Python source in
a file: building one from equations costs Brian2's sympy pass (0.1-1 s), not a kernel compile.
"""
from __future__ import annotations

import ast
import math
import numbers
import textwrap

import numpy as np

from .base import ModelError, NeuronModel

METHODS = ("euler", "exact", "linear", "rk2", "rk4", "exponential_euler", "heun")
#: Brian2 functions and the Python (math) expressions they become; {0}, {1}, ... are the arguments
FUNCTIONS = {
    "exp": "math.exp({0})", "log": "math.log({0})", "log10": "math.log10({0})", "log1p": "math.log1p({0})",
    "expm1": "math.expm1({0})", "sqrt": "math.sqrt({0})", "sin": "math.sin({0})", "cos": "math.cos({0})",
    "tan": "math.tan({0})", "sinh": "math.sinh({0})", "cosh": "math.cosh({0})", "tanh": "math.tanh({0})",
    "arcsin": "math.asin({0})", "arccos": "math.acos({0})", "arctan": "math.atan({0})", "abs": "abs({0})",
    "floor": "float(math.floor({0}))", "ceil": "float(math.ceil({0}))", "int": "float(int({0}))",
    "exprel": "_exprel({0})", "clip": "_clip({0}, {1}, {2})", "sign": "_sign({0})",
}
UNSUPPORTED_FUNCTIONS = {"rand", "randn", "poisson", "timestep"}
CONSTANTS = {"pi": "math.pi", "e": "math.e", "inf": "math.inf"}
HELPERS = {
    "_exprel": '''def _exprel(x):
    """(exp(x) - 1) / x, continuous at 0 (Brian2's exprel)."""
    if abs(x) < 1e-16:
        return 1.0
    return math.expm1(x) / x''',
    "_clip": '''def _clip(x, low, high):
    return min(max(x, low), high)''',
    "_sign": '''def _sign(x):
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)''',
}
ALLOWED_FLAGS = {"unless refractory", "constant", "shared"}
RESERVED = ("ref", "t_ref", "ref_steps", "not_refractory", "lastspike", "I", "t", "dt")
MAX_INT_POWER = 8


def _brian2():
    try:
        import brian2
    except ImportError as exc:                          # pragma: no cover - brian2 is in the extras
        raise ImportError("ss.neurons.from_brian2 needs Brian2: pip install 'spikesim[compare]'") from exc
    return brian2


def to_spikesim(value, what: str) -> float:
    """A Brian2 quantity (or a plain number, taken as already in spikesim units) as a float in
    the mV / ms / pA system (see the module docstring)."""
    b2 = _brian2()
    if isinstance(value, b2.Quantity):
        if np.ndim(value) != 0:
            raise ValueError(f"{what} must be a scalar (give per-neuron values when constructing the model)")
        m, kg, s, a = value.dim._dims[:4]
        scale = 1e-24 ** kg * 1e-3 ** s * 1e-12 ** a   # kg, s, A per spikesim unit (m, K, mol, cd: SI)
        x = float(np.asarray(value)) / scale
        return float(f"{x:.15g}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{what} must be a number or a Brian2 quantity, got {type(value).__name__}")
    return float(value)


class _Renderer:
    """Brian2's ``NodeRenderer`` with spikesim's name and function mapping."""

    def __init__(self, resolve):
        from brian2.parsing.rendering import NodeRenderer

        outer = self

        class R(NodeRenderer):
            def render_Name(self, node):
                return outer.resolve(node.id)

            def render_Call(self, node):
                fname = node.func.id if isinstance(node.func, ast.Name) else None
                if fname in UNSUPPORTED_FUNCTIONS:
                    raise ModelError(f"from_brian2: the function {fname}() is not supported (random numbers and "
                                     "timestep() have no spikesim equivalent inside a model; use ss.inputs for noise)")
                if fname not in FUNCTIONS:
                    raise ModelError(f"from_brian2: the function {fname}() is not supported; supported: "
                                     f"{sorted(FUNCTIONS)}")
                if node.keywords:
                    raise ModelError(f"from_brian2: keyword arguments in {fname}() are not supported")
                args = [self.render_node(a) for a in node.args]
                outer.functions.add(fname)
                return "(" + FUNCTIONS[fname].format(*args) + ")"

            def render_BinOp(self, node):
                if isinstance(node.op, ast.Pow):
                    return outer.power(self, node)
                return super().render_BinOp(node)

            def render_Constant(self, node):
                if isinstance(node.value, bool):
                    return repr(node.value)
                return repr(float(node.value)) if isinstance(node.value, int) else super().render_Constant(node)

        self.resolve = resolve
        self.functions: set[str] = set()
        self.r = R()

    def power(self, r, node):
        base = r.render_element_parentheses(node.left)
        exp = node.right
        if isinstance(exp, ast.UnaryOp) and isinstance(exp.op, ast.USub) and isinstance(exp.operand, ast.Constant):
            k = -exp.operand.value
        elif isinstance(exp, ast.Constant):
            k = exp.value
        else:
            k = None
        if isinstance(k, (int, float)) and not isinstance(k, bool) and float(k).is_integer() \
                and 0 < abs(k) <= MAX_INT_POWER:
            prod = "(" + " * ".join([base] * int(abs(k))) + ")"
            return prod if k > 0 else f"(1.0 / {prod})"
        if k == 0:
            return "1.0"
        if k == 0.5:
            return f"math.sqrt({r.render_node(node.left)})"
        return f"math.pow({r.render_node(node.left)}, {r.render_node(node.right)})"

    def expr(self, code: str) -> str:
        try:
            return self.r.render_expr(code)
        except SyntaxError as exc:
            raise ModelError(f"from_brian2: cannot read {code!r}: {exc}") from None


def _statements(code: str, what: str):
    from brian2.parsing.statements import parse_statement

    out = []
    for line in code.replace(";", "\n").splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        try:
            var, op, expr, _ = parse_statement(line)
        except Exception as exc:                        # noqa: BLE001 - Brian2 raises several types
            raise ModelError(f"from_brian2: cannot read the {what} statement {line!r}: {exc}") from None
        out.append((var, op, expr))
    return out


def _identifiers(code: str) -> set[str]:
    from brian2.utils.stringtools import get_identifiers
    return set(get_identifiers(code))


def _import_source(source: str):
    from spikesim.generated import import_generated
    return import_generated(source, "spikesim_model")


def from_brian2(equations, threshold, reset=None, refractory=0.0, method="euler", params=None, namespace=None,
                initial=None, name="Brian2Model"):
    """A :class:`~spikesim.neurons.base.NeuronModel` subclass from Brian2 model equations (see the
    module docstring for names, units, refractoriness and what is not supported).

    ``equations``: a string or ``brian2.Equations``; ``threshold``: a Brian2 condition string;
    ``reset``: Brian2 statements (``"v = v_r; w += b"``) or None; ``refractory``: a duration;
    ``method``: a Brian2 state updater name; ``params``: name -> default of the parameters;
    ``namespace``: name -> constant; ``initial``: state variable -> default initial value;
    ``name``: the class name (used in error messages and the kernel cache key).
    """
    b2 = _brian2()
    from brian2.equations.equations import DIFFERENTIAL_EQUATION, FLOAT, PARAMETER, SUBEXPRESSION
    from brian2.equations.refractory import add_refractoriness
    from brian2.stateupdaters.base import StateUpdateMethod, UnsupportedEquationsException

    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"from_brian2 name must be an identifier, got {name!r}")
    label = f"from_brian2 model {name}"
    if isinstance(equations, str):
        try:
            eqs = b2.Equations(equations)
        except Exception as exc:                        # noqa: BLE001 - Brian2's parse errors vary
            raise ModelError(f"{label}: Brian2 cannot parse the equations: {exc}") from None
    elif isinstance(equations, b2.Equations):
        eqs = equations
    else:
        raise ValueError(f"from_brian2 equations must be a string or brian2.Equations, got {type(equations).__name__}")
    if method not in METHODS:
        raise ValueError(f"from_brian2 method must be one of {list(METHODS)}, got {method!r}")
    if not isinstance(threshold, str) or not threshold.strip():
        raise ValueError("from_brian2 threshold must be a Brian2 condition string such as 'v > v_th'")
    if reset is not None and not isinstance(reset, str):
        raise ValueError("from_brian2 reset must be a string of Brian2 statements (or None)")
    for arg, d in (("params", params), ("namespace", namespace), ("initial", initial)):
        if d is not None and not isinstance(d, dict):
            raise ValueError(f"from_brian2 {arg} must be a dict of name -> value, got {type(d).__name__}")
    params, namespace, initial = dict(params or {}), dict(namespace or {}), dict(initial or {})

    # ---- what the equations declare
    if eqs.is_stochastic:
        raise ModelError(f"{label}: stochastic equations ({sorted(eqs.stochastic_variables)}) are not supported; "
                         "inject noise with ss.inputs.GaussianCurrent(mean, sd), which arrives in I")
    diff, subexpr, declared = [], [], []
    for var, eq in eqs.items():
        if eq.var_type != FLOAT:
            raise ModelError(f"{label}: {var} is {eq.var_type}; only floating-point variables are supported")
        bad = set(eq.flags) - ALLOWED_FLAGS
        if bad:
            raise ModelError(f"{label}: the flag(s) {sorted(bad)} of {var!r} are not supported (synaptic flags such as "
                             "(summed), (event-driven), (clock-driven) belong to ss.synapses; (linked) and "
                             "(constant over dt) have no equivalent)")
        {DIFFERENTIAL_EQUATION: diff, SUBEXPRESSION: subexpr, PARAMETER: declared}[eq.type].append(var)
    if "I" in diff or "I" in subexpr:
        raise ModelError(f"{label}: 'I' is spikesim's input current; it cannot be a differential equation or "
                         "subexpression (rename the variable)")
    declared = [p for p in declared if p != "I"]
    taken = [r for r in RESERVED if r in diff + subexpr + declared + list(params)]
    if taken:
        raise ModelError(f"{label}: the names {taken} are reserved by spikesim (refractory countdown, input, time)")

    # ---- refractoriness
    if isinstance(refractory, str):
        raise ModelError(f"{label}: refractoriness as a condition ({refractory!r}) is not supported; give a "
                         "duration (ms or a Brian2 quantity)")
    if refractory is None or refractory is False:
        refractory = 0.0
    t_ref = to_spikesim(refractory, "from_brian2 refractory")
    if not math.isfinite(t_ref) or t_ref < 0:
        raise ValueError(f"from_brian2 refractory must be a duration >= 0, got {refractory!r}")
    with_ref = t_ref > 0
    model_eqs = add_refractoriness(eqs) if with_ref else eqs

    # ---- the state updater's abstract code
    updater = StateUpdateMethod.stateupdaters[method]
    try:
        abstract = updater(model_eqs, {})
    except UnsupportedEquationsException as exc:
        raise ModelError(f"{label}: Brian2's {method!r} state updater cannot integrate these equations: {exc}") \
            from None

    # ---- values
    state = list(diff) + (["ref"] if with_ref else [])
    used = set()                                        # parameter / namespace / unit names seen
    for var in initial:
        if var not in diff:
            raise ModelError(f"{label}: initial value for {var!r}, which is not a differential-equation variable "
                             f"(state variables: {diff})")
    state_defaults = {k: to_spikesim(initial.get(k, 0.0), f"from_brian2 initial {k!r}") for k in diff}
    if with_ref:
        state_defaults["ref"] = 0.0
    param_defaults = {k: to_spikesim(v, f"from_brian2 params {k!r}") for k, v in params.items()}
    missing = [p for p in declared if p not in param_defaults]
    if missing:
        raise ModelError(f"{label}: the parameters {missing} declared in the equations need a default in params=")
    for k, v in namespace.items():
        if k in params or k in diff or k in subexpr:
            raise ModelError(f"{label}: namespace name {k!r} is also a parameter or a variable of the model")
    ns_values = {}
    for k, v in namespace.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise ValueError(f"from_brian2 namespace names must be identifiers, got {k!r}")
        if isinstance(v, (b2.Function, b2.TimedArray)) or callable(v):
            raise ModelError(f"{label}: namespace entry {k!r} is a function or TimedArray, which is not supported "
                             "(inject time-varying currents with net.inject)")
        x = to_spikesim(v, f"from_brian2 namespace {k!r}")
        if not math.isfinite(x):
            raise ValueError(f"from_brian2 namespace {k!r} must be finite")
        ns_values[k] = x
    if with_ref:
        param_defaults["t_ref"] = t_ref
    from brian2.core.namespace import DEFAULT_UNITS as units
    constants_used: dict[str, float] = {}

    def resolver(local: set[str]):
        def resolve(ident: str) -> str:
            if ident in local or ident in diff or ident in ("I", "t", "dt", "ref", "not_refractory"):
                return ident
            if ident in param_defaults:
                used.add(ident)
                return ident
            if ident in ns_values:
                constants_used[ident] = ns_values[ident]
                return ident
            if ident in CONSTANTS:
                return CONSTANTS[ident]
            if ident in units:
                constants_used[ident] = to_spikesim(units[ident], f"unit {ident}")
                return ident
            if ident in subexpr:
                raise AssertionError(ident)             # substituted before rendering
            unknown.add(ident)
            return ident
        return resolve

    unknown: set[str] = set()
    functions: set[str] = set()

    def render_block(stmts, local: set[str], what: str) -> list[str]:
        """Python lines for Brian2 statements; subexpressions they use are computed just before."""
        lines = []
        for var, op, expr in stmts:
            lines += subexpr_lines(_identifiers(expr) | ({var} if op != "=" else set()), local)
            r = _Renderer(resolver(local))
            rhs = r.expr(expr)
            functions.update(r.functions)
            if op == "=":
                lines.append(f"{var} = {rhs}")
            elif op in ("+=", "-=", "*=", "/="):
                lines.append(f"{var} = {var} {op[0]} ({rhs})")
            else:
                raise ModelError(f"{label}: the {what} operator {op!r} is not supported")
            local.add(var)
        return lines

    def subexpr_lines(idents: set[str], local: set[str]) -> list[str]:
        need, stack = [], [i for i in idents if i in subexpr]
        while stack:
            s = stack.pop()
            if s not in need:
                need.append(s)
                stack += [i for i in eqs[s].expr.identifiers if i in subexpr]
        lines = []
        for eq in eqs.ordered:                          # Brian2's dependency order
            if eq.varname in need:
                r = _Renderer(resolver(local | set(need)))
                lines.append(f"{eq.varname} = {r.expr(eq.expr.code)}")
                functions.update(r.functions)
        return lines

    # update: the abstract code, then the countdown
    up_stmts = _statements(abstract, "state update")
    up_lines = ([f"not_refractory = ref <= 0.0"] if with_ref else [])
    up_lines += render_block(up_stmts, {"not_refractory"}, "state update")
    if with_ref:
        up_lines.append("ref = ref - 1.0 if ref > 0.0 else ref")
    # threshold
    th_ids = _identifiers(threshold)
    th_lines = subexpr_lines(th_ids, set())
    r = _Renderer(resolver({ln.split(" = ")[0] for ln in th_lines}))
    cond = r.expr(threshold)
    functions.update(r.functions)
    th_lines.append(f"return ({cond}) and ref <= 0.0" if with_ref else f"return {cond}")
    # reset
    re_stmts = _statements(reset or "", "reset")
    for var, _, _ in re_stmts:
        if var not in diff:
            raise ModelError(f"{label}: the reset assigns {var!r}, which is not a differential-equation variable "
                             f"({diff}); declare it as one (d{var}/dt = 0 : unit) to change it at spikes")
    re_lines = render_block(re_stmts, set(), "reset")
    if with_ref:
        re_lines.append("ref = ref_steps")

    if unknown:
        raise ModelError(f"{label}: the names {sorted(unknown)} bind to nothing: they are not state variables "
                         f"{diff}, parameters (params=: {sorted(params)}), namespace constants "
                         f"(namespace=: {sorted(namespace)}), Brian2 units or constants, nor I, t, dt")
    for fname, lines in (("threshold", th_lines), ("reset", re_lines)):
        body_ids = set().union(*(_identifiers(ln.split(" = ", 1)[-1]) for ln in lines)) if lines else set()
        if "I" in body_ids:
            raise ModelError(f"{label}: the {fname} uses I (directly or through a subexpression); only the state "
                             "update sees the input current")
    unused = sorted(set(params) - used - set(declared))
    if unused:
        raise ModelError(f"{label}: params {unused} are not used by the equations, threshold or reset")

    source = _module_source(name, eqs, method, threshold, reset, t_ref, state, diff, param_defaults,
                            constants_used, functions, up_lines, th_lines, re_lines, with_ref)
    mod = _import_source(source)
    attrs = {
        "__module__": mod.__name__,
        "__doc__": f"{name}: a neuron model generated from Brian2 equations by ss.neurons.from_brian2.\n\n"
                   + textwrap.indent(str(eqs), "    "),
        "state": state_defaults,
        "params": param_defaults,
        "update": staticmethod(mod.update),
        "threshold": staticmethod(mod.threshold),
        "reset": staticmethod(mod.reset),
        "generated_source": source,
        "brian2_equations": str(eqs),
        "validate": _validate_t_ref if with_ref else NeuronModel.validate,
    }
    if with_ref:
        attrs["derived"] = staticmethod(mod.derived)
    cls = type(name, (NeuronModel,), attrs)
    cls.__qualname__ = name
    cls.check_contract()
    return cls


def _validate_t_ref(self):
    if np.any(self.param_values["t_ref"] < 0):
        raise ValueError(f"{type(self).__name__} parameter 't_ref' must be >= 0")


def _args(lines: list[str], candidates: list[str]) -> list[str]:
    ids = set()
    for ln in lines:
        ids |= _identifiers(ln)
    return [c for c in candidates if c in ids]


def _module_source(name, eqs, method, threshold, reset, t_ref, state, diff, param_defaults, constants, functions,
                   up_lines, th_lines, re_lines, with_ref) -> str:
    params = list(param_defaults)
    bindable = state + ["I", "dt", "t"] + params + (["ref_steps"] if with_ref else [])
    ret = "return (" + ", ".join(state) + ("," if len(state) == 1 else "") + ")"
    doc = textwrap.indent(str(eqs).strip(), "    ")

    def fn(fname, lines, returns=None):
        body = lines + ([returns] if returns else [])
        args = _args(body, bindable)
        return f"def {fname}({', '.join(args)}):\n" + textwrap.indent("\n".join(body), "    ")

    parts = [
        f'"""Generated by spikesim.neurons.from_brian2 -- do not edit (model {name}, method {method}).\n\n'
        f"Equations:\n{doc}\n\nthreshold: {threshold}\nreset: {reset}\nrefractory: {t_ref} ms\n"
        'Units: mV, ms, pA (see spikesim.neurons.brian2_import)."""',
        "import math",
    ]
    if constants:
        parts.append("\n".join(f"{k} = {v!r}" for k, v in sorted(constants.items())))
    for h in sorted(HELPERS):
        if any(FUNCTIONS[f].startswith(h + "(") for f in functions):
            parts.append(HELPERS[h])
    parts.append(fn("update", up_lines, ret))
    parts.append(fn("threshold", th_lines))
    parts.append(fn("reset", re_lines, ret))
    if with_ref:
        parts.append("def derived(dt, t_ref):\n    return {'ref_steps': float(math.ceil(t_ref / dt - 1e-9))}")
    return "\n\n\n".join(parts) + "\n"
