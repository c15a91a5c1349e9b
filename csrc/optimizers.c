/* The stochastic solvers' updates over the flat parameter block, with the
 * arithmetic in the order and precision of scikit-learn's
 * _stochastic_optimizers.py: sgd in the block's precision, adam's step in
 * double (numpy promotes it there through its float64 learning rate). */
#include <math.h>

#include "kernels.h"
#include "subnormals.h"
#include "threads.h"

/* Elementwise updates are worth threads only on large blocks, in chunks of
 * this many parameters. */
#define PARALLEL_MIN_PARAMS 65536
#define PARAMS_PER_TASK 16384

typedef struct {
    real *params, *velocity, *m, *v; /* sgd: velocity; adam: m and v */
    const real *grads;
    int64_t n_params;
    double step_rate; /* adam: the bias-corrected rate */
    real rate, mu;    /* sgd */
    int nesterov;
    real b1, b2, one_minus_b1, one_minus_b2, eps; /* adam */
} update;

FCN_VECTOR_CLONES
static void sgd_range(const update *u, int64_t i0, int64_t i1)
{
    real *restrict params = u->params, *restrict velocity = u->velocity;
    const real *restrict grads = u->grads;
    for (int64_t i = i0; i < i1; i++) {
        velocity[i] = u->mu * velocity[i] - u->rate * grads[i];
        params[i] += u->nesterov ? u->mu * velocity[i] - u->rate * grads[i] : velocity[i];
    }
}

FCN_VECTOR_CLONES
static void adam_range(const update *u, int64_t i0, int64_t i1)
{
    real *restrict params = u->params, *restrict m = u->m, *restrict v = u->v;
    const real *restrict grads = u->grads;
    for (int64_t i = i0; i < i1; i++) {
        m[i] = u->b1 * m[i] + u->one_minus_b1 * grads[i];
        v[i] = u->b2 * v[i] + u->one_minus_b2 * (grads[i] * grads[i]);
        double step = -u->step_rate * (double)m[i] / (double)(SQRT(v[i]) + u->eps);
        params[i] = (real)((double)params[i] + step);
    }
}

/* fcn_task: one chunk of the block */
static void sgd_task(void *context, int64_t task)
{
    const update *u = context;
    const int64_t i0 = task * PARAMS_PER_TASK;
    sgd_range(u, i0, fcn_task_end(task, PARAMS_PER_TASK, u->n_params));
}

static void adam_task(void *context, int64_t task)
{
    const update *u = context;
    const int64_t i0 = task * PARAMS_PER_TASK;
    adam_range(u, i0, fcn_task_end(task, PARAMS_PER_TASK, u->n_params));
}

static int64_t n_chunks(int64_t n_params) { return (n_params + PARAMS_PER_TASK - 1) / PARAMS_PER_TASK; }

/* fcn_sgd_update_f32, fcn_sgd_update_f64 */
void FCN(fcn_sgd_update)(real *params, real *velocity, const real *grads, int64_t n_params,
                         double learning_rate, double momentum, int nesterov)
{
    FCN_FLUSH_SUBNORMALS();
    update u = {.params = params, .velocity = velocity, .grads = grads, .n_params = n_params,
                .rate = (real)learning_rate, .mu = (real)momentum, .nesterov = nesterov};
    fcn_parallel_for(sgd_task, &u, n_chunks(n_params),
                     fcn_threads_for(n_params, PARALLEL_MIN_PARAMS));
}

/* fcn_adam_update_f32, fcn_adam_update_f64 */
void FCN(fcn_adam_update)(real *params, real *m, real *v, const real *grads, int64_t n_params,
                          double step_rate, double beta_1, double beta_2, double epsilon)
{
    FCN_FLUSH_SUBNORMALS();
    update u = {.params = params, .m = m, .v = v, .grads = grads, .n_params = n_params,
                .step_rate = step_rate, .b1 = (real)beta_1, .b2 = (real)beta_2,
                .one_minus_b1 = (real)(1.0 - beta_1), .one_minus_b2 = (real)(1.0 - beta_2),
                .eps = (real)epsilon};
    fcn_parallel_for(adam_task, &u, n_chunks(n_params),
                     fcn_threads_for(n_params, PARALLEL_MIN_PARAMS));
}

/* fcn_optimizer_step_f32, fcn_optimizer_step_f64 */
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
