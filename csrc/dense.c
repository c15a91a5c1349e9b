/* Fully connected layers: the weighted input sums Z = A @ W + b and their
 * backward pass. All three products of a layer (A @ W, delta @ W.T and
 * A.T @ delta) go through one row-blocked kernel, matmul_rows. */
#include <stddef.h>

#include "precision.h"

/* Rows of C one OpenMP task computes; a multiple of the 4-row register block,
 * so each row block is the same whatever the thread count. */
#define ROWS_PER_TASK 16

/* C[i0:i1, :] = A(i0:i1, :) @ B, where A(i, k) = A[i * a_row + k * a_col] lets
 * one kernel read A or A.T. C: (M x N), B: (K x N).
 * Each C[i][j] sums its K products in the order k = 0 .. K-1 whichever thread
 * computes it: this is what makes results independent of the thread count. */
static void matmul_rows(real *restrict C, const real *restrict A, int64_t a_row, int64_t a_col,
                        const real *restrict B, int64_t i0, int64_t i1, int64_t N, int64_t K)
{
    int64_t i = i0;
    for (; i + 4 <= i1; i += 4) { /* four rows of C share each load of a row of B */
        real *restrict c0 = C + i * N;
        real *restrict c1 = c0 + N;
        real *restrict c2 = c1 + N;
        real *restrict c3 = c2 + N;
        for (int64_t j = 0; j < N; j++) c0[j] = c1[j] = c2[j] = c3[j] = 0;
        for (int64_t k = 0; k < K; k++) {
            const real *restrict b = B + k * N;
            const real a0 = A[i * a_row + k * a_col];
            const real a1 = A[(i + 1) * a_row + k * a_col];
            const real a2 = A[(i + 2) * a_row + k * a_col];
            const real a3 = A[(i + 3) * a_row + k * a_col];
            for (int64_t j = 0; j < N; j++) {
                c0[j] += a0 * b[j];
                c1[j] += a1 * b[j];
                c2[j] += a2 * b[j];
                c3[j] += a3 * b[j];
            }
        }
    }
    for (; i < i1; i++) {
        real *restrict c = C + i * N;
        for (int64_t j = 0; j < N; j++) c[j] = 0;
        for (int64_t k = 0; k < K; k++) {
            const real *restrict b = B + k * N;
            const real a = A[i * a_row + k * a_col];
            for (int64_t j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
}

static inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

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

    /* db = sum(delta) / n, summed over rows in order */
    for (int64_t j = 0; j < fan_out; j++) db[j] = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < fan_out; j++) db[j] += delta[i * fan_out + j];
    for (int64_t j = 0; j < fan_out; j++) db[j] /= n_r;

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
