/* fcnet's C API: the kernels of a fully connected network and its training
 * epoch, in float (names ending _f32) and double (_f64).
 *
 * Notation (the course's, with weights stored as scikit-learn stores them):
 *   layers l = 0 .. L, units[l] nodes each; layer 0 is the input X.
 *   W[l] (units[l-1] x units[l]), b[l] (units[l]) for l = 1 .. L
 *   Z[l] = A[l-1] @ W[l] + b[l]        weighted input sums
 *   A[l] = f(Z[l])                     activations (f_out on layer L)
 *   delta[L] = A[L] - Y                canonical output/loss pairs
 *   delta[l] = (delta[l+1] @ W[l+1].T) * f'(Z[l])
 *   dW[l] = (A[l-1].T @ delta[l] + alpha * W[l]) / n,  db[l] = sum(delta[l]) / n
 *
 * Memory: C allocates nothing. The caller owns every buffer; all matrices are
 * row-major and C-contiguous.
 *
 * The parameter block holds, back to back, W[1] .. W[L] then b[1] .. b[L]
 * (scikit-learn's packing order), n_params = sum(units[l-1]*units[l] + units[l]).
 * A gradient block has the same layout.
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
};

enum fcn_loss {
    FCN_SQUARED_ERROR = 0,   /* 0.5 * mean over samples and outputs of (A - Y)^2 */
    FCN_BINARY_LOG_LOSS = 1, /* logistic outputs: binary and multilabel */
    FCN_LOG_LOSS = 2,        /* softmax outputs: multiclass */
};

/* Shape and functions of one network. */
typedef struct fcn_net {
    int64_t n_layers;       /* L, the number of weight layers */
    const int64_t *units;   /* L + 1 entries: n_features, hidden sizes..., n_outputs */
    int hidden_activation;  /* enum fcn_activation of layers 1 .. L-1 */
    int output_activation;  /* enum fcn_activation of layer L */
    int loss;               /* enum fcn_loss */
} fcn_net;

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

/* Threads an OpenMP loop of the core will use (1 without OpenMP). */
int fcn_max_threads(void);

/* Reals needed by the workspace of fcn_forward_backward / fcn_train_epoch
 * for batches of up to batch_rows rows. */
int64_t fcn_workspace_len(const fcn_net *net, int64_t batch_rows);

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
