/* The stochastic solvers' updates over the flat parameter block, with the
 * arithmetic in the order and precision of scikit-learn's
 * _stochastic_optimizers.py: sgd in the block's precision, adam's step in
 * double (numpy promotes it there through its float64 learning rate). */
#include <math.h>

#include "precision.h"

/* Elementwise updates are worth threads only on large blocks. */
#define PARALLEL_MIN_PARAMS 65536

static inline void sgd_element(real *params, real *velocity, const real *grads, int64_t i,
                               real rate, real mu, int nesterov)
{
    velocity[i] = mu * velocity[i] - rate * grads[i];
    params[i] += nesterov ? mu * velocity[i] - rate * grads[i] : velocity[i];
}

FCN_VECTOR_CLONES
void FCN(fcn_sgd_update)(real *params, real *velocity, const real *grads, int64_t n_params,
                         double learning_rate, double momentum, int nesterov)
{
    const real mu = (real)momentum, rate = (real)learning_rate;
    if (n_params < PARALLEL_MIN_PARAMS) {
        for (int64_t i = 0; i < n_params; i++)
            sgd_element(params, velocity, grads, i, rate, mu, nesterov);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(fcn_max_threads())
    for (int64_t i = 0; i < n_params; i++)
        sgd_element(params, velocity, grads, i, rate, mu, nesterov);
}

typedef struct {
    double step_rate;
    real b1, b2, one_minus_b1, one_minus_b2, eps;
} adam_constants;

static inline void adam_element(real *params, real *m, real *v, const real *grads, int64_t i,
                                const adam_constants *c)
{
    m[i] = c->b1 * m[i] + c->one_minus_b1 * grads[i];
    v[i] = c->b2 * v[i] + c->one_minus_b2 * (grads[i] * grads[i]);
    double update = -c->step_rate * (double)m[i] / (double)(SQRT(v[i]) + c->eps);
    params[i] = (real)((double)params[i] + update);
}

FCN_VECTOR_CLONES
void FCN(fcn_adam_update)(real *params, real *m, real *v, const real *grads, int64_t n_params,
                          double step_rate, double beta_1, double beta_2, double epsilon)
{
    const adam_constants c = {step_rate, (real)beta_1, (real)beta_2, (real)(1.0 - beta_1),
                              (real)(1.0 - beta_2), (real)epsilon};
    if (n_params < PARALLEL_MIN_PARAMS) {
        for (int64_t i = 0; i < n_params; i++) adam_element(params, m, v, grads, i, &c);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(fcn_max_threads())
    for (int64_t i = 0; i < n_params; i++) adam_element(params, m, v, grads, i, &c);
}

void FCN(fcn_optimizer_step)(real *params, real *state, fcn_optimizer *opt, const real *grads,
                             int64_t n_params)
{
    if (opt->solver == FCN_ADAM) {
        double t = (double)++opt->adam_steps;
        double step_rate = opt->learning_rate * sqrt(1.0 - pow(opt->beta_2, t)) /
                           (1.0 - pow(opt->beta_1, t));
        FCN(fcn_adam_update)(params, state, state + n_params, grads, n_params, step_rate,
                             opt->beta_1, opt->beta_2, opt->epsilon);
    } else {
        FCN(fcn_sgd_update)(params, state, grads, n_params, opt->learning_rate, opt->momentum,
                            opt->nesterov);
    }
}
