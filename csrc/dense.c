/* Fully connected layers: the weighted input sums Z = A @ W + b and their
 * backward pass. A layer's three products, A @ W, A.T @ delta and
 * delta @ W.T, run on the blocked product of gemm.c, which adds the bias as
 * it stores Z, sums delta's columns (db) as it packs delta, and finishes each
 * block of C (activation, L2 and scaling, f') while it is in cache. */
#include <math.h>
#include <stddef.h>

#include "gemm.h"
#include "kernels.h"
#include "subnormals.h"

/* What to do with a finished block of C, while it is in cache. */
enum finish_kind { ACTIVATE, ADD_L2_AND_SCALE, MULTIPLY_BY_DERIVATIVE };

typedef struct finish {
    FCN(fcn_epilogue) epilogue; /* finish_block, with this finish as its context */
    enum finish_kind kind; /* ACTIVATE: f = activation, on Z = sum + b from the product */
    const real *W;         /* ADD_L2_AND_SCALE: C = (C + alpha * W) / weight_sum */
    real alpha, weight_sum, inverse; /* inverse: exact_inverse(weight_sum) */
    const real *A;         /* MULTIPLY_BY_DERIVATIVE: C *= f'(Z), from A = f(Z) */
    int activation;
} finish;

/* 1 / weight_sum where multiplying by it rounds as dividing by weight_sum
 * does, else 0: for a power of two (a batch of 256 rows, or unit weights
 * summing to 1), whose reciprocal is exact, so that both scale by the same
 * power of two and round once. A divide costs about ten multiplies: on a
 * Xeon, scaling mnist's dW of layer 1 (200704 reals in L2) took 42 us by
 * dividing, 26 by multiplying. */
static real exact_inverse(real weight_sum)
{
    int exponent;
    const real inverse = 1 / weight_sum;
    const int normal = inverse >= REAL_MIN && inverse <= REAL_MAX; /* not flushed, finite */
    return frexp(weight_sum, &exponent) == 0.5 && normal ? inverse : 0;
}

/* dW = (sum + alpha * W) / weight_sum on a block of n_rows x cols, rows of
 * both ld apart, as scikit-learn computes it; by multiplying with inverse
 * where that is exact (exact_inverse). Without an L2 term (alpha 0), W is
 * not read, and a weight_sum of 1 leaves nothing to do: the pass read W and
 * dW for nothing, on an AMD EPYC core (Zen 5) 2.5% of mnist's first dW on
 * one core, 3.8% on two, 6% of wide's second. */
FCN_VECTOR_CLONES
static void add_l2_and_scale(real *restrict dW, const real *restrict W, real alpha,
                             real weight_sum, real inverse, int64_t n_rows, int64_t cols,
                             int64_t ld)
{
    if (alpha == 0 && inverse == 1) return;
    for (int64_t i = 0; i < n_rows; i++) {
        real *restrict row = dW + i * ld;
        const real *restrict W_row = W + i * ld;
        if (alpha == 0 && inverse != 0)
            for (int64_t j = 0; j < cols; j++) row[j] *= inverse;
        else if (alpha == 0)
            for (int64_t j = 0; j < cols; j++) row[j] /= weight_sum;
        else if (inverse != 0)
            for (int64_t j = 0; j < cols; j++) row[j] = (row[j] + alpha * W_row[j]) * inverse;
        else
            for (int64_t j = 0; j < cols; j++) row[j] = (row[j] + alpha * W_row[j]) / weight_sum;
    }
}

/* The epilogue's done for the products: rows [i0, i1), columns [j0, j1) of C
 * (N columns) are final. The activations take whole rows at once, else one
 * row at a time; the L2 any block in one call (the team's tasks
 * that split C's columns finish a strip of every row: a call per row cost
 * digits' (200, 64, 100) a fifth of its time on two cores). */
static void finish_block(real *C, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t N,
                         const void *context)
{
    const finish *f = context;
    const int64_t n_rows = i1 - i0, cols = j1 - j0, whole = cols == N;
    real *block = C + i0 * N + j0;
    switch (f->kind) {
    case ACTIVATE: /* A = f(Z), Z = sum + b from the product */
        if (whole)
            FCN(fcn_activation_forward)(block, n_rows, N, f->activation);
        else if (f->activation != FCN_IDENTITY)
            for (int64_t i = 0; i < n_rows; i++)
                FCN(fcn_activation_forward)(block + i * N, 1, cols, f->activation);
        break;
    case ADD_L2_AND_SCALE: /* whole rows as one long row (N may be 10) */
        add_l2_and_scale(block, f->W + i0 * N + j0, f->alpha, f->weight_sum, f->inverse,
                         whole ? 1 : n_rows, whole ? n_rows * N : cols, N);
        break;
    case MULTIPLY_BY_DERIVATIVE:
        if (whole)
            FCN(fcn_activation_backward)(block, f->A + i0 * N, n_rows, N, f->activation);
        else if (f->activation != FCN_IDENTITY)
            for (int64_t i = 0; i < n_rows; i++)
                FCN(fcn_activation_backward)(block + i * N, f->A + (i0 + i) * N + j0, 1, cols,
                                             f->activation);
        break;
    }
}

/* The three products of a layer, named for what they multiply; each reads its
 * operands in place through strides (gemm.h), all row-major (rows x cols). */

/* C (M x N) = A (M x K) @ B (K x N), then f */
static void product_AB(real *C, const real *A, const real *B, int64_t M, int64_t K, int64_t N,
                       real *pack, const finish *f, int64_t team_min_work)
{
    FCN(fcn_matrix) a = {A, K, 1}, b = {B, N, 1};
    FCN(fcn_gemm)(C, pack, a, b, M, N, K, &f->epilogue, team_min_work);
}

