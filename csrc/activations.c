/* Activation functions f and their derivatives f', row-major (rows x cols).
 * Derivatives are written in terms of A = f(Z), as scikit-learn's DERIVATIVES. */
#include <math.h>

#include "precision.h"
#include "subnormals.h"
#include "vmath.h"

/* Sign-split logistic: exp never overflows and no 1 - tiny cancellation.
 * Both halves are computed and one selected, so that the loop vectorises. */
static inline real logistic(real z)
{
    real e = fcn_exp(-FABS(z));
    real positive = 1 / (1 + e), negative = e / (1 + e);
    return z >= 0 ? positive : negative;
}

/* Max-subtracted softmax of each row, so exp never overflows. The exps of
 * the whole block run in one loop, which vectorises where a row of 10
 * classes would not (half the softmax's time in a digits epoch, on a Xeon). */
static inline void softmax(real *A, int64_t rows, int64_t cols)
{
    for (int64_t r = 0; r < rows; r++) {
        real *a = A + r * cols, max = a[0];
        for (int64_t j = 1; j < cols; j++)
            if (a[j] > max) max = a[j];
        for (int64_t j = 0; j < cols; j++) a[j] -= max;
    }
    for (int64_t i = 0; i < rows * cols; i++) A[i] = fcn_exp(A[i]);
    for (int64_t r = 0; r < rows; r++) {
        real *a = A + r * cols, sum = 0;
        for (int64_t j = 0; j < cols; j++) sum += a[j];
        for (int64_t j = 0; j < cols; j++) a[j] /= sum;
    }
}

/* fcn_activation_forward_f32, fcn_activation_forward_f64 */
FCN_VECTOR_CLONES
void FCN(fcn_activation_forward)(real *A, int64_t rows, int64_t cols, int activation)
{
    FCN_FLUSH_SUBNORMALS();
    int64_t count = rows * cols;
    switch (activation) {
    case FCN_LOGISTIC:
        for (int64_t i = 0; i < count; i++) A[i] = logistic(A[i]);
        break;
    case FCN_TANH:
        for (int64_t i = 0; i < count; i++) A[i] = fcn_tanh(A[i]);
        break;
    case FCN_RELU:
        /* keeps NaN, as numpy's maximum(Z, 0) does */
        for (int64_t i = 0; i < count; i++) A[i] = A[i] < 0 ? 0 : A[i];
        break;
    case FCN_SOFTMAX:
        softmax(A, rows, cols);
        break;
    case FCN_EXP:
        for (int64_t i = 0; i < count; i++) A[i] = fcn_exp(A[i]);
        break;
    default: /* FCN_IDENTITY */
        break;
    }
}

/* fcn_activation_backward_f32, fcn_activation_backward_f64 */
FCN_VECTOR_CLONES
void FCN(fcn_activation_backward)(real *delta, const real *A, int64_t rows, int64_t cols,
                                  int activation)
{
    FCN_FLUSH_SUBNORMALS();
    int64_t count = rows * cols;
    switch (activation) {
    case FCN_LOGISTIC: /* f' = A (1 - A) */
        for (int64_t i = 0; i < count; i++) delta[i] = delta[i] * A[i] * (1 - A[i]);
        break;
    case FCN_TANH: /* f' = 1 - A^2 */
        for (int64_t i = 0; i < count; i++) delta[i] *= 1 - A[i] * A[i];
        break;
    case FCN_RELU: /* f' = 0 where A == 0, else 1; a select, not a branch the
                    * CPU would mispredict on half the units */
        for (int64_t i = 0; i < count; i++) delta[i] = A[i] == 0 ? 0 : delta[i];
        break;
    default: /* FCN_IDENTITY: f' = 1 */
        break;
    }
}
