"""One set of argument checkers for every public entry point (issue 15).

Each checker takes the value and the *name* the user knows it by, and either returns a clean
copy (a Python number, or a read-only NumPy array that later mutation of the caller's object
cannot reach) or raises with a message that names the argument:

* ``TypeError`` for the wrong kind of thing (a string, a bool, a complex number, ``None``, an
  object array where numbers are meant);
* ``ValueError`` for the wrong value (NaN/inf, out of range, fractional ids, a wrong shape);
* :class:`SizeLimitError` (a ValueError *and* a MemoryError) when an allocation that the input
  implies would exceed :func:`memory_limit`, raised before anything is allocated.

Network-level checks (``dt``, ``seed``, ``duration``, ``chunk_steps``, ``every``, handles,
repeated ``record`` calls, injected currents, input rates against ``dt``) are functions here too,
so that ``Network`` only calls them.
"""
from __future__ import annotations

import math
import numbers
import os
from typing import Any, Mapping

import numpy as np

#: Largest seed accepted: the kernels take the seed as a signed 64-bit integer (Numba types a
#: Python int >= 2**63 as uint64, which compiles a second kernel, and fails for >= 2**64).
SEED_MAX = 2**63 - 1
#: Largest step count a run may have (steps are int64 in every kernel).
MAX_STEPS = 2**62


class SizeLimitError(ValueError, MemoryError):
    """An input implies an allocation above :func:`memory_limit`; raised before allocating."""


# ---------------------------------------------------------------------------------- scalars
def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype == np.bool_)


def _range_text(low, high, low_open, high_open) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    return " and ".join(parts)


def _check_range(x, name, low, high, low_open, high_open, shown) -> None:
    bad_low = low is not None and (x <= low if low_open else x < low)
    bad_high = high is not None and (x >= high if high_open else x > high)
    if bad_low or bad_high:
        raise ValueError(f"{name} must be {_range_text(low, high, low_open, high_open)}, got {shown}")


def check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, finite: bool = True) -> float:
    """A real number (int, float, NumPy integer/floating or a 0-d real array) as a Python float.

    Rejects bools, strings, complex numbers and ``None`` (TypeError); NaN/inf unless
    ``finite=False``, and values outside ``[low, high]`` (``low_open`` / ``high_open`` make the
    bound strict) (ValueError)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _is_bool(value) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    x = float(value)
    if finite and not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if math.isnan(x) and (low is not None or high is not None):
        raise ValueError(f"{name} must be a number {_range_text(low, high, low_open, high_open)}, got nan")
    _check_range(x, name, low, high, low_open, high_open, repr(value))
    return x


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """An integer (Python int or NumPy integer, not bool, not float) in ``[low, high]``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _is_bool(value) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    x = int(value)
    _check_range(x, name, low, high, False, False, repr(x))
    return x


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed: an integer in 0 .. 2**63 - 1 (:data:`SEED_MAX`), what every backend's kernel takes."""
    return check_int(seed, name, low=0, high=SEED_MAX)


def check_threads(threads: Any, backend: str) -> int:
    """Threads of the numba backend (for ``None``, the most that :mod:`spikesim.core.threads`'s
    size rule may choose): ``None`` (Numba's current count, ``numba.get_num_threads()``:
    ``NUMBA_NUM_THREADS``, by default the cores this process may use, unless
    ``numba.set_num_threads`` lowered it, as ``spikesim sweep`` does per point) or an integer in
    1 .. ``NUMBA_NUM_THREADS``. Other backends take 1 or None."""
    if backend != "numba":
        if threads is not None and check_int(threads, "threads", low=1) != 1:
            raise ValueError(f"threads= applies to backend='numba'; backend {backend!r} takes threads=None or 1")
        return 1
    # numba.get_num_threads() starts Numba's threading layer (OpenMP reads its settings then): see
    # spikesim.backends.numba_cpu.core for why threads wait passively
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from spikesim.backends.numba_cpu.startup import start
    start()                               # numba imported and set up once, its objects out of the GC
    from numba import config, get_num_threads
    most = int(config.NUMBA_NUM_THREADS)
    if threads is None:
        return int(get_num_threads())
    k = check_int(threads, "threads", low=1)
    if k > most:
        raise ValueError(f"threads={k} exceeds the {most} threads Numba was started with (NUMBA_NUM_THREADS); "
                         f"set NUMBA_NUM_THREADS={k} before Python imports numba to use more")
    return k


