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

/* Lanes of the sum of squares: independent partial sums the compiler keeps in
 * one vector register, added up in a fixed order at the end. */
#define SUM_LANES 8

/* 0.5 * alpha * ||W||^2 / n: the L2 term scikit-learn adds to each batch loss. */
FCN_VECTOR_CLONES
static double l2_penalty(const real *params, const fcn_net *net, double n, double alpha)
{
    if (alpha == 0.0) return 0.0;
    const int64_t n_weights = weights_offset(net, net->n_layers + 1);
    double lanes[SUM_LANES] = {0};
    int64_t i = 0;
    for (; i + SUM_LANES <= n_weights; i += SUM_LANES)
        for (int64_t lane = 0; lane < SUM_LANES; lane++)
            lanes[lane] += (double)params[i + lane] * (double)params[i + lane];
    double sum_sq = 0.0;
    for (int64_t lane = 0; lane < SUM_LANES; lane++) sum_sq += lanes[lane];
    for (; i < n_weights; i++) sum_sq += (double)params[i] * (double)params[i];
    return (0.5 * alpha) * sum_sq / n;
}

/* n of the gradient's scaling: the rows, or the sum of their weights. */
static double weight_sum(const real *sample_weight, int64_t rows)
{
    if (sample_weight == NULL) return (double)rows;
    real sum = 0; /* in the block's precision, as numpy's sample_weight.sum() */
    for (int64_t i = 0; i < rows; i++) sum += sample_weight[i];
    return (double)sum;
}

double FCN(fcn_forward_backward)(real *grads, real *workspace, const real *params,
                                 const fcn_net *net, const fcn_input *X, const real *Y,
                                 const real *sample_weight, double alpha, double delta_scale)
{
    const int64_t L = net->n_layers, rows = X->rows;
    const int64_t *units = net->units;
    const int sparse = X->indices != NULL;
    real *A_region = workspace;
    real *delta_region = A_region + rows * fcn_units_between(net, 1, L + 1);
    real *pack = delta_region + rows * fcn_units_between(net, 1, L + 1);
    const double n = weight_sum(sample_weight, rows);

    /* forward: A[l] = f(A[l-1] @ W[l] + b[l]), with A[0] = X */
    const real *A_prev = X->values;
    for (int64_t l = 1; l <= L; l++) {
        real *A = layer_block(A_region, net, rows, l);
        int activation = l == L ? net->output_activation : net->hidden_activation;
        const real *W = params + weights_offset(net, l), *b = params + bias_offset(net, l);
        if (l == 1 && sparse)
            FCN(fcn_csr_forward)(A, X, W, b, units[1], activation);
        else
            FCN(fcn_dense_forward)(A, A_prev, W, b, rows, units[l - 1], units[l], activation,
                                   pack);
        A_prev = A;
    }
    const real *A_L = A_prev;
    double loss = FCN(fcn_loss)(A_L, Y, sample_weight, rows, units[L], net->loss) +
                  l2_penalty(params, net, n, alpha);

    /* backward: delta[L] = A[L] - Y, then layer by layer down to layer 1 */
    FCN(fcn_output_delta)(layer_block(delta_region, net, rows, L), A_L, Y, sample_weight, rows,
                          units[L], delta_scale);
    for (int64_t l = L; l >= 1; l--) {
        real *dW = grads + weights_offset(net, l), *db = grads + bias_offset(net, l);
        const real *W = params + weights_offset(net, l);
        const real *delta = layer_block(delta_region, net, rows, l);
        if (l == 1 && sparse) {
            FCN(fcn_csr_backward)(dW, db, delta, X, W, units[0], units[1], alpha, n);
        } else {
            const real *A_in = l == 1 ? X->values : layer_block(A_region, net, rows, l - 1);
            real *delta_in = l == 1 ? NULL : layer_block(delta_region, net, rows, l - 1);
            FCN(fcn_dense_backward)(dW, db, delta_in, pack, delta, A_in, W, rows, units[l - 1],
                                    units[l], alpha, n, net->hidden_activation);
        }
    }
    return loss;
}

/* Rows gathered ahead: their cache misses overlap the copy of this one. */
#define PREFETCH_ROWS 8
/* Copying is memory-bound: worth a second thread from this many reals on. */
#define PARALLEL_MIN_GATHER 65536

