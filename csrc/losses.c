/* The losses of scikit-learn's LOSS_FUNCTIONS and the output delta of the
 * canonical output/loss pairs (identity + squared error, logistic + binary
 * log-loss, softmax + log-loss, exp + Poisson deviance), for which
 * d loss / d Z[L] = A[L] - Y. */
#include <float.h>
#include <math.h>

#include "precision.h"

#if FCN_DOUBLE
#define EPS DBL_EPSILON
#else
#define EPS FLT_EPSILON
#endif

/* Probabilities are clipped to [eps, 1 - eps] before any log, as sklearn does. */
static inline real clip_probability(real p)
{
    if (p < (real)EPS) return (real)EPS;
    if (p > 1 - (real)EPS) return 1 - (real)EPS;
    return p;
}

/* y * log(x), and 0 where y == 0 (scipy's xlogy) */
static inline double xlogy(double y, double x)
{
    return y == 0 ? 0.0 : y * log(x);
}

/* The loss of one row, summed over its cols outputs. */
static double row_loss(const real *a, const real *y, int64_t cols, int loss)
{
    double total = 0.0;
    for (int64_t k = 0; k < cols; k++) {
        switch (loss) {
        case FCN_BINARY_LOG_LOSS: {
            real p = clip_probability(a[k]);
            total -= xlogy(y[k], p) + xlogy(1 - y[k], 1 - p);
            break;
        }
        case FCN_LOG_LOSS:
            total -= xlogy(y[k], clip_probability(a[k]));
            break;
        case FCN_POISSON: /* y log(y / a) - y + a */
            total += xlogy(y[k], (double)y[k] / (double)a[k]) - y[k] + a[k];
            break;
        default: { /* FCN_SQUARED_ERROR: halved below */
            double diff = (double)(y[k] - a[k]);
            total += diff * diff;
        }
        }
    }
    return total;
}

double FCN(fcn_loss)(const real *A, const real *Y, const real *sample_weight, int64_t rows,
                     int64_t cols, int loss)
{
    double total = 0.0, weight_sum = 0.0;
    for (int64_t i = 0; i < rows; i++) {
        double w = sample_weight ? (double)sample_weight[i] : 1.0;
        total += w * row_loss(A + i * cols, Y + i * cols, cols, loss);
        weight_sum += w;
    }
    double mean = total / weight_sum;
    /* the squared error is half the mean over outputs too; the others sum them */
    return loss == FCN_SQUARED_ERROR ? 0.5 * mean / (double)cols : mean;
}

void FCN(fcn_output_delta)(real *delta, const real *A, const real *Y, const real *sample_weight,
                           int64_t rows, int64_t cols, double scale)
{
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t k = 0; k < cols; k++) {
            real d = A[i * cols + k] - Y[i * cols + k];
            if (sample_weight) d *= sample_weight[i];
            if (scale != 1.0) d *= (real)scale;
            delta[i * cols + k] = d;
        }
    }
}
