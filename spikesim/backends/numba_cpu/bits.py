"""Bit operations the compiled CPU kernels use: ``popcount64(x)``, the number of set bits of a
uint64 (LLVM's ``ctpop``, one POPCNT instruction where the CPU has it), and ``cttz64(x)``, the
index of its lowest set bit (LLVM's ``cttz``, one TZCNT/BSF instruction; x must not be 0)."""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def popcount64(typingctx, x):
    if x != types.uint64:
        return None
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def cttz64(typingctx, x):
    if x != types.uint64:
        return None
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))     # undefined at 0: never called there

    return sig, codegen
