/* Whole-network passes built from the layer kernels: forward and backward of
 * one batch, one training epoch over minibatches, and prediction. */
#include <string.h>

#include "precision.h"
#include "workspace.h"

/* Offset of W[l] in the parameter block: W[1] .. W[L] come first. */
static int64_t weights_offset(const fcn_net *net, int64_t l)
{
    int64_t offset = 0;
    for (int64_t m = 1; m < l; m++) offset += net->units[m - 1] * net->units[m];
    return offset;
}

/* Offset of b[l]: the biases follow all the weights. */
static int64_t bias_offset(const fcn_net *net, int64_t l)
{
    return weights_offset(net, net->n_layers + 1) + fcn_units_between(net, 1, l);
}

static int64_t param_count(const fcn_net *net)
{
    return bias_offset(net, net->n_layers + 1);
}

/* Layer l's (rows x units[l]) block in a region holding layers 1, 2, ... back to back. */
static real *layer_block(real *region, const fcn_net *net, int64_t rows, int64_t l)
{
    return region + rows * fcn_units_between(net, 1, l);
}

/* 0.5 * alpha * ||W||^2 / rows: the L2 term scikit-learn adds to each batch loss. */
static double l2_penalty(const real *params, const fcn_net *net, int64_t rows, double alpha)
{
    const int64_t n_weights = weights_offset(net, net->n_layers + 1);
    double sum_sq = 0.0;
    for (int64_t i = 0; i < n_weights; i++)
        sum_sq += (double)params[i] * (double)params[i];
    return (0.5 * alpha) * sum_sq / (double)rows;
}

double FCN(fcn_forward_backward)(real *grads, real *workspace, const real *params,
                                 const fcn_net *net, const real *X, const real *Y, int64_t rows,
                                 double alpha)
{
    const int64_t L = net->n_layers;
    const int64_t *units = net->units;
    real *A_region = workspace;
    real *delta_region = A_region + rows * fcn_units_between(net, 1, L + 1);
    real *W_T = delta_region + rows * fcn_units_between(net, 1, L + 1);

    /* forward: A[l] = f(A[l-1] @ W[l] + b[l]), with A[0] = X */
    const real *A_prev = X;
    for (int64_t l = 1; l <= L; l++) {
        real *A = layer_block(A_region, net, rows, l);
        int activation = l == L ? net->output_activation : net->hidden_activation;
        FCN(fcn_dense_forward)(A, A_prev, params + weights_offset(net, l),
                               params + bias_offset(net, l), rows, units[l - 1], units[l],
                               activation);
        A_prev = A;
    }
    const real *A_L = A_prev;
    double loss = FCN(fcn_loss)(A_L, Y, rows, units[L], net->loss) +
                  l2_penalty(params, net, rows, alpha);

    /* backward: delta[L] = A[L] - Y, then layer by layer down to layer 1 */
    FCN(fcn_output_delta)(layer_block(delta_region, net, rows, L), A_L, Y, rows, units[L]);
    for (int64_t l = L; l >= 1; l--) {
        const real *A_in = l == 1 ? X : layer_block(A_region, net, rows, l - 1);
        real *delta_in = l == 1 ? NULL : layer_block(delta_region, net, rows, l - 1);
        FCN(fcn_dense_backward)(grads + weights_offset(net, l), grads + bias_offset(net, l),
                                delta_in, W_T, layer_block(delta_region, net, rows, l), A_in,
                                params + weights_offset(net, l), rows, units[l - 1], units[l],
                                alpha, (double)rows, net->hidden_activation);
    }
    return loss;
}

/* Copy the rows order[0 .. rows-1] of src (n x cols) into dst (rows x cols). */
static void gather_rows(real *dst, const real *src, const int64_t *order, int64_t rows,
                        int64_t cols)
{
#pragma omp parallel for schedule(static) if (rows * cols >= FCN_PARALLEL_MIN_WORK)
    for (int64_t i = 0; i < rows; i++)
        memcpy(dst + i * cols, src + order[i] * cols, (size_t)cols * sizeof(real));
}

double FCN(fcn_train_epoch)(real *params, real *grads, real *state, fcn_optimizer *opt,
                            real *workspace, const fcn_net *net, const real *X, const real *Y,
                            const int64_t *order, int64_t n_samples, int64_t batch_size,
                            double alpha)
{
    const int64_t L = net->n_layers;
    const int64_t n_in = net->units[0], n_out = net->units[L];
    const int64_t n_params = param_count(net);
    double summed_loss = 0.0;

    for (int64_t start = 0; start < n_samples; start += batch_size) {
        int64_t rows = n_samples - start < batch_size ? n_samples - start : batch_size;
        /* the batch goes after the pass's own part of the workspace */
        real *X_batch = workspace + 2 * rows * fcn_units_between(net, 1, L + 1) +
                        fcn_transpose_len(net);
        real *Y_batch = X_batch + rows * n_in;
        gather_rows(X_batch, X, order + start, rows, n_in);
        gather_rows(Y_batch, Y, order + start, rows, n_out);

        double batch_loss =
            FCN(fcn_forward_backward)(grads, workspace, params, net, X_batch, Y_batch, rows, alpha);
        summed_loss += batch_loss * (double)rows;
        FCN(fcn_optimizer_step)(params, state, opt, grads, n_params);
    }
    return summed_loss;
}

void FCN(fcn_predict)(real *out, real *workspace, const real *params, const fcn_net *net,
                      const real *X, int64_t rows, int64_t chunk_rows)
{
    const int64_t L = net->n_layers;
    const int64_t *units = net->units;
    for (int64_t start = 0; start < rows; start += chunk_rows) {
        int64_t n = rows - start < chunk_rows ? rows - start : chunk_rows;
        const real *A_prev = X + start * units[0];
        for (int64_t l = 1; l <= L; l++) {
            real *A = l == L ? out + start * units[L] : layer_block(workspace, net, n, l);
            int activation = l == L ? net->output_activation : net->hidden_activation;
            FCN(fcn_dense_forward)(A, A_prev, params + weights_offset(net, l),
                                   params + bias_offset(net, l), n, units[l - 1], units[l],
                                   activation);
            A_prev = A;
        }
    }
}
