/* The GEMM kernels of one vector unit, included by gemm.c once per unit and
 * tile shape with KERNEL(name) (a name suffix), ISA_TARGET (a function
 * attribute), VEC_BYTES, TILE_ROWS and TILE_VECS defined. A micro-tile is
 * TILE_ROWS rows of C by TILE_VECS vectors of columns; GCC/Clang vector types
 * keep its accumulators in registers.
 * With FCN_PORTABLE_C, VEC_BYTES is sizeof(real) and a "vector" is one real:
 * the same code in plain C.
 *
 * Packed layouts (gemm.h): a B panel of one K block holds, for k = 0 .. kc-1,
 * TILE_COLS consecutive reals (zero past N); an A panel holds, for each k,
 * TILE_ROWS consecutive reals (zero past M). The micro-kernel then reads both
 * operands sequentially, whatever the strides of the matrices they came from. */

/* Every loop over a tile's rows unrolled, so that acc stays in registers
 * (GCC peels at most 16 iterations on its own). */
#ifndef TILE_UNROLL
#if FCN_PORTABLE_C
#define TILE_UNROLL
#elif defined(__clang__)
#define TILE_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define TILE_UNROLL _Pragma("GCC unroll 32")
#else
#define TILE_UNROLL
#endif
#endif

#if FCN_PORTABLE_C
typedef real KERNEL(vec);
#define ALWAYS_INLINE
#define PREFETCH(address) ((void)(address)) /* none in portable C; its operands still used */
#else
typedef real KERNEL(vec) __attribute__((vector_size(VEC_BYTES), aligned(sizeof(real))));
#define ALWAYS_INLINE __attribute__((always_inline))
#define PREFETCH(address) __builtin_prefetch(address)
#endif
#define LANES ((int64_t)(VEC_BYTES / sizeof(real)))
#define TILE_COLS (TILE_VECS * LANES)

#if !FCN_PORTABLE_C && defined(__GNUC__) && !defined(__clang__)
#define FCN_TRANSPOSE 1
/* v[i][j] becomes v[j][i]: the off-diagonal halves of every block swapped at
 * each of log2(LANES) levels, one shuffle of two vectors each (GCC's
 * __builtin_shuffle): an order of magnitude fewer instructions than moving
 * one real at a time. */
ISA_TARGET static inline ALWAYS_INLINE void KERNEL(transpose)(KERNEL(vec) v[LANES])
{
#if FCN_DOUBLE
    typedef int64_t lane_index; /* integers of real's width, as shuffles take */
#else
    typedef int32_t lane_index;
#endif
    typedef lane_index mask __attribute__((vector_size(VEC_BYTES)));
    TILE_UNROLL
    for (int w = LANES / 2; w >= 1; w /= 2) {
        /* lane j of each half-swap: from the first vector (< LANES) or the second */
        lane_index low_lanes[LANES], high_lanes[LANES];
        for (int j = 0; j < LANES; j++) {
            low_lanes[j] = j & w ? LANES + j - w : j;
            high_lanes[j] = j & w ? LANES + j : j + w;
        }
        mask low, high;
        memcpy(&low, low_lanes, sizeof low);
        memcpy(&high, high_lanes, sizeof high);
        TILE_UNROLL
        for (int i = 0; i < LANES; i++)
            if (!(i & w)) {
                const KERNEL(vec) first = v[i], second = v[i + w];
                v[i] = __builtin_shuffle(first, second, low);
                v[i + w] = __builtin_shuffle(first, second, high);
            }
    }
}

/* v[i] = the LANES reals at in + i * in_row for i < n, zeros past n. */
ISA_TARGET static inline ALWAYS_INLINE void KERNEL(load_rows)(KERNEL(vec) v[LANES],
                                                            const real *in, int64_t in_row,
                                                            int64_t n)
{
    TILE_UNROLL
    for (int i = 0; i < LANES; i++)
        v[i] = i < n ? *(const KERNEL(vec) *)(in + i * in_row) : (KERNEL(vec)){0};
}
#endif

/* out[k * out_row + i] = in[i * in_row + k] for i < n and 0 for n <= i <
 * width (width <= LANES, a constant where it is inlined), k < kc: n runs of
 * kc reals written across, as packing a transpose needs; squares of LANES x
 * LANES turned over in registers (moving one real at a time cost a Xeon 11%
 * of a (512, 1024, 1024) product). */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(transpose_into)(real *restrict out, int64_t out_row, const real *restrict in,
                       int64_t in_row, int64_t n, int width, int64_t kc)
{
    int64_t k = 0;
#ifdef FCN_TRANSPOSE
    for (; k + LANES <= kc; k += LANES) {
        KERNEL(vec) v[LANES];
        KERNEL(load_rows)(v, in + k, in_row, n);
        KERNEL(transpose)(v);
        TILE_UNROLL
        for (int i = 0; i < LANES; i++)
            memcpy(out + (k + i) * out_row, &v[i], width * sizeof(real));
    }
#endif
    for (; k < kc; k++)
        for (int i = 0; i < width; i++) out[k * out_row + i] = i < n ? in[i * in_row + k] : 0;
}

/* Panel p of pack_B where it runs past N: its N - j0 columns, zeros past
 * them. Rows of B are copied a panel's width at a time with a test per real
 * (masked loads and stores), a transposed B's columns one after another:
 * one loop through both of B's strides for every real cost digits' dW,
 * (64, 200, 100), a tenth of its time. */
