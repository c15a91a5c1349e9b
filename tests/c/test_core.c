/* C tests of the core, each kernel against a naive reference written here in
 * double: the three products of a dense layer in every shape class (one or a
 * few rows, partial tiles and panels, narrow and wide outputs, serial and
 * parallel sizes), activations and their derivatives, losses and output
 * deltas, the sgd and adam updates, then whole networks: forward/backward of
 * a batch (dense and CSR input) followed by an optimizer step, an epoch of
 * minibatches, and prediction.
 *
 * Compiled once per precision (FCN_DOUBLE) with warnings as errors, by CMake
 * with -DFCN_C_TESTS=ON; run natively, natively with FCN_PORTABLE_C=1, and
 * cross-compiled for aarch64 under qemu (tests/test_c_core.py, .ci/run).
 * Prints every failed check (the first 20) and exits with 1 if there was one.
 *
 * Tolerances are error bounds, not guesses: a sum of K products computed in
 * any order, with or without fused multiply-adds, is within about K ulps of
 * the sum of the magnitudes of its terms. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "subnormals.h"
#include "threads.h"

#if FCN_DOUBLE
#define REAL_MIN DBL_MIN
/* whole networks: a few layers of short sums, far above their rounding */
#define NET_TOLERANCE 1e-11
#else
#define REAL_MIN FLT_MIN
#define NET_TOLERANCE 2e-4
#endif

static int checks, failures;

/* got is want within ulps units of REAL_EPSILON * scale; NaN matches NaN and an
 * infinity only itself; a subnormal want may come out flushed to 0
 * (subnormals.h). */
static void expect_close(const char *what, int64_t index, double got, double want, double scale,
                         double ulps)
{
    checks++;
    if (FCN_FLUSHES_SUBNORMALS && got == 0 && fabs(want) < REAL_MIN) return;
    if (isnan(want) ? isnan(got) : isinf(want) ? got == want
                                               : fabs(got - want) <= ulps * REAL_EPSILON * scale) return;
    if (failures++ < 20)
        printf("FAIL %s [%lld]: got %.17g, want %.17g (scale %g)\n", what, (long long)index, got,
               want, scale);
}

/* xorshift64*: the same numbers on every platform */
static uint64_t random_state = 88172645463325252ULL;

static double uniform(double low, double high)
{
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    double unit = (double)((random_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
    return low + (high - low) * unit;
}

static real *random_reals(int64_t n, double low, double high)
{
    real *x = malloc((size_t)(n > 0 ? n : 1) * sizeof(real));
    for (int64_t i = 0; i < n; i++) x[i] = (real)uniform(low, high);
    return x;
}

static real *zero_reals(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(real)); }

static double *zero_doubles(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(double)); }

/* ---- the reference: f, f' and the loss, in double ---- */

static double activation_reference(double z, int activation)
{
    switch (activation) {
    case FCN_LOGISTIC: return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    case FCN_TANH: return tanh(z);
    case FCN_RELU: return z < 0 ? 0 : z; /* keeps NaN, as numpy's maximum */
    case FCN_EXP: return exp(z);
    default: return z;
    }
}

static double derivative_reference(double a, int activation)
{
    switch (activation) {
    case FCN_LOGISTIC: return a * (1 - a);
    case FCN_TANH: return 1 - a * a;
    case FCN_RELU: return a == 0 ? 0 : 1;
    default: return 1;
    }
}

/* row's activations in place; softmax over the row */
static void activate_row_reference(double *a, int64_t cols, int activation)
{
    if (activation != FCN_SOFTMAX) {
        for (int64_t j = 0; j < cols; j++) a[j] = activation_reference(a[j], activation);
        return;
    }
    double max = a[0], sum = 0;
    for (int64_t j = 1; j < cols; j++) max = a[j] > max ? a[j] : max;
    for (int64_t j = 0; j < cols; j++) sum += a[j] = exp(a[j] - max);
    for (int64_t j = 0; j < cols; j++) a[j] /= sum;
}

static double clipped(double p)
{
    return p < REAL_EPSILON ? REAL_EPSILON : p > 1 - REAL_EPSILON ? 1 - REAL_EPSILON : p;
}

