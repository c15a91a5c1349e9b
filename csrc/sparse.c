/* Layer 1 when X is sparse (CSR): the weighted input sums read only the
 * nonzeros of each row, and the weight gradient adds into the rows of dW that
 * those nonzeros name. X is never densified. */
#include "precision.h"

/* Columns of dW one OpenMP task owns in fcn_csr_backward. */
#define COLUMNS_PER_TASK 64

static inline int64_t row_of(const fcn_input *X, int64_t i)
{
    return X->row_ids ? X->row_ids[i] : i;
}

/* Multiply-adds of a pass over the rows X reads, for the OpenMP threshold. */
static int64_t sparse_work(const fcn_input *X, int64_t fan_out)
{
    int64_t nonzeros = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        int64_t r = row_of(X, i);
        nonzeros += X->indptr[r + 1] - X->indptr[r];
    }
    return nonzeros * fan_out;
}

/* Row i of A_out = f(X[row] @ W + b). */
static void csr_forward_row(real *restrict z, const fcn_input *X, int64_t i, const real *W,
                            const real *b, int64_t fan_out, int activation)
{
    const real *values = X->values;
    for (int64_t j = 0; j < fan_out; j++) z[j] = 0;
    int64_t r = row_of(X, i);
    for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++) {
        const real x = values[p];
        const real *restrict w = W + X->indices[p] * fan_out;
        for (int64_t j = 0; j < fan_out; j++) z[j] += x * w[j];
    }
    for (int64_t j = 0; j < fan_out; j++) z[j] += b[j];
    FCN(fcn_activation_forward)(z, 1, fan_out, activation);
}

void FCN(fcn_csr_forward)(real *A_out, const fcn_input *X, const real *W, const real *b,
                          int64_t fan_out, int activation)
{
    if (sparse_work(X, fan_out) < FCN_PARALLEL_MIN_WORK) {
        for (int64_t i = 0; i < X->rows; i++)
            csr_forward_row(A_out + i * fan_out, X, i, W, b, fan_out, activation);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(fcn_max_threads())
    for (int64_t i = 0; i < X->rows; i++)
        csr_forward_row(A_out + i * fan_out, X, i, W, b, fan_out, activation);
}

/* Columns j0 .. j1 of dW = (X.T @ delta + alpha * W) / n, adding the
 * nonzeros in row order. */
static void csr_backward_band(real *dW, const real *delta, const fcn_input *X, const real *W,
                              int64_t fan_in, int64_t fan_out, real alpha, real n, int64_t j0,
                              int64_t j1)
{
    const real *values = X->values;
    for (int64_t k = 0; k < fan_in; k++)
        for (int64_t j = j0; j < j1; j++) dW[k * fan_out + j] = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        int64_t r = row_of(X, i);
        const real *restrict d = delta + i * fan_out;
        for (int64_t p = X->indptr[r]; p < X->indptr[r + 1]; p++) {
            const real x = values[p];
            real *restrict dw = dW + X->indices[p] * fan_out;
            for (int64_t j = j0; j < j1; j++) dw[j] += x * d[j];
        }
    }
    for (int64_t k = 0; k < fan_in; k++)
        for (int64_t j = j0; j < j1; j++)
            dW[k * fan_out + j] = (dW[k * fan_out + j] + alpha * W[k * fan_out + j]) / n;
}

void FCN(fcn_csr_backward)(real *dW, real *db, const real *delta, const fcn_input *X,
                           const real *W, int64_t fan_in, int64_t fan_out, double alpha, double n)
{
    const real alpha_r = (real)alpha, n_r = (real)n;
    /* each task owns a band of dW's columns: the sums run in row order
     * whatever the thread count */
    int64_t n_tasks = (fan_out + COLUMNS_PER_TASK - 1) / COLUMNS_PER_TASK;
    if (sparse_work(X, fan_out) < FCN_PARALLEL_MIN_WORK) {
        csr_backward_band(dW, delta, X, W, fan_in, fan_out, alpha_r, n_r, 0, fan_out);
    } else {
#pragma omp parallel for schedule(static) num_threads(fcn_max_threads())
        for (int64_t task = 0; task < n_tasks; task++) {
            int64_t j0 = task * COLUMNS_PER_TASK;
            int64_t j1 = j0 + COLUMNS_PER_TASK < fan_out ? j0 + COLUMNS_PER_TASK : fan_out;
            csr_backward_band(dW, delta, X, W, fan_in, fan_out, alpha_r, n_r, j0, j1);
        }
    }
    FCN(fcn_bias_gradient)(db, delta, X->rows, fan_out, n);
}