ISA_TARGET static void KERNEL(pack_B_past_N)(real *restrict pack, const real *restrict B,
                                             int64_t b_row, int64_t b_col, int64_t k0,
                                             int64_t kc, int64_t N, int64_t p,
                                             real *restrict sums)
{
    const int64_t j0 = p * TILE_COLS, cols = N - j0;
    real *restrict panel = pack + p * kc * TILE_COLS;
    memset(panel, 0, kc * TILE_COLS * sizeof(real));
    if (b_col == 1) { /* a test per real, as corner's copies */
        for (int64_t c = 0; c < cols && sums != NULL && k0 == 0; c++) sums[j0 + c] = 0;
        for (int64_t k = 0; k < kc; k++) {
            const real *row = B + (k0 + k) * b_row + j0;
            for (int64_t c = 0; c < TILE_COLS; c++)
                if (c < cols) panel[k * TILE_COLS + c] = row[c];
            for (int64_t c = 0; c < TILE_COLS && sums != NULL; c++)
                if (c < cols) sums[j0 + c] += row[c];
        }
    } else {
        for (int64_t c = 0; c < cols; c++)
            for (int64_t k = 0; k < kc; k++)
                panel[k * TILE_COLS + c] = B[(k0 + k) * b_row + (j0 + c) * b_col];
    }
}

/* pack_B's full panels [first, end) of a B with contiguous rows, each
 * packed row also added to sums: panel by panel, its sums in registers
 * (summed through memory, a chain of loads, adds and stores per vector,
 * mnist's dW of layer 2, (256, 256, 128), ran 1-4% slower than with delta
 * summed apart). */
ISA_TARGET static void KERNEL(pack_B_summing)(real *restrict pack, const real *restrict B,
                                              int64_t b_row, int64_t k0, int64_t kc,
                                              int64_t first, int64_t end, real *restrict sums)
{
    for (int64_t p = first; p < end; p++) {
        KERNEL(vec) sum[TILE_VECS];
        for (int v = 0; v < TILE_VECS; v++)
            sum[v] = k0 == 0 ? (KERNEL(vec)){0}
                             : *(const KERNEL(vec) *)(sums + p * TILE_COLS + v * LANES);
        for (int64_t k = 0; k < kc; k++)
            for (int v = 0; v < TILE_VECS; v++) {
                const int64_t n = p * TILE_COLS + v * LANES;
                const KERNEL(vec) x = *(const KERNEL(vec) *)(B + (k0 + k) * b_row + n);
                *(KERNEL(vec) *)(pack + (p * kc + k) * TILE_COLS + v * LANES) = x;
                sum[v] += x;
            }
        for (int v = 0; v < TILE_VECS; v++)
            *(KERNEL(vec) *)(sums + p * TILE_COLS + v * LANES) = sum[v];
    }
}

/* Panels [first, end) of block rows k0 .. k0+kc-1 of B(k, n) = B[k*b_row + n*b_col].
 * B is read along its contiguous direction, row by row (b_col == 1) or column
 * by column (B is a transpose), so that the hardware prefetchers follow it;
 * the writes stay within panels in cache. Where sums is not NULL (b_col == 1
 * only), each of the panels' columns n is added to sums[n] in the order of k,
 * from 0 at k0 == 0: the sums of B's columns, block after block, from the
 * reads the packing makes anyway (dW's B is delta, whose sums are db). */
ISA_TARGET static void KERNEL(pack_B)(real *restrict pack, const real *restrict B,
                                      int64_t b_row, int64_t b_col, int64_t k0, int64_t kc,
                                      int64_t N, int64_t first, int64_t end,
                                      real *restrict sums)
{
    const int64_t full_end = N / TILE_COLS < end ? N / TILE_COLS : end; /* unpadded panels */
    if (b_col == 1 && sums != NULL) {
        KERNEL(pack_B_summing)(pack, B, b_row, k0, kc, first, full_end, sums);
    } else if (b_col == 1) {
        for (int64_t k = 0; k < kc; k++)
            for (int64_t p = first; p < full_end; p++)
                memcpy(pack + (p * kc + k) * TILE_COLS, B + (k0 + k) * b_row + p * TILE_COLS,
                       TILE_COLS * sizeof(real));
    } else if (b_row == 1) { /* columns of B are contiguous: squares of LANES turned over */
        for (int64_t p = first; p < full_end; p++)
            for (int64_t v = 0; v < TILE_VECS; v++)
                KERNEL(transpose_into)(pack + p * kc * TILE_COLS + v * LANES, TILE_COLS,
                                       B + (p * TILE_COLS + v * LANES) * b_col + k0, b_col,
                                       LANES, LANES, kc);
    } else {
        for (int64_t p = first; p < full_end; p++)
            for (int64_t c = 0; c < TILE_COLS; c++) {
                const real *column = B + (p * TILE_COLS + c) * b_col + k0 * b_row;
                for (int64_t k = 0; k < kc; k++)
                    pack[(p * kc + k) * TILE_COLS + c] = column[k * b_row];
            }
    }
    for (int64_t p = full_end > first ? full_end : first; p < end; p++)
        KERNEL(pack_B_past_N)(pack, B, b_row, b_col, k0, kc, N, p, sums);
}

