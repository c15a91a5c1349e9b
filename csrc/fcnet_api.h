/* The public kernels and passes in one precision: `FCN_REAL` is float or
 * double and `FCN(name)` appends _f32 or _f64, so that FCN(fcn_loss) declares
 * fcn_loss_f32, then fcn_loss_f64. fcnet.h includes this file once per
 * precision (hence no include guard). Arguments run outputs (scratch and
 * workspaces among them), then inputs, then sizes, then options; every
 * buffer's shape is given in rows x columns. sample_weight may be NULL
 * everywhere: every row then weighs 1. weight_sum is the number of rows, or
 * the sum of their sample weights. */

/* ---- activations.c ---- */

/* A = f(A) in place, from Z. A: (rows x cols); softmax acts on each row. */
void FCN(fcn_activation_forward)(FCN_REAL *A, int64_t rows, int64_t cols, int activation);

/* delta *= f'(Z), with f' written in terms of A = f(Z) as scikit-learn does.
 * delta, A: (rows x cols). */
void FCN(fcn_activation_backward)(FCN_REAL *delta, const FCN_REAL *A, int64_t rows,
                                  int64_t cols, int activation);

/* ---- dense.c ---- */

/* A layer's products called alone, one layer at a time (the bridge): the
 * thread team splits them from fewer multiply-adds than inside a training
 * or prediction pass (kernels.h says why). */

/* A_out = f(A_in @ W + b): the weighted input sums with bias and activation
 * fused into the epilogue.
 * A_out: (rows x fan_out), pack: scratch of fcn_pack_len(rows, fan_in, fan_out)
 * reals, A_in: (rows x fan_in), W: (fan_in x fan_out), b: (fan_out). */
void FCN(fcn_dense_forward)(FCN_REAL *A_out, FCN_REAL *pack, const FCN_REAL *A_in,
                            const FCN_REAL *W, const FCN_REAL *b, int64_t rows, int64_t fan_in,
                            int64_t fan_out, int activation);

/* Backward through one layer:
 *   dW = (A_in.T @ delta + alpha * W) / weight_sum     dW: (fan_in x fan_out)
 *   db = sum over rows of delta / weight_sum           db: (fan_out)
 *   delta_in = (delta @ W.T) * f'(Z_in)          delta_in: (rows x fan_in)
 * delta_in is skipped when NULL (layer 1 has no delta below it); f' is
 * in_activation's derivative, computed from A_in. delta: (rows x fan_out),
 * A_in: (rows x fan_in), pack: scratch of fcn_pack_len(fan_in, rows, fan_out) and
 * fcn_pack_len(rows, fan_out, fan_in) reals. */
void FCN(fcn_dense_backward)(FCN_REAL *dW, FCN_REAL *db, FCN_REAL *delta_in, FCN_REAL *pack,
                             const FCN_REAL *delta, const FCN_REAL *A_in, const FCN_REAL *W,
                             int64_t rows, int64_t fan_in, int64_t fan_out, double alpha,
                             double weight_sum, int in_activation);

/* ---- gemm.c ---- */

/* Make every matrix product use one vector unit's kernels (enum
 * fcn_gemm_kernels; FCN_GEMM_AUTO: the best for each shape), so that tests
 * run each one this CPU has. Returns -1, changing nothing, where the CPU or
 * the build lacks them. Not thread-safe: for tests only. */
int FCN(fcn_gemm_force_kernels)(int which);

/* ---- losses.c ---- */

/* Loss averaged over the rows (weighted by sample_weight), as scikit-learn's
 * LOSS_FUNCTIONS define it (log losses clip A to [eps, 1 - eps]) and, for
 * absolute error, Huber and quantile, as its _loss module does, averaged over
 * the outputs too; no L2 term. loss_parameter: see fcn_net.
 * A, Y: (rows x cols), sample_weight: (rows) */
double FCN(fcn_loss)(const FCN_REAL *A, const FCN_REAL *Y, const FCN_REAL *sample_weight,
                     int64_t rows, int64_t cols, int loss, double loss_parameter);

/* delta[L] = (A - Y) * sample_weight * scale for the canonical pairs; for the
 * other losses weight_sum * d loss / d A times scale (with identity outputs, A = Z[L]):
 * the loss's slope at each output, times sample_weight / cols. scale is 1 in
 * scikit-learn's passes; see fcn_forward_backward for the other. At a kink
 * (A == Y; |A - Y| == epsilon is none) the slope is 0.
 * delta, A, Y: (rows x cols), sample_weight: (rows) */
void FCN(fcn_output_delta)(FCN_REAL *delta, const FCN_REAL *A, const FCN_REAL *Y,
                           const FCN_REAL *sample_weight, int64_t rows, int64_t cols, int loss,
                           double loss_parameter, double scale);

