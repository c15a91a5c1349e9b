/* Whole-network passes built from the layer kernels: forward and backward of
 * one batch, its L2 term, and prediction (epoch.c trains on them). */
#include <stddef.h>

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

/* fcn_l2_penalty_f32, fcn_l2_penalty_f64 */
double FCN(fcn_l2_penalty)(const real *params, const fcn_net *net, double weight_sum,
                           double alpha)
{
    if (alpha == 0.0) return 0.0;
    squares s = {.weights = params, /* the weights come first, then the biases */
                 .n_weights = fcn_weights_offset(net, net->n_layers + 1)};
    s.n_chunks = (s.n_weights + SQUARES_MIN_CHUNK - 1) / SQUARES_MIN_CHUNK; /* >= 1 weight */
    if (s.n_chunks > SQUARES_MAX_CHUNKS) s.n_chunks = SQUARES_MAX_CHUNKS;
    fcn_parallel_for(squares_task, &s, s.n_chunks,
                     fcn_threads_for(s.n_weights, PARALLEL_MIN_SQUARES));
    double sum_sq = 0.0;
    for (int64_t chunk = 0; chunk < s.n_chunks; chunk++) sum_sq += s.chunk_sums[chunk];
    return (0.5 * alpha) * sum_sq / weight_sum;
}

/* fcn_sum_of_weights_f32, fcn_sum_of_weights_f64 */
double FCN(fcn_sum_of_weights)(const real *sample_weight, int64_t rows)
{
    if (sample_weight == NULL) return (double)rows;
    /* in order, in the block's precision; numpy's sample_weight.sum(), which
     * scikit-learn uses, sums pairwise, so the two may differ in the last bits */
    real sum = 0;
    for (int64_t i = 0; i < rows; i++) sum += sample_weight[i];
    return (double)sum;
}

/* Rows [i0, i0 + X->rows) of a batch in a backprop workspace laid out for
 * layout_rows rows: the whole batch (i0 = 0), or a half of it that runs on
 * a thread of its own (epoch.c); pack: the products' scratch. */
typedef struct {
    real *workspace, *pack;
    int64_t layout_rows, i0;
} batch_rows;

static batch_rows whole_batch(real *workspace, const fcn_net *net, int64_t rows)
{
    return (batch_rows){workspace, workspace + fcn_backprop_pack_offset(net, rows), rows, 0};
}

static real *A_of(const batch_rows *b, const fcn_net *net, int64_t l)
{
    return b->workspace + fcn_backprop_A_offset(net, b->layout_rows, l) + b->i0 * net->units[l];
}

static real *delta_of(const batch_rows *b, const fcn_net *net, int64_t l)
{
    return b->workspace + fcn_backprop_delta_offset(net, b->layout_rows, l) +
           b->i0 * net->units[l];
}

static real *F_of(const batch_rows *b, const fcn_net *net, int64_t l)
{
    return b->workspace + fcn_backprop_F_offset(net, b->layout_rows, l) + b->i0 * net->units[l];
}

/* A_out = f(A_in @ W[l] + b[l]) for the X->rows rows of a pass; layer 1 of a
 * CSR X reads X itself (A_in is then unused). A pass's products run on the
 * team from FCN_PARALLEL_MIN_WORK multiply-adds (kernels.h says why). */
static void layer_forward(real *A_out, real *pack, const real *A_in, const real *params,
                          const fcn_net *net, const fcn_input *X, int64_t l)
{
    const int activation = l == net->n_layers ? net->output_activation : net->hidden_activation;
    const real *W = params + fcn_weights_offset(net, l), *b = params + fcn_bias_offset(net, l);
    if (l == 1 && X->indices != NULL)
        FCN(fcn_csr_forward)(A_out, X, W, b, net->units[1], activation);
    else
        FCN(fcn_dense_layer_forward)(A_out, pack, A_in, W, b, X->rows, net->units[l - 1],
                                     net->units[l], activation, FCN_PARALLEL_MIN_WORK);
}

/* The forward pass of X's rows into their rows of the workspace:
 *   A[l] = f(A[l-1] @ W[l] + b[l]) for l = 1 .. L, with A[0] = X;
 * with dropout, F[l] = f(Z[l]) and A[l] = F[l] * M[l] on the hidden layers. */
static void forward_layers(const batch_rows *b, const real *params, const fcn_net *net,
                           const fcn_input *X, uint64_t dropout_key)
{
    const real *A_prev = X->values;
    for (int64_t l = 1; l <= net->n_layers; l++) {
        real *A = A_of(b, net, l);
        const int masked = net->dropout > 0 && l < net->n_layers;
        real *F = masked ? F_of(b, net, l) : A;
        layer_forward(F, b->pack, A_prev, params, net, X, l);
        if (masked)
            FCN(fcn_dropout_forward)(A, F, dropout_key, l, X->rows, net->units[l], net->dropout);
        A_prev = A;
    }
}

/* The forward pass of X's rows, their loss (returned, without the L2 term)
 * and delta[L] = A[L] - Y, or the loss's slope. */
static double forward_and_output_delta(const batch_rows *b, const real *params,
                                       const fcn_net *net, const fcn_input *X, const real *Y,
                                       const real *sample_weight, double delta_scale,
                                       uint64_t dropout_key)
{
    const int64_t L = net->n_layers, n_outputs = net->units[L];
    forward_layers(b, params, net, X, dropout_key);
    const real *A_L = A_of(b, net, L);
    const double loss = FCN(fcn_loss)(A_L, Y, sample_weight, X->rows, n_outputs, net->loss,
                                      net->loss_parameter);
    FCN(fcn_output_delta)(delta_of(b, net, L), A_L, Y, sample_weight, X->rows, n_outputs,
                          net->loss, net->loss_parameter, delta_scale);
    return loss;
}

