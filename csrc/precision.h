/* One source, two precisions. CMake compiles every kernel file twice, with
 * FCN_DOUBLE=0 (real is float, names end in _f32) and FCN_DOUBLE=1 (double,
 * _f64). Kernel files write `real`, `FCN(fcn_name)`, FABS, SQRT and COPYSIGN
 * for the libm function of their precision, REAL_EPSILON for its machine
 * epsilon and REAL_MIN, REAL_MAX for its least and greatest normal numbers.
 * A definition `FCN(fcn_loss)` thus defines fcn_loss_f32 or fcn_loss_f64:
 * search for the name without its suffix, or use the compile_commands.json
 * that the CMake build writes (clangd, ctags). */
#ifndef FCN_PRECISION_H
#define FCN_PRECISION_H

#include <float.h>

#include "fcnet.h"

#if FCN_DOUBLE
#define FCN_REAL double
#define FCN(name) name##_f64
#define FABS fabs
#define SQRT sqrt
#define COPYSIGN copysign
#define REAL_EPSILON DBL_EPSILON
#define REAL_MIN DBL_MIN
#define REAL_MAX DBL_MAX
#else
#define FCN_REAL float
#define FCN(name) name##_f32
#define FABS fabsf
#define SQRT sqrtf
#define COPYSIGN copysignf
#define REAL_EPSILON FLT_EPSILON
#define REAL_MIN FLT_MIN
#define REAL_MAX FLT_MAX
#endif

typedef FCN_REAL real;

/* FCN_PORTABLE_C=1 builds the core in plain C for compilers without GCC and
 * Clang's extensions: no vector types, no target attributes or clones, no
 * run-time x86 dispatch, no builtins. CMake's option FCN_PORTABLE_C sets it. */
#ifndef FCN_PORTABLE_C
#define FCN_PORTABLE_C 0
#endif

/* Elementwise loops compiled for AVX-512, AVX2 and the baseline, chosen when
 * the library loads, where the platform resolves ifuncs. */
#if !FCN_PORTABLE_C && defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#define FCN_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FCN_VECTOR_CLONES
#endif

#endif /* FCN_PRECISION_H */
