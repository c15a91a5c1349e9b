/* Workspace sizes, in reals, for the callers that allocate them. */
#include "workspace.h"

int64_t fcn_pack_len(int64_t M, int64_t K, int64_t N)
{
    /* all of B in panels, then the A panels of every task for one K block */
    const int64_t B_panels = K * ((N + FCN_PANEL_MAX - 1) / FCN_PANEL_MAX) * FCN_PANEL_MAX;
    const int64_t depth = K < FCN_BLOCK_DEPTH_MAX ? K : FCN_BLOCK_DEPTH_MAX;
    const int64_t A_panels =
        (M + FCN_TILE_ROWS_MAX - 1) / FCN_TILE_ROWS_MAX * FCN_TILE_ROWS_MAX * depth;
    return B_panels + A_panels;
}

int64_t fcn_backprop_workspace_len(const fcn_net *net, int64_t rows)
{
    return 2 * rows * fcn_units_between(net, 1, net->n_layers + 1) +
           fcn_pack_scratch_len(net, rows, 1);
}

int64_t fcn_epoch_workspace_len(const fcn_net *net, int64_t batch_rows)
{
    /* X, Y and weight of each row */
    int64_t row_len = net->units[0] + net->units[net->n_layers] + 1;
    return fcn_backprop_workspace_len(net, batch_rows) + batch_rows * row_len;
}

int64_t fcn_predict_workspace_len(const fcn_net *net, int64_t chunk_rows)
{
    return chunk_rows * fcn_units_between(net, 1, net->n_layers) +
           fcn_pack_scratch_len(net, chunk_rows, 0);
}
