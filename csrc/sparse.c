/* Layer 1 when X is sparse (CSR): the weighted input sums read only the
 * nonzeros of each row, and the weight gradient adds into the rows of dW that
 * those nonzeros name. X is never densified. */
#include "kernels.h"
#include "threads.h"

/* Rows of A_out one task of fcn_csr_forward computes; columns of dW one task
 * of fcn_csr_backward owns. */
#define ROWS_PER_TASK 16
#define COLUMNS_PER_TASK 64

static inline int64_t row_of(const fcn_input *X, int64_t i)
{
    return X->row_ids ? X->row_ids[i] : i;
}

/* Multiply-adds of a pass over the rows X reads, for the threads' threshold. */
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

typedef struct {
    real *out; /* forward: A_out; backward: dW */
    const fcn_input *X;
    const real *W, *b, *delta;
    int64_t fan_in, fan_out;
    int activation;
    real alpha, weight_sum;
} csr_pass;

/* fcn_task: rows [16 t, 16 t + 16) of A_out */
static void forward_task(void *context, int64_t task)
{
    const csr_pass *c = context;
    const int64_t i1 = fcn_task_end(task, ROWS_PER_TASK, c->X->rows);
    for (int64_t i = task * ROWS_PER_TASK; i < i1; i++)
        csr_forward_row(c->out + i * c->fan_out, c->X, i, c->W, c->b, c->fan_out, c->activation);
}

/* fcn_csr_forward_f32, fcn_csr_forward_f64 */
void FCN(fcn_csr_forward)(real *A_out, const fcn_input *X, const real *W, const real *b,
                          int64_t fan_out, int activation)
{
    csr_pass c = {.out = A_out, .X = X, .W = W, .b = b, .fan_out = fan_out,
                  .activation = activation};
    fcn_parallel_for(forward_task, &c, (X->rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK,
                     fcn_threads_for(sparse_work(X, fan_out), FCN_PARALLEL_MIN_WORK));
}

/* Columns j0 .. j1 of dW = (X.T @ delta + alpha * W) / weight_sum, adding the
 * nonzeros in row order. */
static void csr_backward_band(real *dW, const real *delta, const fcn_input *X, const real *W,
                              int64_t fan_in, int64_t fan_out, real alpha, real weight_sum,
                              int64_t j0, int64_t j1)
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
            dW[k * fan_out + j] = (dW[k * fan_out + j] + alpha * W[k * fan_out + j]) / weight_sum;
}

/* fcn_task: a band of COLUMNS_PER_TASK columns of dW */
static void backward_task(void *context, int64_t task)
{
    const csr_pass *c = context;
    const int64_t j0 = task * COLUMNS_PER_TASK;
    const int64_t j1 = fcn_task_end(task, COLUMNS_PER_TASK, c->fan_out);
    csr_backward_band(c->out, c->delta, c->X, c->W, c->fan_in, c->fan_out, c->alpha,
                      c->weight_sum, j0, j1);
}

/* fcn_csr_backward_f32, fcn_csr_backward_f64 */
void FCN(fcn_csr_backward)(real *dW, real *db, const real *delta, const fcn_input *X,
                           const real *W, int64_t fan_in, int64_t fan_out, double alpha,
                           double weight_sum)
{
    /* each task owns a band of dW's columns: the sums run in row order
     * whatever the thread count */
    csr_pass c = {.out = dW, .X = X, .W = W, .delta = delta, .fan_in = fan_in,
                  .fan_out = fan_out, .alpha = (real)alpha,
                  .weight_sum = (real)weight_sum};
    fcn_parallel_for(backward_task, &c, (fan_out + COLUMNS_PER_TASK - 1) / COLUMNS_PER_TASK,
                     fcn_threads_for(sparse_work(X, fan_out), FCN_PARALLEL_MIN_WORK));
    FCN(fcn_bias_gradient)(db, delta, X->rows, fan_out, weight_sum);
}
