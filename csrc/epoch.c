/* One training epoch over minibatches (fcn_train_epoch): each minibatch's
 * rows gathered, its forward and backward pass (train.c), whole or as two
 * halves side by side, then one optimizer step. */
#include <string.h>

#include "dropout.h"
#include "kernels.h"
#include "subnormals.h"
#include "threads.h"
#include "workspace.h"

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

/* A minibatch as two halves of its rows, side by side on two threads, in
 * one of two ways. A small network's (fcn_minibatch_half): each half gathers
 * its rows and runs forward and backward into gradients of its own, the
 * first half's with the L2 term; then the second's are added to the first's,
 * in order. The team could not split such products profitably (on it,
 * digits' epoch was 30% slower: the next layer found each product's rows in
 * the other core's cache), but a half keeps its rows on one core. A larger
 * network's (fcn_minibatch_row_half): each half gathers its rows and runs
 * the forward pass, loss and delta recursion on its rows of the one
 * workspace, its products on one core; then the team computes every layer's
 * gradient from all the rows, as the whole minibatch would. The halves, and
 * so every sum, are the same for any thread count; on one thread they
 * simply run one after the other. */
typedef struct {
    const fcn_net *net;
    const real *params;
    const fcn_input *batch; /* the minibatch: sparse rows in place, dense ones to gather */
    const real *X_all, *Y_batch, *sw_batch;
    const int64_t *order; /* the minibatch's rows of X */
    real *X_batch;
    int rows_only; /* the halves run fcn_backprop_rows, each with its pack */
    real *grads[2], *workspace[2], *pack[2];
    int64_t half;
    double alpha, weight_sum;
    double loss[2];    /* each half's, as the mean over its rows by their weights */
    double first_seconds, first_end; /* how long the first half ran, when it ended */
    int *solo_batches; /* the epoch's minibatches left to run on the caller alone */
} halves;

/* On a busy machine the worker may lose its core in the middle of its half,
 * and the caller then waits out the scheduler's time slice (milliseconds,
 * for a half of tens of microseconds): beside one busy process on two Xeon
 * cores, digits' epoch took 40 ms where the caller alone takes 29. Where,
 * after the first half, the minibatch waited LATE_FACTOR times as long as
 * that half took, the next SOLO_BATCHES run both halves on the caller: only
 * who runs a half changes, never its sums. (A worker that wakes late is no
 * sign: the caller takes the second half itself if it is still there.) The
 * team has a fallback of its own for every loop (threads.c), from a second
 * wait of 250 us within half a second; this one also catches a half's
 * shorter lateness, the first time. */
#define LATE_FACTOR 3
#define SOLO_BATCHES 64

/* fcn_task: half `which` of the minibatch */
static void half_task(void *context, int64_t which)
{
    halves *h = context;
    const double start = fcn_seconds_now();
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
    const real *Y = h->Y_batch + i0 * n_out, *weights = h->sw_batch;
    if (weights != NULL) weights += i0;
    if (h->rows_only)
        h->loss[which] = FCN(fcn_backprop_rows)(h->workspace[0], h->pack[which], h->params,
                                                h->net, &part, Y, weights, h->batch->rows, i0);
    else
        h->loss[which] = FCN(fcn_backprop)(h->grads[which], h->workspace[which], h->params,
                                           h->net, &part, Y, weights, which ? 0.0 : h->alpha,
                                           h->weight_sum, 1.0, 0);
    if (which == 0) {
        h->first_end = fcn_seconds_now();
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
    const int64_t rows = h->batch->rows;
    if (h->rows_only) { /* the gradient is free until the team computes it */
        h->pack[0] = h->workspace[0] + fcn_backprop_pack_offset(h->net, rows);
        h->pack[1] = h->grads[0];
    } else {
        h->grads[1] = second_half_space;
        h->workspace[1] = second_half_space + n_params;
    }
    const int solo = *h->solo_batches > 0;
    *h->solo_batches -= solo;
    fcn_parallel_for(half_task, h, 2, solo ? 1 : fcn_max_threads());
    if (!solo && fcn_seconds_now() - h->first_end > LATE_FACTOR * h->first_seconds)
        *h->solo_batches = SOLO_BATCHES;
    if (h->rows_only) {
        fcn_input all = *h->batch;
        if (all.indices == NULL) all.values = h->X_batch;
        FCN(fcn_weight_gradients)(h->grads[0], h->workspace[0], h->params, h->net, &all,
                                  h->alpha, h->weight_sum);
    } else {
        add_into(h->grads[0], h->grads[1], n_params);
    }
    const real *sw = h->sw_batch;
    /* a half whose weights are all zero has a mean of 0 / 0 and adds nothing */
    const double first = FCN(fcn_sum_of_weights)(sw, h->half);
    const double second = FCN(fcn_sum_of_weights)(sw != NULL ? sw + h->half : NULL, rows - h->half);
    const double total = (first != 0 ? h->loss[0] * first : 0.0) +
                         (second != 0 ? h->loss[1] * second : 0.0);
    const double loss = total / h->weight_sum;
    return loss + FCN(fcn_l2_penalty)(h->params, h->net, h->weight_sum, h->alpha);
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
        const int64_t whole_halves = fcn_minibatch_half(net, rows);
        const int64_t half = whole_halves > 0 ? whole_halves : fcn_minibatch_row_half(net, rows);
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
                        .X_batch = X_batch, .rows_only = whole_halves == 0,
                        .grads = {grads}, .workspace = {workspace}, .half = half, .alpha = alpha,
                        .weight_sum = FCN(fcn_sum_of_weights)(weights, rows),
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