static double loss_reference(const double *A, const real *Y, const real *sample_weight,
                             int64_t rows, int64_t cols, int loss)
{
    double total = 0, weights = 0;
    for (int64_t i = 0; i < rows; i++) {
        double w = sample_weight ? sample_weight[i] : 1, row = 0;
        for (int64_t k = 0; k < cols; k++) {
            double a = A[i * cols + k], y = Y[i * cols + k];
            if (loss == FCN_SQUARED_ERROR) row += 0.5 * (a - y) * (a - y) / (double)cols;
            if (loss == FCN_LOG_LOSS && y != 0) row -= y * log(clipped(a));
            if (loss == FCN_BINARY_LOG_LOSS) {
                if (y != 0) row -= y * log(clipped(a));
                if (y != 1) row -= (1 - y) * log(1 - clipped(a));
            }
            if (loss == FCN_POISSON) row += (y == 0 ? 0 : y * log(y / a)) - y + a;
        }
        total += w * row;
        weights += w;
    }
    return total / weights;
}

/* ---- the three products of a dense layer ---- */

static void test_products(int64_t rows, int64_t fan_in, int64_t fan_out)
{
    const double alpha = 0.3, weight_sum = (double)rows;
    real *A_in = random_reals(rows * fan_in, -1, 1), *W = random_reals(fan_in * fan_out, -1, 1);
    real *b = random_reals(fan_out, -1, 1), *delta = random_reals(rows * fan_out, -1, 1);
    real *Z = zero_reals(rows * fan_out), *dW = zero_reals(fan_in * fan_out);
    real *db = zero_reals(fan_out), *delta_in = zero_reals(rows * fan_in);
    int64_t pack_len = fcn_pack_len(rows, fan_in, fan_out);
    if (fcn_pack_len(fan_in, rows, fan_out) > pack_len) pack_len = fcn_pack_len(fan_in, rows, fan_out);
    if (fcn_pack_len(rows, fan_out, fan_in) > pack_len) pack_len = fcn_pack_len(rows, fan_out, fan_in);
    real *pack = zero_reals(pack_len);

    FCN(fcn_dense_forward)(Z, pack, A_in, W, b, rows, fan_in, fan_out, FCN_IDENTITY);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < fan_out; j++) {
            double sum = b[j], scale = fabs(b[j]);
            for (int64_t k = 0; k < fan_in; k++) {
                sum += (double)A_in[i * fan_in + k] * W[k * fan_out + j];
                scale += fabs((double)A_in[i * fan_in + k] * W[k * fan_out + j]);
            }
            expect_close("A @ W + b", i * fan_out + j, Z[i * fan_out + j], sum, scale,
                         (double)fan_in + 2);
        }

    FCN(fcn_dense_backward)(dW, db, delta_in, pack, delta, A_in, W, rows, fan_in, fan_out, alpha,
                            weight_sum, FCN_IDENTITY);
    for (int64_t k = 0; k < fan_in; k++)
        for (int64_t j = 0; j < fan_out; j++) {
            double sum = alpha * W[k * fan_out + j], scale = fabs(sum);
            for (int64_t i = 0; i < rows; i++) {
                sum += (double)A_in[i * fan_in + k] * delta[i * fan_out + j];
                scale += fabs((double)A_in[i * fan_in + k] * delta[i * fan_out + j]);
            }
            expect_close("(A.T @ delta + alpha W) / weight_sum", k * fan_out + j,
                         dW[k * fan_out + j], sum / weight_sum, scale / weight_sum,
                         (double)rows + 4);
        }
    for (int64_t j = 0; j < fan_out; j++) {
        double sum = 0, scale = 0;
        for (int64_t i = 0; i < rows; i++) {
            sum += delta[i * fan_out + j];
            scale += fabs((double)delta[i * fan_out + j]);
        }
        expect_close("sum(delta) / weight_sum", j, db[j], sum / weight_sum, scale / weight_sum,
                     (double)rows + 2);
    }
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = 0; k < fan_in; k++) {
            double sum = 0, scale = 0;
            for (int64_t j = 0; j < fan_out; j++) {
                sum += (double)delta[i * fan_out + j] * W[k * fan_out + j];
                scale += fabs((double)delta[i * fan_out + j] * W[k * fan_out + j]);
            }
            expect_close("delta @ W.T", i * fan_in + k, delta_in[i * fan_in + k], sum, scale,
                         (double)fan_out + 2);
        }
    free(A_in), free(W), free(b), free(delta), free(Z), free(dW), free(db), free(delta_in);
    free(pack);
}

