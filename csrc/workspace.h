/* Layout of the training workspaces, shared by their sizing (workspace.c)
 * and their users (train.c). For a batch of `rows` rows, the backprop
 * workspace holds, back to back:
 *   A[1] .. A[L]          (rows x units[l]) each
 *   delta[1] .. delta[L]  (rows x units[l]) each
 *   W_T                   scratch for one transposed W[l], l >= 2
 * and the epoch workspace adds after it the gathered batch:
 *   X_batch, Y_batch      (rows x units[0]), (rows x units[L])
 *   sw_batch              (rows): its sample weights
 * The prediction workspace holds only A[1] .. A[L-1] of one chunk. */
#ifndef FCN_WORKSPACE_H
#define FCN_WORKSPACE_H

#include "fcnet.h"

/* sum of units[l] for l in [first, last) */
static inline int64_t fcn_units_between(const fcn_net *net, int64_t first, int64_t last)
{
    int64_t total = 0;
    for (int64_t l = first; l < last; l++) total += net->units[l];
    return total;
}

/* Reals of the W_T scratch: the largest W[l] with l >= 2. */
static inline int64_t fcn_transpose_len(const fcn_net *net)
{
    int64_t largest = 0;
    for (int64_t l = 2; l <= net->n_layers; l++) {
        int64_t len = net->units[l - 1] * net->units[l];
        if (len > largest) largest = len;
    }
    return largest;
}

#endif /* FCN_WORKSPACE_H */