/* C (M x N) = A.T @ B for A (K x M), B (K x N), then f */
static void product_AtB(real *C, const real *A, const real *B, int64_t M, int64_t K, int64_t N,
                        real *pack, const finish *f, int64_t team_min_work)
{
    FCN(fcn_matrix) a = {A, 1, M}, b = {B, N, 1};
    FCN(fcn_gemm)(C, pack, a, b, M, N, K, &f->epilogue, team_min_work);
}

/* C (M x N) = A @ B.T for A (M x K), B (N x K), then f */
static void product_ABt(real *C, const real *A, const real *B, int64_t M, int64_t K, int64_t N,
                        real *pack, const finish *f, int64_t team_min_work)
{
    FCN(fcn_matrix) a = {A, K, 1}, b = {B, 1, K};
    FCN(fcn_gemm)(C, pack, a, b, M, N, K, &f->epilogue, team_min_work);
}

/* fcn_dense_layer_forward_f32, fcn_dense_layer_forward_f64 */
void FCN(fcn_dense_layer_forward)(real *A_out, real *pack, const real *A_in, const real *W,
                                  const real *b, int64_t rows, int64_t fan_in, int64_t fan_out,
                                  int activation, int64_t team_min_work)
{
    FCN_FLUSH_SUBNORMALS();
    /* Z = A_in @ W + b, A_out = f(Z) */
    finish f = {.kind = ACTIVATE, .activation = activation};
    f.epilogue = (FCN(fcn_epilogue)){.done = finish_block, .context = &f,
                                    .whole_rows = activation == FCN_SOFTMAX, .bias = b};
    product_AB(A_out, A_in, W, rows, fan_in, fan_out, pack, &f, team_min_work);
}

/* fcn_dense_forward_f32, fcn_dense_forward_f64 */
void FCN(fcn_dense_forward)(real *A_out, real *pack, const real *A_in, const real *W,
                            const real *b, int64_t rows, int64_t fan_in, int64_t fan_out,
                            int activation)
{
    FCN(fcn_dense_layer_forward)(A_out, pack, A_in, W, b, rows, fan_in, fan_out, activation,
                                 FCN_ALONE_MIN_WORK);
}

/* db /= weight_sum, once db holds delta's sums over rows */
static void divide(real *db, int64_t fan_out, double weight_sum)
{
    for (int64_t j = 0; j < fan_out; j++) db[j] /= (real)weight_sum;
}

/* fcn_bias_gradient_f32, fcn_bias_gradient_f64 */
void FCN(fcn_bias_gradient)(real *db, const real *delta, int64_t rows, int64_t fan_out,
                            double weight_sum)
{
    FCN(fcn_column_sums)(db, delta, fan_out, rows, 0, fan_out); /* over rows in order */
    divide(db, fan_out, weight_sum);
}

/* fcn_dense_weight_gradient_f32, fcn_dense_weight_gradient_f64 */
void FCN(fcn_dense_weight_gradient)(real *dW, real *db, real *pack, const real *delta,
                                    const real *A_in, const real *W, int64_t rows,
                                    int64_t fan_in, int64_t fan_out, double alpha,
                                    double weight_sum, int64_t team_min_work)
{
    /* dW = (A_in.T @ delta + alpha * W) / weight_sum: rows of dW are A_in's columns;
     * db = sum(delta) / weight_sum, delta's sums from the product, which reads it */
    finish scale = {.kind = ADD_L2_AND_SCALE, .W = W, .alpha = (real)alpha,
                    .weight_sum = (real)weight_sum, .inverse = exact_inverse((real)weight_sum)};
    scale.epilogue = (FCN(fcn_epilogue)){.done = finish_block, .context = &scale,
                                        .B_sums = db};
    product_AtB(dW, A_in, delta, fan_in, rows, fan_out, pack, &scale, team_min_work);
    divide(db, fan_out, weight_sum);
}

/* fcn_dense_delta_in_f32, fcn_dense_delta_in_f64 */
void FCN(fcn_dense_delta_in)(real *delta_in, real *pack, const real *delta, const real *A_in,
                             const real *W, int64_t rows, int64_t fan_in, int64_t fan_out,
                             int in_activation, int64_t team_min_work)
{
    /* delta_in = (delta @ W.T) * f'(Z_in) */
    finish derivative = {.kind = MULTIPLY_BY_DERIVATIVE, .A = A_in, .activation = in_activation};
    derivative.epilogue = (FCN(fcn_epilogue)){.done = finish_block, .context = &derivative};
    product_ABt(delta_in, delta, W, rows, fan_out, fan_in, pack, &derivative, team_min_work);
}

/* fcn_dense_backward_f32, fcn_dense_backward_f64 */
void FCN(fcn_dense_backward)(real *dW, real *db, real *delta_in, real *pack, const real *delta,
                             const real *A_in, const real *W, int64_t rows, int64_t fan_in,
                             int64_t fan_out, double alpha, double weight_sum, int in_activation)
{
    FCN_FLUSH_SUBNORMALS();
    FCN(fcn_dense_weight_gradient)(dW, db, pack, delta, A_in, W, rows, fan_in, fan_out, alpha,
                                   weight_sum, FCN_ALONE_MIN_WORK);
    if (delta_in != NULL)
        FCN(fcn_dense_delta_in)(delta_in, pack, delta, A_in, W, rows, fan_in, fan_out,
                                in_activation, FCN_ALONE_MIN_WORK);
}
