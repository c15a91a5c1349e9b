/* The blocked matrix product of gemm.h: the micro-kernels of gemm_kernel.h
 * compiled for AVX-512 (x86-64-v4), AVX2 + FMA (x86-64-v3) and the
 * baseline's 16-byte vectors (any architecture), chosen at run time; block
 * sizes from the caches of the CPU it runs on. */
#include <string.h>
#include <unistd.h>

#include "gemm.h"
#include "threads.h"

/* Rows of C whose tiles a transposed A is packed for together, k by k
 * (gemm_kernel.h's pack_A_transposed): as many whole tiles as span
 * PACK_RUN_BYTES of each of A's rows, three lines. In a C harness on an AMD
 * EPYC core (Zen 5), runs of 192 to 384 bytes packed within 7% of each
 * other; runs of 96, wide's first and second layers 13% and 36% slower,
 * mnist's first 8%. */
#define PACK_RUN_BYTES 192
static inline int64_t pack_group_rows(int64_t tile_rows)
{
    const int64_t tiles = PACK_RUN_BYTES / (tile_rows * (int64_t)sizeof(real));
    return (tiles > 1 ? tiles : 1) * tile_rows;
}

/* Each two-vector tile comes with its half (one vector, the same rows), for
 * a last panel that N fills no more than half: N = 100 (scikit-learn's
 * default layer) leaves 4 columns after three AVX-512 panels of 32, which
 * the whole tile computed as 32. On a Xeon, (200, 64, 100) took 40% longer
 * than (200, 64, 96); with the half, 28%. */
#if FCN_PORTABLE_C /* plain C for compilers without GCC's vector extensions */
#define VEC_BYTES sizeof(real)
#define TILE_ROWS 4
#else
#define VEC_BYTES 16
#define TILE_ROWS 6 /* 16 registers: 6 x 2 accumulators, two of B, one of A */
#endif
#define ISA_TARGET
#define TILE_VECS 2
#define KERNEL(name) FCN(name##_baseline) /* pack_A_baseline_f32, tile_packed_baseline_f64, ... */
#include "gemm_kernel.h"
#undef TILE_VECS
#undef KERNEL
#define TILE_VECS 1
#define KERNEL(name) FCN(name##_baseline_half)
#include "gemm_kernel.h"
#undef TILE_VECS
#undef KERNEL
#undef VEC_BYTES
#undef TILE_ROWS
#undef ISA_TARGET

#if defined(__GNUC__) && defined(__x86_64__) && !FCN_PORTABLE_C
#define FCN_X86_DISPATCH 1

#define VEC_BYTES 32 /* 16 ymm registers: 6 x 2 accumulators, two of B, one of A */
#define TILE_ROWS 6
#define ISA_TARGET __attribute__((target("arch=x86-64-v3")))
#define TILE_VECS 2
#define KERNEL(name) FCN(name##_avx2)
#include "gemm_kernel.h"
#undef TILE_VECS
#undef KERNEL
#define TILE_VECS 1
#define KERNEL(name) FCN(name##_avx2_half)
#include "gemm_kernel.h"
#undef TILE_VECS
#undef KERNEL
#undef VEC_BYTES
#undef TILE_ROWS
#undef ISA_TARGET

#define VEC_BYTES 64 /* 32 zmm registers: 12 x 2 accumulators, two of B, one of A */
#define TILE_ROWS 12
#define ISA_TARGET __attribute__((target("arch=x86-64-v4")))
#define TILE_VECS 2
#define KERNEL(name) FCN(name##_avx512)
#include "gemm_kernel.h"
#undef TILE_VECS
#undef KERNEL
#define TILE_VECS 1
#define KERNEL(name) FCN(name##_avx512_half)
#include "gemm_kernel.h"
#undef TILE_ROWS
#undef KERNEL

/* For products of one vector's width or less (an output layer of 10
 * classes): 8 x 1 accumulators, as many as keep two FMA units of 4 cycles'
 * latency busy, and at most 7 rows of padding. Measured on a Xeon against
 * 24 rows: 1.1-2x faster on every shape of the benchmarks, 2x on course's. */
#define TILE_ROWS 8
#define KERNEL(name) FCN(name##_avx512_narrow)
#include "gemm_kernel.h"
#undef TILE_VECS
#undef VEC_BYTES
#undef TILE_ROWS
#undef ISA_TARGET
#undef KERNEL
#endif

/* The kernels of one vector unit and tile. */
typedef struct kernels kernels;
struct kernels {
    int64_t tile_rows, tile_cols;
    void (*pack_A)(real *pack, const real *A, int64_t a_row, int64_t a_col, int64_t i0,
                   int64_t i1, int64_t k0, int64_t kc);
    void (*pack_B)(real *pack, const real *B, int64_t b_row, int64_t b_col, int64_t k0,
                   int64_t kc, int64_t N, int64_t first, int64_t end, real *sums);
    void (*tile_packed)(real *C, int64_t ldc, int64_t rows, int64_t cols, const real *A_panel,
                        const real *B_panel, int64_t b_row, int64_t kc, int accumulate,
                        const real *bias);
    void (*tile_in_place)(real *C, int64_t ldc, int64_t cols, const real *A, int64_t a_row,
                          int64_t a_col, const real *B_panel, int64_t b_row, int64_t kc,
                          int accumulate, const real *bias);
    void (*matmul_unpacked)(real *C, const real *A, int64_t a_row, int64_t a_col,
                            const real *B, int64_t b_row, int64_t i0, int64_t i1, int64_t N,
                            int64_t K);
    void (*matrix_vector)(real *c, const real *A, int64_t a_row, const real *b, int64_t b_row,
                          int64_t i0, int64_t i1, int64_t K);
    void (*matrix_vector_chained)(real *c, const real *A, int64_t a_row, const real *b,
                                  int64_t b_row, int64_t i0, int64_t i1, int64_t K);
    void (*edge_columns)(real *C, int64_t ldc, const real *A, int64_t a_row, int64_t a_col,
                         const real *B, int64_t b_row, int64_t b_col, int64_t M, int64_t i0,
                         int64_t i1, int64_t j0, int64_t cols, int64_t k0, int64_t kc,
                         int accumulate);
    const kernels *half; /* the same rows, half the columns; NULL for a one-vector tile */
};

