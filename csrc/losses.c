/* The losses of scikit-learn's LOSS_FUNCTIONS and the output delta of the
 * canonical output/loss pairs (identity + squared error, logistic + binary
 * log-loss, softmax + log-loss, exp + Poisson deviance), for which
 * d loss / d Z[L] = A[L] - Y; and the robust regression losses of identity
 * outputs (absolute error, Huber, quantile), as scikit-learn's _loss module
 * defines them, whose delta is their slope instead. */
#include <math.h>

#include "precision.h"
#include "subnormals.h"
#include "vmath.h"

/* Probabilities are clipped to [eps, 1 - eps] before any log, as sklearn
 * does; in selects, which vectorise. */
static inline real clip_probability(real p)
{
    const real low = (real)REAL_EPSILON, high = 1 - (real)REAL_EPSILON;
    return p < low ? low : p > high ? high : p;
}

/* y * log(x) given log_x = log(x), and 0 where y == 0 (scipy's xlogy); a
 * select, so that loops calling it vectorise */
static inline double xlogy(double y, double log_x)
{
    return y == 0 ? 0.0 : y * log_x;
}

/* Outputs whose log-loss terms log_loss_terms computes at a time */
#define TERMS_CHUNK 256

/* terms[e] of the log losses for outputs [0, n), n <= TERMS_CHUNK: the
 * binary log-loss's -(y log p + (1 - y) log(1 - p)), the log-loss's
 * -y log p, p clipped. In loops that vectorise, with vmath.h's fcn_log:
 * libm's log, a call per output, took 14% of course's epoch on an AMD EPYC
 * core (Zen 5), 1.27 ms; with no log at all, 1.13 ms. The clip has a loop of
 * its own: after it, GCC 12 vectorised no loop of fcn_log. */
FCN_VECTOR_CLONES
static void log_loss_terms(double *restrict terms, const real *restrict a,
                           const real *restrict y, int64_t n, int binary)
{
    real p[TERMS_CHUNK];
    for (int64_t e = 0; e < n; e++) p[e] = clip_probability(a[e]);
    if (binary) {
        for (int64_t e = 0; e < n; e++) {
            const double log_p = fcn_log(p[e]), log_q = fcn_log(1 - p[e]);
            terms[e] = -(xlogy(y[e], log_p) + xlogy(1 - y[e], log_q));
        }
        return;
    }
    for (int64_t e = 0; e < n; e++) terms[e] = -xlogy(y[e], fcn_log(p[e]));
}

/* The log losses' total and weight_sum, each row's terms added in order and
 * weighted, as fcn_loss adds the other losses' rows. */
static void add_log_loss(double *total, double *weight_sum, const real *A, const real *Y,
                         const real *sample_weight, int64_t rows, int64_t cols, int binary)
{
    double terms[TERMS_CHUNK], row_total = 0.0;
    int64_t column = 0, row = 0;
    for (int64_t e0 = 0; e0 < rows * cols; e0 += TERMS_CHUNK) {
        const int64_t n = rows * cols - e0 < TERMS_CHUNK ? rows * cols - e0 : TERMS_CHUNK;
        log_loss_terms(terms, A + e0, Y + e0, n, binary);
        for (int64_t e = 0; e < n; e++) {
            row_total += terms[e];
            if (++column < cols) continue;
            const double w = sample_weight ? (double)sample_weight[row] : 1.0;
            *total += w * row_total;
            *weight_sum += w;
            row_total = 0.0, column = 0, row++;
        }
    }
}

/* The losses averaged over outputs (as the squared error is) whose delta is
 * their slope, not A - Y. */
static inline int is_robust(int loss)
{
    return loss == FCN_ABSOLUTE_ERROR || loss == FCN_HUBER || loss == FCN_QUANTILE;
}

/* A robust loss at the residual r = a - y; parameter: Huber's epsilon or the
 * quantile q (the pinball loss is q (y - a) for y >= a, (1 - q) (a - y) below). */