/* pack_A's whole tiles of a transposed A (columns contiguous), rows [i0, i1)
 * of C a multiple of TILE_ROWS: k by k, each of A's rows read as one run
 * across a group of tiles (pack_group_rows) and copied a tile's rows at a
 * time into the group's panels. So every line of A is read whole and once,
 * down rows a stride apart that the prefetchers follow; a tile at a time
 * read a piece of a line from each of kc rows, and rows 2 or 4 KiB apart
 * fall into one or two sets of L1, which lost the lines the next tile
 * shares. In a C harness on an AMD EPYC core (Zen 5), A in L3, all of A
 * packed: mnist's layer-1 (784 x 256) 14.8 -> 14.0 us, wide's layer-1
 * (512 x 512) 33.6 -> 18.8, its layer-2 (1024 x 512) 121 -> 42. */
ISA_TARGET static void KERNEL(pack_A_transposed)(real *restrict pack, const real *restrict A,
                                                 int64_t a_col, int64_t i0, int64_t i1,
                                                 int64_t k0, int64_t kc)
{
    const int64_t group = pack_group_rows(TILE_ROWS);
    for (int64_t g0 = i0; g0 < i1; g0 += group) {
        const int64_t g1 = g0 + group < i1 ? g0 + group : i1;
        for (int64_t k = 0; k < kc; k++)
            for (int64_t r0 = g0; r0 < g1; r0 += TILE_ROWS)
                memcpy(pack + (r0 - i0) * kc + k * TILE_ROWS, A + r0 + (k0 + k) * a_col,
                       sizeof(real[TILE_ROWS]));
    }
}

/* The A panels of rows i0 .. i1-1, block columns k0 .. k0+kc-1 of
 * A(i, k) = A[i*a_row + k*a_col]; the last panel is zero past i1. */
ISA_TARGET static void KERNEL(pack_A)(real *restrict pack, const real *restrict A,
                                      int64_t a_row, int64_t a_col, int64_t i0, int64_t i1,
                                      int64_t k0, int64_t kc)
{
    int64_t r0 = i0;
    if (a_row == 1 && a_col != 1) { /* A is a transpose: its whole tiles by groups */
        const int64_t whole_end = i0 + (i1 - i0) / TILE_ROWS * TILE_ROWS;
        KERNEL(pack_A_transposed)(pack, A, a_col, i0, whole_end, k0, kc);
        r0 = whole_end;
    }
    for (; r0 < i1; r0 += TILE_ROWS) {
        real *restrict panel = pack + (r0 - i0) * kc;
        const int64_t rows = i1 - r0 < TILE_ROWS ? i1 - r0 : TILE_ROWS;
        if (a_col == 1) { /* rows of A are contiguous: squares of LANES turned over */
            TILE_UNROLL
            for (int r = 0; r < TILE_ROWS; r += LANES)
                KERNEL(transpose_into)(panel + r, TILE_ROWS, A + (r0 + r) * a_row + k0, a_row,
                                       rows - r < 0 ? 0 : rows - r < LANES ? rows - r : LANES,
                                       TILE_ROWS - r < LANES ? TILE_ROWS - r : LANES, kc);
            continue;
        }
        if (rows < TILE_ROWS) memset(panel, 0, kc * TILE_ROWS * sizeof(real));
        for (int64_t k = 0; k < kc; k++) {
            const real *a = A + r0 * a_row + (k0 + k) * a_col;
            for (int64_t r = 0; r < rows; r++) panel[k * TILE_ROWS + r] = a[r * a_row];
        }
    }
}

/* Stores a tile's sums: its cols = TILE_COLS columns, or fewer where C's
 * rows lie one after another (ldc == cols, tile). */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(store_tile)(real *restrict C, int64_t ldc, KERNEL(vec) acc[TILE_ROWS][TILE_VECS],
                   int n_rows, int64_t cols)
{
    TILE_UNROLL
    for (int r = 0; r < n_rows; r++) {
        if (cols == TILE_COLS || r * ldc + TILE_COLS <= n_rows * ldc) {
            for (int v = 0; v < TILE_VECS; v++)
                *(KERNEL(vec) *)(C + r * ldc + v * LANES) = acc[r][v];
        } else {
            real row[TILE_COLS];
            for (int v = 0; v < TILE_VECS; v++) {
                const KERNEL(vec) sums = acc[r][v]; /* acc itself stays in registers */
                memcpy(row + v * LANES, &sums, sizeof sums);
            }
            for (int64_t c = 0; c < TILE_COLS; c++)
                if (c < cols) C[r * ldc + c] = row[c];
        }
    }
}

