/* The layout of the parameter block and of the workspaces callers allocate
 * (workspace.h draws them): every count, offset and size, in reals; -1 for a
 * size that does not fit in int64_t (see fcn_size_add). Python asks these
 * functions through the bridge instead of recomputing them. */
#include "threads.h"
#include "workspace.h"

static int64_t size_max(int64_t a, int64_t b)
{
    return a < 0 || b < 0 ? -1 : a > b ? a : b;
}

/* sum of units[l] for l in [first, last) */
static int64_t units_between(const fcn_net *net, int64_t first, int64_t last)
{
    int64_t total = 0;
    for (int64_t l = first; l < last; l++) total = fcn_size_add(total, net->units[l]);
    return total;
}

/* Reals of layers 1 .. l-1 of a region holding (rows x units[m]) per layer
 * m, back to back: where layer l starts in it. */
static int64_t layers_before(const fcn_net *net, int64_t rows, int64_t l)
{
    return fcn_size_mul(rows, units_between(net, 1, l));
}

/* ---- the parameter block: W[1] .. W[L], then b[1] .. b[L] ---- */

int64_t fcn_weights_offset(const fcn_net *net, int64_t l)
{
    int64_t offset = 0;
    for (int64_t m = 1; m < l; m++)
        offset = fcn_size_add(offset, fcn_size_mul(net->units[m - 1], net->units[m]));
    return offset;
}

int64_t fcn_bias_offset(const fcn_net *net, int64_t l)
{
    return fcn_size_add(fcn_weights_offset(net, net->n_layers + 1), units_between(net, 1, l));
}

int64_t fcn_param_count(const fcn_net *net)
{
    return fcn_bias_offset(net, net->n_layers + 1); /* where a b[L + 1] would start */
}

int64_t fcn_optimizer_state_len(const fcn_net *net, int solver)
{
    /* sgd: the velocity; adam: the first moments, then the second */
    return fcn_size_mul(fcn_param_count(net), solver == FCN_ADAM ? 2 : 1);
}

/* ---- the products' scratch ---- */

int64_t fcn_pack_len(int64_t M, int64_t K, int64_t N)
{
    /* one K block of B in panels, then the A panels of every task for it,
     * and a tile of rows more (gemm.c's shares: a copy of B per thread and
     * the last rows' A panel, or a packed A's panel per share, which then
     * fit where C has as many rows as columns), from the first cache line
     * of the scratch */
    int64_t N_padded = fcn_size_add(N, FCN_PANEL_MAX - 1);
    int64_t M_padded = fcn_size_add(M, FCN_TILE_ROWS_MAX - 1);
    if (N_padded < 0 || M_padded < 0 || K < 0) return -1;
    N_padded = N_padded / FCN_PANEL_MAX * FCN_PANEL_MAX;
    M_padded = M_padded / FCN_TILE_ROWS_MAX * FCN_TILE_ROWS_MAX;
    const int64_t depth = K < FCN_BLOCK_DEPTH_MAX ? K : FCN_BLOCK_DEPTH_MAX;
    const int64_t rows = fcn_size_add(M_padded, FCN_TILE_ROWS_MAX);
    return fcn_size_add(fcn_size_mul(depth, fcn_size_add(N_padded, rows)), FCN_PACK_ALIGN_SLACK);
}

/* The products a pack scratch serves, per layer l */
enum {
    FORWARD = 1,          /* A[l-1] @ W[l] */
    DELTAS = 2,           /* delta[l] @ W[l].T, for l > 1 (layer 1 has no delta below it) */
    WEIGHT_GRADIENTS = 4, /* A[l-1].T @ delta[l] */
};

/* Reals of the pack scratch for the given products of batches of rows rows */
static int64_t pack_scratch_len(const fcn_net *net, int64_t rows, int products)
{
    int64_t largest = 0;
    for (int64_t l = 1; l <= net->n_layers; l++) {
        const int64_t fan_in = net->units[l - 1], fan_out = net->units[l];
        if (products & FORWARD)
            largest = size_max(largest, fcn_pack_len(rows, fan_in, fan_out));
        if (products & WEIGHT_GRADIENTS)
            largest = size_max(largest, fcn_pack_len(fan_in, rows, fan_out));
        if ((products & DELTAS) && l > 1)
            largest = size_max(largest, fcn_pack_len(rows, fan_out, fan_in));
    }
    return largest;
}

/* ---- the backprop workspace: A, delta, (F,) pack ---- */

int64_t fcn_backprop_A_offset(const fcn_net *net, int64_t rows, int64_t l)
{
    return layers_before(net, rows, l);
}

int64_t fcn_backprop_delta_offset(const fcn_net *net, int64_t rows, int64_t l)
{
    return fcn_size_add(fcn_backprop_A_offset(net, rows, net->n_layers + 1),
                        layers_before(net, rows, l));
}

