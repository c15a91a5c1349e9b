/* Subnormal numbers (below 1.2e-38 in float32, 2.2e-308 in float64) are
 * flushed to zero while the core runs, in its inputs and its results (x86's
 * FTZ and DAZ modes). An x86 core takes a microcode assist, some hundred
 * cycles, for an operation on a subnormal; a confident softmax outputs them
 * by the thousand: on a Xeon, a digits fit went from 27 to 99 ms per epoch
 * over 60 epochs, and stays at 27 flushed. Values that small change nothing
 * a fit computes beyond them; TensorFlow flushes them on CPUs likewise.
 *
 * Every entry point of the core (fcnet_api.h) starts with
 * FCN_FLUSH_SUBNORMALS(), which restores the caller's mode when it returns,
 * so that numpy's arithmetic in the same thread keeps IEEE subnormals; the
 * team's workers (threads.c), which run only the core, flush from their
 * start. Every thread of a fit thus computes alike: results stay bitwise the
 * same for any thread count. Elsewhere (ARM, plain C) the mode is left as
 * it is. */
#ifndef FCN_SUBNORMALS_H
#define FCN_SUBNORMALS_H

#include "precision.h"

#if !FCN_PORTABLE_C && defined(__GNUC__) && defined(__x86_64__)
#define FCN_FLUSHES_SUBNORMALS 1
#define FCN_MXCSR_FLUSH 0x8040u /* FTZ (bit 15): results; DAZ (bit 6): inputs */

/* Flush from now on; returns the mode to restore. */
static inline unsigned fcn_flush_subnormals(void)
{
    const unsigned saved = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(saved | FCN_MXCSR_FLUSH);
    return saved;
}

static inline void fcn_restore_subnormals(const unsigned *saved)
{
    __builtin_ia32_ldmxcsr(*saved);
}

#define FCN_FLUSH_SUBNORMALS()                                                                 \
    const unsigned fcn_caller_mode __attribute__((cleanup(fcn_restore_subnormals), unused)) = \
        fcn_flush_subnormals()
#else
#define FCN_FLUSHES_SUBNORMALS 0
static inline unsigned fcn_flush_subnormals(void) { return 0; }
#define FCN_FLUSH_SUBNORMALS() (void)0
#endif

#endif /* FCN_SUBNORMALS_H */
