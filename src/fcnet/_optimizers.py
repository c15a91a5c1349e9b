"""State of the stochastic solvers for one fit, over the flat parameter block.

The update arithmetic itself runs in C (csrc/optimizers.c); this holds what
persists between epochs: the state block (sgd: velocities; adam: first then
second moments), the C-side settings and step count, and the stopping rule.
"""

import numpy as np

from fcnet import _core


class StochasticOptimizer:
    """sgd (momentum, Nesterov) or adam, as scikit-learn's SGDOptimizer and
    AdamOptimizer, with a constant learning rate."""

    def __init__(self, estimator, n_params, dtype):
        if estimator.solver == "sgd":
            self.core = _core.Optimizer(
                "sgd",
                estimator.learning_rate_init,
                momentum=estimator.momentum,
                nesterov=estimator.nesterovs_momentum,
            )
            self.state = np.zeros(n_params, dtype=dtype)
        else:
            self.core = _core.Optimizer(
                "adam",
                estimator.learning_rate_init,
                beta_1=estimator.beta_1,
                beta_2=estimator.beta_2,
                epsilon=estimator.epsilon,
            )
            self.state = np.zeros(2 * n_params, dtype=dtype)

    def trigger_stopping(self, msg, verbose):
        """Whether training stops when the loss stalls (always, at a constant rate)."""
        if verbose:
            print(msg + " Stopping.")
        return True
