/* Layout of the core's workspaces, shared by their sizing (workspace.c) and
 * their users (train.c). For a batch of `rows` rows, the backprop workspace
 * holds, back to back:
 *   A[1] .. A[L]          (rows x units[l]) each
 *   delta[1] .. delta[L]  (rows x units[l]) each
 *   F[1] .. F[L-1]        with dropout only: f(Z[l]) before the mask, (rows x units[l]) each
 *   pack                  scratch for one product's packed right-hand matrix
 * and the epoch workspace adds after it the gathered batch:
 *   X_batch, Y_batch      (rows x units[0]), (rows x units[L])
 *   sw_batch              (rows): its sample weights
 * The prediction workspace holds A[1] .. A[L-1] of one chunk, then pack. */
#ifndef FCN_WORKSPACE_H
#define FCN_WORKSPACE_H

#include "fcnet.h"

/* Widest B panel and tallest A panel of any GEMM kernel, and the deepest K
 * block (gemm.c): packs are sized with them. */
#define FCN_PANEL_MAX 32
#define FCN_TILE_ROWS_MAX 24
#define FCN_BLOCK_DEPTH_MAX 512

/* Size arithmetic, checked: -1 stands for a size that is negative or does
 * not fit in int64_t, and every size computed from it is -1 too. */
static inline int64_t fcn_size_add(int64_t a, int64_t b)
{
    int64_t sum;
    if (a < 0 || b < 0) return -1;
#if !FCN_PORTABLE_C && defined(__GNUC__)
    if (__builtin_add_overflow(a, b, &sum)) return -1;
#else
    if (a > INT64_MAX - b) return -1;
    sum = a + b;
#endif
    return sum;
}

static inline int64_t fcn_size_mul(int64_t a, int64_t b)
{
    int64_t product;
    if (a < 0 || b < 0) return -1;
#if !FCN_PORTABLE_C && defined(__GNUC__)
    if (__builtin_mul_overflow(a, b, &product)) return -1;
#else
    if (a != 0 && b > INT64_MAX / a) return -1;
    product = a * b;
#endif
    return product;
}

static inline int64_t fcn_size_max(int64_t a, int64_t b)
{
    if (a < 0 || b < 0) return -1;
    return a > b ? a : b;
}

/* sum of units[l] for l in [first, last) */
static inline int64_t fcn_units_between(const fcn_net *net, int64_t first, int64_t last)
{
    int64_t total = 0;
    for (int64_t l = first; l < last; l++) total = fcn_size_add(total, net->units[l]);
    return total;
}

/* Reals of the pack scratch for the products of batches of rows rows:
 * A[l-1] @ W[l], and with backward A[l-1].T @ delta[l] and delta[l] @ W[l].T. */
static inline int64_t fcn_pack_scratch_len(const fcn_net *net, int64_t rows, int backward)
{
    int64_t largest = 0;
    for (int64_t l = 1; l <= net->n_layers; l++) {
        int64_t fan_in = net->units[l - 1], fan_out = net->units[l];
        largest = fcn_size_max(largest, fcn_pack_len(rows, fan_in, fan_out));
        if (backward)
            largest = fcn_size_max(largest, fcn_size_max(fcn_pack_len(fan_in, rows, fan_out),
                                                         fcn_pack_len(rows, fan_out, fan_in)));
    }
    return largest;
}

#endif /* FCN_WORKSPACE_H */
