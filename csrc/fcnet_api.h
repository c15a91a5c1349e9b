/* The kernels in one precision: `FCN_REAL` is float or double and
 * `FCN(name)` appends _f32 or _f64. fcnet.h includes this file once per
 * precision (hence no include guard). Arguments run outputs, then inputs, then
 * sizes; every buffer's shape is given in rows x columns. */

/* ---- activations.c ---- */

/* A = f(Z) in place. A: (rows x cols); softmax acts on each row. */
void FCN(fcn_activation_forward)(FCN_REAL *A, int64_t rows, int64_t cols, int activation);

/* delta *= f'(Z), with f' written in terms of A = f(Z) as scikit-learn does.
 * delta, A: (rows x cols). */
void FCN(fcn_activation_backward)(FCN_REAL *delta, const FCN_REAL *A, int64_t rows,
                                  int64_t cols, int activation);

/* ---- dense.c ---- */

/* A_out = f(A_in @ W + b): the weighted input sums with bias and activation
 * fused into the epilogue.
 * A_out: (rows x fan_out), A_in: (rows x fan_in), W: (fan_in x fan_out), b: (fan_out) */
void FCN(fcn_dense_forward)(FCN_REAL *A_out, const FCN_REAL *A_in, const FCN_REAL *W,
                            const FCN_REAL *b, int64_t rows, int64_t fan_in, int64_t fan_out,
                            int activation);

/* Backward through one layer:
 *   dW = (A_in.T @ delta + alpha * W) / n        dW: (fan_in x fan_out)
 *   db = sum over rows of delta / n              db: (fan_out)
 *   delta_in = (delta @ W.T) * f'(Z_in)          delta_in: (rows x fan_in)
 * delta_in is skipped when NULL (layer 1 has no delta below it); f' is
 * in_activation's derivative, computed from A_in. W_T: scratch of
 * (fan_out x fan_in) reals. delta: (rows x fan_out), A_in: (rows x fan_in). */
void FCN(fcn_dense_backward)(FCN_REAL *dW, FCN_REAL *db, FCN_REAL *delta_in, FCN_REAL *W_T,
                             const FCN_REAL *delta, const FCN_REAL *A_in, const FCN_REAL *W,
                             int64_t rows, int64_t fan_in, int64_t fan_out, double alpha,
                             double n, int in_activation);

/* ---- losses.c ---- */

/* Mean loss over the rows, as scikit-learn's LOSS_FUNCTIONS define it (log
 * losses clip A to [eps, 1 - eps]); no L2 term. A, Y: (rows x cols) */
double FCN(fcn_loss)(const FCN_REAL *A, const FCN_REAL *Y, int64_t rows, int64_t cols, int loss);

/* delta[L] = A[L] - Y. delta, A, Y: (rows x cols) */
void FCN(fcn_output_delta)(FCN_REAL *delta, const FCN_REAL *A, const FCN_REAL *Y, int64_t rows,
                           int64_t cols);

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

/* One update of the solver in opt. state: n_params reals for sgd (velocity),
 * 2 * n_params for adam (m then v). Advances opt->adam_steps. */
void FCN(fcn_optimizer_step)(FCN_REAL *params, FCN_REAL *state, fcn_optimizer *opt,
                             const FCN_REAL *grads, int64_t n_params);

/* ---- train.c ---- */

/* Forward and backward pass of one batch at the current params.
 * Returns the batch's loss including the L2 term 0.5 * alpha * ||W||^2 / rows,
 * writes grads (n_params), and leaves A[1..L] then delta[1..L] at the start of
 * workspace, each (rows x units[l]), back to back.
 * X: (rows x units[0]), Y: (rows x units[L]), workspace: fcn_workspace_len reals. */
double FCN(fcn_forward_backward)(FCN_REAL *grads, FCN_REAL *workspace, const FCN_REAL *params,
                                 const fcn_net *net, const FCN_REAL *X, const FCN_REAL *Y,
                                 int64_t rows, double alpha);

/* One epoch of minibatch training: batches of batch_size rows taken from X
 * and Y in the given order (the last batch may be shorter); each one gathered,
 * passed forward and backward, and used for one optimizer step.
 * Returns the sum over batches of batch loss * batch rows.
 * X: (n_samples x units[0]), Y: (n_samples x units[L]), order: (n_samples),
 * grads: n_params, state: see fcn_optimizer_step,
 * workspace: fcn_workspace_len(net, batch_size) reals. */
double FCN(fcn_train_epoch)(FCN_REAL *params, FCN_REAL *grads, FCN_REAL *state,
                            fcn_optimizer *opt, FCN_REAL *workspace, const fcn_net *net,
                            const FCN_REAL *X, const FCN_REAL *Y, const int64_t *order,
                            int64_t n_samples, int64_t batch_size, double alpha);

/* out = A[L] for every row of X, in chunks of chunk_rows rows.
 * out: (rows x units[L]), X: (rows x units[0]),
 * workspace: fcn_predict_workspace_len(net, chunk_rows) reals. */
void FCN(fcn_predict)(FCN_REAL *out, FCN_REAL *workspace, const FCN_REAL *params,
                      const fcn_net *net, const FCN_REAL *X, int64_t rows, int64_t chunk_rows);