/* One micro-tile of C (n_rows x TILE_COLS, row stride ldc; n_rows is
 * TILE_ROWS but for the last rows of C) = A(r, k) @ B panel over kc, where
 * A(r, k) = A[r * a_row + k * a_col], with the panel's rows b_row apart
 * (TILE_COLS packed, B's own where the tiles read B in place), plus the
 * tile's current values when accumulate (the K blocks before this one). Each
 * C[i][j] is one chain of fused multiply-adds in the order of k, across
 * blocks too: the result does not depend on the blocking, on the tile's rows
 * or on the thread that computes the tile. In the last K block, bias (the
 * tile's TILE_COLS columns of it, or NULL) is added to each finished sum as
 * the tile stores it: the layer's bias, without a pass of its own over C
 * (on a Xeon core, 6-9% of the forward products of digits' and mnist's
 * output layers, (200, 100, 10) and (256, 128, 10)). The tile stores its
 * cols = TILE_COLS columns, or fewer where C's rows lie one after another
 * (ldc == cols: a product narrower than a tile): each row's vectors then run
 * on into the rows after it, which are stored after it, and a row whose
 * vectors would run past the tile's rows is stored real by real. Inlined
 * into the kernels below, so that n_rows and the packed operands' strides
 * are constants. */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(tile)(real *restrict C, int64_t ldc, const real *restrict A, int64_t a_row,
             int64_t a_col, const real *restrict B_panel, int64_t b_row, int64_t kc,
             int accumulate, const real *restrict bias, int n_rows, int64_t cols)
{
    KERNEL(vec) acc[TILE_ROWS][TILE_VECS];
    TILE_UNROLL
    for (int r = 0; r < n_rows; r++)
        for (int v = 0; v < TILE_VECS; v++)
            acc[r][v] = accumulate ? *(const KERNEL(vec) *)(C + r * ldc + v * LANES)
                                   : (KERNEL(vec)){0};
    for (int64_t k = 0; k < kc; k++) {
        KERNEL(vec) b[TILE_VECS];
        for (int v = 0; v < TILE_VECS; v++)
            b[v] = *(const KERNEL(vec) *)(B_panel + k * b_row + v * LANES);
        TILE_UNROLL
        for (int r = 0; r < n_rows; r++) {
            const real a = A[r * a_row + k * a_col];
            for (int v = 0; v < TILE_VECS; v++) acc[r][v] += a * b[v];
        }
    }
    if (bias != NULL) {
        KERNEL(vec) b[TILE_VECS];
        for (int v = 0; v < TILE_VECS; v++) b[v] = *(const KERNEL(vec) *)(bias + v * LANES);
        TILE_UNROLL
        for (int r = 0; r < n_rows; r++)
            for (int v = 0; v < TILE_VECS; v++) acc[r][v] += b[v];
    }
    KERNEL(store_tile)(C, ldc, acc, n_rows, cols);
}

/* The tile's bias (NULL for none) of a corner of cols columns: its cols reals
 * in copy, zeros past them, so that the tile reads nothing past the bias. */
ISA_TARGET static inline ALWAYS_INLINE const real *
KERNEL(bias_columns)(real copy[TILE_COLS], const real *bias, int64_t cols)
{
    if (bias == NULL) return NULL;
    for (int64_t c = 0; c < TILE_COLS; c++)
        if (c < cols) copy[c] = bias[c];
    return copy;
}

/* The rows x cols corner of a tile (C's last rows or columns), computed in a
 * copy, so that nothing past C is read or written; the last rows in a tile
 * of a third or two thirds of TILE_ROWS where they fit (M = 64 in tiles of
 * 12 computed 72 rows, now 68). A whole tile of rows of a product narrower
 * than the tile (ldc == cols), in its first K block, is stored in place
 * (tile) rather than copied out: an output layer of 10 classes, (200, 100,
 * 10), 7.3 -> 6.4 us on an AMD EPYC core (Zen 4). */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(corner)(real *restrict C, int64_t ldc, int64_t rows, int64_t cols, const real *A,
               int64_t a_row, int64_t a_col, const real *B_panel, int64_t b_row, int64_t kc,
               int accumulate, const real *bias)
{
    real bias_copy[TILE_COLS] = {0};
    const real *tile_bias = KERNEL(bias_columns)(bias_copy, bias, cols);
    if (rows == TILE_ROWS && ldc == cols && !accumulate) {
        KERNEL(tile)(C, ldc, A, a_row, a_col, B_panel, b_row, kc, 0, tile_bias, TILE_ROWS,
                     cols);
        return;
    }
    /* whole rows of the copy with a test per real, which vector units do
     * as masked loads and stores: copying cols reals became a call of
     * memcpy per row, a tenth of an output layer's products (N = 10) */
    real copy[TILE_ROWS * TILE_COLS] = {0};
    for (int64_t r = 0; r < rows && accumulate; r++)
        for (int64_t c = 0; c < TILE_COLS; c++)
            if (c < cols) copy[r * TILE_COLS + c] = C[r * ldc + c];
    if (rows <= TILE_ROWS / 3)
        KERNEL(tile)(copy, TILE_COLS, A, a_row, a_col, B_panel, b_row, kc, accumulate,
                     tile_bias, TILE_ROWS / 3, TILE_COLS);
    else if (rows <= 2 * TILE_ROWS / 3)
        KERNEL(tile)(copy, TILE_COLS, A, a_row, a_col, B_panel, b_row, kc, accumulate,
                     tile_bias, 2 * TILE_ROWS / 3, TILE_COLS);
    else
        KERNEL(tile)(copy, TILE_COLS, A, a_row, a_col, B_panel, b_row, kc, accumulate,
                     tile_bias, TILE_ROWS, TILE_COLS);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < TILE_COLS; c++)
            if (c < cols) C[r * ldc + c] = copy[r * TILE_COLS + c];
}