static void test_all_product_shapes(void)
{
    /* one row to several tiles of rows, one column to several panels, each
     * with a remainder; every size class of the inner dimension */
    static const int64_t ROWS[] = {1, 2, 3, 4, 5, 8, 9, 16, 17, 33};
    static const int64_t FAN_INS[] = {1, 2, 7, 64};
    static const int64_t FAN_OUTS[] = {1, 3, 4, 8, 9, 16, 17, 31, 32, 33, 65};
    for (size_t r = 0; r < sizeof ROWS / sizeof *ROWS; r++)
        for (size_t k = 0; k < sizeof FAN_INS / sizeof *FAN_INS; k++)
            for (size_t n = 0; n < sizeof FAN_OUTS / sizeof *FAN_OUTS; n++)
                test_products(ROWS[r], FAN_INS[k], FAN_OUTS[n]);
    /* above FCN_ALONE_MIN_WORK in each product (kernels.h): the team's paths */
    test_products(300, 70, 130);
    test_products(1100, 33, 47);
    test_products(40, 513, 129);
    /* one deep column: each row's sum in 16 chains, however few the rows */
    test_products(1, 300, 1);
    test_products(45, 700, 1);
}

/* ---- activations and their derivatives ---- */

static void test_activations(void)
{
    enum { N = 1200 };
    real *A = zero_reals(N), *delta = random_reals(N, -2, 2), *input = zero_reals(N);
    double range = FCN_DOUBLE ? 760 : 110; /* past where exp overflows and underflows */
    for (int64_t i = 0; i < N; i++) input[i] = (real)(i < 1000 ? uniform(-range, range) : uniform(-6, 6));
    input[0] = 0, input[1] = (real)-0.0, input[2] = (real)INFINITY, input[3] = (real)-INFINITY;
    input[4] = (real)NAN, input[5] = (real)1e-30, input[6] = (real)-1e-30;
    static const int ELEMENTWISE[] = {FCN_IDENTITY, FCN_LOGISTIC, FCN_TANH, FCN_RELU, FCN_EXP};
    for (size_t f = 0; f < sizeof ELEMENTWISE / sizeof *ELEMENTWISE; f++) {
        int activation = ELEMENTWISE[f];
        memcpy(A, input, N * sizeof(real));
        /* shaped 40 x 30: the kernel must cover rows * cols elements */
        FCN(fcn_activation_forward)(A, 40, N / 40, activation);
        for (int64_t i = 0; i < N; i++) {
            double want = (real)activation_reference(input[i], activation);
            /* within 4 ulps of the value, or of the smallest normal number */
            expect_close("f(Z)", activation * N + i, A[i], want, fmax(fabs(want), REAL_MIN), 6);
        }
        real *backward = zero_reals(N);
        memcpy(backward, delta, N * sizeof(real));
        for (int64_t i = 0; i < N; i++) A[i] = (real)uniform(0, 1); /* any activation's range */
        FCN(fcn_activation_backward)(backward, A, 40, N / 40, activation);
        for (int64_t i = 0; i < N; i++) {
            double a = A[i], want = delta[i] * derivative_reference(a, activation);
            expect_close("delta * f'(A)", activation * N + i, backward[i], want,
                         fabs((double)delta[i]) * (1 + fabs(a)) * (1 + fabs(a)), 4);
        }
        free(backward);
    }
    /* softmax, row by row, including rows whose exp would overflow unshifted */
    static const int64_t COLS[] = {1, 2, 3, 10, 37};
    for (size_t c = 0; c < sizeof COLS / sizeof *COLS; c++) {
        int64_t cols = COLS[c], rows = 6;
        real *Z = random_reals(rows * cols, -20, 20);
        Z[0] = (real)(FCN_DOUBLE ? 800 : 100);
        double *want = zero_doubles(cols);
        memcpy(A, Z, (size_t)(rows * cols) * sizeof(real));
        FCN(fcn_activation_forward)(A, rows, cols, FCN_SOFTMAX);
        for (int64_t i = 0; i < rows; i++) {
            real max = Z[i * cols];
            for (int64_t j = 0; j < cols; j++) {
                want[j] = Z[i * cols + j];
                max = Z[i * cols + j] > max ? Z[i * cols + j] : max;
            }
            activate_row_reference(want, cols, FCN_SOFTMAX);
            /* z - max is rounded to real before its exp: |z - max| ulps more */
            for (int64_t j = 0; j < cols; j++)
                expect_close("softmax", i * cols + j, A[i * cols + j], want[j],
                             fmax(want[j], REAL_MIN), (double)cols + 6 + (max - Z[i * cols + j]));
        }
        free(Z), free(want);
    }
    free(A), free(delta), free(input);
}

