"""Bit operations the compiled CPU kernels use: ``popcount64(x)``, the number of set bits of a
uint64 (LLVM's ``ctpop``, one POPCNT instruction where the CPU has it)."""
from __future__ import annotations

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
