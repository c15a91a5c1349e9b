/* Fully connected layers: the weighted input sums Z = A @ W + b and their
 * backward pass. All three products of a layer (A @ W, delta @ W.T and
 * A.T @ delta) go through one row-blocked kernel, matmul_rows. */
#include <stddef.h>

#include "precision.h"

/* Rows of C one OpenMP task computes: a multiple of TILE_ROWS, so the tiles
 * are the same whatever the thread count. */
#define ROWS_PER_TASK 16

/* A register tile of C: TILE_ROWS rows x TILE_COLS columns (two 64-byte
 * vectors a row), accumulated over all of K before it is stored once. */
#define TILE_ROWS 4
#define VEC_LEN ((int64_t)(64 / sizeof(real)))
#define TILE_COLS (2 * VEC_LEN)

/* Wider vector units, chosen at load time where the platform resolves ifuncs;
 * the tiles are inlined into each clone and compiled for its vector width. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#define WIDEST_SIMD __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WIDEST_SIMD
#endif
#if defined(__GNUC__)
#define INLINE_IN_CLONE inline __attribute__((always_inline))
#else
#define INLINE_IN_CLONE inline
#endif

static inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

/* C[i0:i0+rows, j0:j0+cols] for one tile, rows <= TILE_ROWS, cols <= TILE_COLS.
 * Each C[i][j] sums its K products in the order k = 0 .. K-1 in whichever
 * tile and thread computes it: this is what makes results independent of the
 * thread count. */
static INLINE_IN_CLONE void matmul_tile(real *restrict C, const real *restrict A, int64_t a_row,
                               int64_t a_col, const real *restrict B, int64_t i0, int64_t j0,
                               int64_t rows, int64_t cols, int64_t N, int64_t K)
{
    real acc[TILE_ROWS][TILE_COLS] = {{0}};
    for (int64_t k = 0; k < K; k++) {
        const real *restrict b = B + k * N + j0;
        for (int64_t r = 0; r < rows; r++) {
            const real a = A[(i0 + r) * a_row + k * a_col];
            for (int64_t c = 0; c < cols; c++) acc[r][c] += a * b[c];
        }
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) C[(i0 + r) * N + j0 + c] = acc[r][c];
}

#if defined(__GNUC__)
/* A full tile in GCC/Clang vector types, so that its TILE_ROWS x 2 vector
 * accumulators stay in registers: the same sums, in the same order. */
typedef real vec __attribute__((vector_size(64), aligned(sizeof(real))));

static INLINE_IN_CLONE void matmul_full_tile(real *restrict C, const real *restrict A,
                                             int64_t a_row, int64_t a_col,
                                             const real *restrict B, int64_t i0, int64_t j0,
                                             int64_t N, int64_t K)
{
    vec acc[TILE_ROWS][2] = {{{0}}};
    for (int64_t k = 0; k < K; k++) {
        const vec b0 = *(const vec *)(B + k * N + j0);
        const vec b1 = *(const vec *)(B + k * N + j0 + VEC_LEN);
        for (int64_t r = 0; r < TILE_ROWS; r++) {
            const real a = A[(i0 + r) * a_row + k * a_col];
            acc[r][0] += a * b0;
            acc[r][1] += a * b1;
        }
    }
    for (int64_t r = 0; r < TILE_ROWS; r++) {
        *(vec *)(C + (i0 + r) * N + j0) = acc[r][0];
        *(vec *)(C + (i0 + r) * N + j0 + VEC_LEN) = acc[r][1];
    }
}
#else
#define matmul_full_tile(C, A, a_row, a_col, B, i0, j0, N, K) \
    matmul_tile(C, A, a_row, a_col, B, i0, j0, TILE_ROWS, TILE_COLS, N, K)
#endif

/* C[i0:i1, :] = A(i0:i1, :) @ B, where A(i, k) = A[i * a_row + k * a_col] lets
 * one kernel read A or A.T. C: (M x N), B: (K x N). */