static double robust_loss(double r, int loss, double parameter)
{
    switch (loss) {
    case FCN_HUBER:
        return fabs(r) <= parameter ? 0.5 * r * r : parameter * (fabs(r) - 0.5 * parameter);
    case FCN_QUANTILE:
        return r <= 0 ? -parameter * r : (1 - parameter) * r;
    default: /* FCN_ABSOLUTE_ERROR */
        return fabs(r);
    }
}

/* d robust_loss / d a at the residual r; 0 at the kink r == 0. */
static inline real robust_slope(real r, int loss, real parameter)
{
    switch (loss) {
    case FCN_HUBER:
        return FABS(r) <= parameter ? r : COPYSIGN(parameter, r);
    case FCN_QUANTILE:
        return r > 0 ? 1 - parameter : (r < 0 ? -parameter : 0);
    default: /* FCN_ABSOLUTE_ERROR */
        return r > 0 ? 1 : (r < 0 ? -1 : 0);
    }
}

/* The loss of one row, summed over its cols outputs. */
static double row_loss(const real *a, const real *y, int64_t cols, int loss, double parameter)
{
    if (is_robust(loss)) {
        double total = 0.0;
        for (int64_t k = 0; k < cols; k++)
            total += robust_loss((double)a[k] - (double)y[k], loss, parameter);
        return total;
    }
    double total = 0.0;
    for (int64_t k = 0; k < cols; k++) {
        switch (loss) {
        case FCN_POISSON: /* y log(y / a) - y + a */
            total += xlogy(y[k], log((double)y[k] / (double)a[k])) - y[k] + a[k];
            break;
        default: { /* FCN_SQUARED_ERROR: halved below */
            double diff = (double)(y[k] - a[k]);
            total += diff * diff;
        }
        }
    }
    return total;
}

/* fcn_loss_f32, fcn_loss_f64 */
double FCN(fcn_loss)(const real *A, const real *Y, const real *sample_weight, int64_t rows,
                     int64_t cols, int loss, double loss_parameter)
{
    FCN_FLUSH_SUBNORMALS();
    double total = 0.0, weight_sum = 0.0;
    if (loss == FCN_BINARY_LOG_LOSS || loss == FCN_LOG_LOSS) {
        add_log_loss(&total, &weight_sum, A, Y, sample_weight, rows, cols,
                     loss == FCN_BINARY_LOG_LOSS);
    } else {
        for (int64_t i = 0; i < rows; i++) {
            double w = sample_weight ? (double)sample_weight[i] : 1.0;
            total += w * row_loss(A + i * cols, Y + i * cols, cols, loss, loss_parameter);
            weight_sum += w;
        }
    }
    double mean = total / weight_sum;
    /* the squared error is half the mean over outputs, the robust losses the
     * mean; the others sum them */
    if (loss == FCN_SQUARED_ERROR) return 0.5 * mean / (double)cols;
    return is_robust(loss) ? mean / (double)cols : mean;
}

/* fcn_output_delta_f32, fcn_output_delta_f64 */
void FCN(fcn_output_delta)(real *delta, const real *A, const real *Y, const real *sample_weight,
                           int64_t rows, int64_t cols, int loss, double loss_parameter,
                           double scale)
{
    FCN_FLUSH_SUBNORMALS();
    if (is_robust(loss)) {
        const real parameter = (real)loss_parameter;
        scale /= (double)cols; /* their loss averages over outputs */
        for (int64_t i = 0; i < rows; i++) {
            for (int64_t k = 0; k < cols; k++) {
                real d = robust_slope(A[i * cols + k] - Y[i * cols + k], loss, parameter);
                if (sample_weight) d *= sample_weight[i];
                if (scale != 1.0) d *= (real)scale;
                delta[i * cols + k] = d;
            }
        }
        return;
    }
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t k = 0; k < cols; k++) {
            real d = A[i * cols + k] - Y[i * cols + k];
            if (sample_weight) d *= sample_weight[i];
            if (scale != 1.0) d *= (real)scale;
            delta[i * cols + k] = d;
        }
    }
}
