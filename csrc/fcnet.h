/* fcnet's C API, what the Python bridge calls: the layout of the parameter
 * block and of the workspaces, the per-layer kernels, and the passes over a
 * whole network (a batch's forward and backward, an epoch, prediction), in
 * float (names ending _f32) and double (_f64). The core's internal kernels
 * are declared in kernels.h.
 *
 * Notation (the course's, with weights stored as scikit-learn stores them):
 *   layers l = 0 .. L, units[l] nodes each; layer 0 is the input X.
 *   W[l] (units[l-1] x units[l]), b[l] (units[l]) for l = 1 .. L
 *   Z[l] = A[l-1] @ W[l] + b[l]        weighted input sums
 *   A[l] = f(Z[l])                     activations (f_out on layer L)
 *   delta[L] = A[L] - Y                canonical output/loss pairs (times the
 *                                      sample weights, when there are some);
 *                                      weight_sum * d loss / d Z[L] for the others
 *   delta[l] = (delta[l+1] @ W[l+1].T) * f'(Z[l])
 * With dropout, training passes multiply each hidden layer's activations by
 * its mask M[l] (0, or 1 / (1 - rate) for the units kept):
 *   A[l] = f(Z[l]) * M[l],  delta[l] = (delta[l+1] @ W[l+1].T) * M[l] * f'(Z[l])
 *   dW[l] = (A[l-1].T @ delta[l] + alpha * W[l]) / weight_sum
 *   db[l] = sum(delta[l]) / weight_sum
 *   where weight_sum is the number of rows, or the sum of their sample weights.
 *
 * Memory: C allocates nothing. The caller owns every buffer; all matrices are
 * row-major and C-contiguous.
 *
 * The parameter block holds, back to back, W[1] .. W[L] then b[1] .. b[L]
 * (scikit-learn's packing order), n_params = sum(units[l-1]*units[l] + units[l]).
 * A gradient block has the same layout. The functions under "Layout" below
 * are its only owner: Python asks them for counts, offsets and sizes.
 *
 * Names: each function of fcnet_api.h exists twice, e.g. fcn_train_epoch_f32
 * and fcn_train_epoch_f64. Its definition is written once, as
 * FCN(fcn_train_epoch) (precision.h), in the file its section of
 * fcnet_api.h names, under a comment naming both symbols.
 */
#ifndef FCNET_H
#define FCNET_H

#include <stdint.h>

enum fcn_activation {
    FCN_IDENTITY = 0,
    FCN_LOGISTIC = 1,
    FCN_TANH = 2,
    FCN_RELU = 3,
    FCN_SOFTMAX = 4, /* output layer only, row-wise */
    FCN_EXP = 5,     /* output layer only: the Poisson log link */
};

enum fcn_loss {
    FCN_SQUARED_ERROR = 0,   /* 0.5 * mean over samples and outputs of (A - Y)^2 */
    FCN_BINARY_LOG_LOSS = 1, /* logistic outputs: binary and multilabel */
    FCN_LOG_LOSS = 2,        /* softmax outputs: multiclass */
    FCN_POISSON = 3,         /* exp outputs: half Poisson deviance, summed over outputs */
    /* identity outputs, averaged over samples and outputs; loss_parameter below */
    FCN_ABSOLUTE_ERROR = 4,  /* |A - Y| */
    FCN_HUBER = 5,           /* 0.5 (A - Y)^2 up to |A - Y| = epsilon, linear beyond */
    FCN_QUANTILE = 6,        /* pinball loss of the quantile q: q (Y - A) or (1 - q) (A - Y) */
};

/* Shape and functions of one network. */
typedef struct fcn_net {
    int64_t n_layers;       /* L, the number of weight layers */
    const int64_t *units;   /* L + 1 entries: n_features, hidden sizes..., n_outputs */
    int hidden_activation;  /* enum fcn_activation of layers 1 .. L-1 */
    int output_activation;  /* enum fcn_activation of layer L */
    int loss;               /* enum fcn_loss */
    double loss_parameter;  /* FCN_HUBER: epsilon; FCN_QUANTILE: q; unused otherwise */
    double dropout;         /* rate of inverted dropout on layers 1 .. L-1 in training
                             * passes, in [0, 1); 0: none */
} fcn_net;

/* The input X of a pass: dense, or CSR when indices is not NULL. values
 * holds reals of the precision of the function it is passed to. */
typedef struct fcn_input {
    const void *values;      /* dense: (rows x n_features) row-major; CSR: the nonzeros */
    const int64_t *indices;  /* CSR: the column of each nonzero; NULL when dense */
    const int64_t *indptr;   /* CSR: where each row of X starts in values */
    const int64_t *row_ids;  /* CSR: the rows of X to read, in order; NULL for 0 .. rows-1 */
    int64_t rows;            /* the number of rows the pass reads */
} fcn_input;