static inline void gather_row(real *dst, const real *src, const int64_t *order, int64_t rows,
                              int64_t cols, int64_t i)
{
#if !FCN_PORTABLE_C && defined(__GNUC__)
    if (i + PREFETCH_ROWS < rows) {
        const char *ahead = (const char *)(src + order[i + PREFETCH_ROWS] * cols);
        for (size_t byte = 0; byte < (size_t)cols * sizeof(real); byte += 64)
            __builtin_prefetch(ahead + byte);
    }
#else
    (void)rows; /* only the prefetch needs it */
#endif
    memcpy(dst + i * cols, src + order[i] * cols, (size_t)cols * sizeof(real));
}

/* Copy the rows order[0 .. rows-1] of src (n x cols) into dst (rows x cols). */
static void gather_rows(real *dst, const real *src, const int64_t *order, int64_t rows,
                        int64_t cols)
{
    if (rows * cols < PARALLEL_MIN_GATHER) {
        for (int64_t i = 0; i < rows; i++) gather_row(dst, src, order, rows, cols, i);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; i++) gather_row(dst, src, order, rows, cols, i);
}

int FCN(fcn_train_epoch)(double *summed_loss, real *params, real *grads, real *state,
                         fcn_optimizer *opt, real *workspace, const fcn_net *net,
                         const fcn_input *X, const real *Y, const real *sample_weight,
                         const int64_t *order, int64_t batch_size, double alpha,
                         fcn_interrupt_check interrupted)
{
    const int64_t L = net->n_layers, n_samples = X->rows;
    const int64_t n_in = net->units[0], n_out = net->units[L];
    const int64_t n_params = param_count(net);
    *summed_loss = 0.0;

    for (int64_t start = 0; start < n_samples; start += batch_size) {
        if (start > 0 && interrupted != NULL && interrupted()) return FCN_EPOCH_INTERRUPTED;
        int64_t rows = n_samples - start < batch_size ? n_samples - start : batch_size;
        /* the gathered batch goes after the pass's own part of the workspace */
        real *X_batch = workspace + fcn_backprop_workspace_len(net, rows);
        real *Y_batch = X_batch + rows * n_in;
        real *sw_batch = Y_batch + rows * n_out;
        fcn_input batch = *X;
        batch.rows = rows;
        if (X->indices != NULL) {
            batch.row_ids = order + start; /* sparse rows are read in place */
        } else {
            gather_rows(X_batch, X->values, order + start, rows, n_in);
            batch.values = X_batch;
        }
        gather_rows(Y_batch, Y, order + start, rows, n_out);
        if (sample_weight != NULL) gather_rows(sw_batch, sample_weight, order + start, rows, 1);

        double batch_loss = FCN(fcn_forward_backward)(
            grads, workspace, params, net, &batch, Y_batch,
            sample_weight != NULL ? sw_batch : NULL, alpha, 1.0);
        *summed_loss += batch_loss * (double)rows;
        FCN(fcn_optimizer_step)(params, state, opt, grads, n_params);
    }
    return FCN_EPOCH_DONE;
}

void FCN(fcn_predict)(real *out, real *workspace, const real *params, const fcn_net *net,
                      const fcn_input *X, int64_t chunk_rows)
{
    const int64_t L = net->n_layers, rows = X->rows;
    const int64_t *units = net->units;
    const int sparse = X->indices != NULL;
    if (chunk_rows > rows) chunk_rows = rows; /* the workspace may be sized for rows only */
    real *pack = workspace + chunk_rows * fcn_units_between(net, 1, L);
    for (int64_t start = 0; start < rows; start += chunk_rows) {
        int64_t n = rows - start < chunk_rows ? rows - start : chunk_rows;
        fcn_input chunk = *X; /* rows start .. start + n of X */
        chunk.rows = n;
        if (sparse)
            chunk.indptr = X->indptr + start;
        else
            chunk.values = (const real *)X->values + start * units[0];
        const real *A_prev = chunk.values;
        for (int64_t l = 1; l <= L; l++) {
            real *A = l == L ? out + start * units[L] : layer_block(workspace, net, n, l);
            int activation = l == L ? net->output_activation : net->hidden_activation;
            const real *W = params + weights_offset(net, l), *b = params + bias_offset(net, l);
            if (l == 1 && sparse)
                FCN(fcn_csr_forward)(A, &chunk, W, b, units[1], activation);
            else
                FCN(fcn_dense_forward)(A, A_prev, W, b, n, units[l - 1], units[l], activation,
                                       pack);
            A_prev = A;
        }
    }
}