#: floating types a network may store its synaptic weights and ring buffer in
WEIGHT_DTYPES = ("float64", "float32")


def check_dtype(dtype: Any, backend: str) -> np.dtype:
    """The storage type of a network's synaptic weights and ring buffer: ``"float64"`` (default)
    or ``"float32"`` (also ``np.float32`` / ``np.float64``). float32 is for the CPU backends; the
    cuda backend's flat device buffers are float64 only."""
    try:
        dt_ = np.dtype(dtype)
    except TypeError:
        dt_ = None
    if dtype is None or dt_ is None or dt_.name not in WEIGHT_DTYPES:      # np.dtype(None) would be float64
        raise ValueError(f"dtype must be one of {WEIGHT_DTYPES}, got {_describe(dtype)}")
    if dt_ == np.float32 and backend == "cuda":
        raise ValueError("dtype='float32' is available on the 'reference' and 'numba' backends; the 'cuda' "
                         "backend stores weights and the ring in float64 (use dtype='float64')")
    return dt_


def check_choice(value: Any, name: str, choices) -> Any:
    """``value`` must be one of ``choices`` (compared with ``==``; unhashable values are fine)."""
    try:
        ok = any(value == c and type(value) is type(c) for c in choices)
    except Exception:  # an array compared with a string, ...
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {_describe(value)}")
    return value


