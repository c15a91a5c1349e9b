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

/* Widest panel of any GEMM kernel, in reals (gemm.c): packs are sized with it. */
#define FCN_PANEL_MAX 32

/* sum of units[l] for l in [first, last) */
static inline int64_t fcn_units_between(const fcn_net *net, int64_t first, int64_t last)
{
    int64_t total = 0;
    for (int64_t l = first; l < last; l++) total += net->units[l];
    return total;
}

static inline int64_t fcn_max_i64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Reals of the pack scratch for the products of batches of rows rows: the
 * forward's W[l], and with backward the batch's delta[l] and W[l].T. */
static inline int64_t fcn_pack_scratch_len(const fcn_net *net, int64_t rows, int backward)
{
    int64_t largest = 0;
    for (int64_t l = 1; l <= net->n_layers; l++) {
        int64_t fan_in = net->units[l - 1], fan_out = net->units[l];
        largest = fcn_max_i64(largest, fcn_pack_len(fan_in, fan_out));
        if (backward)
            largest = fcn_max_i64(largest, fcn_max_i64(fcn_pack_len(rows, fan_out),
                                                       fcn_pack_len(fan_out, fan_in)));
    }
    return largest;
}

#endif /* FCN_WORKSPACE_H */
