/* Sizes, in reals, of the blocks and workspaces callers allocate; -1 when a
 * size does not fit in int64_t (see fcn_size_add). */
#include "workspace.h"

int64_t fcn_param_count(const fcn_net *net)
{
    int64_t total = 0;
    for (int64_t l = 1; l <= net->n_layers; l++) {
        int64_t layer = fcn_size_add(fcn_size_mul(net->units[l - 1], net->units[l]),
                                     net->units[l]);
        total = fcn_size_add(total, layer);
    }
    return total;
}

int64_t fcn_pack_len(int64_t M, int64_t K, int64_t N)
{
    /* all of B in panels, then the A panels of every task for one K block */
    int64_t N_padded = fcn_size_add(N, FCN_PANEL_MAX - 1);
    int64_t M_padded = fcn_size_add(M, FCN_TILE_ROWS_MAX - 1);
    if (N_padded < 0 || M_padded < 0 || K < 0) return -1;
    N_padded = N_padded / FCN_PANEL_MAX * FCN_PANEL_MAX;
    M_padded = M_padded / FCN_TILE_ROWS_MAX * FCN_TILE_ROWS_MAX;
    const int64_t depth = K < FCN_BLOCK_DEPTH_MAX ? K : FCN_BLOCK_DEPTH_MAX;
    return fcn_size_add(fcn_size_mul(K, N_padded), fcn_size_mul(M_padded, depth));
}

int64_t fcn_backprop_workspace_len(const fcn_net *net, int64_t rows)
{
    int64_t layers = fcn_units_between(net, 1, net->n_layers + 1);
    /* with dropout, f(Z[l]) of the hidden layers before the mask, for f' */
    int64_t unmasked = net->dropout > 0 ? fcn_size_mul(rows, fcn_units_between(net, 1, net->n_layers)) : 0;
    return fcn_size_add(fcn_size_add(fcn_size_mul(2, fcn_size_mul(rows, layers)), unmasked),
                        fcn_pack_scratch_len(net, rows, 1));
}

int64_t fcn_epoch_workspace_len(const fcn_net *net, int64_t batch_rows)
{
    /* X, Y and weight of each row */
    int64_t row_len = fcn_size_add(fcn_size_add(net->units[0], net->units[net->n_layers]), 1);
    return fcn_size_add(fcn_backprop_workspace_len(net, batch_rows),
                        fcn_size_mul(batch_rows, row_len));
}

int64_t fcn_predict_workspace_len(const fcn_net *net, int64_t chunk_rows)
{
    return fcn_size_add(fcn_size_mul(chunk_rows, fcn_units_between(net, 1, net->n_layers)),
                        fcn_pack_scratch_len(net, chunk_rows, 0));
}
