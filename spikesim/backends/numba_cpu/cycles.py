"""The CPU's cycle counter in compiled code, for the profiling variant of the generated loop
(:func:`spikesim.backends.numba_cpu.driver.generate` with ``profile=True``)."""
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def cycles(typingctx):
    """``llvm.readcyclecounter``: a monotonic count of cycles (the time-stamp counter on x86)."""
    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                            "llvm.readcyclecounter")
        return builder.call(fn, [])
    return types.uint64(), codegen