def check_name(name: Any, what: str = "name") -> str:
    """A name usable as a population name and as an HDF5 key that reads back unchanged: a
    non-empty string without '/', NUL, and not '.' (HDF5 reads '.' as the group itself)."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, got {_describe(name)}")
    if not name or name == "." or "/" in name or "\x00" in name:
        raise ValueError(f"{what} must be a non-empty string without '/' or NUL and not '.', got {name!r}")
    return name


# ----------------------------------------------------------------------------------- arrays
_REAL_KINDS = "iuf"


def freeze(arr: np.ndarray) -> np.ndarray:
    """Mark ``arr`` read-only and return it."""
    arr.setflags(write=False)
    return arr


def _as_array(value: Any, name: str) -> np.ndarray:
    if value is None or isinstance(value, (str, bytes, Mapping, set, frozenset)):
        raise TypeError(f"{name} must be an array of numbers, got {_describe(value)}")
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:   # ragged lists, objects numpy cannot convert
        raise ValueError(f"{name} cannot be read as an array of numbers: {exc}") from None


def _check_shape(a: np.ndarray, name: str, shape) -> None:
    if shape is None:
        return
    ok = a.ndim == len(shape) and all(want is None or want == got for want, got in zip(shape, a.shape))
    if not ok:
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} has shape {a.shape}, expected {want}")


def check_array(value: Any, name: str, *, dtype=np.float64, shape: tuple | None = None, finite: bool = True,
                low: float | None = None, high: float | None = None, low_open: bool = False,
                copy: bool = True, readonly: bool = True) -> np.ndarray:
    """An array of real numbers converted to ``dtype``.

    ``shape``: a tuple of sizes with ``None`` for "any" (checked exactly, including ndim).
    Rejects bool, string, complex and object arrays (TypeError), non-finite values unless
    ``finite=False`` and values outside ``[low, high]`` (ValueError), naming the first bad
    element. The result is a copy (``copy=True``) and read-only (``readonly=True``)."""
    a = _as_array(value, name)
    if a.dtype == np.bool_ or a.dtype.kind not in _REAL_KINDS:
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {a.dtype}")
    _check_shape(a, name, shape)
    out = np.array(a, dtype=dtype, copy=True) if copy else np.asarray(a, dtype=dtype)
    if out.dtype.kind == "f":
        if finite and out.size and not np.isfinite(out).all():
            bad = np.argwhere(~np.isfinite(out))[0]
            raise ValueError(f"{name} contains NaN or inf (at index {tuple(int(i) for i in bad)})")
    if out.size and (low is not None or high is not None):
        too_low = (out <= low if low_open else out < low) if low is not None else np.zeros(out.shape, bool)
        too_high = (out > high) if high is not None else np.zeros(out.shape, bool)
        bad_mask = too_low | too_high
        if bad_mask.any():
            bad = tuple(int(i) for i in np.argwhere(bad_mask)[0])
            raise ValueError(f"{name} must be {_range_text(low, high, low_open, False)}; "
                             f"element {bad} is {out[bad].item()!r}")
    if readonly:
        freeze(out)
    return out


def check_index_array(value: Any, name: str, n: int, *, copy: bool = True, readonly: bool = True) -> np.ndarray:
    """A 1-D (flattened) int64 array of indices into ``0 .. n-1``.

    Integer arrays are taken as they are; float arrays only if every value is finite and whole;
    bools, strings, complex and objects are refused. Out-of-range values are refused before any
    cast, so an unsigned or huge value cannot wrap into range."""
    a = _as_array(value, name)
    if a.dtype == np.bool_ or a.dtype.kind not in _REAL_KINDS:
        raise TypeError(f"{name} must hold integer ids, got an array of dtype {a.dtype}")
    a = a.ravel()
    if a.size:
        if a.dtype.kind == "f":
            if not np.isfinite(a).all():
                bad = int(np.flatnonzero(~np.isfinite(a))[0])
                raise ValueError(f"{name} must be whole numbers; element {bad} is {a[bad].item()!r}")
            frac = a != np.floor(a)
            if frac.any():
                bad = int(np.flatnonzero(frac)[0])
                raise ValueError(f"{name} must be whole numbers; element {bad} is {a[bad].item()!r}")
        out_of_range = (a < 0) | (a > n - 1)
        if out_of_range.any():
            bad = int(np.flatnonzero(out_of_range)[0])
            raise ValueError(f"{name} must lie in 0..{n - 1}; element {bad} is {a[bad].item()!r}")
    out = np.array(a, dtype=np.int64, copy=True) if copy else a.astype(np.int64, copy=False)
    if readonly:
        freeze(out)
    return out


# ----------------------------------------------------------------------------------- memory
def memory_limit() -> int:
    """Bytes one allocation implied by user input may take: ``$SPIKESIM_MAX_BYTES`` if set,
    else the machine's physical memory."""
    env = os.environ.get("SPIKESIM_MAX_BYTES", "").strip()
    if env:
        try:
            return max(int(float(env)), 0)
        except ValueError:
            raise ValueError(f"SPIKESIM_MAX_BYTES must be a number of bytes, got {env!r}") from None
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 16 * 2**30


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover


def check_memory(n_bytes: float, what: str, limit: int | None = None) -> None:
    """Raise :class:`SizeLimitError` if ``n_bytes`` (an estimate made before allocating; may be
    a float or a huge int, no overflow) exceeds ``limit`` (default :func:`memory_limit`)."""
    limit = memory_limit() if limit is None else limit
    if not n_bytes <= limit:     # also catches NaN
        raise SizeLimitError(f"{what} would need {format_bytes(float(n_bytes))}, more than the limit of "
                             f"{format_bytes(limit)} (physical memory, or $SPIKESIM_MAX_BYTES)")


def check_ring_memory(n_targets: int, max_delay_steps: float, n_neurons: int, what: str = "the delay ring buffer",
                      itemsize: int = 8) -> None:
    """The ring buffers are ``n_targets x (max_delay_steps + 1) x n_neurons`` values of
    ``itemsize`` bytes (8: float64)."""
    check_memory(max(n_targets, 1) * (float(max_delay_steps) + 1.0) * n_neurons * float(itemsize),
                 f"{what} ({max(n_targets, 1)} x {float(max_delay_steps) + 1:.0f} slots x {n_neurons} neurons)")


def check_recording_memory(n_steps: int, every_min: int, n_columns: int) -> None:
    """State recording of one run: ``(n_steps // every_min + 1) x n_columns`` float64."""
    if n_columns:
        rows = n_steps // max(every_min, 1) + 1
        check_memory(float(rows) * n_columns * 8.0, f"recording {n_columns} state columns for {rows} samples")