/* ---- losses and the output delta ---- */

static void test_losses(void)
{
    enum { ROWS = 50, COLS = 4 };
    static const int LOSSES[] = {FCN_SQUARED_ERROR, FCN_BINARY_LOG_LOSS, FCN_LOG_LOSS,
                                 FCN_POISSON};
    real *A = zero_reals(ROWS * COLS), *Y = zero_reals(ROWS * COLS);
    real *sample_weight = random_reals(ROWS, 0, 3), *delta = zero_reals(ROWS * COLS);
    double *A_double = zero_doubles(ROWS * COLS);
    for (size_t l = 0; l < sizeof LOSSES / sizeof *LOSSES; l++) {
        int loss = LOSSES[l];
        for (int64_t i = 0; i < ROWS; i++) {
            double *a = A_double + i * COLS;
            for (int64_t k = 0; k < COLS; k++) a[k] = uniform(-8, 8);
            if (loss == FCN_LOG_LOSS) activate_row_reference(a, COLS, FCN_SOFTMAX);
            for (int64_t k = 0; k < COLS; k++) {
                if (loss == FCN_BINARY_LOG_LOSS) a[k] = activation_reference(a[k], FCN_LOGISTIC);
                if (loss == FCN_POISSON) a[k] = exp(a[k] / 4);
                A[i * COLS + k] = (real)a[k];
                a[k] = A[i * COLS + k]; /* the reference sees the kernel's input */
                double y = loss == FCN_SQUARED_ERROR ? uniform(-3, 3)
                           : loss == FCN_POISSON     ? floor(uniform(0, 4))
                           : loss == FCN_LOG_LOSS    ? (k == i % COLS)
                                                     : uniform(0, 1) < 0.5;
                Y[i * COLS + k] = (real)y;
            }
        }
        A[0] = loss == FCN_POISSON ? A[0] : 0; /* clipped before the log */
        A_double[0] = A[0];
        for (int weighted = 0; weighted < 2; weighted++) {
            const real *sw = weighted ? sample_weight : NULL;
            double got = FCN(fcn_loss)(A, Y, sw, ROWS, COLS, loss, 0.0);
            double want = loss_reference(A_double, Y, sw, ROWS, COLS, loss);
            /* (1 - p) is rounded to real before its log */
            expect_close("loss", loss * 2 + weighted, got, want, 1 + fabs(want), 8);
            FCN(fcn_output_delta)(delta, A, Y, sw, ROWS, COLS, loss, 0.0, 0.25);
            for (int64_t i = 0; i < ROWS * COLS; i++) {
                double w = sw ? sw[i / COLS] : 1;
                double difference = (double)A[i] - Y[i];
                expect_close("delta[L]", i, delta[i], difference * w * 0.25,
                             (fabs((double)A[i]) + fabs((double)Y[i])) * w * 0.25, 4);
            }
        }
    }
    free(A), free(Y), free(sample_weight), free(delta), free(A_double);
}

/* ---- optimizers ---- */

