/* Workspace sizes, in reals, for the callers that allocate them. */
#include "workspace.h"

int64_t fcn_workspace_len(const fcn_net *net, int64_t batch_rows)
{
    int64_t L = net->n_layers;
    int64_t layer_rows = fcn_units_between(net, 1, L + 1);
    return batch_rows * (2 * layer_rows + net->units[0] + net->units[L]) + fcn_transpose_len(net);
}

int64_t fcn_predict_workspace_len(const fcn_net *net, int64_t chunk_rows)
{
    return chunk_rows * fcn_units_between(net, 1, net->n_layers);
}
