/* Workspace sizes, in reals, for the callers that allocate them. */
#include "workspace.h"

int64_t fcn_pack_len(int64_t K, int64_t N)
{
    return K * ((N + FCN_PANEL_MAX - 1) / FCN_PANEL_MAX) * FCN_PANEL_MAX;
}

int64_t fcn_backprop_workspace_len(const fcn_net *net, int64_t rows)
{
    int64_t unmasked = net->dropout > 0 ? rows * fcn_units_between(net, 1, net->n_layers) : 0;
    return 2 * rows * fcn_units_between(net, 1, net->n_layers + 1) + unmasked +
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
