/* Whole-network passes built from the layer kernels: forward and backward of
 * one batch, one training epoch over minibatches, and prediction. */
#include <string.h>
#include <time.h>

#include "dropout.h"
#include "kernels.h"
#include "subnormals.h"
#include "threads.h"
#include "workspace.h"

/* Lanes of the sum of squares: independent partial sums the compiler keeps in
 * one vector register, added up in a fixed order at the end. */
#define SUM_LANES 8
/* The sum of squares in chunks of at least this many weights, at most this
 * many chunks: the chunks, and so the sum's rounding, depend on the weights'
 * count alone, never on the threads. Serial, it held the team's other thread
 * idle for 2% of a wide epoch (a Xeon's two cores). */
#define SQUARES_MIN_CHUNK 16384
#define SQUARES_MAX_CHUNKS 64
/* Reading weights is memory-bound: worth a second thread from this many on. */
#define PARALLEL_MIN_SQUARES 65536

/* x[0]^2 + ... + x[n-1]^2 in double */
FCN_VECTOR_CLONES
static double sum_of_squares(const real *x, int64_t n)
{
    double lanes[SUM_LANES] = {0};
    int64_t i = 0;
    for (; i + SUM_LANES <= n; i += SUM_LANES)
        for (int64_t lane = 0; lane < SUM_LANES; lane++)
            lanes[lane] += (double)x[i + lane] * (double)x[i + lane];
    double sum = 0.0;
    for (int64_t lane = 0; lane < SUM_LANES; lane++) sum += lanes[lane];
    for (; i < n; i++) sum += (double)x[i] * (double)x[i];
    return sum;
}

typedef struct {
    const real *weights;
    int64_t n_weights, n_chunks;
    double chunk_sums[SQUARES_MAX_CHUNKS];
} squares;

/* fcn_task: one chunk's sum of squares */
static void squares_task(void *context, int64_t chunk)
{
    squares *s = context;
    const int64_t i0 = chunk * s->n_weights / s->n_chunks;
    const int64_t i1 = (chunk + 1) * s->n_weights / s->n_chunks;
    s->chunk_sums[chunk] = sum_of_squares(s->weights + i0, i1 - i0);
}

/* 0.5 * alpha * ||W||^2 / weight_sum: the L2 term scikit-learn adds to each batch loss. */
static double l2_penalty(const real *params, const fcn_net *net, double weight_sum,
                         double alpha)
{
    if (alpha == 0.0) return 0.0;
    squares s = {.weights = params, /* the weights come first, then the biases */
                 .n_weights = fcn_weights_offset(net, net->n_layers + 1)};
    s.n_chunks = (s.n_weights + SQUARES_MIN_CHUNK - 1) / SQUARES_MIN_CHUNK;
    if (s.n_chunks > SQUARES_MAX_CHUNKS) s.n_chunks = SQUARES_MAX_CHUNKS;
    if (s.n_chunks < 1) s.n_chunks = 1;
    fcn_parallel_for(squares_task, &s, s.n_chunks,
                     fcn_threads_for(s.n_weights, PARALLEL_MIN_SQUARES));
    double sum_sq = 0.0;
    for (int64_t chunk = 0; chunk < s.n_chunks; chunk++) sum_sq += s.chunk_sums[chunk];
    return (0.5 * alpha) * sum_sq / weight_sum;
}

/* The divisor of the gradient: the rows, or the sum of their weights. */
static double sum_of_weights(const real *sample_weight, int64_t rows)
{
    if (sample_weight == NULL) return (double)rows;
    /* in order, in the block's precision; numpy's sample_weight.sum(), which
     * scikit-learn uses, sums pairwise, so the two may differ in the last bits */
    real sum = 0;
    for (int64_t i = 0; i < rows; i++) sum += sample_weight[i];
    return (double)sum;
}

/* A_out = f(A_in @ W[l] + b[l]) for the X->rows rows of a pass; layer 1 of a
 * CSR X reads X itself (A_in is then unused). */
static void layer_forward(real *A_out, real *pack, const real *A_in, const real *params,
                          const fcn_net *net, const fcn_input *X, int64_t l)
{
    const int activation = l == net->n_layers ? net->output_activation : net->hidden_activation;
    const real *W = params + fcn_weights_offset(net, l), *b = params + fcn_bias_offset(net, l);
    if (l == 1 && X->indices != NULL)
        FCN(fcn_csr_forward)(A_out, X, W, b, net->units[1], activation);
    else
        FCN(fcn_dense_forward)(A_out, pack, A_in, W, b, X->rows, net->units[l - 1],
                               net->units[l], activation);
}