# ------------------------------------------------------------------------ network-level checks
def check_dt(dt: Any, name: str = "dt") -> float:
    """The time step in ms: a positive finite real. A NumPy float32/float16 is taken as the
    decimal it prints as (``np.float32(0.1)`` -> 0.1), since ``float(np.float32(0.1))`` is
    0.10000000149..., which would make every round duration "not a whole number of steps"."""
    if isinstance(dt, (np.float16, np.float32)):
        check_number(dt, name, low=0.0, low_open=True)
        return float(str(dt))
    return check_number(dt, name, low=0.0, low_open=True)


def check_duration(duration: Any, dt: float, name: str = "duration") -> int:
    """A run length in ms (finite, >= 0, a whole number of steps of ``dt``); returns the steps."""
    d = check_number(duration, name, low=0.0)
    steps_f = d / dt
    if steps_f > MAX_STEPS:
        raise ValueError(f"{name} {duration!r} ms is {steps_f:.3g} steps of dt = {dt} ms; at most {MAX_STEPS} are possible")
    n_steps = int(round(steps_f))
    if abs(n_steps * dt - d) > 1e-9 * max(1.0, d):
        raise ValueError(f"{name} {duration} ms is not a whole number of steps of dt = {dt} ms")
    return n_steps


def check_chunk_steps(chunk_steps: Any, name: str = "chunk_steps") -> int | None:
    """``None`` (automatic) or a positive integer number of steps per kernel call."""
    if chunk_steps is None:
        return None
    return check_int(chunk_steps, name, low=1)


def check_every(every: Any, name: str = "every") -> int:
    """State sampling period in steps: a positive integer."""
    return check_int(every, name, low=1)


def check_max_delay(max_delay: Any, dt: float, name: str = "max_delay") -> int | None:
    """``None`` or a ring length in ms, at least one step; returns it in whole steps."""
    if max_delay is None:
        return None
    d = check_number(max_delay, name, low=dt)
    if d / dt > MAX_STEPS:
        raise ValueError(f"{name} {max_delay!r} ms is too many steps of dt = {dt} ms")
    return int(round(d / dt))


def resolve_population(pop: Any, populations: Mapping[str, Any], what: str = "population") -> str:
    """The name of ``pop`` in ``populations`` (a network's name -> object dict).

    ``pop`` is a name or a handle with ``.name`` and ``.obj`` (what ``Network.add`` returns). A
    handle from another network is refused even if its name exists here: the object under that
    name must be the handle's object itself."""
    if isinstance(pop, str):
        if pop not in populations:
            raise KeyError(f"unknown {what} {pop!r}; populations: {list(populations)}")
        return pop
    name, obj = getattr(pop, "name", None), getattr(pop, "obj", None)
    if not isinstance(name, str) or obj is None:
        raise TypeError(f"{what} must be a population name or the handle Network.add returned, got {_describe(pop)}")
    if populations.get(name) is not obj:
        raise ValueError(f"{what} handle {name!r} belongs to another network; use the handle this network's add() "
                         "returned")
    return name


def _same_ids(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b)


def check_record_ids(ids: Any, n: int, label: str, what: str = "") -> np.ndarray | None:
    """The recorded subset: ``None`` (all) or the sorted unique int64 indices in 0..n-1 of a 1-D
    integer array. ``label`` names the recording ("'exc'", "projection 'a->b'"), ``what`` the
    kind of index (" of synapse indices")."""
    if ids is None:
        return None
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() >= n)):
        raise ValueError(f"record ids of {label} must be a 1-D integer array{what} in 0..{n - 1}")
    return np.unique(arr).astype(np.int64)