static void test_optimizers(void)
{
    /* both sides of the threshold where the updates run in threads */
    static const int64_t SIZES[] = {1, 17, 70001};
    for (size_t s = 0; s < sizeof SIZES / sizeof *SIZES; s++) {
        int64_t n = SIZES[s];
        real *grads = random_reals(n, -1, 1), *start = random_reals(n, -1, 1);
        real *params = zero_reals(n), *velocity = zero_reals(n), *m = zero_reals(n);
        real *v = zero_reals(n);
        for (int nesterov = 0; nesterov < 2; nesterov++) {
            memcpy(params, start, (size_t)n * sizeof(real));
            for (int64_t i = 0; i < n; i++) velocity[i] = (real)(0.1 * start[i]);
            real *velocity_before = zero_reals(n);
            memcpy(velocity_before, velocity, (size_t)n * sizeof(real));
            FCN(fcn_sgd_update)(params, velocity, grads, n, 0.01, 0.9, nesterov);
            for (int64_t i = 0; i < n; i++) {
                double g = grads[i], new_velocity = 0.9 * velocity_before[i] - 0.01 * g;
                double step = nesterov ? 0.9 * new_velocity - 0.01 * g : new_velocity;
                double scale = fabs((double)start[i]) + fabs(velocity_before[i]) + 0.01 * fabs(g);
                expect_close("sgd velocity", i, velocity[i], new_velocity, scale, 6);
                expect_close("sgd params", i, params[i], start[i] + step, scale, 8);
            }
            free(velocity_before);
        }
        memcpy(params, start, (size_t)n * sizeof(real));
        for (int64_t i = 0; i < n; i++) m[i] = (real)(0.01 * start[i]), v[i] = (real)(0.02 * start[i] * start[i]);
        real *m_before = zero_reals(n), *v_before = zero_reals(n);
        memcpy(m_before, m, (size_t)n * sizeof(real));
        memcpy(v_before, v, (size_t)n * sizeof(real));
        const double step_rate = 0.003, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-8;
        FCN(fcn_adam_update)(params, m, v, grads, n, step_rate, beta_1, beta_2, epsilon);
        for (int64_t i = 0; i < n; i++) {
            double g = grads[i];
            double new_m = beta_1 * m_before[i] + (1 - beta_1) * g;
            double new_v = beta_2 * v_before[i] + (1 - beta_2) * g * g;
            double update = -step_rate * new_m / (sqrt(new_v) + epsilon);
            expect_close("adam m", i, m[i], new_m, fabs(beta_1 * m_before[i]) + fabs(g), 6);
            expect_close("adam v", i, v[i], new_v, new_v, 6);
            expect_close("adam params", i, params[i], start[i] + update,
                         fabs((double)start[i]) + fabs(update), 12);
        }
        free(grads), free(start), free(params), free(velocity), free(m), free(v);
        free(m_before), free(v_before);
    }
}

/* ---- whole networks ---- */

/* the reference network: units[0 .. L], params laid out as the core's
 * (W[1] .. W[L], then b[1] .. b[L]) */
typedef struct {
    int64_t L, units[4];
    int hidden, output, loss;
} network;

static int64_t weight_offset(const network *net, int64_t l)
{
    int64_t offset = 0;
    for (int64_t m = 1; m < l; m++) offset += net->units[m - 1] * net->units[m];
    return offset;
}

static int64_t n_params(const network *net)
{
    int64_t n = weight_offset(net, net->L + 1);
    for (int64_t l = 1; l <= net->L; l++) n += net->units[l];
    return n;
}

static int64_t bias_offset(const network *net, int64_t l)
{
    int64_t offset = weight_offset(net, net->L + 1);
    for (int64_t m = 1; m < l; m++) offset += net->units[m];
    return offset;
}

/* A[l] of the given rows of X (row-major, units[0] columns): activations
 * (rows x units[l]) for l = 1 .. L in A[l] */
static void forward_reference(double *A[], const real *params, const network *net,
                              const real *X, const int64_t *order, int64_t rows)
{
    for (int64_t l = 1; l <= net->L; l++) {
        int64_t fan_in = net->units[l - 1], fan_out = net->units[l];
        const real *W = params + weight_offset(net, l), *b = params + bias_offset(net, l);
        for (int64_t i = 0; i < rows; i++) {
            double *z = A[l] + i * fan_out;
            for (int64_t j = 0; j < fan_out; j++) {
                z[j] = b[j];
                for (int64_t k = 0; k < fan_in; k++) {
                    double a = l == 1 ? X[order[i] * fan_in + k] : A[l - 1][i * fan_in + k];
                    z[j] += a * W[k * fan_out + j];
                }
            }
            activate_row_reference(z, fan_out, l == net->L ? net->output : net->hidden);
        }
    }
}

/* the loss with its L2 term, and the gradient in grads (n_params), of the
 * given rows of X and Y */