/* The forward pass of a batch into its backprop workspace:
 *   A[l] = f(A[l-1] @ W[l] + b[l]) for l = 1 .. L, with A[0] = X;
 * with dropout, F[l] = f(Z[l]) and A[l] = F[l] * M[l] on the hidden layers. */
static void forward_layers(real *workspace, const real *params, const fcn_net *net,
                           const fcn_input *X, uint64_t dropout_key)
{
    const int64_t rows = X->rows;
    real *pack = workspace + fcn_backprop_pack_offset(net, rows);
    const real *A_prev = X->values;
    for (int64_t l = 1; l <= net->n_layers; l++) {
        real *A = workspace + fcn_backprop_A_offset(net, rows, l);
        const int masked = net->dropout > 0 && l < net->n_layers;
        real *F = masked ? workspace + fcn_backprop_F_offset(net, rows, l) : A;
        layer_forward(F, pack, A_prev, params, net, X, l);
        if (masked) FCN(fcn_dropout_forward)(A, F, dropout_key, l, rows, net->units[l], net->dropout);
        A_prev = A;
    }
}

/* The backward pass, from delta[L] in the workspace down to layer 1: the
 * delta recursion
 *   delta[l-1] = (delta[l] @ W[l].T) * f'(Z[l-1])   (times M[l-1] with dropout)
 * and each layer's gradient
 *   dW[l] = (A[l-1].T @ delta[l] + alpha * W[l]) / weight_sum,
 *   db[l] = sum(delta[l]) / weight_sum. */
static void backward_layers(real *grads, real *workspace, const real *params,
                            const fcn_net *net, const fcn_input *X, double alpha,
                            double weight_sum, uint64_t dropout_key)
{
    const int64_t rows = X->rows, *units = net->units;
    const int dropout = net->dropout > 0;
    real *pack = workspace + fcn_backprop_pack_offset(net, rows);
    for (int64_t l = net->n_layers; l >= 1; l--) {
        real *dW = grads + fcn_weights_offset(net, l), *db = grads + fcn_bias_offset(net, l);
        const real *W = params + fcn_weights_offset(net, l);
        const real *delta = workspace + fcn_backprop_delta_offset(net, rows, l);
        if (l == 1 && X->indices != NULL) {
            FCN(fcn_csr_backward)(dW, db, delta, X, W, units[0], units[1], alpha, weight_sum);
            continue;
        }
        /* layer 1 has no delta below it */
        const real *A_in = l == 1 ? X->values : workspace + fcn_backprop_A_offset(net, rows, l - 1);
        real *delta_in = l == 1 ? NULL : workspace + fcn_backprop_delta_offset(net, rows, l - 1);
        /* with dropout, f' comes after the mask, from the unmasked F[l-1] */
        FCN(fcn_dense_backward)(dW, db, delta_in, pack, delta, A_in, W, rows, units[l - 1],
                                units[l], alpha, weight_sum,
                                dropout ? FCN_IDENTITY : net->hidden_activation);
        if (dropout && delta_in != NULL) {
            FCN(fcn_dropout_backward)(delta_in, dropout_key, l - 1, rows, units[l - 1],
                                      net->dropout);
            FCN(fcn_activation_backward)(delta_in,
                                         workspace + fcn_backprop_F_offset(net, rows, l - 1),
                                         rows, units[l - 1], net->hidden_activation);
        }
    }
}

/* The forward and backward pass of X's rows into grads; returns their loss
 * without the L2 term (the mean over X's rows). weight_sum divides the
 * gradient: X's own, or its minibatch's when X is half of one. */
static double backprop(real *grads, real *workspace, const real *params, const fcn_net *net,
                       const fcn_input *X, const real *Y, const real *sample_weight,
                       double alpha, double weight_sum, double delta_scale, uint64_t dropout_key)
{
    const int64_t L = net->n_layers, rows = X->rows, n_outputs = net->units[L];
    forward_layers(workspace, params, net, X, dropout_key);
    const real *A_L = workspace + fcn_backprop_A_offset(net, rows, L);
    const double loss = FCN(fcn_loss)(A_L, Y, sample_weight, rows, n_outputs, net->loss,
                                      net->loss_parameter);
    /* delta[L] = A[L] - Y, or the loss's slope */
    FCN(fcn_output_delta)(workspace + fcn_backprop_delta_offset(net, rows, L), A_L, Y,
                          sample_weight, rows, n_outputs, net->loss, net->loss_parameter,
                          delta_scale);
    backward_layers(grads, workspace, params, net, X, alpha, weight_sum, dropout_key);
    return loss;
}

