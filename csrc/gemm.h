/* The matrix products of the dense layers (internal to the core): B is packed
 * into zero-padded panels of fcn_panel_width() columns, then register tiles
 * of C sweep A's rows across the panels. The kernels for the widest vector
 * unit of the CPU are chosen at run time (gemm.c). */
#ifndef FCN_GEMM_H
#define FCN_GEMM_H

#include "precision.h"
#include "workspace.h"

/* The kernels of one vector width. */
typedef struct FCN(fcn_gemm_kernels) {
    /* Pack panels [first, end) of B(k, n) = B[k * b_row + n * b_col], (K x N),
     * into pack: panel p holds K rows of panel_width reals, zero past column N. */
    void (*pack_panels)(real *pack, const real *B, int64_t b_row, int64_t b_col, int64_t K,
                        int64_t N, int64_t first, int64_t end);
    /* C[i0:i1, :] = A(i0:i1, :) @ B with B packed, A(i, k) = A[i * a_row + k * a_col].
     * C: (M x N) row-major. Each C[i][j] sums its K products in the order
     * k = 0 .. K-1 whatever the tile or thread computing it: results do not
     * depend on the thread count. */
    void (*matmul_panels)(real *C, const real *A, int64_t a_row, int64_t a_col,
                          const real *pack, int64_t i0, int64_t i1, int64_t N, int64_t K);
    /* The same product from an unpacked row-major B (b_row == N, b_col == 1). */
    void (*matmul_unpacked)(real *C, const real *A, int64_t a_row, int64_t a_col,
                            const real *B, int64_t i0, int64_t i1, int64_t N, int64_t K);
    int64_t panel_width;
} FCN(fcn_gemm_kernels);

/* Below this many rows of C, a product with a row-major B reads it unpacked. */
#define FCN_UNPACKED_MAX_ROWS 4

/* The kernels for products with N columns: the CPU's widest vectors, or
 * narrower ones when N is too small to fill a panel of them. */
const FCN(fcn_gemm_kernels) *FCN(fcn_gemm_kernels_for)(int64_t N);

#endif /* FCN_GEMM_H */