static double backprop_reference(double *grads, const real *params, const network *net,
                                 const real *X, const real *Y, const real *sample_weight,
                                 const int64_t *order, int64_t rows, double alpha)
{
    double *A[4] = {NULL}, *delta[4] = {NULL};
    for (int64_t l = 1; l <= net->L; l++) {
        A[l] = zero_doubles(rows * net->units[l]);
        delta[l] = zero_doubles(rows * net->units[l]);
    }
    forward_reference(A, params, net, X, order, rows);
    int64_t L = net->L, outputs = net->units[L];
    real *Y_rows = zero_reals(rows * outputs), *sw_rows = sample_weight ? zero_reals(rows) : NULL;
    double n = 0, squares = 0;
    for (int64_t i = 0; i < rows; i++) {
        double w = sample_weight ? sample_weight[order[i]] : 1;
        if (sw_rows) sw_rows[i] = sample_weight[order[i]];
        n += w;
        for (int64_t k = 0; k < outputs; k++) {
            Y_rows[i * outputs + k] = Y[order[i] * outputs + k];
            delta[L][i * outputs + k] = (A[L][i * outputs + k] - Y[order[i] * outputs + k]) * w;
        }
    }
    double loss = loss_reference(A[L], Y_rows, sw_rows, rows, outputs, net->loss);
    for (int64_t l = L; l >= 1; l--) {
        int64_t fan_in = net->units[l - 1], fan_out = net->units[l];
        const real *W = params + weight_offset(net, l);
        double *dW = grads + weight_offset(net, l), *db = grads + bias_offset(net, l);
        for (int64_t k = 0; k < fan_in; k++)
            for (int64_t j = 0; j < fan_out; j++) {
                double sum = alpha * W[k * fan_out + j];
                for (int64_t i = 0; i < rows; i++) {
                    double a = l == 1 ? X[order[i] * fan_in + k] : A[l - 1][i * fan_in + k];
                    sum += a * delta[l][i * fan_out + j];
                }
                dW[k * fan_out + j] = sum / n;
                squares += (double)W[k * fan_out + j] * W[k * fan_out + j];
            }
        for (int64_t j = 0; j < fan_out; j++) {
            db[j] = 0;
            for (int64_t i = 0; i < rows; i++) db[j] += delta[l][i * fan_out + j] / n;
        }
        if (l == 1) continue;
        for (int64_t i = 0; i < rows; i++)
            for (int64_t k = 0; k < fan_in; k++) {
                double sum = 0;
                for (int64_t j = 0; j < fan_out; j++)
                    sum += delta[l][i * fan_out + j] * W[k * fan_out + j];
                double a = A[l - 1][i * fan_in + k];
                delta[l - 1][i * fan_in + k] = sum * derivative_reference(a, net->hidden);
            }
    }
    for (int64_t l = 1; l <= L; l++) free(A[l]), free(delta[l]);
    free(Y_rows), free(sw_rows);
    return loss + 0.5 * alpha * squares / n;
}

static void expect_close_to_network(const char *what, const real *got, const double *want,
                                    int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        expect_close(what, i, got[i], want[i], (1 + fabs(want[i])) * NET_TOLERANCE / REAL_EPSILON, 1);
}

/* the rows of a dense (rows x cols) matrix as CSR, zeros left out */
typedef struct {
    real *values;
    int64_t *indices, *indptr;
} csr;

static csr to_csr(const real *X, int64_t rows, int64_t cols)
{
    csr m = {zero_reals(rows * cols), calloc((size_t)(rows * cols + 1), sizeof(int64_t)),
             calloc((size_t)(rows + 1), sizeof(int64_t))};
    int64_t nnz = 0;
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t k = 0; k < cols; k++)
            if (X[i * cols + k] != 0) m.values[nnz] = X[i * cols + k], m.indices[nnz++] = k;
        m.indptr[i + 1] = nnz;
    }
    return m;
}