/* Layer l's gradient from X's rows:
 *   dW[l] = (A[l-1].T @ delta[l] + alpha * W[l]) / weight_sum,
 *   db[l] = sum(delta[l]) / weight_sum. */
static void layer_weight_gradient(real *grads, const batch_rows *b, const real *params,
                                  const fcn_net *net, const fcn_input *X, int64_t l,
                                  double alpha, double weight_sum)
{
    real *dW = grads + fcn_weights_offset(net, l), *db = grads + fcn_bias_offset(net, l);
    const real *W = params + fcn_weights_offset(net, l), *delta = delta_of(b, net, l);
    if (l == 1 && X->indices != NULL) {
        FCN(fcn_csr_backward)(dW, db, delta, X, W, net->units[0], net->units[1], alpha,
                              weight_sum);
        return;
    }
    const real *A_in = l == 1 ? X->values : A_of(b, net, l - 1);
    FCN(fcn_dense_weight_gradient)(dW, db, b->pack, delta, A_in, W, X->rows, net->units[l - 1],
                                   net->units[l], alpha, weight_sum, FCN_PARALLEL_MIN_WORK);
}

/* One step of the delta recursion on X's rows, from layer l >= 2 down:
 *   delta[l-1] = (delta[l] @ W[l].T) * f'(Z[l-1])   (times M[l-1] with dropout) */
static void layer_delta_in(const batch_rows *b, const real *params, const fcn_net *net,
                           const fcn_input *X, int64_t l, uint64_t dropout_key)
{
    const int64_t rows = X->rows, fan_in = net->units[l - 1];
    const int dropout = net->dropout > 0;
    real *delta_in = delta_of(b, net, l - 1);
    /* with dropout, f' comes after the mask, from the unmasked F[l-1] */
    FCN(fcn_dense_delta_in)(delta_in, b->pack, delta_of(b, net, l), A_of(b, net, l - 1),
                            params + fcn_weights_offset(net, l), rows, fan_in, net->units[l],
                            dropout ? FCN_IDENTITY : net->hidden_activation,
                            FCN_PARALLEL_MIN_WORK);
    if (dropout) {
        FCN(fcn_dropout_backward)(delta_in, dropout_key, l - 1, rows, fan_in, net->dropout);
        FCN(fcn_activation_backward)(delta_in, F_of(b, net, l - 1), rows, fan_in,
                                     net->hidden_activation);
    }
}

/* fcn_backprop_f32, fcn_backprop_f64 */
double FCN(fcn_backprop)(real *grads, real *workspace, const real *params, const fcn_net *net,
                         const fcn_input *X, const real *Y, const real *sample_weight,
                         double alpha, double weight_sum, double delta_scale,
                         uint64_t dropout_key)
{
    const batch_rows b = whole_batch(workspace, net, X->rows);
    const double loss = forward_and_output_delta(&b, params, net, X, Y, sample_weight,
                                                 delta_scale, dropout_key);
    /* down from layer L, each layer's gradient while its delta is fresh, then
     * the delta below it (layer 1 has none) */
    for (int64_t l = net->n_layers; l >= 1; l--) {
        layer_weight_gradient(grads, &b, params, net, X, l, alpha, weight_sum);
        if (l > 1) layer_delta_in(&b, params, net, X, l, dropout_key);
    }
    return loss;
}

/* fcn_backprop_rows_f32, fcn_backprop_rows_f64 */
double FCN(fcn_backprop_rows)(real *workspace, real *pack, const real *params,
                              const fcn_net *net, const fcn_input *X, const real *Y,
                              const real *sample_weight, int64_t layout_rows, int64_t i0)
{
    const batch_rows b = {workspace, pack, layout_rows, i0};
    const double loss = forward_and_output_delta(&b, params, net, X, Y, sample_weight, 1.0, 0);
    for (int64_t l = net->n_layers; l >= 2; l--) layer_delta_in(&b, params, net, X, l, 0);
    return loss;
}

/* fcn_weight_gradients_f32, fcn_weight_gradients_f64 */
void FCN(fcn_weight_gradients)(real *grads, real *workspace, const real *params,
                               const fcn_net *net, const fcn_input *X, double alpha,
                               double weight_sum)
{
    const batch_rows b = whole_batch(workspace, net, X->rows);
    for (int64_t l = net->n_layers; l >= 1; l--)
        layer_weight_gradient(grads, &b, params, net, X, l, alpha, weight_sum);
}

/* fcn_forward_backward_f32, fcn_forward_backward_f64 */
double FCN(fcn_forward_backward)(real *grads, real *workspace, const real *params,
                                 const fcn_net *net, const fcn_input *X, const real *Y,
                                 const real *sample_weight, double alpha, double delta_scale,
                                 uint64_t dropout_key)
{
    FCN_FLUSH_SUBNORMALS();
    const double weight_sum = FCN(fcn_sum_of_weights)(sample_weight, X->rows);
    const double loss = FCN(fcn_backprop)(grads, workspace, params, net, X, Y, sample_weight,
                                          alpha, weight_sum, delta_scale, dropout_key);
    return loss + FCN(fcn_l2_penalty)(params, net, weight_sum, alpha);
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