int64_t fcn_backprop_F_offset(const fcn_net *net, int64_t rows, int64_t l)
{
    return fcn_size_add(fcn_backprop_delta_offset(net, rows, net->n_layers + 1),
                        layers_before(net, rows, l));
}

int64_t fcn_backprop_pack_offset(const fcn_net *net, int64_t rows)
{
    /* F holds the hidden layers 1 .. L-1, and only with dropout */
    return net->dropout > 0 ? fcn_backprop_F_offset(net, rows, net->n_layers)
                            : fcn_backprop_F_offset(net, rows, 1);
}

int64_t fcn_backprop_workspace_len(const fcn_net *net, int64_t rows)
{
    return fcn_size_add(fcn_backprop_pack_offset(net, rows),
                        pack_scratch_len(net, rows, FORWARD | DELTAS | WEIGHT_GRADIENTS));
}

/* ---- the epoch workspace: a backprop workspace, the gathered batch, the second half ---- */

/* Halves of fewer rows leave too little to each thread; below this many
 * multiply-adds a minibatch is quicker whole on one thread. */
#define HALF_MIN_ROWS 32
#define SPLIT_MIN_WORK (1 << 19)

/* The most multiply-adds of one layer's weights: fan_in x fan_out */
static int64_t largest_layer(const fcn_net *net)
{
    int64_t largest = 0;
    for (int64_t l = 1; l <= net->n_layers; l++)
        largest = size_max(largest, fcn_size_mul(net->units[l - 1], net->units[l]));
    return largest;
}

/* Whether the team splits the largest of a batch's products (train.c's
 * passes split from FCN_PARALLEL_MIN_WORK) */
static int team_splits_products(const fcn_net *net, int64_t rows)
{
    const int64_t largest_product = fcn_size_mul(rows, largest_layer(net));
    return largest_product < 0 || largest_product >= FCN_PARALLEL_MIN_WORK;
}

int64_t fcn_minibatch_half(const fcn_net *net, int64_t rows)
{
    const int64_t n_weights = fcn_weights_offset(net, net->n_layers + 1);
    const int64_t work = fcn_size_mul(rows, n_weights);
    if (net->dropout > 0 || rows < 2 * HALF_MIN_ROWS || team_splits_products(net, rows) ||
        (work >= 0 && work < SPLIT_MIN_WORK))
        return 0;
    return rows / 2;
}

int64_t fcn_minibatch_row_half(const fcn_net *net, int64_t rows)
{
    if (net->dropout > 0 || rows < 2 * HALF_MIN_ROWS || !team_splits_products(net, rows))
        return 0;
    /* the second half's products: forward and deltas */
    const int64_t pack_len = pack_scratch_len(net, rows - rows / 2, FORWARD | DELTAS);
    return pack_len >= 0 && pack_len <= fcn_param_count(net) ? rows / 2 : 0;
}

/* The most rows of a minibatch of at most batch_rows that runs as halves, or
 * 0: the halves need more work than some rows give, and products smaller
 * than the team's threshold, so the largest such rows is where the products
 * reach it, or batch_rows. */
static int64_t most_halved_rows(const fcn_net *net, int64_t batch_rows)
{
    const int64_t largest = largest_layer(net);
    int64_t rows = largest > 0 ? (FCN_PARALLEL_MIN_WORK - 1) / largest : batch_rows;
    rows = rows < batch_rows ? rows : batch_rows;
    return fcn_minibatch_half(net, rows) > 0 ? rows : 0;
}

int64_t fcn_epoch_half_offset(const fcn_net *net, int64_t batch_rows)
{
    /* X, Y and weight of each row */
    int64_t row_len = fcn_size_add(fcn_size_add(net->units[0], net->units[net->n_layers]), 1);
    return fcn_size_add(fcn_backprop_workspace_len(net, batch_rows),
                        fcn_size_mul(batch_rows, row_len));
}

int64_t fcn_epoch_workspace_len(const fcn_net *net, int64_t batch_rows)
{
    const int64_t halved = most_halved_rows(net, batch_rows);
    int64_t len = fcn_epoch_half_offset(net, batch_rows);
    if (halved == 0) return len;
    len = fcn_size_add(len, fcn_param_count(net));
    return fcn_size_add(len, fcn_backprop_workspace_len(net, halved - halved / 2));
}

/* ---- the prediction workspace: A[1] .. A[L-1] of a chunk, pack ---- */

int64_t fcn_predict_A_offset(const fcn_net *net, int64_t chunk_rows, int64_t l)
{
    return layers_before(net, chunk_rows, l);
}

int64_t fcn_predict_pack_offset(const fcn_net *net, int64_t chunk_rows)
{
    return fcn_predict_A_offset(net, chunk_rows, net->n_layers);
}

int64_t fcn_predict_workspace_len(const fcn_net *net, int64_t chunk_rows)
{
    return fcn_size_add(fcn_predict_pack_offset(net, chunk_rows),
                        pack_scratch_len(net, chunk_rows, FORWARD));
}