/* A tile, or its rows x cols corner, from a packed A panel (pack_A). */
ISA_TARGET static void KERNEL(tile_packed)(real *C, int64_t ldc, int64_t rows, int64_t cols,
                                           const real *A_panel, const real *B_panel,
                                           int64_t b_row, int64_t kc, int accumulate,
                                           const real *bias)
{
    if (rows == TILE_ROWS && cols == TILE_COLS && b_row == TILE_COLS)
        KERNEL(tile)(C, ldc, A_panel, 1, TILE_ROWS, B_panel, TILE_COLS, kc, accumulate, bias,
                     TILE_ROWS, TILE_COLS);
    else if (rows == TILE_ROWS && cols == TILE_COLS)
        KERNEL(tile)(C, ldc, A_panel, 1, TILE_ROWS, B_panel, b_row, kc, accumulate, bias,
                     TILE_ROWS, TILE_COLS);
    else
        KERNEL(corner)(C, ldc, rows, cols, A_panel, 1, TILE_ROWS, B_panel, b_row, kc,
                       accumulate, bias);
}

/* A tile of TILE_ROWS rows, or its first cols columns, read from A in place:
 * where A's panels would be used once, packing them costs more than it saves. */
ISA_TARGET static void KERNEL(tile_in_place)(real *C, int64_t ldc, int64_t cols,
                                             const real *A, int64_t a_row, int64_t a_col,
                                             const real *B_panel, int64_t b_row, int64_t kc,
                                             int accumulate, const real *bias)
{
    if (cols == TILE_COLS && b_row == TILE_COLS)
        KERNEL(tile)(C, ldc, A, a_row, a_col, B_panel, TILE_COLS, kc, accumulate, bias,
                     TILE_ROWS, TILE_COLS);
    else if (cols == TILE_COLS)
        KERNEL(tile)(C, ldc, A, a_row, a_col, B_panel, b_row, kc, accumulate, bias,
                     TILE_ROWS, TILE_COLS);
    else
        KERNEL(corner)(C, ldc, TILE_ROWS, cols, A, a_row, a_col, B_panel, b_row, kc,
                       accumulate, bias);
}

/* The edge columns' blocks: EDGE_COLS columns by EDGE_VECS vectors of rows */
#define EDGE_VECS 2
#define EDGE_ROWS (EDGE_VECS * LANES)
/* 8 accumulators with AVX2's 16 registers (two FMA units of 4 cycles'
 * latency need 8); with AVX-512's 32, 20: an output layer of 10 classes in
 * one group of columns, which reads each vector of A once for all of them
 * and runs without a test per column. Two groups of 5 read A's block (25 KiB
 * for 32 rows by 200 k) twice, the second time from L2: (200, 100, 10)'s dW
 * 7.0 -> 5.9 us on an AMD EPYC core (Zen 4); 12 columns (24 accumulators),
 * which tests each column for N = 10, 6.3. */
#define EDGE_COLS (VEC_BYTES == 64 ? 10 : 4)

/* sums of edge_block from C (to_C 0) or into C (to_C 1), each of the rows
 * [r0, r1) from the one vector whose share [r0 + v LANES, ...) holds it */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(edge_copy)(real *restrict C, int64_t ldc, real sums[EDGE_COLS][EDGE_VECS][LANES],
                  const int64_t from[EDGE_VECS], int vecs, int64_t r0, int64_t r1, int64_t j0,
                  int64_t n_cols, int to_C)
{
    for (int64_t c = 0; c < n_cols; c++)
        for (int v = 0; v < vecs; v++)
            for (int64_t l = 0; l < LANES; l++) {
                const int64_t row = from[v] + l;
                if (row < r0 + v * LANES || row >= r1) continue;
                real *C_ij = C + row * ldc + j0 + c;
                if (to_C)
                    *C_ij = sums[c][v][l];
                else
                    sums[c][v][l] = *C_ij;
            }
}

/* Columns [j0, j0 + n_cols) (at most EDGE_COLS) of C's rows [r0, r1) (at
 * most vecs LANES, vecs <= EDGE_VECS) over the block k0 .. k0+kc-1, for
 * A(i, k) = A[i + k * a_col]: each vector of sums holds LANES rows of one
 * column, A's rows of a k are one load, B(k, j) a broadcast. A vector past
 * C's last row M ends at M instead, its rows before r0 + v LANES computed but
 * not stored, so that C's last rows need no masked loads of A (which made
 * them cost about three times a whole block): M >= LANES. */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(edge_block)(real *restrict C, int64_t ldc, const real *restrict A, int64_t a_col,
                   const real *restrict B, int64_t b_row, int64_t b_col, int64_t M, int vecs,
                   int64_t r0, int64_t r1, int64_t j0, int64_t n_cols, int64_t k0, int64_t kc,
                   int accumulate)
{
    int64_t from[EDGE_VECS]; /* vector v holds rows from[v] .. from[v] + LANES - 1 */
    for (int v = 0; v < vecs; v++)
        from[v] = r0 + v * LANES + LANES <= M ? r0 + v * LANES : M - LANES;
    real sums[EDGE_COLS][EDGE_VECS][LANES] = {{{0}}};
    if (accumulate) KERNEL(edge_copy)(C, ldc, sums, from, vecs, r0, r1, j0, n_cols, 0);
    KERNEL(vec) acc[EDGE_COLS][EDGE_VECS];
    memcpy(acc, sums, sizeof(acc));
    for (int64_t k = k0; k < k0 + kc; k++) {
        KERNEL(vec) a[EDGE_VECS];
        for (int v = 0; v < vecs; v++)
            a[v] = *(const KERNEL(vec) *)(A + from[v] + k * a_col);
        for (int64_t c = 0; c < EDGE_COLS; c++) {
            if (c >= n_cols) break;
            const real b = B[k * b_row + (j0 + c) * b_col];
            for (int v = 0; v < vecs; v++) acc[c][v] += a[v] * b;
        }
    }
    memcpy(sums, acc, sizeof(acc));
    KERNEL(edge_copy)(C, ldc, sums, from, vecs, r0, r1, j0, n_cols, 1);
}

