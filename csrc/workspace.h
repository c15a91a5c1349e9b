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
 * and, where its minibatches run as two halves (fcn_minibatch_half), the
 * second half's gradients and backprop workspace:
 *   grads                 (n_params)
 *   backprop workspace    of the second half's rows
 * (where only their forward pass and delta recursion do, fcn_minibatch_row_half,
 * the halves share the backprop workspace, and the second half's pack
 * scratch is the gradient, unused until the halves are done).
 * The prediction workspace holds A[1] .. A[L-1] of one chunk, then pack.
 * workspace.c computes every offset and size; fcnet.h declares the public ones. */
#ifndef FCN_WORKSPACE_H
#define FCN_WORKSPACE_H

#include "fcnet.h"

/* Widest B panel and tallest A panel of any GEMM kernel, and the deepest K
 * block (gemm.c): packs are sized with them. */
#define FCN_PANEL_MAX 32
#define FCN_TILE_ROWS_MAX 24
#define FCN_BLOCK_DEPTH_MAX 512
/* Reals of slack in a pack, so that fcn_gemm can start its packs on a cache
 * line whatever the scratch's own alignment (16 reals: 64 bytes or more). */
#define FCN_PACK_ALIGN_SLACK 16

/* Size arithmetic, checked: -1 stands for a size that is negative or does
 * not fit in int64_t, and every size computed from it is -1 too. */
static inline int64_t fcn_size_add(int64_t a, int64_t b)
{
    return a < 0 || b < 0 || a > INT64_MAX - b ? -1 : a + b;
}

static inline int64_t fcn_size_mul(int64_t a, int64_t b)
{
    if (a < 0 || b < 0) return -1;
    if ((a | b) < ((int64_t)1 << 31)) return a * b; /* fits: no division needed */
    return a != 0 && b > INT64_MAX / a ? -1 : a * b;
}

/* Where F[l] (dropout's unmasked f(Z[l]), l < L) and the pack scratch start
 * in a backprop workspace of rows rows. */
int64_t fcn_backprop_F_offset(const fcn_net *net, int64_t rows, int64_t l);
int64_t fcn_backprop_pack_offset(const fcn_net *net, int64_t rows);

/* Where the second half's gradients start in an epoch workspace for batches
 * of batch_rows rows; its backprop workspace follows them. */
int64_t fcn_epoch_half_offset(const fcn_net *net, int64_t batch_rows);

/* Where A[l] (l < L) and the pack scratch start in a prediction workspace of
 * chunk_rows rows. */
int64_t fcn_predict_A_offset(const fcn_net *net, int64_t chunk_rows, int64_t l);
int64_t fcn_predict_pack_offset(const fcn_net *net, int64_t chunk_rows);

#endif /* FCN_WORKSPACE_H */