/* ---- dropout.c ---- */

/* Inverted dropout's multipliers for hidden layer `layer` of a batch:
 * M (rows x cols) is 0 with probability rate, else 1 / (1 - rate). Each
 * element is a hash of (key, layer, row, unit) alone, so a mask is the same
 * whatever the thread count or the order of computation. rate in [0, 1). */
void FCN(fcn_dropout_mask)(FCN_REAL *M, uint64_t key, int64_t layer, int64_t rows, int64_t cols,
                           double rate);

/* ---- optimizers.c ---- (all blocks: n_params) */

/* velocity = momentum * velocity - learning_rate * grads;
 * params += velocity, or with Nesterov momentum * velocity - learning_rate * grads */
void FCN(fcn_sgd_update)(FCN_REAL *params, FCN_REAL *velocity, const FCN_REAL *grads,
                         int64_t n_params, double learning_rate, double momentum, int nesterov);

/* m, v: first and second moment estimates; step_rate is Adam's bias-corrected
 * rate learning_rate_init * sqrt(1 - beta_2^t) / (1 - beta_1^t). */
void FCN(fcn_adam_update)(FCN_REAL *params, FCN_REAL *m, FCN_REAL *v, const FCN_REAL *grads,
                          int64_t n_params, double step_rate, double beta_1, double beta_2,
                          double epsilon);

/* ---- train.c ---- */

/* Forward and backward pass of one batch X at the current params.
 * Returns the batch's loss including the L2 term
 * 0.5 * alpha * ||W||^2 / weight_sum, writes grads (n_params), and leaves
 * A[1..L] and delta[1..L] in workspace, at fcn_backprop_A_offset and
 * fcn_backprop_delta_offset. delta_scale multiplies delta[L]: 1
 * follows scikit-learn; 1 / n_outputs with the squared error makes grads the
 * true gradient of the returned loss (scikit-learn's issue #8349). When
 * net->dropout > 0, the masks of the hidden layers are those of dropout_key
 * (see fcn_dropout_mask) and A[l] holds f(Z[l]) * M[l].
 * Y: (X->rows x units[L]), sample_weight: (X->rows),
 * workspace: fcn_backprop_workspace_len(net, X->rows) reals. */
double FCN(fcn_forward_backward)(FCN_REAL *grads, FCN_REAL *workspace, const FCN_REAL *params,
                                 const fcn_net *net, const fcn_input *X, const FCN_REAL *Y,
                                 const FCN_REAL *sample_weight, double alpha, double delta_scale,
                                 uint64_t dropout_key);

/* One epoch of minibatch training: batches of batch_size rows taken from X,
 * Y and sample_weight in the given order (the last batch may be shorter);
 * each one gathered, passed forward and backward (as two halves of its rows
 * where fcn_minibatch_half or fcn_minibatch_row_half says so), and used for
 * one optimizer step. Before each batch but the first it asks interrupted
 * (if not NULL) whether to stop. Writes the sum over the batches done of
 * batch loss * batch rows to summed_loss; returns an enum fcn_status. With
 * dropout, batch b's masks have the key fcn_dropout_key(dropout_seed, epoch,
 * b) (dropout.h): the caller names each epoch of a fit by a number no other
 * epoch has.
 * X: all n_samples = X->rows rows (row_ids NULL), Y: (n_samples x units[L]),
 * sample_weight: (n_samples), order: (n_samples), grads: n_params (scratch
 * until each batch's gradient is written; at the end, the last batch's),
 * state: n_params reals for sgd (velocity), 2 * n_params for adam (m then
 * v), opt->adam_steps advancing with each step;
 * workspace: fcn_epoch_workspace_len(net, min(batch_size, X->rows)) reals. */
int FCN(fcn_train_epoch)(double *summed_loss, FCN_REAL *params, FCN_REAL *grads,
                         FCN_REAL *state, fcn_optimizer *opt, FCN_REAL *workspace,
                         const fcn_net *net, const fcn_input *X, const FCN_REAL *Y,
                         const FCN_REAL *sample_weight, const int64_t *order,
                         int64_t batch_size, double alpha, uint64_t dropout_seed,
                         uint64_t epoch, fcn_interrupt_check interrupted);

/* out = A[L] for every row of X (row_ids NULL), in chunks of chunk_rows rows.
 * Before each chunk but the first it asks interrupted (if not NULL) whether
 * to stop; returns an enum fcn_status. out: (X->rows x units[L]),
 * workspace: fcn_predict_workspace_len(net, chunk_rows) reals. */
int FCN(fcn_predict)(FCN_REAL *out, FCN_REAL *workspace, const FCN_REAL *params,
                     const fcn_net *net, const fcn_input *X, int64_t chunk_rows,
                     fcn_interrupt_check interrupted);
