/* Fully connected layers: the weighted input sums Z = A @ W + b and their
 * backward pass. Each of a layer's three products (A @ W, A.T @ delta and
 * delta @ W.T) packs its right-hand matrix into panels and runs the register
 * tiles of gemm.c over row blocks, in one OpenMP region. */
#include <stddef.h>

#include "gemm.h"

/* Rows of C one OpenMP task computes: a multiple of every kernel's tile. */
#define ROWS_PER_TASK 16

static inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

/* What to do with a block of finished rows of C, while they are in cache. */
enum epilogue { ADD_BIAS_AND_ACTIVATE, ADD_L2_AND_SCALE, MULTIPLY_BY_DERIVATIVE };

typedef struct {
    enum epilogue kind;
    const real *bias;      /* ADD_BIAS_AND_ACTIVATE: b, then f = activation */
    const real *W;         /* ADD_L2_AND_SCALE: C = (C + alpha * W) / n */
    double alpha, n;
    const real *A;         /* MULTIPLY_BY_DERIVATIVE: C *= f'(Z), from A = f(Z) */
    int activation;
} finish;

static void finish_rows(real *C, int64_t i0, int64_t i1, int64_t N, const finish *f)
{
    real *rows = C + i0 * N;
    switch (f->kind) {
    case ADD_BIAS_AND_ACTIVATE: /* Z = sum + b, then A = f(Z) */
        for (int64_t i = 0; i < i1 - i0; i++)
            for (int64_t j = 0; j < N; j++) rows[i * N + j] += f->bias[j];
        FCN(fcn_activation_forward)(rows, i1 - i0, N, f->activation);
        break;
    case ADD_L2_AND_SCALE: {
        const real alpha = (real)f->alpha, n = (real)f->n;
        const real *W = f->W + i0 * N;
        for (int64_t idx = 0; idx < (i1 - i0) * N; idx++) rows[idx] = (rows[idx] + alpha * W[idx]) / n;
        break;
    }
    case MULTIPLY_BY_DERIVATIVE:
        FCN(fcn_activation_backward)(rows, f->A + i0 * N, i1 - i0, N, f->activation);
        break;
    }
}

/* C (M x N) = A(i, k) @ B(k, n), then finish: one parallel region that packs
 * B's panels, then computes and finishes blocks of rows of C. */
static void product(real *C, const real *A, int64_t a_row, int64_t a_col, const real *B,
                    int64_t b_row, int64_t b_col, int64_t M, int64_t N, int64_t K, real *pack,
                    const finish *f)
{
    const FCN(fcn_gemm_kernels) *gemm = FCN(fcn_gemm_kernels_for)(N);
    const int64_t n_panels = (N + gemm->panel_width - 1) / gemm->panel_width;
    const int64_t n_tasks = (M + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    if (M < FCN_UNPACKED_MAX_ROWS && b_col == 1 && b_row == N) {
        gemm->matmul_unpacked(C, A, a_row, a_col, B, 0, M, N, K);
        finish_rows(C, 0, M, N, f);
        return;
    }
    if (M * N * K < FCN_PARALLEL_MIN_WORK) {
        gemm->pack_panels(pack, B, b_row, b_col, K, N, 0, n_panels);
        gemm->matmul_panels(C, A, a_row, a_col, pack, 0, M, N, K);
        finish_rows(C, 0, M, N, f);
        return;
    }
#pragma omp parallel num_threads(fcn_max_threads())
    {
#pragma omp for schedule(static)
        for (int64_t p = 0; p < n_panels; p++) gemm->pack_panels(pack, B, b_row, b_col, K, N, p, p + 1);
#pragma omp for schedule(static)
        for (int64_t task = 0; task < n_tasks; task++) {
            int64_t i0 = task * ROWS_PER_TASK, i1 = min_i64(i0 + ROWS_PER_TASK, M);
            gemm->matmul_panels(C, A, a_row, a_col, pack, i0, i1, N, K);
            finish_rows(C, i0, i1, N, f);
        }
    }
}

void FCN(fcn_dense_forward)(real *A_out, const real *A_in, const real *W, const real *b,
                            int64_t rows, int64_t fan_in, int64_t fan_out, int activation,
                            real *pack)
{
    finish f = {.kind = ADD_BIAS_AND_ACTIVATE, .bias = b, .activation = activation};
    product(A_out, A_in, fan_in, 1, W, fan_out, 1, rows, fan_out, fan_in, pack, &f);
}

void FCN(fcn_bias_gradient)(real *db, const real *delta, int64_t rows, int64_t fan_out, double n)
{
    /* summed over rows in order */
    for (int64_t j = 0; j < fan_out; j++) db[j] = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < fan_out; j++) db[j] += delta[i * fan_out + j];
    for (int64_t j = 0; j < fan_out; j++) db[j] /= (real)n;
}

void FCN(fcn_dense_backward)(real *dW, real *db, real *delta_in, real *pack, const real *delta,
                             const real *A_in, const real *W, int64_t rows, int64_t fan_in,
                             int64_t fan_out, double alpha, double n, int in_activation)
{
    /* dW = (A_in.T @ delta + alpha * W) / n: rows of dW are A_in's columns */
    finish scale = {.kind = ADD_L2_AND_SCALE, .W = W, .alpha = alpha, .n = n};
    product(dW, A_in, 1, fan_in, delta, fan_out, 1, fan_in, fan_out, rows, pack, &scale);
    FCN(fcn_bias_gradient)(db, delta, rows, fan_out, n);
    if (delta_in == NULL) return;
    /* delta_in = (delta @ W.T) * f'(Z_in); W.T is read by the packing */
    finish derivative = {.kind = MULTIPLY_BY_DERIVATIVE, .A = A_in, .activation = in_activation};
    product(delta_in, delta, fan_out, 1, W, 1, fan_out, rows, fan_in, fan_out, pack, &derivative);
}
