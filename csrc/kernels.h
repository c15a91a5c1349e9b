/* The core's internal kernels: shared between its source files, in the
 * precision being compiled (precision.h), and not part of the API (fcnet.h),
 * so the bridge never calls them. Arguments run outputs, then inputs, then
 * sizes, then options, as in fcnet_api.h. */
#ifndef FCN_KERNELS_H
#define FCN_KERNELS_H

#include "precision.h"

/* ---- dense.c ---- */

/* The fewest multiply-adds (rows x fan_in x fan_out) from which the thread
 * team splits a layer's product called alone: fcnet_api.h's fcn_dense_forward
 * and fcn_dense_backward, which the bridge calls one layer at a time. Inside
 * a pass over a minibatch or a chunk of rows, train.c gives
 * FCN_PARALLEL_MIN_WORK (threads.h), sixteen times more: there the pass's
 * next steps, on one core, read the rows the team wrote on both (a digits
 * epoch with dropout, which runs its products of 1.3M inside whole
 * minibatches, went from 35 to 42 ms with the team). Measured alone on two
 * Xeon cores, since a small product's team meets once (gemm.c's shares):
 * products of 0.26-0.5M ran 1.1-1.6x faster on the team, mnist's output
 * layer (256, 128, 10) 8.7 -> 5.8 us; those of 0.13M or less 0.9-0.7x. */
#define FCN_ALONE_MIN_WORK (1 << 18)

/* fcn_dense_forward, its product on the team from team_min_work
 * multiply-adds */
void FCN(fcn_dense_layer_forward)(real *A_out, real *pack, const real *A_in, const real *W,
                                  const real *b, int64_t rows, int64_t fan_in, int64_t fan_out,
                                  int activation, int64_t team_min_work);

/* db = sum over rows of delta / weight_sum. db: (fan_out), delta: (rows x fan_out) */
void FCN(fcn_bias_gradient)(real *db, const real *delta, int64_t rows, int64_t fan_out,
                            double weight_sum);

/* fcn_dense_backward's two halves: dW and db, and delta_in (never NULL), apart,
 * for passes that compute them at different times (train.c); their products
 * on the team from team_min_work multiply-adds. */
void FCN(fcn_dense_weight_gradient)(real *dW, real *db, real *pack, const real *delta,
                                    const real *A_in, const real *W, int64_t rows,
                                    int64_t fan_in, int64_t fan_out, double alpha,
                                    double weight_sum, int64_t team_min_work);
void FCN(fcn_dense_delta_in)(real *delta_in, real *pack, const real *delta, const real *A_in,
                             const real *W, int64_t rows, int64_t fan_in, int64_t fan_out,
                             int in_activation, int64_t team_min_work);

/* ---- sparse.c: layer 1 when X is CSR (X->indices != NULL) ---- */

/* A_out = f(X @ W + b) for the rows X reads. A_out: (X->rows x fan_out),
 * W: (fan_in x fan_out), b: (fan_out) */
void FCN(fcn_csr_forward)(real *A_out, const fcn_input *X, const real *W, const real *b,
                          int64_t fan_out, int activation);

/* dW = (X.T @ delta + alpha * W) / weight_sum and db = sum(delta) / weight_sum,
 * for the rows X reads. dW, W: (fan_in x fan_out), db: (fan_out),
 * delta: (X->rows x fan_out) */
void FCN(fcn_csr_backward)(real *dW, real *db, const real *delta, const fcn_input *X,
                           const real *W, int64_t fan_in, int64_t fan_out, double alpha,
                           double weight_sum);

/* ---- dropout.c ---- */

/* A = F * M, with M as fcn_dropout_mask draws it. A, F: (rows x cols) */
void FCN(fcn_dropout_forward)(real *A, const real *F, uint64_t key, int64_t layer, int64_t rows,
                              int64_t cols, double rate);

/* delta *= M, with M as fcn_dropout_mask draws it. delta: (rows x cols) */
void FCN(fcn_dropout_backward)(real *delta, uint64_t key, int64_t layer, int64_t rows,
                               int64_t cols, double rate);

/* ---- train.c: the passes epoch.c trains with ---- */

/* The forward and backward pass of X's rows into grads, as
 * fcn_forward_backward; returns their loss without the L2 term (the mean
 * over X's rows by their weights). weight_sum divides the gradient: X's own,
 * or its minibatch's when X is half of one (epoch.c). */
double FCN(fcn_backprop)(real *grads, real *workspace, const real *params, const fcn_net *net,
                         const fcn_input *X, const real *Y, const real *sample_weight,
                         double alpha, double weight_sum, double delta_scale,
                         uint64_t dropout_key);

/* fcn_backprop in two parts, for a minibatch whose halves run the first side
 * by side (epoch.c). The first, on X's rows [i0, i0 + X->rows) of a
 * workspace laid out for layout_rows rows: the forward pass, delta[L] and the
 * delta recursion down to delta[1], no dropout; returns the rows' loss as
 * fcn_backprop does. pack: scratch for the products of X->rows rows. */
double FCN(fcn_backprop_rows)(real *workspace, real *pack, const real *params,
                              const fcn_net *net, const fcn_input *X, const real *Y,
                              const real *sample_weight, int64_t layout_rows, int64_t i0);

/* The second, on all of X's rows: every layer's dW and db into grads. */
void FCN(fcn_weight_gradients)(real *grads, real *workspace, const real *params,
                               const fcn_net *net, const fcn_input *X, double alpha,
                               double weight_sum);

/* 0.5 * alpha * ||W||^2 / weight_sum: the L2 term scikit-learn adds to each batch loss. */
double FCN(fcn_l2_penalty)(const real *params, const fcn_net *net, double weight_sum,
                           double alpha);

/* The divisor of the gradient: the rows, or the sum of their weights (in order). */
double FCN(fcn_sum_of_weights)(const real *sample_weight, int64_t rows);

/* ---- optimizers.c ---- */

/* One update of the solver in opt. state: n_params reals for sgd (velocity),
 * 2 * n_params for adam (m then v). Advances opt->adam_steps. */
void FCN(fcn_optimizer_step)(real *params, real *state, fcn_optimizer *opt, const real *grads,
                             int64_t n_params);

#endif /* FCN_KERNELS_H */