#define KERNELS(isa, vec_bytes, tile_rows, tile_vecs, half)                                    \
    {tile_rows, (int64_t)((tile_vecs) * (vec_bytes) / sizeof(real)), FCN(pack_A_##isa),       \
     FCN(pack_B_##isa), FCN(tile_packed_##isa), FCN(tile_in_place_##isa),                     \
     FCN(matmul_unpacked_##isa), FCN(matrix_vector_##isa), FCN(matrix_vector_chained_##isa),  \
     FCN(edge_columns_##isa), half}

#if FCN_PORTABLE_C
static const kernels baseline_half = KERNELS(baseline_half, sizeof(real), 4, 1, NULL);
static const kernels baseline = KERNELS(baseline, sizeof(real), 4, 2, &baseline_half);
#else
static const kernels baseline_half = KERNELS(baseline_half, 16, 6, 1, NULL);
static const kernels baseline = KERNELS(baseline, 16, 6, 2, &baseline_half);
#endif
#ifdef FCN_X86_DISPATCH
static const kernels avx2_half = KERNELS(avx2_half, 32, 6, 1, NULL);
static const kernels avx2 = KERNELS(avx2, 32, 6, 2, &avx2_half);
static const kernels avx512_half = KERNELS(avx512_half, 64, 12, 1, NULL);
static const kernels avx512 = KERNELS(avx512, 64, 12, 2, &avx512_half);
static const kernels avx512_narrow = KERNELS(avx512_narrow, 64, 8, 1, NULL);
#endif

_Static_assert(2 * 64 / sizeof(real) <= FCN_PANEL_MAX, "packs are sized for the widest panel");
_Static_assert(FCN_TILE_ROWS_MAX % 12 == 0 && FCN_TILE_ROWS_MAX % 8 == 0,
               "packs are sized in whole tiles of rows of every kernel");

static int forced_kernels = FCN_GEMM_AUTO;

/* fcn_gemm_force_kernels_f32, fcn_gemm_force_kernels_f64 */
int FCN(fcn_gemm_force_kernels)(int which)
{
#ifdef FCN_X86_DISPATCH
    __builtin_cpu_init();
    if (which == FCN_GEMM_AVX512 && !__builtin_cpu_supports("x86-64-v4")) return -1;
    if (which == FCN_GEMM_AVX2 && !__builtin_cpu_supports("x86-64-v3")) return -1;
#else
    if (which == FCN_GEMM_AVX512 || which == FCN_GEMM_AVX2) return -1;
#endif
    forced_kernels = which;
    return 0;
}

/* The CPU's widest vectors; on AVX-512, the narrow tile for N of one vector
 * or less. The shape alone decides, so every product of one shape on one CPU
 * rounds the same way; the AVX2 and AVX-512 tiles, fused multiply-adds in the
 * same order, round alike (tests/test_products.py). */
static const kernels *kernels_for(int64_t N)
{
#ifdef FCN_X86_DISPATCH
    const int narrow = N <= avx512_narrow.tile_cols;
    if (forced_kernels == FCN_GEMM_AVX512) return narrow ? &avx512_narrow : &avx512;
    if (forced_kernels == FCN_GEMM_AVX2) return &avx2;
    if (forced_kernels == FCN_GEMM_BASELINE) return &baseline;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return narrow ? &avx512_narrow : &avx512;
    if (__builtin_cpu_supports("x86-64-v3")) return &avx2;
#else
    (void)N;
#endif
    return &baseline;
}

/* Up to this many rows of C, or this deep a product (K) with rows of C this
 * long, a B with contiguous rows is read where it lies: packing it would cost
 * more than the product, and the tiles' stores to 12 rows at once (4 KiB
 * apart for N = 1024) are slower than writing C row by row. Measured on a
 * Xeon core: (512, 1, 1024) 6.2 -> 13.8 GFLOP/s, (512, 4, 1024) 24 -> 28;
 * (200, 2, 100) 20 -> 15 GFLOP/s, hence the width. */
#define UNPACKED_MAX_ROWS 3
#define UNPACKED_MAX_DEPTH 4
#define UNPACKED_MIN_WIDTH 256

#define LINE_BYTES 64 /* a cache line on every x86-64 core (and most others) */

static inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t round_up(int64_t n, int64_t step) { return (n + step - 1) / step * step; }

/* A figure of this CPU's caches from sysconf, read once into *cached (any
 * thread may be first); fallback where the system cannot say. */
static int64_t cache_figure(_Atomic int64_t *cached, int name, int64_t fallback)
{
    if (*cached == 0) {
        const long read = name >= 0 ? sysconf(name) : -1;
        *cached = read > 0 ? (int64_t)read : fallback;
    }
    return *cached;
}

#ifdef _SC_LEVEL2_CACHE_SIZE /* glibc */
#define L1_BYTES_NAME _SC_LEVEL1_DCACHE_SIZE
#define L1_WAYS_NAME _SC_LEVEL1_DCACHE_ASSOC
#define L2_BYTES_NAME _SC_LEVEL2_CACHE_SIZE
#else
#define L1_BYTES_NAME -1
#define L1_WAYS_NAME -1
#define L2_BYTES_NAME -1
#endif

/* Bytes of one core's L1 data cache and its ways, bytes of its L2; where
 * the system cannot say, the least of the x86-64 cores of the last decade
 * (32 KiB in 8 ways) and 512 KiB. */
static int64_t l1_bytes(void)
{
    static _Atomic int64_t bytes = 0;
    return cache_figure(&bytes, L1_BYTES_NAME, 32 << 10);
}

static int64_t l1_ways(void)
{
    static _Atomic int64_t ways = 0;
    return cache_figure(&ways, L1_WAYS_NAME, 8);
}

static int64_t l2_bytes(void)
{
    static _Atomic int64_t bytes = 0;
    return cache_figure(&bytes, L2_BYTES_NAME, 512 << 10);
}

/* Depth of a K block: as deep as the packs allow (FCN_BLOCK_DEPTH_MAX),
 * unless one B panel (kc x tile_cols) would take more than an eighth of L2,
 * where a task's A panels take half; blocks of equal depth. Each K block
 * loads and stores every tile of C once more: on a Xeon (48 KiB of L1, 2 MiB
 * of L2) the large products ran 4-8% faster with blocks of 512 than with a B
 * panel in half of L1 (192), which it outgrows to stream from L2. */
static int64_t block_depth(const kernels *g, int64_t K)
{
    int64_t kc = l2_bytes() / 8 / (g->tile_cols * (int64_t)sizeof(real));
    kc = kc < 64 ? 64 : kc > FCN_BLOCK_DEPTH_MAX ? FCN_BLOCK_DEPTH_MAX : kc;
    const int64_t blocks = (K + kc - 1) / kc;
    return (K + blocks - 1) / blocks;
}

/* Rows of C one task computes, at most: its A panels (rows x kc) fill at most half of
 * L2, and the team gets several tasks per thread, so that a thread that gets
 * less CPU (a busy machine) takes fewer tasks (threads.h). */
static int64_t task_rows(const kernels *g, int64_t M, int64_t kc, int threads)
{
    const int64_t most = l2_bytes() / 2 / (kc * (int64_t)sizeof(real));
    int64_t rows = round_up((M + 4 * threads - 1) / (4 * threads), g->tile_rows);
    rows = rows < 4 * g->tile_rows ? 4 * g->tile_rows : rows;
    rows = rows > most ? most / g->tile_rows * g->tile_rows : rows;
    return rows < g->tile_rows ? g->tile_rows : rows;
}

typedef struct {
    const kernels *g, *last; /* last: the kernels of the last panel, g or its half */
    real *C;
    FCN(fcn_matrix) A, B;
    int64_t M, N, K, kc, n_tasks, n_panels;
    int64_t k0, first, end; /* the rows path's block: K block at k0, panels [first, end) */
    int pack_all_of_A;
    int edge; /* the last panel's columns are computed by edge_columns, not packed */
    int B_in_place; /* the tiles read B's full panels where they lie, not packed */
    real *B_pack, *A_pack;
    real *B_sums; /* the epilogue's B_sums, summed as B is packed; NULL in shares but one */
    const FCN(fcn_epilogue) *epilogue;
} product;

/* Up to this many rows of C, the tiles read a B with contiguous rows where
 * it lies, but for a partial last panel: each panel serves too few tiles of
 * rows to repay its packing. But not rows a multiple of 4 KiB apart, which
 * fall into one set of L1. Measured on a Xeon against packing, one core and
 * two: digits' dW (64, 200, 100) 14% and 7% faster, (64, 512, 256) 18% and
 * 13%, (128, 256, 256) 10% and 9%, (45, 600, 41) 10% and 13%; with 200 rows,
 * (200, 64, 100), alike; rows 4 KiB apart, (64, 512, 1024), 23% slower. The
 * tiles read a packed panel at a constant stride: a stride read at run time
 * cost them 5-10%. */
#define B_IN_PLACE_MAX_ROWS 128
static int reads_B_in_place(FCN(fcn_matrix) B, int64_t M)
{
    return B.col == 1 && M <= B_IN_PLACE_MAX_ROWS && B.row * (int64_t)sizeof(real) % 4096 != 0;
}

/* Whether tiles reading A in place would miss more than packing A costs.
 * A row-major A: a tile reads its rows side by side, which fall into one set
 * of L1 (64 sets of 64 bytes on every x86-64 core of the last decade, 8 to
 * 12 lines each) when they lie a multiple of 4 KiB apart (rows of 1024
 * floats). A transposed A: a tile reads a new line at every k, down the
 * whole K block, and leaves most of each line to the next tile; lines a
 * multiple of 2 KiB apart fall into two sets and are gone before it comes,
 * once per panel of B. Measured on a Xeon (48 KiB of L1, 12 ways) for M =
 * 512: Aᵀ·B with 32 panels (N = 1024) 133 -> 150 GFLOP/s packed on one core,
 * 233 -> 262 on two; with 8 panels or fewer, or lines 1 KiB apart, in place
 * stays faster on one core. And a transposed A whose K block spans more
 * than TRANSPOSED_SPAN_MAX reals (kc x M: a new 4 KiB page every k or two)
 * is packed for 256 columns of B or more: mnist's dW of layer 1, (784, 256,
 * 256), 135 -> 142 GFLOP/s on one core, 257 -> 268 on two; M = 1000: 130 ->
 * 140; float64 at M = 784 64 -> 66; with 128 columns, M = 640, or float64 at
 * M = 400, in place is as fast or faster. Elsewhere the packing costs more
 * than it saves. */
#define TRANSPOSED_SPAN_MAX (160 << 10)
static int in_place_thrashes(const product *p)
{
    const FCN(fcn_matrix) A = p->A;
    const int64_t stride_bytes = (A.col == 1 ? A.row : A.col) * (int64_t)sizeof(real);
    if (A.col == 1) return p->n_panels > 1 && stride_bytes % 4096 == 0;
    return (p->n_panels >= 16 && stride_bytes % 2048 == 0) ||
           (p->N >= 256 && p->kc * A.col > TRANSPOSED_SPAN_MAX);
}

/* Narrows panels [*first, *end) to those that are packed: not an edge
 * panel, nor full panels the tiles read in place. */
static void packed_panels(const product *p, int64_t *first, int64_t *end)
{
    const int64_t full_panels = p->N / p->g->tile_cols;
    if (p->edge && *end == p->n_panels) (*end)--;
    if (p->B_in_place && *first < full_panels) *first = min_i64(full_panels, *end);
}

/* Pack K block `block` of B, panels [first, end) (those of them that are
 * packed_panels), into B_pack, where the block before it is done with (each
 * K block reads only its own); the last panel, where it is half, at the
 * half's width. Each panel has a slot of the full depth kc, whatever its
 * block's depth: the tasks that split C's columns pack their panels block by
 * block, each at its own pace, and a last block shallower than the others
 * must not move a panel into a slot another task still reads. */
static void pack_B_block(const product *p, int64_t block, int64_t first, int64_t end)
{
    const kernels *g = p->g;
    const int64_t k0 = block * p->kc, kc = min_i64(p->kc, p->K - k0);
    packed_panels(p, &first, &end);
    for (int64_t panel = first; panel < end; panel++) {
        const kernels *width = panel == p->n_panels - 1 ? p->last : g;
        const int64_t j0 = panel * g->tile_cols;
        width->pack_B(p->B_pack + panel * p->kc * g->tile_cols, p->B.data + j0 * p->B.col,
                      p->B.row, p->B.col, k0, kc, p->N - j0, 0, 1,
                      p->B_sums != NULL ? p->B_sums + j0 : NULL);
    }
}

/* C[i][j] += bias[j] on rows [i0, i1), columns [j0, j1) of C: the bias
 * (gemm.h) where the kernels do not add it as they store. */
static void add_bias(real *C, const real *bias, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                     int64_t N)
{
    if (bias == NULL) return;
    for (int64_t i = i0; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) C[i * N + j] += bias[j];
}

/* Block k0 .. k0+kc-1 of the sums of rows [i0, i1) of C, panels [first, end)
 * of its columns, plus the bias in the last block; the rows from packed_from
 * on read A's panels packed at A_pack, the others read A in place. */
static void tiles(const product *p, int64_t i0, int64_t i1, int64_t first, int64_t end,
                  int64_t k0, int64_t kc, int64_t packed_from, const real *A_pack)
{
    const kernels *g = p->g;
    const real *bias = k0 + kc == p->K ? p->epilogue->bias : NULL;
    for (int64_t panel = first; panel < end; panel++) {
        const kernels *tile = panel == p->n_panels - 1 ? p->last : g;
        const int64_t j0 = panel * g->tile_cols, cols = min_i64(g->tile_cols, p->N - j0);
        if (p->edge && panel == p->n_panels - 1) {
            g->edge_columns(p->C, p->N, p->A.data, p->A.row, p->A.col, p->B.data, p->B.row,
                            p->B.col, p->M, i0, i1, j0, cols, k0, kc, k0 > 0);
            add_bias(p->C, bias, i0, i1, j0, j0 + cols, p->N);
            continue;
        }
        const real *panel_bias = bias != NULL ? bias + j0 : NULL;
        const int in_place = p->B_in_place && cols == g->tile_cols;
        const real *B_panel = in_place ? p->B.data + k0 * p->B.row + j0
                                       : p->B_pack + panel * p->kc * g->tile_cols;
        const int64_t b_row = in_place ? p->B.row : tile->tile_cols;
        for (int64_t r0 = i0; r0 < i1; r0 += g->tile_rows) {
            real *C = p->C + r0 * p->N + j0;
            if (r0 < packed_from)
                tile->tile_in_place(C, p->N, cols, p->A.data + r0 * p->A.row + k0 * p->A.col,
                                    p->A.row, p->A.col, B_panel, b_row, kc, k0 > 0,
                                    panel_bias);
            else
                tile->tile_packed(C, p->N, min_i64(g->tile_rows, i1 - r0), cols,
                                  A_pack + (r0 - packed_from) * kc, B_panel, b_row, kc, k0 > 0,
                                  panel_bias);
        }
    }
}

/* Whether one B panel of a K block kc deep stays in L1 beside the A panel
 * that each tile reads with it, so that the tiles of a task's rows can read
 * it from there one after another. Where it cannot, the tiles of one row of
 * tiles go across the block's panels instead, with their A panel in L1: an
 * AVX2 panel 512 deep is 32 KiB, all of the L1 of many cores. On an AMD
 * EPYC (Zen 4, 32 KiB of L1), paired runs: with AVX2 forced, (512, 1024,
 * 1024) A·B 2.5-4% faster on one core and on two, its backward 1-3%; with
 * AVX-512 (panels of 64 KiB) alike, within 2% either way. */
static int B_panel_in_L1(const kernels *g, int64_t kc)
{
    return kc * (g->tile_cols + g->tile_rows) * (int64_t)sizeof(real) <= l1_bytes();
}

/* Whether the tiles of C's panels from `first` on read A's packed panels:
 * not where the edge panel is the only one, which reads A where it lies (an
 * output layer's dW, N = 10, is one edge panel: packing its last rows took
 * 4% of (200, 100, 10)'s dW on an AMD EPYC core, Zen 4). */
static int tiles_read_A_pack(const product *p, int64_t first)
{
    return !(p->edge && first == p->n_panels - 1);
}

/* Rows [i0, i1) of C in the product's block (K block at k0, panels [first,
 * end)), then their epilogue after the last K block. A task packs its rows
 * of the K block at the block's first panel and reads them for the others. */
static void rows_of_C(const product *p, int64_t i0, int64_t i1)
{
    const kernels *g = p->g;
    real *A_pack = p->A_pack + i0 * p->kc; /* this task's own panels */
    /* The rows past the last full tile are packed, zero-padded to a tile;
     * the others only where reading them in place would thrash L1. */
    const int64_t packed_from = p->pack_all_of_A ? i0 : i1 - (i1 - i0) % g->tile_rows;
    const int64_t kc = min_i64(p->kc, p->K - p->k0);
    if (p->first == 0 && tiles_read_A_pack(p, p->first))
        g->pack_A(A_pack, p->A.data, p->A.row, p->A.col, packed_from, i1, p->k0, kc);
    /* an edge panel (edge_columns) goes by blocks of rows of its own */
    const int64_t rows = B_panel_in_L1(g, kc) || p->edge ? i1 - i0 : g->tile_rows;
    for (int64_t r0 = i0; r0 < i1; r0 += rows)
        tiles(p, r0, min_i64(r0 + rows, i1), p->first, p->end, p->k0, kc, packed_from, A_pack);
    if (p->k0 + kc == p->K)
        p->epilogue->done(p->C, i0, i1, p->first * g->tile_cols,
                          min_i64(p->end * g->tile_cols, p->N), p->N, p->epilogue->context);
}

/* Rows of C a task of the columns path computes for all of its panels
 * before the next rows: as many whole tiles as keep their part of A's K
 * block within half of L1, so that each panel reads it from there; one tile
 * for deep blocks. */
static int64_t rows_in_L1(const kernels *g, int64_t kc)
{
    const int64_t rows = l1_bytes() / 2 / (kc * (int64_t)sizeof(real));
    return rows < g->tile_rows ? g->tile_rows : rows / g->tile_rows * g->tile_rows;
}

/* Task `task`'s group [*first, *end) of B's panels, for the paths whose
 * tasks split C's columns. */
static void panels_of_task(const product *p, int64_t task, int64_t *first, int64_t *end)
{
    *first = task * p->n_panels / p->n_tasks;
    *end = (task + 1) * p->n_panels / p->n_tasks;
}

/* Task `task`'s rows [*i0, *i1) of C, for the paths whose tasks split C's
 * rows: as even a share of its tiles of rows as whole tiles allow, so that
 * no task has more than a tile more than another. */
static void tiles_of_task(const product *p, int64_t task, int64_t *i0, int64_t *i1)
{
    const int64_t tiles = (p->M + p->g->tile_rows - 1) / p->g->tile_rows;
    *i0 = task * tiles / p->n_tasks * p->g->tile_rows;
    *i1 = min_i64((task + 1) * tiles / p->n_tasks * p->g->tile_rows, p->M);
}

/* fcn_task: every row of C in one group of its columns, panels [first, end),
 * then their epilogue. The task packs those panels of B itself, block by
 * block, and reads A in place but for the rows past the last full tile,
 * which it packs into its own place. */
static void columns_task(void *context, int64_t task)
{
    const product *p = context;
    const kernels *g = p->g;
    int64_t first, end;
    panels_of_task(p, task, &first, &end);
    real *A_pack = p->A_pack + task * g->tile_rows * p->kc;
    const int64_t packed_from = p->M - p->M % g->tile_rows;
    for (int64_t k0 = 0; k0 < p->K; k0 += p->kc) {
        const int64_t kc = min_i64(p->kc, p->K - k0), rows = rows_in_L1(g, kc);
        pack_B_block(p, k0 / p->kc, first, end);
        if (tiles_read_A_pack(p, first))
            g->pack_A(A_pack, p->A.data, p->A.row, p->A.col, packed_from, p->M, k0, kc);
        for (int64_t i0 = 0; i0 < p->M; i0 += rows)
            tiles(p, i0, min_i64(i0 + rows, p->M), first, end, k0, kc, packed_from, A_pack);
    }
    p->epilogue->done(p->C, 0, p->M, first * g->tile_cols, min_i64(end * g->tile_cols, p->N),
                      p->N, p->epilogue->context);
}

/* fcn_task: one panel of the product's block of B */
static void pack_B_task(void *context, int64_t item)
{
    const product *p = context;
    pack_B_block(p, p->k0 / p->kc, p->first + item, p->first + item + 1);
}

/* Panels of B in one block of the rows path: the K block of them fills at
 * most half of L2, and each thread reads the block from its own L2 for all of
 * its rows (after fetching the half the other packed once), rather than all
 * of a packed B larger than L2 from L3 for each task of rows. On two Xeon
 * cores (2 MiB of L2), K = 1024: (512, 1024, 1024) A·B 255 -> 270 GFLOP/s,
 * A·Bᵀ 237 -> 256 (medians of 5 alternating runs), unchanged on one core. */
static int64_t block_panels(const product *p)
{
    const int64_t panel_bytes = p->kc * p->g->tile_cols * (int64_t)sizeof(real);
    const int64_t panels = l2_bytes() / 2 / panel_bytes;
    return panels < 1 ? 1 : panels;
}

/* fcn_task: one block of rows of C (tiles_of_task) */
static void rows_task(void *context, int64_t task)
{
    const product *p = context;
    int64_t i0, i1;
    tiles_of_task(p, task, &i0, &i1);
    rows_of_C(p, i0, i1);
}

/* fcn_task: share `task` of C's tiles of rows, one share per thread, for a
 * product of one K block: the task packs all of B's panels into a copy of
 * its own, computes its rows, then their epilogue. So the team meets once
 * per product, not after the packing too, and no core reads panels another
 * core packed: on two Xeon cores, where a small product's two meetings took
 * as long as its arithmetic, digits' (200, 64, 100) ran at 130 GFLOP/s in
 * the rows path, 210 in shares; (1000, 100, 100) at 238 and 265. Where A
 * is packed (pack_all_of_A), the task packs a group of its tiles of rows at
 * a time (pack_group_rows) into panels of its own, and computes each tile
 * for all of B's panels while its panel is in L1. */
static void share_task(void *context, int64_t task)
{
    const product *p = context;
    const kernels *g = p->g;
    int64_t i0, i1;
    tiles_of_task(p, task, &i0, &i1);
    if (i0 == i1) return;
    product own = *p;
    own.B_pack = p->B_pack + task * p->kc * p->n_panels * g->tile_cols;
    own.B_sums = task == p->n_tasks - 1 ? p->B_sums : NULL; /* the last share has rows */
    pack_B_block(&own, 0, 0, p->n_panels);
    if (p->pack_all_of_A) {
        const int64_t group = pack_group_rows(g->tile_rows);
        real *A_group = p->A_pack + task * group * p->kc;
        for (int64_t g0 = i0; g0 < i1; g0 += group) {
            const int64_t g1 = min_i64(g0 + group, i1);
            g->pack_A(A_group, p->A.data, p->A.row, p->A.col, g0, g1, 0, p->K);
            for (int64_t r0 = g0; r0 < g1; r0 += g->tile_rows)
                tiles(&own, r0, min_i64(r0 + g->tile_rows, g1), 0, p->n_panels, 0, p->K, g0,
                      A_group);
        }
    } else {
        /* the rows past the last full tile, in the last share only */
        const int64_t packed_from = i1 - (i1 - i0) % g->tile_rows;
        if (tiles_read_A_pack(p, 0))
            g->pack_A(p->A_pack, p->A.data, p->A.row, p->A.col, packed_from, i1, 0, p->K);
        tiles(&own, i0, i1, 0, p->n_panels, 0, p->K, packed_from, p->A_pack);
    }
    p->epilogue->done(p->C, i0, i1, 0, p->N, p->N, p->epilogue->context);
}

/* Whether a product of one K block on `threads` threads runs in shares
 * (share_task): the scratch holds a copy of B's panels per thread, and the
 * last rows' A panel, or where A is packed, a group's A panels per thread.
 * Since a copy costs as much as packing B, that takes C to have rows enough
 * (M >= (threads - 1) N or so: fcn_pack_len has a tile of rows to spare for it);
 * larger B's run in the rows path. On two Xeon cores, with C 16 bytes off a
 * line, delta_in of (256, 256, 128), (256, 128, 256) A·Bᵀ, ran at 250
 * GFLOP/s by columns, 286 in shares (300 by columns with C on a line), once
 * the scratch had that spare tile. A packed A: only a transposed one (Aᵀ·B,
 * dW), and B's copy within half of L2, where every tile of rows reads all
 * of it: mnist's dW of layer 1, (784, 256, 256), 369 -> 341 µs on two
 * cores, (784, 512, 256) 761 -> 701; wide's layer 2, (1024, 512, 1024),
 * whose copy is 2 MiB, 3808 -> 4318. */
static int in_shares(const product *p, int threads)
{
    const int64_t B_len = p->kc * p->n_panels * p->g->tile_cols;
    const int64_t A_rows = p->pack_all_of_A ? threads * pack_group_rows(p->g->tile_rows)
                                            : p->g->tile_rows;
    const int64_t A_len = A_rows * p->kc;
    const int64_t room = fcn_pack_len(p->M, p->K, p->N) - FCN_PACK_ALIGN_SLACK;
    const int A_fits = !p->pack_all_of_A ||
                       (p->A.row == 1 && B_len * (int64_t)sizeof(real) <= l2_bytes() / 2);
    return threads > 1 && p->K <= p->kc && A_fits && threads * B_len + A_len <= room;
}

/* fcn_task: a group of C's tiles of rows of a transposed A, packed by the
 * team for every columns task of columns_over_packed_A */
static void pack_A_task(void *context, int64_t task)
{
    const product *p = context;
    int64_t i0, i1;
    tiles_of_task(p, task, &i0, &i1);
    p->g->pack_A(p->A_pack + i0 * p->K, p->A.data, p->A.row, p->A.col, i0, i1, 0, p->K);
}

/* fcn_task: every row of C in one group of its columns, panels [first,
 * end), over the A the team packed: the task packs its panels of B, then
 * computes them a tile of rows at a time (the tile's A panel in L1, read
 * once for the group), then their epilogue. */
static void packed_columns_task(void *context, int64_t task)
{
    const product *p = context;
    int64_t first, end;
    panels_of_task(p, task, &first, &end);
    pack_B_block(p, 0, first, end);
    const int64_t rows = rows_in_L1(p->g, p->K);
    for (int64_t i0 = 0; i0 < p->M; i0 += rows)
        tiles(p, i0, min_i64(i0 + rows, p->M), first, end, 0, p->K, 0, p->A_pack);
    p->epilogue->done(p->C, 0, p->M, first * p->g->tile_cols,
                      min_i64(end * p->g->tile_cols, p->N), p->N, p->epilogue->context);
}

/* Whether a transposed A that is packed whole (in_place_thrashes), for a
 * product of one K block, is packed once by the team and C computed by
 * groups of columns over it, rather than in the rows path. A tile of rows
 * then keeps its A panel in L1 for all of its group's panels of B, which
 * stream from L2, where the rows path streams both from L2 (a B panel of
 * K 512 and 32 columns outgrows L1), and the team meets twice, not four
 * times: only where a tile's A panel fills half of L1 at most (so not at
 * K 512 on an L1 of 32 KiB). On several threads each group reads all of
 * A, half of it packed by another core: only an A within L2. Measured on
 * an Intel Xeon (family 6, model 167; 48 KiB of L1, 2 MiB of L2), dW
 * (M, K, N) against the rows path, medians of 9 paired calls: on one core
 * 2-8% faster, (1024, 45, 520), (512, 200, 600), (784, 256, 256), (512,
 * 512, 1024) up to (2048, 64, 512); on two, wide's layer 1, (512, 512,
 * 1024), 8% faster, (1024, 512, 1024) alike, but (2048, 512, 1024), A of
 * 4 MiB, 4% slower. */
static int packs_A_for_columns(const product *p, int threads)
{
    const int64_t A_bytes = p->M * p->K * (int64_t)sizeof(real);
    const int64_t tile_A_bytes = p->g->tile_rows * p->K * (int64_t)sizeof(real);
    return p->A.row == 1 && p->pack_all_of_A && p->K <= p->kc && !p->epilogue->whole_rows &&
           tile_A_bytes <= l1_bytes() / 2 && (threads == 1 || A_bytes <= l2_bytes());
}

/* The path of packs_A_for_columns: the team packs A, then the tasks
 * take groups of B's panels, each group within a quarter of L2 and at least
 * two per thread (so that a thread that gets less CPU takes fewer). */
static void columns_over_packed_A(product *p, int threads)
{
    p->n_tasks = 4 * threads;
    fcn_parallel_for(pack_A_task, p, p->n_tasks, threads);
    const int64_t panel_bytes = p->K * p->g->tile_cols * (int64_t)sizeof(real);
    const int64_t group = l2_bytes() / 4 / panel_bytes;
    const int64_t groups = group < 1 ? p->n_panels : (p->n_panels + group - 1) / group;
    p->n_tasks = min_i64(groups > 2 * threads ? groups : 2 * threads, p->n_panels);
    fcn_parallel_for(packed_columns_task, p, p->n_tasks, threads);
}

/* The rows path (gemm.h): K block by K block, and within one by blocks of
 * B's panels, the team packs the block, then computes every row for it. */
static void rows_by_blocks(product *p, int threads)
{
    const int64_t rows_per_task = task_rows(p->g, p->M, p->kc, threads);
    p->n_tasks = (p->M + rows_per_task - 1) / rows_per_task;
    const int64_t step = p->epilogue->whole_rows ? p->n_panels : block_panels(p);
    for (p->k0 = 0; p->k0 < p->K; p->k0 += p->kc) {
        for (p->first = 0; p->first < p->n_panels; p->first += step) {
            p->end = min_i64(p->first + step, p->n_panels);
            int64_t packed_first = p->first, packed_end = p->end;
            packed_panels(p, &packed_first, &packed_end);
            if (packed_first < packed_end)
                fcn_parallel_for(pack_B_task, p, p->end - p->first, threads);
            fcn_parallel_for(rows_task, p, p->n_tasks, threads);
        }
    }
}

/* Task `task`'s share [*i0, *i1) of C's M rows, for the paths that read
 * their operands in place. */
static void share_of_rows(const product *p, int64_t task, int64_t *i0, int64_t *i1)
{
    *i0 = task * p->M / p->n_tasks;
    *i1 = (task + 1) * p->M / p->n_tasks;
}

/* fcn_task: a share of the rows of C, B read where it lies, then their
 * epilogue. */
static void unpacked_task(void *context, int64_t task)
{
    const product *p = context;
    int64_t i0, i1;
    share_of_rows(p, task, &i0, &i1);
    p->g->matmul_unpacked(p->C, p->A.data, p->A.row, p->A.col, p->B.data, p->B.row, i0, i1,
                          p->N, p->K);
    add_bias(p->C, p->epilogue->bias, i0, i1, 0, p->N, p->N);
    p->epilogue->done(p->C, i0, i1, 0, p->N, p->N, p->epilogue->context);
}

/* fcn_task: a share of c = A @ b (N == 1) for A's columns contiguous, as
 * cᵀ = bᵀ Aᵀ with Aᵀ row-major: c[i0:i1] += b_k Aᵀ[k][i0:i1], then its
 * epilogue. */
static void vector_matrix_task(void *context, int64_t task)
{
    const product *p = context;
    int64_t i0, i1;
    share_of_rows(p, task, &i0, &i1);
    p->g->matmul_unpacked(p->C + i0, p->B.data, 0, p->B.row, p->A.data + i0, p->A.col, 0, 1,
                          i1 - i0, p->K);
    add_bias(p->C, p->epilogue->bias, i0, i1, 0, 1, 1);
    p->epilogue->done(p->C, i0, i1, 0, 1, 1, p->epilogue->context);
}

/* Deep columns, from this K on, sum each row in 16 chains (gemm_kernel.h's
 * matrix_vector_chained), whatever the rows: on a Xeon core (512, 1024, 1)
 * ran at 23 GFLOP/s in chains, 16 in one chain per row, (1, 1024, 1) at 16
 * and 0.9 (one row's single chain waits on each multiply-add), (512, 256, 1)
 * at 25 and 20; at K = 128 they run alike, below it the chains' sums cost
 * more than they save. */
#define CHAINED_MIN_DEPTH 128

/* fcn_task: a share of the rows of c = A @ b (N == 1) for A's rows
 * contiguous, then their epilogue. */
static void matrix_vector_task(void *context, int64_t task)
{
    const product *p = context;
    int64_t i0, i1;
    share_of_rows(p, task, &i0, &i1);
    const kernels *g = p->g;
    (p->K >= CHAINED_MIN_DEPTH ? g->matrix_vector_chained : g->matrix_vector)(
        p->C, p->A.data, p->A.row, p->B.data, p->B.row, i0, i1, p->K);
    add_bias(p->C, p->epilogue->bias, i0, i1, 0, 1, 1);
    p->epilogue->done(p->C, i0, i1, 0, 1, 1, p->epilogue->context);
}

/* Whether a row-major A that the rows path packs, its rows lying a multiple
 * of 4 KiB apart (in_place_thrashes), is better read in place by the
 * columns path, on any number of threads: there one tile's rows at a time
 * fall into one set of L1, one way each, which L1 holds (12 ways: Intel's
 * cores since Ice Lake, AMD's since Zen 5; not 8); the tile then serves
 * every panel of its task's group, 4 or more, kept in half of L2, and
 * nothing of A is packed. On a Xeon: (512, 1024, 1024) A·B and A·Bᵀ 10-11%
 * faster on two cores, 3-5% on one. Each group reads all of A's K block
 * again, its rows a page apart, beyond the prefetchers' reach: only from
 * L2, where the block fits beside the group. On a Zen 5 core (1 MiB of L2,
 * where the Xeon's has 2) the block of (512, 1024, 1024) came from L3 for
 * every group: on two cores 16-20% slower than the rows path, which packs
 * it once (A·B; A·Bᵀ within the backward 7%). */
static int rows_in_ways(const product *p)
{
    const int64_t group = (p->n_panels + p->n_tasks - 1) / p->n_tasks;
    const int64_t group_bytes = group * p->kc * p->g->tile_cols * (int64_t)sizeof(real);
    const int64_t A_block_bytes = p->M * p->kc * (int64_t)sizeof(real);
    return p->A.col == 1 && p->pack_all_of_A && l1_ways() >= p->g->tile_rows &&
           group >= 4 && group_bytes <= l2_bytes() / 2 &&
           A_block_bytes + group_bytes <= l2_bytes();
}

/* Whether the tasks of a product on `threads` threads split C's columns
 * (gemm.h): B has a group of panels per thread at least; A is read in place
 * (packing it once per group would cost what it saves) and small enough to
 * stay in each core's L2 while every group reads it: a quarter of L2, or
 * half where A's rows are contiguous and each thread gets 4 panels or more
 * (measured on a Xeon with 2 MiB of L2, two threads, against splitting
 * rows: row-major A of 0.8-1 MiB 3-7% faster with N = 256 or 1024, of
 * 1.5-2 MiB 3-5% slower; a transposed A of 0.8 MiB 7% slower; with N = 100,
 * four panels, one half, the threads' shares were uneven: digits' batch
 * predict 25% slower); the epilogue takes parts of rows; each group's
 * packed remainder rows fit in pack; and C has at most 16 rows per unit of
 * depth, 2 where its last panel is partial. Each task writes a strip of
 * every row of C, beside the other tasks' strips: the shallower the
 * product, the more often its tiles store, and the lines where two strips
 * meet pass between the cores; a partial last panel also leaves the tasks
 * uneven. Measured on two Xeon cores, AVX-512 and AVX2, M = 256 to 2000,
 * K = 16 to 256, N = 64, 100 and 128: (2000, 16, 64) ran at 116 GFLOP/s by
 * columns, 220 by rows, (512, 32, 100) at 97 and 167, digits' (200, 64,
 * 100) with its bias at 95 and 111, while within the rule (256, 64, 128)
 * and digits' (64, 200, 100) Aᵀ·B ran 1.3-1.8x faster by columns. Or: a
 * large row-major A of rows_in_ways, on any number of threads. */
static int split_columns(const product *p, int threads, int whole_rows)
{
    const int64_t remainders = p->n_tasks * p->g->tile_rows * p->kc;
    const int64_t room = round_up(p->M, FCN_TILE_ROWS_MAX) * min_i64(p->K, FCN_BLOCK_DEPTH_MAX);
    const int64_t A_bytes = p->M * p->K * (int64_t)sizeof(real);
    const int wide = p->A.col == 1 && p->n_panels >= 4 * threads;
    const int64_t A_most = wide ? l2_bytes() / 2 : l2_bytes() / 4;
    const int64_t rows_most = (p->N % p->g->tile_cols == 0 ? 16 : 2) * p->K;
    const int small_A = threads > 1 && p->n_tasks >= threads && p->M <= rows_most &&
                        !p->pack_all_of_A && A_bytes <= A_most;
    return (small_A || rows_in_ways(p)) && !whole_rows && remainders <= room;
}

/* Whether the strips of C that the columns tasks write would meet inside
 * cache lines: C's rows, or its panels, not starting on a 64-byte line (a
 * numpy array may start 16 bytes past one). Each row's line at a boundary of
 * strips then passes between the cores. On two Xeon cores, C 16 bytes off a
 * line: (256, 256, 128) ran at 270 GFLOP/s by columns, 310 with C on a line
 * and 303 in shares; (256, 128, 256) Aᵀ·B at 259, 304 and 214 by rows. */
static int strips_share_lines(const product *p)
{
    return (uintptr_t)p->C % LINE_BYTES != 0 || p->N * (int64_t)sizeof(real) % LINE_BYTES != 0 ||
           p->g->tile_cols * (int64_t)sizeof(real) % LINE_BYTES != 0;
}

/* The products bound by memory rather than arithmetic, which read their
 * operands where they lie (gemm.h): computes C and returns 1 where this is
 * one, else returns 0. */
static int product_in_place(product *p)
{
    const FCN(fcn_matrix) A = p->A, B = p->B;
    const int64_t M = p->M, N = p->N, K = p->K;
    /* a deep column sums in chains however few its rows, so that each row
     * rounds alike in any batch */
    const int deep_column = N == 1 && A.col == 1 && K >= CHAINED_MIN_DEPTH;
    if (!deep_column &&
        (M <= UNPACKED_MAX_ROWS || (K <= UNPACKED_MAX_DEPTH && N >= UNPACKED_MIN_WIDTH)) &&
        B.col == 1) {
        /* as bound by writing C as the one-column products by reading A */
        const int threads = fcn_threads_for(16 * M * N * K, FCN_PARALLEL_MIN_WORK);
        p->n_tasks = threads > 1 ? min_i64(4 * threads, M) : 1;
        fcn_parallel_for(unpacked_task, p, p->n_tasks, threads);
        return 1;
    }
    if (N == 1 && (A.row == 1 || A.col == 1)) { /* one column */
        /* bound by reading A rather than by arithmetic: worth the team sooner */
        const int threads = fcn_threads_for(16 * M * K, FCN_PARALLEL_MIN_WORK);
        p->n_tasks = threads > 1 ? 4 * threads : 1;
        fcn_parallel_for(A.row == 1 ? vector_matrix_task : matrix_vector_task, p, p->n_tasks,
                         threads);
        return 1;
    }
    return 0;
}

/* fcn_column_sums_f32, fcn_column_sums_f64 */
FCN_VECTOR_CLONES
void FCN(fcn_column_sums)(real *restrict sums, const real *restrict B, int64_t b_row,
                          int64_t K, int64_t j0, int64_t j1)
{
    for (int64_t j = j0; j < j1; j++) sums[j] = 0;
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = j0; j < j1; j++) sums[j] += B[k * b_row + j];
}

/* The epilogue's B_sums of the columns outside panels [first, end), which
 * no path packs: B's full panels read in place, the edge columns, or all
 * of them where the product reads B where it lies. */
static void sum_columns_not_packed(const product *p, int64_t first, int64_t end)
{
    real *sums = p->B_sums;
    if (sums == NULL) return;
    if (first >= end) { /* in one pass over B */
        FCN(fcn_column_sums)(sums, p->B.data, p->B.row, p->K, 0, p->N);
        return;
    }
    const int64_t j0 = first * p->g->tile_cols, j1 = min_i64(end * p->g->tile_cols, p->N);
    FCN(fcn_column_sums)(sums, p->B.data, p->B.row, p->K, 0, j0);
    FCN(fcn_column_sums)(sums, p->B.data, p->B.row, p->K, j1, p->N);
}

/* Whether the edge columns of a row-major A (edge_columns turns its rows
 * over first, 32 rows by 128 k at a time) repay the turning: with vectors of
 * 16 reals (AVX-512, float32), whose last panel the tile computes at 16
 * columns for 8 or fewer, and K from 64 to 384. On an AMD EPYC core (Zen 4),
 * against the tile: (200, 64, 100) 89-91 -> 94-95 GFLOP/s, (2000, 100, 100)
 * 90-96 -> 100-101, (256, 384, 100) 94-98 -> 101-103, (1000, 100, 36) 78-79
 * -> 89-90, (200, 100, 3) 19.6 -> 25.1-25.8; but K = 10 to 32 up to 33%
 * slower, K = 512 and 1024 2-3% slower (a block of C stored and loaded again
 * for each 128 k), and vectors of 8 reals (AVX2; float64) 7-40% slower, their
 * turning as costly and their tile's lanes half as many. */
#define TURNED_MIN_DEPTH 64
#define TURNED_MAX_DEPTH 384
static int turns_rows_over(const kernels *g, int64_t K)
{
    const int64_t lanes = g->half != NULL ? g->half->tile_cols : g->tile_cols;
    return lanes == 16 && K >= TURNED_MIN_DEPTH && K <= TURNED_MAX_DEPTH;
}

/* A blocked product on `threads` threads, on the path that suits it
 * (gemm.h): by columns, in shares of rows, by columns over an A the team
 * packed, or by rows. */
static void run_blocked(product *p, int threads)
{
    p->n_tasks = min_i64(2 * threads, p->n_panels); /* groups of columns */
    const int shares = in_shares(p, threads);
    /* where the strips would share lines, the shares take what they can */
    if (split_columns(p, threads, p->epilogue->whole_rows) &&
        !(strips_share_lines(p) && shares)) {
        fcn_parallel_for(columns_task, p, p->n_tasks, threads);
        return;
    }
    if (shares) {
        p->n_tasks = threads;
        p->A_pack = p->B_pack + threads * p->kc * p->n_panels * p->g->tile_cols;
        fcn_parallel_for(share_task, p, p->n_tasks, threads);
        return;
    }
    if (packs_A_for_columns(p, threads)) {
        columns_over_packed_A(p, threads);
        return;
    }
    rows_by_blocks(p, threads);
}

/* fcn_gemm_f32, fcn_gemm_f64 */
void FCN(fcn_gemm)(real *C, real *pack, FCN(fcn_matrix) A, FCN(fcn_matrix) B, int64_t M,
                   int64_t N, int64_t K, const FCN(fcn_epilogue) *epilogue,
                   int64_t team_min_work)
{
    const kernels *g = kernels_for(N);
    product p = {.g = g, .last = g, .C = C, .A = A, .B = B, .M = M, .N = N, .K = K,
                 .B_sums = epilogue->B_sums, .epilogue = epilogue};
    if (product_in_place(&p)) {
        sum_columns_not_packed(&p, 0, 0);
        return;
    }
    const int threads = fcn_threads_for(M * N * K, team_min_work);
    p.kc = block_depth(g, K);
    p.n_panels = (N + g->tile_cols - 1) / g->tile_cols;
    const int64_t last_cols = N - (p.n_panels - 1) * g->tile_cols;
    if (g->half && last_cols <= g->half->tile_cols) p.last = g->half;
    /* Aᵀ·B's last panel in vectors of C's rows (edge_columns) where N fills a
     * quarter of it or less; and all of a product narrower than AVX-512's
     * one-vector tile (an output layer's dW, N = 10), whose tiles compute 16
     * columns: on an AMD EPYC core (Zen 5), (100, 200, 10) 4.9 -> 3.9 us,
     * (128, 256, 10) 6.9 -> 4.9. The two-vector tiles of AVX2 (N = 10, 15)
     * and of float64 ran up to 2x slower so. A row-major A's last panel,
     * where N fills a quarter of it or less, likewise where turning its rows
     * over repays (turns_rows_over). */
    p.edge = M >= g->tile_cols &&
             ((A.row == 1 && (last_cols <= g->tile_cols / 4 ||
                              (g->half == NULL && last_cols < g->tile_cols))) ||
              (A.col == 1 && last_cols <= g->tile_cols / 4 && turns_rows_over(g, K)));
    p.B_in_place = reads_B_in_place(B, M);
    p.pack_all_of_A = in_place_thrashes(&p);
    int64_t packed_first = 0, packed_end = p.n_panels;
    packed_panels(&p, &packed_first, &packed_end);
    sum_columns_not_packed(&p, packed_first, packed_end);
    /* B's panels from a cache line on (the scratch holds the slack): the
     * kernels' vector loads of B straddling two lines cost a Xeon 2% of
     * (512, 512, 1024) on one core and 18% on two */
    p.B_pack = (real *)(((uintptr_t)pack + LINE_BYTES - 1) & ~(uintptr_t)(LINE_BYTES - 1));
    p.A_pack = p.B_pack + p.kc * p.n_panels * g->tile_cols;
    run_blocked(&p, threads);
}