def merge_record(previous: Mapping[str, Any] | None, spikes: Any, state: tuple[str, ...], every: int,
                 name: str, ids=None) -> dict[str, Any]:
    """The monitor spec after one more ``record(pop, spikes, state, every)`` call on ``name``.

    A second call adds to the first (spikes if either asks, the union of state variables in
    first-seen order); a different ``every`` for a population that already records state is
    refused, since one population has one sampling grid."""
    if not isinstance(spikes, (bool, np.bool_)):
        raise TypeError(f"record spikes must be True or False, got {_describe(spikes)}")
    new = {"spikes": bool(spikes), "state": tuple(state), "every": int(every), "ids": ids}
    if previous is None:
        return new
    if not _same_ids(previous.get("ids"), ids):
        raise ValueError(f"population {name!r} already records other neurons (ids); one record() subset per population")
    if previous["state"] and new["state"] and previous["every"] != new["every"]:
        raise ValueError(f"population {name!r} already records state every {previous['every']} steps; a second "
                         f"record() with every={new['every']} is not possible (one sampling grid per population)")
    merged_state = tuple(dict.fromkeys(previous["state"] + new["state"]))
    every_out = previous["every"] if previous["state"] else new["every"]
    return {"spikes": previous["spikes"] or new["spikes"], "state": merged_state, "every": every_out, "ids": ids}


def check_current(current: Any, n: int, name: str) -> np.ndarray:
    """An injected current for ``n`` neurons: a scalar (-> (n,)), shape (n,), or (n_steps, n)
    with row k at step k. Finite, float64, read-only: a copy, except that a (n_steps, n) array
    that is already float64 and C-contiguous is used in place (a read-only view: no copy of a
    large input array; changing the caller's array before the run changes the input)."""
    label = f"current for {name!r}"
    a = np.asarray(current) if isinstance(current, np.ndarray) else None
    in_place = (a is not None and a.ndim == 2 and a.dtype == np.float64 and a.flags.c_contiguous
                and (a.shape[1] == n or n == 1))
    cur = check_array(current, label, readonly=False, copy=not in_place)
    if in_place:
        cur = cur.view()                             # read-only flag on the view, not the caller's array
    if cur.ndim == 0:
        cur = np.full(n, float(cur))
    elif cur.ndim == 1:
        if cur.shape != (n,):
            raise ValueError(f"{label} must be a scalar, shape ({n},), (n_steps, {n}) or (n_steps, 1); got {cur.shape}")
    elif cur.ndim == 2:
        if cur.shape[1] == 1 and n > 1:
            cur = np.repeat(cur, n, axis=1)           # (n_steps, 1): the same current for every neuron
        if cur.shape[1] != n:
            raise ValueError(f"{label} over time must have shape (n_steps, {n}) or (n_steps, 1); got {cur.shape}")
    else:
        raise ValueError(f"{label} has too many dimensions: {cur.shape}")
    return freeze(cur)


def check_poisson_rate(rate_hz: Any, dt: float, name: str = "Poisson rate_hz") -> None:
    """A Bernoulli-per-step Poisson source fires with probability rate * dt per step; above one
    (rate > 1000 / dt Hz) every step fires and the rate is silently wrong, so refuse it."""
    rate = np.asarray(rate_hz, dtype=np.float64)
    if rate.size:
        p = rate * dt * 1e-3
        worst = int(np.argmax(p))
        if p.ravel()[worst] > 1.0:
            raise ValueError(f"{name} {rate.ravel()[worst]} Hz is above 1/dt = {1000.0 / dt:g} Hz for dt = {dt} ms "
                             "(a source can fire at most once per step); lower the rate or dt")


def check_spike_times(times: Any, dt: float, name: str = "SpikeSource times") -> None:
    """Spike times must be whole-step representable: times / dt below :data:`MAX_STEPS`."""
    t = np.asarray(times, dtype=np.float64)
    if t.size and float(t.max()) / dt > MAX_STEPS:
        raise ValueError(f"{name}: {float(t.max())} ms is more than {MAX_STEPS} steps of dt = {dt} ms")


def check_inputs_at_build(populations: Mapping[str, Any], dt: float) -> None:
    """The input checks that need ``dt``: Poisson rates against 1/dt, spike times against the
    step range. Call once at build with the network's name -> population dict."""
    for name, obj in populations.items():
        kind = getattr(obj, "kind", None)
        if kind == "poisson":
            check_poisson_rate(obj.rate_hz, dt, f"Poisson {name!r} rate_hz")
        elif kind == "spike_source":
            check_spike_times(obj.times, dt, f"SpikeSource {name!r} times")