/* C's columns [j0, j0 + cols), a few, of rows [i0, i1) of M, over the block
 * k0 .. k0+kc-1, for A(i, k) = A[i + k * a_col] (columns contiguous) and
 * M >= LANES, B read in place (edge_columns). */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(edge_columns_transposed)(real *C, int64_t ldc, const real *A, int64_t a_col,
                                const real *B, int64_t b_row, int64_t b_col, int64_t M,
                                int64_t i0, int64_t i1, int64_t j0, int64_t cols, int64_t k0,
                                int64_t kc, int accumulate)
{
    /* groups of columns as even as they can be: 12 columns as 6 and 6, not
     * 10 and 2, whose 4 accumulators would wait on each other */
    const int64_t groups = (cols + EDGE_COLS - 1) / EDGE_COLS;
    for (int64_t group = 0; group < groups; group++) {
        const int64_t j = j0 + group * cols / groups;
        const int64_t n_cols = j0 + (group + 1) * cols / groups - j;
        for (int64_t r0 = i0; r0 < i1; r0 += EDGE_ROWS) {
            const int64_t r1 = i1 - r0 < EDGE_ROWS ? i1 : r0 + EDGE_ROWS;
            if (r1 - r0 <= LANES) /* the last rows, a vector's or fewer: one vector */
                KERNEL(edge_block)(C, ldc, A, a_col, B, b_row, b_col, M, 1, r0, r1, j, n_cols,
                                   k0, kc, accumulate);
            else if (n_cols == EDGE_COLS)
                KERNEL(edge_block)(C, ldc, A, a_col, B, b_row, b_col, M, EDGE_VECS, r0, r1, j,
                                   EDGE_COLS, k0, kc, accumulate);
            else
                KERNEL(edge_block)(C, ldc, A, a_col, B, b_row, b_col, M, EDGE_VECS, r0, r1, j,
                                   n_cols, k0, kc, accumulate);
        }
    }
}

/* The depth of A that edge_columns turns over at a time for EDGE_ROWS rows:
 * 16 KiB, half of the smallest L1 of the x86-64 cores of the last decade. */
#define EDGE_DEPTH ((int64_t)(16384 / (EDGE_ROWS * sizeof(real))))

/* C's columns [j0, j0 + cols), a few, of rows [i0, i1) of M, over the block
 * k0 .. k0+kc-1, for A(i, k) = A[i * a_row + k * a_col] with a_row == 1
 * (Aᵀ·B, dW = A_inᵀ delta) or a_col == 1 (A·B, Z = A W; A·Bᵀ), M >= LANES,
 * B read in place: a last panel that N fills a quarter or less (N = 100 in
 * AVX-512 panels of 32 leaves 4 columns, which the half tile computed as
 * 16), or a transposed A's product narrower than one vector (gemm.c: dW of
 * an output layer of 10 classes). Each vector of sums holds LANES rows of
 * one column, so that every lane computes a real of C. A's rows, where they
 * are contiguous, are first turned over (transpose_into) into T, EDGE_ROWS
 * rows by EDGE_DEPTH k at a time, which is then read as a transposed A; rows
 * fewer than LANES take rows before them (or after, at C's first rows) to
 * fill T's vector, computed but not stored. Each C[i][j] is the same chain
 * of fused multiply-adds as a tile's. On a Xeon core: digits' dW, (64, 200,
 * 100), 23.3 -> 20.7 us; (512, 200, 100) 166 -> 142 us. */
ISA_TARGET static void KERNEL(edge_columns)(real *C, int64_t ldc, const real *A, int64_t a_row,
                                            int64_t a_col, const real *B, int64_t b_row,
                                            int64_t b_col, int64_t M, int64_t i0, int64_t i1,
                                            int64_t j0, int64_t cols, int64_t k0, int64_t kc,
                                            int accumulate)
{
    if (a_row == 1) {
        KERNEL(edge_columns_transposed)(C, ldc, A, a_col, B, b_row, b_col, M, i0, i1, j0, cols,
                                        k0, kc, accumulate);
        return;
    }
    _Alignas(64) real T[EDGE_DEPTH * EDGE_ROWS]; /* T[k * EDGE_ROWS + i]: A(t0 + i, k) */
    for (int64_t r0 = i0; r0 < i1; r0 += EDGE_ROWS) {
        const int64_t r1 = i1 - r0 < EDGE_ROWS ? i1 : r0 + EDGE_ROWS;
        const int64_t t0 = r1 - r0 >= LANES ? r0 : r1 >= LANES ? r1 - LANES : 0;
        const int64_t t1 = t0 + LANES > r1 ? t0 + LANES : r1; /* T's rows [t0, t1) */
        for (int64_t k = k0; k < k0 + kc; k += EDGE_DEPTH) {
            const int64_t depth = k0 + kc - k < EDGE_DEPTH ? k0 + kc - k : EDGE_DEPTH;
            /* whole squares of LANES rows, the last one ending at t1 (and
             * overlapping the one before it where t1 - t0 is not a multiple) */
            for (int64_t s = t0; s < t1; s += LANES) {
                const int64_t from = s + LANES <= t1 ? s : t1 - LANES;
                KERNEL(transpose_into)(T + (from - t0), EDGE_ROWS, A + from * a_row + k, a_row,
                                       LANES, LANES, depth);
            }
            KERNEL(edge_columns_transposed)(C + t0 * ldc, ldc, T, EDGE_ROWS, B + k * b_row,
                                            b_row, b_col, t1 - t0, r0 - t0, r1 - t0, j0, cols,
                                            0, depth, accumulate || k > k0);
        }
    }
}

