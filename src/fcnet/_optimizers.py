"""State of the stochastic solvers for one fit, over the flat parameter block.

The update arithmetic runs in C (csrc/optimizers.c); this holds what persists
between epochs: the state block (sgd: velocities; adam: first then second
moments), the C-side settings and step count, and scikit-learn's per-epoch
rules for the learning rate and for stopping (_stochastic_optimizers.py).
"""

import copy

import numpy as np

from fcnet import _core


class StochasticOptimizer:
    """sgd (momentum, Nesterov; constant, invscaling or adaptive learning
    rate) or adam, as scikit-learn's SGDOptimizer and AdamOptimizer."""

    def __init__(self, estimator, state_len, dtype):
        """state_len: as the core sizes it for the solver (Net.optimizer_state_len)."""
        self.learning_rate_init = float(estimator.learning_rate_init)
        self.state = np.zeros(state_len, dtype=dtype)
        if estimator.solver == "sgd":
            self.schedule = estimator.learning_rate
            self.power_t = estimator.power_t
            self.core = _core.Optimizer(
                "sgd",
                self.learning_rate_init,
                momentum=estimator.momentum,
                nesterov=estimator.nesterovs_momentum,
            )
        else:
            self.schedule = "constant"  # adam adapts its steps itself
            self.core = _core.Optimizer(
                "adam",
                self.learning_rate_init,
                beta_1=estimator.beta_1,
                beta_2=estimator.beta_2,
                epsilon=estimator.epsilon,
            )

    def copy(self, dtype):
        """An independent copy, its state in dtype: training updates the
        state, the step count and the learning rate in place."""
        duplicate = copy.copy(self)
        duplicate.core = copy.copy(self.core)
        duplicate.state = self.state.astype(dtype)
        return duplicate

    def iteration_ends(self, time_step):
        """After each epoch; time_step counts the samples seen (the estimator's t_)."""
        if self.schedule == "invscaling":
            self.core.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        """Whether training stops now that it has stalled; the adaptive
        schedule divides the learning rate by 5 instead, until it is tiny."""
        if self.schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.core.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.core.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.core.learning_rate)
        return False