WIDEST_SIMD
static void matmul_rows(real *restrict C, const real *restrict A, int64_t a_row, int64_t a_col,
                        const real *restrict B, int64_t i0, int64_t i1, int64_t N, int64_t K)
{
    for (int64_t i = i0; i < i1; i += TILE_ROWS) {
        int64_t rows = min_i64(TILE_ROWS, i1 - i);
        for (int64_t j = 0; j < N; j += TILE_COLS) {
            int64_t cols = min_i64(TILE_COLS, N - j);
            if (rows == TILE_ROWS && cols == TILE_COLS)
                matmul_full_tile(C, A, a_row, a_col, B, i, j, N, K);
            else
                matmul_tile(C, A, a_row, a_col, B, i, j, rows, cols, N, K);
        }
    }
}

void FCN(fcn_dense_forward)(real *A_out, const real *A_in, const real *W, const real *b,
                            int64_t rows, int64_t fan_in, int64_t fan_out, int activation)
{
    int64_t n_tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
#pragma omp parallel for schedule(static) if (rows * fan_in * fan_out >= FCN_PARALLEL_MIN_WORK)
    for (int64_t task = 0; task < n_tasks; task++) {
        int64_t i0 = task * ROWS_PER_TASK, i1 = min_i64(i0 + ROWS_PER_TASK, rows);
        matmul_rows(A_out, A_in, fan_in, 1, W, i0, i1, fan_out, fan_in);
        /* epilogue while the rows are in cache: Z = sum + b, then A = f(Z) */
        for (int64_t i = i0; i < i1; i++) {
            real *z = A_out + i * fan_out;
            for (int64_t j = 0; j < fan_out; j++) z[j] += b[j];
        }
        FCN(fcn_activation_forward)(A_out + i0 * fan_out, i1 - i0, fan_out, activation);
    }
}

void FCN(fcn_bias_gradient)(real *db, const real *delta, int64_t rows, int64_t fan_out, double n)
{
    /* summed over rows in order */
    for (int64_t j = 0; j < fan_out; j++) db[j] = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < fan_out; j++) db[j] += delta[i * fan_out + j];
    for (int64_t j = 0; j < fan_out; j++) db[j] /= (real)n;
}

void FCN(fcn_dense_backward)(real *dW, real *db, real *delta_in, real *W_T, const real *delta,
                             const real *A_in, const real *W, int64_t rows, int64_t fan_in,
                             int64_t fan_out, double alpha, double n, int in_activation)
{
    const int parallel = rows * fan_in * fan_out >= FCN_PARALLEL_MIN_WORK;
    const real alpha_r = (real)alpha, n_r = (real)n;

    /* dW = (A_in.T @ delta + alpha * W) / n: each task owns rows of dW and
     * sums over the batch rows in order. */
    int64_t n_tasks = (fan_in + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t task = 0; task < n_tasks; task++) {
        int64_t k0 = task * ROWS_PER_TASK, k1 = min_i64(k0 + ROWS_PER_TASK, fan_in);
        matmul_rows(dW, A_in, 1, fan_in, delta, k0, k1, fan_out, rows);
        for (int64_t idx = k0 * fan_out; idx < k1 * fan_out; idx++)
            dW[idx] = (dW[idx] + alpha_r * W[idx]) / n_r;
    }

    FCN(fcn_bias_gradient)(db, delta, rows, fan_out, n);

    if (delta_in == NULL) return;

    /* delta_in = (delta @ W.T) * f'(Z_in), with W.T made row-major first */
    for (int64_t k = 0; k < fan_in; k++)
        for (int64_t j = 0; j < fan_out; j++) W_T[j * fan_in + k] = W[k * fan_out + j];
    n_tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t task = 0; task < n_tasks; task++) {
        int64_t i0 = task * ROWS_PER_TASK, i1 = min_i64(i0 + ROWS_PER_TASK, rows);
        matmul_rows(delta_in, delta, fan_out, 1, W_T, i0, i1, fan_in, fan_out);
        FCN(fcn_activation_backward)(delta_in + i0 * fan_in, A_in + i0 * fan_in, i1 - i0, fan_in,
                                     in_activation);
    }
}
