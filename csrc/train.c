/* Whole-network passes built from the layer kernels: forward and backward of
 * one batch, one training epoch over minibatches, and prediction. */
#include <string.h>

#include "dropout.h"
#include "precision.h"
#include "threads.h"
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
                                 const real *sample_weight, double alpha, double delta_scale,
                                 uint64_t dropout_key)
{
    const int64_t L = net->n_layers, rows = X->rows;
    const int64_t *units = net->units;
    const int sparse = X->indices != NULL;
    const int dropout = net->dropout > 0;
    real *A_region = workspace;
    real *delta_region = A_region + rows * fcn_units_between(net, 1, L + 1);
    /* with dropout: f(Z[l]) of the hidden layers, before their masks */
    real *F_region = delta_region + rows * fcn_units_between(net, 1, L + 1);
    real *pack = F_region + (dropout ? rows * fcn_units_between(net, 1, L) : 0);
    const double n = weight_sum(sample_weight, rows);

    /* forward: A[l] = f(A[l-1] @ W[l] + b[l]), with A[0] = X (times M[l] with dropout) */
    const real *A_prev = X->values;
    for (int64_t l = 1; l <= L; l++) {
        real *A = layer_block(A_region, net, rows, l);
        const int masked = dropout && l < L;
        real *F = masked ? layer_block(F_region, net, rows, l) : A;
        int activation = l == L ? net->output_activation : net->hidden_activation;
        const real *W = params + weights_offset(net, l), *b = params + bias_offset(net, l);
        if (l == 1 && sparse)
            FCN(fcn_csr_forward)(F, X, W, b, units[1], activation);
        else
            FCN(fcn_dense_forward)(F, A_prev, W, b, rows, units[l - 1], units[l], activation,
                                   pack);
        if (masked) FCN(fcn_dropout_forward)(A, F, dropout_key, l, rows, units[l], net->dropout);
        A_prev = A;
    }
    const real *A_L = A_prev;
    double loss = FCN(fcn_loss)(A_L, Y, sample_weight, rows, units[L], net->loss,
                                net->loss_parameter) +
                  l2_penalty(params, net, n, alpha);

    /* backward: delta[L] = A[L] - Y (or the loss's slope), then layer by layer down to layer 1 */
    FCN(fcn_output_delta)(layer_block(delta_region, net, rows, L), A_L, Y, sample_weight, rows,
                          units[L], net->loss, net->loss_parameter, delta_scale);
    for (int64_t l = L; l >= 1; l--) {
        real *dW = grads + weights_offset(net, l), *db = grads + bias_offset(net, l);
        const real *W = params + weights_offset(net, l);
        const real *delta = layer_block(delta_region, net, rows, l);
        if (l == 1 && sparse) {
            FCN(fcn_csr_backward)(dW, db, delta, X, W, units[0], units[1], alpha, n);
        } else if (dropout && l > 1) {
            /* delta[l-1] = (delta @ W.T) * M[l-1] * f'(Z[l-1]), f' from the unmasked f(Z) */
            const real *A_in = layer_block(A_region, net, rows, l - 1);
            real *delta_in = layer_block(delta_region, net, rows, l - 1);
            FCN(fcn_dense_backward)(dW, db, delta_in, pack, delta, A_in, W, rows, units[l - 1],
                                    units[l], alpha, n, FCN_IDENTITY);
            FCN(fcn_dropout_backward)(delta_in, dropout_key, l - 1, rows, units[l - 1],
                                      net->dropout);
            FCN(fcn_activation_backward)(delta_in, layer_block(F_region, net, rows, l - 1), rows,
                                         units[l - 1], net->hidden_activation);
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
#define GATHER_ROWS_PER_TASK 32

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

typedef struct {
    real *dst;
    const real *src;
    const int64_t *order;
    int64_t rows, cols;
} gather;

/* fcn_task: GATHER_ROWS_PER_TASK rows of a gather */
static void gather_task(void *context, int64_t task)
{
    const gather *g = context;
    const int64_t i1 = fcn_task_end(task, GATHER_ROWS_PER_TASK, g->rows);
    for (int64_t i = task * GATHER_ROWS_PER_TASK; i < i1; i++)
        gather_row(g->dst, g->src, g->order, g->rows, g->cols, i);
}

/* Copy the rows order[0 .. rows-1] of src (n x cols) into dst (rows x cols). */
static void gather_rows(real *dst, const real *src, const int64_t *order, int64_t rows,
                        int64_t cols)
{
    gather g = {dst, src, order, rows, cols};
    fcn_parallel_for(gather_task, &g, (rows + GATHER_ROWS_PER_TASK - 1) / GATHER_ROWS_PER_TASK,
                     fcn_threads_for(rows * cols, PARALLEL_MIN_GATHER));
}

int FCN(fcn_train_epoch)(double *summed_loss, real *params, real *grads, real *state,
                         fcn_optimizer *opt, real *workspace, const fcn_net *net,
                         const fcn_input *X, const real *Y, const real *sample_weight,
                         const int64_t *order, int64_t batch_size, double alpha,
                         uint64_t dropout_seed, uint64_t epoch, fcn_interrupt_check interrupted)
{
    const int64_t L = net->n_layers, n_samples = X->rows;
    const int64_t n_in = net->units[0], n_out = net->units[L];
    const int64_t n_params = fcn_param_count(net);
    *summed_loss = 0.0;

    for (int64_t start = 0, batch_number = 0; start < n_samples;
         start += batch_size, batch_number++) {
        if (start > 0 && interrupted != NULL && interrupted()) return FCN_INTERRUPTED;
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
            sample_weight != NULL ? sw_batch : NULL, alpha, 1.0,
            net->dropout > 0 ? fcn_dropout_key(dropout_seed, epoch, (uint64_t)batch_number) : 0);
        *summed_loss += batch_loss * (double)rows;
        FCN(fcn_optimizer_step)(params, state, opt, grads, n_params);
    }
    return FCN_DONE;
}

int FCN(fcn_predict)(real *out, real *workspace, const real *params, const fcn_net *net,
                     const fcn_input *X, int64_t chunk_rows, fcn_interrupt_check interrupted)
{
    const int64_t L = net->n_layers, rows = X->rows;
    const int64_t *units = net->units;
    const int sparse = X->indices != NULL;
    if (chunk_rows > rows) chunk_rows = rows; /* the workspace may be sized for rows only */
    real *pack = workspace + chunk_rows * fcn_units_between(net, 1, L);
    for (int64_t start = 0; start < rows; start += chunk_rows) {
        if (start > 0 && interrupted != NULL && interrupted()) return FCN_INTERRUPTED;
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
    return FCN_DONE;
}
