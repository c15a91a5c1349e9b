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

int64_t fcn_pack_len(int64_t K, int64_t N)
{
    int64_t N_padded = fcn_size_add(N, FCN_PANEL_MAX - 1);
    if (N_padded < 0) return -1;
    return fcn_size_mul(K, N_padded / FCN_PANEL_MAX * FCN_PANEL_MAX);
}

int64_t fcn_backprop_workspace_len(const fcn_net *net, int64_t rows)
{
    int64_t layers = fcn_units_between(net, 1, net->n_layers + 1);
    return fcn_size_add(fcn_size_mul(2, fcn_size_mul(rows, layers)),
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
