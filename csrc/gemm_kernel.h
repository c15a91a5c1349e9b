/* The GEMM kernels for one vector unit, included by gemm.c once per unit with
 * KERNEL(name) (a name suffix), ISA_TARGET (a function attribute),
 * VEC_BYTES and TILE_ROWS defined. GCC/Clang vector types make the tile's
 * TILE_ROWS x 2 accumulators vector registers. */

typedef real KERNEL(vec) __attribute__((vector_size(VEC_BYTES), aligned(sizeof(real))));
#define LANES ((int64_t)(VEC_BYTES / sizeof(real)))
#define PANEL (2 * LANES)

ISA_TARGET static void KERNEL(pack_panels)(real *restrict pack, const real *restrict B,
                                           int64_t b_row, int64_t b_col, int64_t K, int64_t N,
                                           int64_t first, int64_t end)
{
    for (int64_t p = first; p < end; p++) {
        real *restrict panel = pack + p * K * PANEL;
        int64_t j0 = p * PANEL, cols = N - j0 < PANEL ? N - j0 : PANEL;
        for (int64_t k = 0; k < K; k++) {
            for (int64_t c = 0; c < cols; c++) panel[k * PANEL + c] = B[k * b_row + (j0 + c) * b_col];
            for (int64_t c = cols; c < PANEL; c++) panel[k * PANEL + c] = 0;
        }
    }
}

/* One tile: rows (<= TILE_ROWS) rows of C from row i0, one panel (columns
 * j0 .. j0 + cols). Inlined with rows constant, so acc stays in registers. */
ISA_TARGET static inline __attribute__((always_inline)) void
KERNEL(tile)(real *restrict C, const real *restrict A, int64_t a_row, int64_t a_col,
             const real *restrict panel, int64_t i0, int64_t j0, int64_t cols, int64_t N,
             int64_t K, const int rows)
{
    KERNEL(vec) acc[TILE_ROWS][2];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = (KERNEL(vec)){0};
    for (int64_t k = 0; k < K; k++) {
        const KERNEL(vec) b0 = *(const KERNEL(vec) *)(panel + k * PANEL);
        const KERNEL(vec) b1 = *(const KERNEL(vec) *)(panel + k * PANEL + LANES);
        for (int r = 0; r < rows; r++) {
            const real a = A[(i0 + r) * a_row + k * a_col];
            acc[r][0] += a * b0;
            acc[r][1] += a * b1;
        }
    }
    for (int r = 0; r < rows; r++) {
        real *c_row = C + (i0 + r) * N + j0;
        if (cols == PANEL) {
            *(KERNEL(vec) *)c_row = acc[r][0];
            *(KERNEL(vec) *)(c_row + LANES) = acc[r][1];
        } else {
            real spill[PANEL];
            *(KERNEL(vec) *)spill = acc[r][0];
            *(KERNEL(vec) *)(spill + LANES) = acc[r][1];
            for (int64_t c = 0; c < cols; c++) c_row[c] = spill[c];
        }
    }
}

ISA_TARGET static void KERNEL(matmul_panels)(real *C, const real *A, int64_t a_row,
                                             int64_t a_col, const real *pack, int64_t i0,
                                             int64_t i1, int64_t N, int64_t K)
{
    for (int64_t p = 0; p * PANEL < N; p++) {
        const real *panel = pack + p * K * PANEL;
        int64_t j0 = p * PANEL, cols = N - j0 < PANEL ? N - j0 : PANEL;
        int64_t i = i0;
        for (; i + TILE_ROWS <= i1; i += TILE_ROWS)
            KERNEL(tile)(C, A, a_row, a_col, panel, i, j0, cols, N, K, TILE_ROWS);
        for (; i < i1; i++) /* the rows left over, one at a time */
            KERNEL(tile)(C, A, a_row, a_col, panel, i, j0, cols, N, K, 1);
    }
}

/* C[i0:i1, :] = A(i0:i1, :) @ B for a few rows of a row-major B (b_col == 1),
 * read where it lies: for one or two rows, packing B would cost more than
 * the product. Sums run in the same order, with the same fused multiply-adds,
 * as the tiles'. */
ISA_TARGET static void KERNEL(matmul_unpacked)(real *restrict C, const real *restrict A,
                                               int64_t a_row, int64_t a_col,
                                               const real *restrict B, int64_t i0, int64_t i1,
                                               int64_t N, int64_t K)
{
    for (int64_t i = i0; i < i1; i++) {
        real *restrict c = C + i * N;
        for (int64_t j = 0; j < N; j++) c[j] = 0;
        for (int64_t k = 0; k < K; k++) {
            const real a = A[i * a_row + k * a_col];
            const real *restrict b = B + k * N;
            for (int64_t j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
}

#undef LANES
#undef PANEL