static void test_network(const network *shape, int weighted)
{
    enum { ROWS = 23, BATCH = 5, CHUNK = 4 };
    const double alpha = 0.01;
    const fcn_net net = {.n_layers = shape->L, .units = shape->units,
                         .hidden_activation = shape->hidden,
                         .output_activation = shape->output, .loss = shape->loss};
    int64_t inputs = shape->units[0], outputs = shape->units[shape->L], P = n_params(shape);
    real *X = random_reals(ROWS * inputs, -2, 2), *Y = zero_reals(ROWS * outputs);
    for (int64_t i = 0; i < ROWS * inputs; i += 3) X[i] = 0; /* zeros for the CSR copy */
    for (int64_t i = 0; i < ROWS; i++)
        for (int64_t k = 0; k < outputs; k++)
            Y[i * outputs + k] = (real)(shape->loss == FCN_SQUARED_ERROR ? uniform(-1, 1)
                                        : shape->loss == FCN_LOG_LOSS   ? (k == i % outputs)
                                                                         : (i + k) % 2);
    real *sample_weight = weighted ? random_reals(ROWS, 0.5, 2) : NULL;
    real *params = random_reals(P, -0.5, 0.5), *grads = zero_reals(P), *state = zero_reals(2 * P);
    double *want = zero_doubles(P);
    int64_t order[ROWS];
    for (int64_t i = 0; i < ROWS; i++) order[i] = (7 * i + 3) % ROWS; /* a permutation */

    /* the layout Python asks the core for, against the reference's */
    expect_close("parameter count", 0, (double)fcn_param_count(&net), (double)P, 0, 0);
    expect_close("sgd state", 0, (double)fcn_optimizer_state_len(&net, FCN_SGD), (double)P, 0, 0);
    expect_close("adam state", 0, (double)fcn_optimizer_state_len(&net, FCN_ADAM), 2.0 * P, 0, 0);
    for (int64_t l = 1; l <= shape->L; l++) {
        expect_close("offset of W[l]", l, (double)fcn_weights_offset(&net, l),
                     (double)weight_offset(shape, l), 0, 0);
        expect_close("offset of b[l]", l, (double)fcn_bias_offset(&net, l),
                     (double)bias_offset(shape, l), 0, 0);
    }

    /* forward and backward of the whole set, dense and CSR, then one sgd step */
    real *workspace = zero_reals(fcn_backprop_workspace_len(&net, ROWS));
    int64_t identity[ROWS];
    for (int64_t i = 0; i < ROWS; i++) identity[i] = i;
    double want_loss = backprop_reference(want, params, shape, X, Y, sample_weight, identity,
                                          ROWS, alpha);
    csr sparse = to_csr(X, ROWS, inputs);
    const fcn_input dense_X = {X, NULL, NULL, NULL, ROWS};
    const fcn_input csr_X = {sparse.values, sparse.indices, sparse.indptr, NULL, ROWS};
    const fcn_input *forms[] = {&dense_X, &csr_X};
    for (int form = 0; form < 2; form++) {
        double loss = FCN(fcn_forward_backward)(grads, workspace, params, &net, forms[form], Y,
                                                sample_weight, alpha, 1.0, 0);
        expect_close("network loss", form, loss, want_loss, (1 + fabs(want_loss)) * NET_TOLERANCE / REAL_EPSILON, 1);
        expect_close_to_network("network gradient", grads, want, P);
    }
    real *stepped = zero_reals(P);
    memcpy(stepped, params, (size_t)P * sizeof(real));
    fcn_optimizer sgd = {FCN_SGD, 0.1, 0.9, 1, 0.9, 0.999, 1e-8, 0};
    FCN(fcn_optimizer_step)(stepped, state, &sgd, grads, P);
    for (int64_t i = 0; i < P; i++) want[i] = params[i] + 0.9 * (-0.1 * want[i]) - 0.1 * want[i];
    expect_close_to_network("params after sgd step", stepped, want, P);

    /* one epoch of minibatches in the given order, by sgd and by adam */
    static const int SOLVERS[] = {FCN_SGD, FCN_ADAM};
    real *epoch_workspace = zero_reals(fcn_epoch_workspace_len(&net, BATCH));
    double *batch_grads = zero_doubles(P), *velocity = zero_doubles(2 * P);
    for (int s = 0; s < 2; s++) {
        /* adam's epsilon well above the gradients' rounding, so that a
         * gradient near 0 cannot flip the sign of its step */
        fcn_optimizer opt = {SOLVERS[s], 0.05, 0.9, 0, 0.9, 0.999, 1e-3, 0};
        real *trained = zero_reals(P);
        memcpy(trained, params, (size_t)P * sizeof(real));
        memset(state, 0, 2 * (size_t)P * sizeof(real));
        double summed_loss = 0, want_summed = 0;
        int status = FCN(fcn_train_epoch)(&summed_loss, trained, grads, state, &opt,
                                          epoch_workspace, &net, &dense_X, Y, sample_weight,
                                          order, BATCH, alpha, 0, 0, NULL);
        expect_close("epoch status", s, status, FCN_DONE, 0, 0);
        real *reference = zero_reals(P);
        memcpy(reference, params, (size_t)P * sizeof(real));
        double *m = velocity, *v = velocity + P;
        memset(velocity, 0, 2 * (size_t)P * sizeof(double));
        for (int64_t start = 0, t = 1; start < ROWS; start += BATCH, t++) {
            int64_t rows = ROWS - start < BATCH ? ROWS - start : BATCH;
            want_summed += rows * backprop_reference(batch_grads, reference, shape, X, Y,
                                                     sample_weight, order + start, rows, alpha);
            double rate = 0.05 * sqrt(1 - pow(0.999, (double)t)) / (1 - pow(0.9, (double)t));
            for (int64_t i = 0; i < P; i++) {
                double g = batch_grads[i];
                if (SOLVERS[s] == FCN_SGD) {
                    m[i] = 0.9 * m[i] - 0.05 * g;
                    reference[i] = (real)(reference[i] + m[i]);
                } else {
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    reference[i] = (real)(reference[i] - rate * m[i] / (sqrt(v[i]) + 1e-3));
                }
            }
        }
        for (int64_t i = 0; i < P; i++) want[i] = reference[i];
        expect_close_to_network(SOLVERS[s] == FCN_SGD ? "epoch of sgd" : "epoch of adam",
                                trained, want, P);
        expect_close("epoch loss", s, summed_loss, want_summed,
                     (1 + fabs(want_summed)) * NET_TOLERANCE / REAL_EPSILON, 1);
        expect_close("adam steps", s, (double)opt.adam_steps,
                     SOLVERS[s] == FCN_ADAM ? (ROWS + BATCH - 1) / BATCH : 0, 0, 0);
        free(trained), free(reference);
    }

    /* prediction in chunks */
    double *A[4] = {NULL};
    for (int64_t l = 1; l <= shape->L; l++) A[l] = zero_doubles(ROWS * shape->units[l]);
    forward_reference(A, params, shape, X, identity, ROWS);
    real *out = zero_reals(ROWS * outputs);
    real *predict_workspace = zero_reals(fcn_predict_workspace_len(&net, CHUNK));
    for (int form = 0; form < 2; form++) {
        int status = FCN(fcn_predict)(out, predict_workspace, params, &net, forms[form], CHUNK,
                                      NULL);
        expect_close("predict status", form, status, FCN_DONE, 0, 0);
        expect_close_to_network("prediction", out, A[shape->L], ROWS * outputs);
    }
    for (int64_t l = 1; l <= shape->L; l++) free(A[l]);
    free(X), free(Y), free(sample_weight), free(params), free(grads), free(state), free(want);
    free(workspace), free(sparse.values), free(sparse.indices), free(sparse.indptr);
    free(stepped), free(epoch_workspace), free(batch_grads), free(velocity), free(out);
    free(predict_workspace);
}