/* fcn_forward_backward_f32, fcn_forward_backward_f64 */
double FCN(fcn_forward_backward)(real *grads, real *workspace, const real *params,
                                 const fcn_net *net, const fcn_input *X, const real *Y,
                                 const real *sample_weight, double alpha, double delta_scale,
                                 uint64_t dropout_key)
{
    FCN_FLUSH_SUBNORMALS();
    const double weight_sum = sum_of_weights(sample_weight, X->rows);
    const double loss = backprop(grads, workspace, params, net, X, Y, sample_weight, alpha,
                                 weight_sum, delta_scale, dropout_key);
    return loss + l2_penalty(params, net, weight_sum, alpha);
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

/* A minibatch of a small network as two halves of its rows, side by side
 * on two threads (fcn_minibatch_half decides): each half gathers its rows
 * and runs forward and backward into gradients of its own, the first
 * half's with the L2 term; then the second's are added to the first's, in
 * order. The team could not split such products profitably (on it, digits'
 * epoch was 30% slower: the next layer found each product's rows in the
 * other core's cache), but a half keeps its rows on one core. The halves,
 * and so every sum, are the same for any thread count; on one thread they
 * simply run one after the other. */
/* On a busy machine the worker may lose its core in the middle of its half,
 * and the caller then waits out the scheduler's time slice (milliseconds,
 * for a half of tens of microseconds): beside one busy process on two Xeon
 * cores, digits' epoch took 40 ms where the caller alone takes 29. Where,
 * after the first half, the minibatch waited LATE_FACTOR times as long as
 * that half took, the next SOLO_BATCHES run both halves on the caller: only
 * who runs a half changes, never its sums. (A worker that wakes late is no
 * sign: the caller takes the second half itself if it is still there.) */
#define LATE_FACTOR 3
#define SOLO_BATCHES 64

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

typedef struct {
    const fcn_net *net;
    const real *params;
    const fcn_input *batch; /* the minibatch: sparse rows in place, dense ones to gather */
    const real *X_all, *Y_batch, *sw_batch;
    const int64_t *order; /* the minibatch's rows of X */
    real *X_batch;
    real *grads[2], *workspace[2];
    int64_t half;
    double alpha, weight_sum;
    double loss[2];    /* each half's, as the mean over its rows by their weights */
    double first_seconds, first_end; /* how long the first half ran, when it ended */
    int *solo_batches; /* the epoch's minibatches left to run on the caller alone */
} halves;

/* fcn_task: half `which` of the minibatch */
static void half_task(void *context, int64_t which)
{
    halves *h = context;
    const double start = seconds_now();
    const int64_t n_in = h->net->units[0], n_out = h->net->units[h->net->n_layers];
    const int64_t i0 = which ? h->half : 0;
    fcn_input part = *h->batch;
    part.rows = which ? h->batch->rows - h->half : h->half;
    if (part.indices != NULL) {
        part.row_ids += i0;
    } else {
        gather_rows(h->X_batch + i0 * n_in, h->X_all, h->order + i0, part.rows, n_in);
        part.values = h->X_batch + i0 * n_in;
    }
    const real *weights = h->sw_batch != NULL ? h->sw_batch + i0 : NULL;
    h->loss[which] = backprop(h->grads[which], h->workspace[which], h->params, h->net, &part,
                              h->Y_batch + i0 * n_out, weights, which ? 0.0 : h->alpha,
                              h->weight_sum, 1.0, 0);
    if (which == 0) {
        h->first_end = seconds_now();
        h->first_seconds = h->first_end - start;
    }
}

/* grads += other, n reals */
FCN_VECTOR_CLONES
static void add_into(real *restrict grads, const real *restrict other, int64_t n)
{
    for (int64_t i = 0; i < n; i++) grads[i] += other[i];
}

/* The minibatch's loss with the L2 term, its gradient in grads: as two
 * halves, on two threads unless the last ones were late. */
static double backprop_halves(halves *h, real *second_half_space, int64_t n_params)
{
    h->grads[1] = second_half_space;
    h->workspace[1] = second_half_space + n_params;
    const int solo = *h->solo_batches > 0;
    *h->solo_batches -= solo;
    fcn_parallel_for(half_task, h, 2, solo ? 1 : fcn_max_threads());
    if (!solo && seconds_now() - h->first_end > LATE_FACTOR * h->first_seconds)
        *h->solo_batches = SOLO_BATCHES;
    add_into(h->grads[0], h->grads[1], n_params);
    const int64_t rows = h->batch->rows;
    const real *sw = h->sw_batch;
    /* a half whose weights are all zero has a mean of 0 / 0 and adds nothing */
    const double first = sum_of_weights(sw, h->half);
    const double second = sum_of_weights(sw != NULL ? sw + h->half : NULL, rows - h->half);
    const double total = (first != 0 ? h->loss[0] * first : 0.0) +
                         (second != 0 ? h->loss[1] * second : 0.0);
    const double loss = total / h->weight_sum;
    return loss + l2_penalty(h->params, h->net, h->weight_sum, h->alpha);
}

/* fcn_train_epoch_f32, fcn_train_epoch_f64 */
int FCN(fcn_train_epoch)(double *summed_loss, real *params, real *grads, real *state,
                         fcn_optimizer *opt, real *workspace, const fcn_net *net,
                         const fcn_input *X, const real *Y, const real *sample_weight,
                         const int64_t *order, int64_t batch_size, double alpha,
                         uint64_t dropout_seed, uint64_t epoch, fcn_interrupt_check interrupted)
{
    FCN_FLUSH_SUBNORMALS();
    const int64_t L = net->n_layers, n_samples = X->rows;
    const int64_t n_in = net->units[0], n_out = net->units[L];
    const int64_t n_params = fcn_param_count(net);
    const int64_t batch_rows = batch_size < n_samples ? batch_size : n_samples; /* sized for */
    real *second_half_space = workspace + fcn_epoch_half_offset(net, batch_rows);
    int solo_batches = 0;
    *summed_loss = 0.0;

    for (int64_t start = 0, batch_number = 0; start < n_samples;
         start += batch_size, batch_number++) {
        if (start > 0 && interrupted != NULL && interrupted()) return FCN_INTERRUPTED;
        int64_t rows = n_samples - start < batch_size ? n_samples - start : batch_size;
        const int64_t half = fcn_minibatch_half(net, rows);
        /* the gathered batch goes after the pass's own part of the workspace */
        real *X_batch = workspace + fcn_backprop_workspace_len(net, rows);
        real *Y_batch = X_batch + rows * n_in;
        real *sw_batch = Y_batch + rows * n_out;
        fcn_input batch = *X;
        batch.rows = rows;
        gather_rows(Y_batch, Y, order + start, rows, n_out);
        if (sample_weight != NULL) gather_rows(sw_batch, sample_weight, order + start, rows, 1);
        const real *weights = sample_weight != NULL ? sw_batch : NULL;
        if (X->indices != NULL) batch.row_ids = order + start; /* sparse rows are read in place */

        double batch_loss;
        if (half > 0) { /* each half gathers its own dense rows */
            halves h = {.net = net, .params = params, .batch = &batch, .X_all = X->values,
                        .Y_batch = Y_batch, .sw_batch = weights, .order = order + start,
                        .X_batch = X_batch, .grads = {grads}, .workspace = {workspace},
                        .half = half, .alpha = alpha,
                        .weight_sum = sum_of_weights(weights, rows),
                        .solo_batches = &solo_batches};
            batch_loss = backprop_halves(&h, second_half_space, n_params);
        } else {
            if (X->indices == NULL) {
                gather_rows(X_batch, X->values, order + start, rows, n_in);
                batch.values = X_batch;
            }
            batch_loss = FCN(fcn_forward_backward)(
                grads, workspace, params, net, &batch, Y_batch, weights, alpha, 1.0,
                net->dropout > 0 ? fcn_dropout_key(dropout_seed, epoch, (uint64_t)batch_number)
                                 : 0);
        }
        *summed_loss += batch_loss * (double)rows;
        FCN(fcn_optimizer_step)(params, state, opt, grads, n_params);
    }
    return FCN_DONE;
}

/* fcn_predict_f32, fcn_predict_f64 */
int FCN(fcn_predict)(real *out, real *workspace, const real *params, const fcn_net *net,
                     const fcn_input *X, int64_t chunk_rows, fcn_interrupt_check interrupted)
{
    FCN_FLUSH_SUBNORMALS();
    const int64_t L = net->n_layers, rows = X->rows, n_inputs = net->units[0];
    if (chunk_rows > rows) chunk_rows = rows; /* the workspace may be sized for rows only */
    real *pack = workspace + fcn_predict_pack_offset(net, chunk_rows);
    for (int64_t start = 0; start < rows; start += chunk_rows) {
        if (start > 0 && interrupted != NULL && interrupted()) return FCN_INTERRUPTED;
        fcn_input chunk = *X; /* rows start .. start + chunk.rows of X */
        chunk.rows = rows - start < chunk_rows ? rows - start : chunk_rows;
        if (X->indices != NULL)
            chunk.indptr = X->indptr + start;
        else
            chunk.values = (const real *)X->values + start * n_inputs;
        const real *A_prev = chunk.values;
        for (int64_t l = 1; l <= L; l++) {
            real *A = l == L ? out + start * net->units[L]
                             : workspace + fcn_predict_A_offset(net, chunk.rows, l);
            layer_forward(A, pack, A_prev, params, net, &chunk, l);
            A_prev = A;
        }
    }
    return FCN_DONE;
}