#undef EDGE_VECS
#undef EDGE_ROWS
#undef EDGE_COLS
#undef EDGE_DEPTH

/* C[i0:i1, :] = A(i0:i1, :) @ B for a B with contiguous rows (b_col == 1,
 * rows b_row apart), read where it lies, C written row by row: for a few
 * rows of C, a shallow product or one column of Aᵀb (gemm.c), where packing
 * B would cost more than the product. Sums run in the same order, with the
 * same fused multiply-adds, as the tiles'. */
ISA_TARGET static void KERNEL(matmul_unpacked)(real *restrict C, const real *restrict A,
                                               int64_t a_row, int64_t a_col,
                                               const real *restrict B, int64_t b_row,
                                               int64_t i0, int64_t i1, int64_t N, int64_t K)
{
    for (int64_t i = i0; i < i1; i++) {
        real *restrict c = C + i * N;
        /* the first k starts each sum from 0, as a tile does, without reading
         * C first: delta_in of a one-output layer, (512, 1, 1024), wrote C
         * twice and read it once */
        const real a_first = K > 0 ? A[i * a_row] : 0;
        for (int64_t j = 0; j < N; j++) c[j] = K > 0 ? (real)0 + a_first * B[j] : 0;
        for (int64_t k = 1; k < K; k++) {
            const real a = A[i * a_row + k * a_col];
            const real *restrict b = B + k * b_row;
            for (int64_t j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
}

#ifdef FCN_TRANSPOSE
/* c[0 .. n-1] of matrix_vector, n <= LANES rows of A from `rows` on (n a
 * constant where it is inlined for whole groups). */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(rows_times_vector)(real *restrict c, const real *restrict rows, int64_t a_row,
                          const real *restrict b, int64_t b_row, int64_t n, int64_t K)
{
    KERNEL(vec) sum = {0};
    int64_t k = 0;
    for (; k + LANES <= K; k += LANES) {
        KERNEL(vec) column[LANES]; /* column[t]: A(i .. i+LANES-1, k + t) */
        KERNEL(load_rows)(column, rows + k, a_row, n);
        KERNEL(transpose)(column);
        TILE_UNROLL
        for (int t = 0; t < LANES; t++) sum += column[t] * b[(k + t) * b_row];
    }
    for (; k < K; k++) {
        KERNEL(vec) column = {0};
        for (int r = 0; r < n; r++) column[r] = rows[r * a_row + k];
        sum += column * b[k * b_row];
    }
    memcpy(c, &sum, n * sizeof(real));
}
#endif

/* c[i] = sum over k of A[i * a_row + k] b[k * b_row], rows [i0, i1): one
 * chain of fused multiply-adds per row in the order of k, as the tiles'.
 * LANES rows at a time share a vector, their squares of A turned over so
 * that each step adds one k to every lane (a product with one column is
 * bound by reading A: one row at a time ran at 7 GFLOP/s on a Xeon core,
 * this at 17). The last rows take the same path in fewer lanes: GCC
 * vectorises a loop of scalars into products added one by one, rounded
 * twice where the vectors' multiply-adds round once. */
ISA_TARGET static void KERNEL(matrix_vector)(real *restrict c, const real *restrict A,
                                             int64_t a_row, const real *restrict b,
                                             int64_t b_row, int64_t i0, int64_t i1, int64_t K)
{
#ifdef FCN_TRANSPOSE
    int64_t i = i0;
    for (; i + LANES <= i1; i += LANES)
        KERNEL(rows_times_vector)(c + i, A + i * a_row, a_row, b, b_row, LANES, K);
    if (i < i1) KERNEL(rows_times_vector)(c + i, A + i * a_row, a_row, b, b_row, i1 - i, K);
#else
    for (int64_t i = i0; i < i1; i++) {
        real sum = 0;
        for (int64_t k = 0; k < K; k++) sum += A[i * a_row + k] * b[k * b_row];
        c[i] = sum;
    }
#endif
}

/* One deep column, c = A b (N == 1, K >= 128, fcn_gemm), for A's rows
 * contiguous: each row's sum is split into COLUMN_CHAINS chains, chain l
 * taking the k with k % 16 == l in the order of k, which are then added in a
 * fixed order (chain l + 8 into l, then l + 4, l + 2, l + 1). The same
 * arithmetic on every vector unit and for any number of rows, so that one row
 * predicted alone and the same row of a batch round alike, though not as a
 * tile's single chain would. A vector of chains reads A's rows as they lie,
 * where matrix_vector turns rows into lanes (bound by the shuffle unit) and
 * waits on each chain's latency; its per-row sums cost more than that below
 * a depth of 128. */
#define COLUMN_CHAINS 16
#define CHAIN_VECS (COLUMN_CHAINS / LANES)
/* Rows that share b: 8 vectors of chains, but 4 rows where a row is one
 * vector (AVX-512, float32). Each vector of chains waits on its own last
 * multiply-add, so 8 of them keep two FMA units busy where A is in L1;
 * beyond that the product is bound by reading A, and 8 rows' streams read it
 * more slowly than 4: on a Zen 5 core, (512, 1024, 1) 44-48 -> 47-49
 * GFLOP/s, (512, 256, 1) 48-52 -> 59-60, (64, 1024, 1) 54 -> 56-61, and no
 * shape of 32 to 2000 rows slower. Fewer vectors made AVX2 and float64 up to
 * 20% slower. */
#define CHAIN_ROWS (CHAIN_VECS == 1 ? 4 : CHAIN_VECS >= 8 ? 1 : 8 / CHAIN_VECS)
/* How far ahead each row's stream asks for its lines (column_chains) */
#define CHAIN_PREFETCH_BYTES 512

/* chains[r] += A's row r, at a, times b, for one block of COLUMN_CHAINS k */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(chain_block)(KERNEL(vec) chains[][CHAIN_VECS], const real *a, int64_t a_row,
                    const KERNEL(vec) b_vecs[CHAIN_VECS], int n)
{
    TILE_UNROLL
    for (int r = 0; r < n; r++)
        for (int v = 0; v < CHAIN_VECS; v++)
            chains[r][v] += *(const KERNEL(vec) *)(a + r * a_row + v * LANES) * b_vecs[v];
}

/* c[0 .. n-1] for n <= CHAIN_ROWS rows from `rows` on (n a constant where it
 * is inlined). */
ISA_TARGET static inline ALWAYS_INLINE void
KERNEL(column_chains)(real *restrict c, const real *restrict rows, int64_t a_row,
                      const real *restrict b, int64_t b_row, int n, int64_t K)
{
    KERNEL(vec) chains[CHAIN_ROWS][CHAIN_VECS], b_vecs[CHAIN_VECS];
    TILE_UNROLL
    for (int r = 0; r < n; r++)
        for (int v = 0; v < CHAIN_VECS; v++) chains[r][v] = (KERNEL(vec)){0};
    int64_t k = 0;
    for (; k + COLUMN_CHAINS <= K; k += COLUMN_CHAINS) {
        if (b_row == 1) {
            /* a vector load each: GCC copied a memcpy of two or more
             * vectors through the stack in 16-byte halves, and every load of
             * them then waited for its halves to be stored ((512, 1024, 1)
             * on a Zen 5 core: AVX2 19 -> 43 GFLOP/s, SSE 20 -> 36) */
            TILE_UNROLL
            for (int v = 0; v < CHAIN_VECS; v++)
                b_vecs[v] = *(const KERNEL(vec) *)(b + k + v * LANES);
        } else {
            real b_block[COLUMN_CHAINS];
            for (int t = 0; t < COLUMN_CHAINS; t++) b_block[t] = b[(k + t) * b_row];
            memcpy(b_vecs, b_block, sizeof b_vecs);
        }
        /* the rows, streams a page or more apart, outrun the hardware
         * prefetchers: each asks for its line CHAIN_PREFETCH_BYTES ahead
         * ((512, 1024, 1) on a Xeon: 55 -> 68 GFLOP/s on two cores, 24 -> 25
         * on one), and near its end for the start of the row it reads next,
         * n rows on: a page the hardware has not seen, where reading on past
         * the end asked for the row after, which a stream of this group
         * reads already */
        const int64_t ahead = k + CHAIN_PREFETCH_BYTES / (int64_t)sizeof(real);
        const real *next = ahead < K ? rows + ahead : rows + n * a_row + (ahead - K);
        TILE_UNROLL
        for (int r = 0; r < n; r++) PREFETCH(next + r * a_row);
        KERNEL(chain_block)(chains, rows + k, a_row, b_vecs, n);
    }
    TILE_UNROLL
    for (int r = 0; r < n; r++) {
        real sums[COLUMN_CHAINS];
        memcpy(sums, chains[r], sizeof sums);
        for (int64_t t = 0; k + t < K; t++) /* the last, partial block */
            sums[t] += rows[r * a_row + k + t] * b[(k + t) * b_row];
        for (int w = COLUMN_CHAINS / 2; w >= 1; w /= 2)
            for (int l = 0; l < w; l++) sums[l] += sums[l + w];
        c[r] = sums[0];
    }
}

/* c[i] = sum over k of A[i * a_row + k] b[k * b_row], rows [i0, i1), in
 * COLUMN_CHAINS chains each (above), CHAIN_ROWS rows at a time sharing b. */
ISA_TARGET static void KERNEL(matrix_vector_chained)(real *restrict c, const real *restrict A,
                                                     int64_t a_row, const real *restrict b,
                                                     int64_t b_row, int64_t i0, int64_t i1,
                                                     int64_t K)
{
    int64_t i = i0;
    for (; i + CHAIN_ROWS <= i1; i += CHAIN_ROWS)
        KERNEL(column_chains)(c + i, A + i * a_row, a_row, b, b_row, CHAIN_ROWS, K);
    for (; i < i1; i++) KERNEL(column_chains)(c + i, A + i * a_row, a_row, b, b_row, 1, K);
}

#undef COLUMN_CHAINS
#undef CHAIN_VECS
#undef CHAIN_ROWS
#undef CHAIN_PREFETCH_BYTES

#undef LANES
#undef TILE_COLS
#undef FCN_TRANSPOSE