/* Called by the epoch between minibatches and by prediction between chunks;
 * nonzero stops the pass there. */
typedef int (*fcn_interrupt_check)(void);

enum fcn_status { FCN_DONE = 0, FCN_INTERRUPTED = 1 };

enum fcn_solver { FCN_SGD = 0, FCN_ADAM = 1 };

/* Hyperparameters and step count of the stochastic solvers. */
typedef struct fcn_optimizer {
    int solver;            /* enum fcn_solver */
    double learning_rate;  /* sgd: the current rate; adam: learning_rate_init */
    double momentum;       /* sgd */
    int nesterov;          /* sgd: nonzero for Nesterov's momentum */
    double beta_1, beta_2, epsilon; /* adam */
    int64_t adam_steps;    /* adam: updates done so far (in/out) */
} fcn_optimizer;

/* Threads a parallel loop of the core will use: OpenMP's setting (1 without
 * OpenMP), which OMP_NUM_THREADS and threadpoolctl's limits set. */
int fcn_max_threads(void);

/* The matrix products' kernels: the CPU's best for each shape (AUTO), or
 * one vector unit for all (for tests of each). */
enum fcn_gemm_kernels { FCN_GEMM_AUTO = 0, FCN_GEMM_BASELINE = 1, FCN_GEMM_AVX2 = 2,
                        FCN_GEMM_AVX512 = 3 };

/* ---- Layout (workspace.c), in reals, the same in both precisions ----
 * Sizes are -1 when negative or beyond int64_t: a caller must refuse such a
 * network or batch. Layers are numbered l = 1 .. L. */

/* Reals of the parameter block (and of a gradient block): n_params. */
int64_t fcn_param_count(const fcn_net *net);

/* Reals of an optimizer's state for solver (enum fcn_solver): n_params for
 * sgd, 2 * n_params for adam. */
int64_t fcn_optimizer_state_len(const fcn_net *net, int solver);

/* Where W[l] (units[l-1] x units[l]) and b[l] (units[l]) start in the block. */
int64_t fcn_weights_offset(const fcn_net *net, int64_t l);
int64_t fcn_bias_offset(const fcn_net *net, int64_t l);

/* Reals of the scratch of a product C (M x N) = A (M x K) @ B (K x N). */
int64_t fcn_pack_len(int64_t M, int64_t K, int64_t N);

/* Reals needed by the workspace of fcn_forward_backward for up to rows rows. */
int64_t fcn_backprop_workspace_len(const fcn_net *net, int64_t rows);

/* Where A[l] and delta[l], each (rows x units[l]), start in the workspace
 * of fcn_forward_backward after a batch of rows rows. */
int64_t fcn_backprop_A_offset(const fcn_net *net, int64_t rows, int64_t l);
int64_t fcn_backprop_delta_offset(const fcn_net *net, int64_t rows, int64_t l);

/* Reals needed by the workspace of fcn_train_epoch for batches of up to
 * batch_rows rows: a backprop workspace, then room to gather the batch (and
 * the second half's, where minibatches run as halves). */
int64_t fcn_epoch_workspace_len(const fcn_net *net, int64_t batch_rows);

/* Rows of the first half of a minibatch of `rows` rows that fcn_train_epoch
 * runs as two halves side by side, or 0 where it runs whole: a network
 * without dropout whose every product is too small for the team to split,
 * with work enough for two threads. The network and rows alone decide, never
 * the threads, so that results are the same for any thread count. */
int64_t fcn_minibatch_half(const fcn_net *net, int64_t rows);

/* Rows of the first half of a minibatch of `rows` rows whose forward pass,
 * loss and delta recursion fcn_train_epoch runs as two halves side by side,
 * each on its rows of one workspace, before the team computes the weights'
 * gradient from all of them; or 0. For a network without dropout whose
 * products the team splits (fcn_minibatch_half gives 0), where the second
 * half's products have room for their scratch in the gradient, unused until
 * then. The gradient and so every step are those of the whole minibatch,
 * bit for bit; its loss, as the two halves' means combined, may differ in
 * the last bits. The network and rows alone decide. */
int64_t fcn_minibatch_row_half(const fcn_net *net, int64_t rows);

/* Reals needed by the workspace of fcn_predict for chunks of chunk_rows rows. */
int64_t fcn_predict_workspace_len(const fcn_net *net, int64_t chunk_rows);

#define FCN_REAL float
#define FCN(name) name##_f32
#include "fcnet_api.h"
#undef FCN_REAL
#undef FCN

#define FCN_REAL double
#define FCN(name) name##_f64
#include "fcnet_api.h"
#undef FCN_REAL
#undef FCN

#endif /* FCNET_H */
