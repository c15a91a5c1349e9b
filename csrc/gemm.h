/* The matrix product of the dense layers (internal to the core), blocked for
 * the caches as the best GEMM libraries do:
 *
 *   for each K block (kc rows of B, as deep as an eighth of L2 holds a B panel):
 *     for each block of B's columns (panels of TILE_COLS columns, as many as
 *     fill half of L2 at depth kc):
 *       the team packs the block's panels of B
 *       for each block of rows of C (mc rows, sized so that their A panels
 *       stay in L2; a task of the team, taken dynamically):
 *         at the first block of columns, pack the A panels of the rows; then
 *         for each B panel, for each A panel (for each A panel, for each B
 *         panel, where a B panel and an A panel overflow L1): one micro-tile
 *         of C (TILE_ROWS x TILE_COLS); after the last K block, finish the
 *         block's part of its rows (the layer's epilogue) while in cache.
 *
 * On several threads, where B has panels enough and A is read in place, the
 * tasks split C's columns instead: each packs its own panels of B, for each K
 * block, and computes a tile's rows (or as many as half of L1 holds) for all
 * of them before the next rows, so that no thread reads a packed B another
 * thread wrote (a transfer between the cores' caches, measured at 10-25% of a
 * two-thread product on a Xeon); a large A whose rows lie 4 KiB apart takes
 * this path on one thread too, where L1 has a way for each of a tile's rows.
 * A transposed A that is packed whole (dW = A_inᵀ delta, its rows 2 KiB apart
 * or its K block spread over many pages), in a product of one K block, is
 * packed once by the team, and the tasks split C's columns over it, each
 * packing its own panels of B (on several threads, an A within L2).
 * A product of one K block whose B is small beside C runs in shares of rows,
 * one per thread, each packing a copy of B (and, where A is packed, a group
 * of its tiles of rows at a time): the team meets once.
 *
 * Products bound by memory rather than arithmetic read their operands where
 * they lie, on the team: one column of C (N = 1: LANES rows of A per vector,
 * turned over in registers; from K = 128, each row in 16 chains of k, for any
 * number of rows), a few rows of C, or a depth K <= 4 into long rows of C,
 * written row by row. A last panel that N fills no more than half
 * takes a tile of half the width (N = 100: 112 columns computed, not 128);
 * Aᵀ·B's, where N fills a quarter or less, vectors of C's rows (edge_columns
 * in gemm_kernel.h: 100 columns computed), as are all columns of an Aᵀ·B
 * narrower than AVX-512's one-vector tile (N = 10: 10 columns, not 16).
 *
 * A and B are read through strides, A(i, k) = A[i * a_row + k * a_col], so the
 * same code computes A·B, Aᵀ·B and A·Bᵀ; packing makes every micro-kernel read
 * contiguous. For C of 128 rows or fewer, the tiles read a B with contiguous
 * rows where it lies (its full panels): too few tiles would read a packed
 * one. Each C[i][j] is one chain of fused multiply-adds in the order
 * k = 0 .. K-1 (a deep column's, 16 such chains added in a fixed order),
 * whatever the blocking, the tile or the thread computing it: results do not
 * depend on the thread count, nor a row's on the rows beside it. The micro-kernels for the CPU's
 * widest vector unit are chosen at run time (gemm.c). */
#ifndef FCN_GEMM_H
#define FCN_GEMM_H

#include "precision.h"
#include "workspace.h"

/* A strided view of a matrix: element (i, k) is data[i * row + k * col].
 * fcn_matrix_f32, fcn_matrix_f64 */
typedef struct FCN(fcn_matrix) {
    const real *data;
    int64_t row, col;
} FCN(fcn_matrix);

/* What runs on each block of C once it is final, while it is in cache (the
 * layer's epilogue): bias, where not NULL, is added to every row of C (its N
 * reals, one per column) as the product stores its sums, each sum rounded
 * before the add; then done(C, i0, i1, j0, j1, N, context) on rows [i0, i1),
 * columns [j0, j1) of C (row stride N). whole_rows: done needs whole rows
 * (softmax), so the columns are never split. And B_sums, where not NULL,
 * receives the sums of B's N columns over k, as fcn_column_sums sums them
 * (B's rows contiguous, B.col == 1): where the product packs B, from the
 * reads the packing makes (dW = A_inᵀ delta reads delta, whose sums are db;
 * summed in a pass of their own, they cost a Xeon core 2-3% of wide's dW).
 * fcn_epilogue_f32, fcn_epilogue_f64 */
typedef struct FCN(fcn_epilogue) {
    void (*done)(real *C, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t N,
                 const void *context);
    const void *context;
    int whole_rows;
    const real *bias;
    real *B_sums;
} FCN(fcn_epilogue);

/* sums[j] = B[0][j] + B[1][j] + ... + B[K-1][j], added from 0 in that order,
 * for columns [j0, j1) of B (row stride b_row).
 * fcn_column_sums_f32, fcn_column_sums_f64 */
void FCN(fcn_column_sums)(real *sums, const real *B, int64_t b_row, int64_t K, int64_t j0,
                          int64_t j1);

/* C (M x N, row-major) = A (M x K) @ B (K x N), then the epilogue on every
 * block of C. pack: scratch of fcn_pack_len(M, K, N) reals. team_min_work:
 * the fewest multiply-adds (M N K) for which a blocked product runs on the
 * thread team (kernels.h says which).
 * fcn_gemm_f32, fcn_gemm_f64 */
void FCN(fcn_gemm)(real *C, real *pack, FCN(fcn_matrix) A, FCN(fcn_matrix) B, int64_t M,
                   int64_t N, int64_t K, const FCN(fcn_epilogue) *epilogue,
                   int64_t team_min_work);

#endif /* FCN_GEMM_H */