static void test_networks(void)
{
    static const network SHAPES[] = {
        {3, {6, 9, 5, 3}, FCN_RELU, FCN_SOFTMAX, FCN_LOG_LOSS},
        {2, {4, 7, 2, 0}, FCN_TANH, FCN_LOGISTIC, FCN_BINARY_LOG_LOSS},
        {3, {5, 3, 8, 2}, FCN_LOGISTIC, FCN_IDENTITY, FCN_SQUARED_ERROR},
        {1, {7, 1, 0, 0}, FCN_IDENTITY, FCN_IDENTITY, FCN_SQUARED_ERROR},
    };
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++)
        for (int weighted = 0; weighted < 2; weighted++) test_network(&SHAPES[s], weighted);
}

/* ---- the thread team ---- */

/* fcn_task: the threads fcn_threads_for plans for a large loop started in task `task` */
static void record_nested_threads(void *context, int64_t task)
{
    ((int *)context)[task] = fcn_threads_for(INT64_MAX / 2, 1);
}

static void test_nested_loops(void)
{
    /* a loop started inside a task of the team's loop runs on that thread
     * alone, so it is planned for one, whichever thread took the task */
    enum { TASKS = 64 };
    int planned[TASKS];
    fcn_parallel_for(record_nested_threads, planned, TASKS, fcn_max_threads());
    for (int t = 0; t < TASKS; t++)
        expect_close("threads of a nested loop", t, planned[t], 1, 1, 0);
    expect_close("threads of a loop outside", 0, fcn_threads_for(INT64_MAX / 2, 1),
                 fcn_max_threads(), 1, 0);
}

int main(void)
{
    test_all_product_shapes();
    test_activations();
    test_losses();
    test_optimizers();
    test_networks();
    test_nested_loops();
    printf("%s: %d checks, %d failed (%s, %d threads)\n", failures ? "FAILED" : "passed", checks,
           failures, FCN_DOUBLE ? "double" : "float", fcn_max_threads());
    return failures != 0;
}
