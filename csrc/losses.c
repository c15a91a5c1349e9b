/* The losses of scikit-learn's LOSS_FUNCTIONS and the output delta of the
 * canonical output/loss pairs (identity + squared error, logistic + binary
 * log-loss, softmax + log-loss), for which d loss / d Z[L] = A[L] - Y. */
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

/* y * log(p), and 0 where y == 0 (scipy's xlogy) */
static inline double xlogy(real y, real p)
{
    return y == 0 ? 0.0 : (double)y * log((double)p);
}

double FCN(fcn_loss)(const real *A, const real *Y, int64_t rows, int64_t cols, int loss)
{
    int64_t n = rows * cols;
    double total = 0.0;
    switch (loss) {
    case FCN_BINARY_LOG_LOSS: /* summed over outputs, averaged over rows */
        for (int64_t i = 0; i < n; i++) {
            real p = clip_probability(A[i]);
            total -= xlogy(Y[i], p) + xlogy(1 - Y[i], 1 - p);
        }
        return total / (double)rows;
    case FCN_LOG_LOSS:
        for (int64_t i = 0; i < n; i++) total -= xlogy(Y[i], clip_probability(A[i]));
        return total / (double)rows;
    default: /* FCN_SQUARED_ERROR: half the mean over rows and outputs */
        for (int64_t i = 0; i < n; i++) {
            double diff = (double)(Y[i] - A[i]);
            total += diff * diff;
        }
        return 0.5 * total / (double)n;
    }
}

void FCN(fcn_output_delta)(real *delta, const real *A, const real *Y, int64_t rows, int64_t cols)
{
    for (int64_t i = 0; i < rows * cols; i++) delta[i] = A[i] - Y[i];
}
