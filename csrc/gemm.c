/* Run-time choice of the GEMM kernels (gemm_kernel.h) for the CPU's widest
 * vector unit: AVX-512 (x86-64-v4), AVX2 + FMA (x86-64-v3), or the
 * baseline's 16-byte vectors, which build on any architecture. */
#include "gemm.h"

#if FCN_DOUBLE
#define KERNEL_SUFFIX(name) name##_f64
#else
#define KERNEL_SUFFIX(name) name##_f32
#endif

#define VEC_BYTES 16
#define TILE_ROWS 4
#define ISA_TARGET
#define KERNEL(name) KERNEL_SUFFIX(name##_baseline)
#include "gemm_kernel.h"
#undef VEC_BYTES
#undef TILE_ROWS
#undef ISA_TARGET
#undef KERNEL

#if defined(__GNUC__) && defined(__x86_64__)
#define FCN_X86_DISPATCH 1

#define VEC_BYTES 32 /* 16 ymm registers: 4 x 2 accumulators, loads and broadcasts */
#define TILE_ROWS 4
#define ISA_TARGET __attribute__((target("arch=x86-64-v3")))
#define KERNEL(name) KERNEL_SUFFIX(name##_avx2)
#include "gemm_kernel.h"
#undef VEC_BYTES
#undef TILE_ROWS
#undef ISA_TARGET
#undef KERNEL

#define VEC_BYTES 64 /* 32 zmm registers: 8 x 2 accumulators */
#define TILE_ROWS 8
#define ISA_TARGET __attribute__((target("arch=x86-64-v4")))
#define KERNEL(name) KERNEL_SUFFIX(name##_avx512)
#include "gemm_kernel.h"
#undef VEC_BYTES
#undef TILE_ROWS
#undef ISA_TARGET
#undef KERNEL
#endif

#define KERNELS(isa, vec_bytes)                                                                \
    {KERNEL_SUFFIX(pack_panels_##isa), KERNEL_SUFFIX(matmul_panels_##isa),                    \
     KERNEL_SUFFIX(matmul_unpacked_##isa), (int64_t)(2 * (vec_bytes) / sizeof(real))}

_Static_assert(2 * 64 / sizeof(real) <= FCN_PANEL_MAX, "packs are sized for the widest panel");

const FCN(fcn_gemm_kernels) *FCN(fcn_gemm_kernels_for)(int64_t N)
{
    static const FCN(fcn_gemm_kernels) baseline = KERNELS(baseline, 16);
#ifdef FCN_X86_DISPATCH
    static const FCN(fcn_gemm_kernels) avx2 = KERNELS(avx2, 32);
    static const FCN(fcn_gemm_kernels) avx512 = KERNELS(avx512, 64);
    __builtin_cpu_init();
    if (N > avx2.panel_width && __builtin_cpu_supports("x86-64-v4")) return &avx512;
    if (N > baseline.panel_width && __builtin_cpu_supports("x86-64-v3")) return &avx2;
#else
    (void)N;
#endif
    return &baseline;
}
