/* Inverted dropout on a hidden layer's activations: each unit of each row is
 * kept with probability 1 - rate and then scaled by 1 / (1 - rate), so that
 * the next layer's input keeps its expected value; prediction uses no mask. */
#include <stddef.h>

#include "dropout.h"
#include "kernels.h"
#include "subnormals.h"

/* Drop where the top 53 bits of the element's hash fall below rate * 2^53. */
static inline uint64_t drop_threshold(double rate)
{
    return (uint64_t)(rate * 9007199254740992.0);
}

/* The multiplier of unit j of the row whose stream is row. */
static inline real multiplier(uint64_t row, int64_t j, uint64_t threshold, real scale)
{
    return (fcn_substream(row, (uint64_t)j) >> 11) < threshold ? 0 : scale;
}

/* The row's stream: one per (key, layer, row). */
static inline uint64_t row_stream(uint64_t key, int64_t layer, int64_t i)
{
    return fcn_substream(fcn_substream(key, (uint64_t)layer), (uint64_t)i);
}

/* out = in * M (M itself where in is NULL); out may be in. */
FCN_VECTOR_CLONES
static void multiply_by_mask(real *out, const real *in, uint64_t key, int64_t layer,
                             int64_t rows, int64_t cols, double rate)
{
    const uint64_t threshold = drop_threshold(rate);
    const real scale = (real)(1.0 / (1.0 - rate));
    for (int64_t i = 0; i < rows; i++) {
        const uint64_t row = row_stream(key, layer, i);
        for (int64_t j = 0; j < cols; j++) {
            real m = multiplier(row, j, threshold, scale);
            out[i * cols + j] = in ? in[i * cols + j] * m : m;
        }
    }
}

/* fcn_dropout_mask_f32, fcn_dropout_mask_f64 */
void FCN(fcn_dropout_mask)(real *M, uint64_t key, int64_t layer, int64_t rows, int64_t cols,
                           double rate)
{
    FCN_FLUSH_SUBNORMALS();
    multiply_by_mask(M, NULL, key, layer, rows, cols, rate);
}

/* fcn_dropout_forward_f32, fcn_dropout_forward_f64 */
void FCN(fcn_dropout_forward)(real *A, const real *F, uint64_t key, int64_t layer, int64_t rows,
                              int64_t cols, double rate)
{
    multiply_by_mask(A, F, key, layer, rows, cols, rate);
}

/* fcn_dropout_backward_f32, fcn_dropout_backward_f64 */
void FCN(fcn_dropout_backward)(real *delta, uint64_t key, int64_t layer, int64_t rows,
                               int64_t cols, double rate)
{
    multiply_by_mask(delta, delta, key, layer, rows, cols, rate);
}
