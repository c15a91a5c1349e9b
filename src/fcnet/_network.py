"""The flat parameter block of one network, the views of it users see, and its
initialisation.

All weights and biases live in one 1-D array, W[1] .. W[L] then b[1] .. b[L]
(scikit-learn's packing order), so that an optimizer step is one loop over
one array in C. `coefs_` and `intercepts_` are views of that block in
scikit-learn's shapes (fan_in, fan_out) and (fan_out,). The block's layout,
like every workspace's size, is the C core's (csrc/workspace.c): this module
asks it, through the bridge, instead of recomputing it.
"""

import os
from itertools import pairwise

import numpy as np

from fcnet import _core


def weight_shapes(units):
    """Shapes of W[1] .. W[L] for layer sizes units[0] .. units[L]."""
    return list(pairwise(units))


def n_params(units):
    """Length of the block: all weights and biases."""
    return _core.Net(units).n_params


def optimizer_state_len(units, solver):
    """Length of the state of solver ('sgd' or 'adam')."""
    return _core.Net(units).optimizer_state_len(solver)


def views(params, units):
    """coefs_ and intercepts_ as views into the block `params`."""
    coefs, intercepts = [], []
    offsets = _core.Net(units).param_offsets()
    for (fan_in, fan_out), (W_at, b_at) in zip(weight_shapes(units), offsets):
        coefs.append(params[W_at : W_at + fan_in * fan_out].reshape(fan_in, fan_out))
        intercepts.append(params[b_at : b_at + fan_out])
    return coefs, intercepts


def pack(coefs, intercepts, dtype):
    """A new block holding copies of coefs and intercepts."""
    return np.concatenate([np.ravel(a) for a in [*coefs, *intercepts]]).astype(dtype, copy=False)


def units_of(coefs, intercepts):
    """Layer sizes read off coefs_/intercepts_, which a user may have replaced."""
    if len(coefs) == 0 or len(coefs) != len(intercepts):
        raise ValueError("coefs_ and intercepts_ must be non-empty lists of the same length.")
    units = [np.shape(coefs[0])[0]]
    for coef, intercept in zip(coefs, intercepts):
        if np.ndim(coef) != 2 or np.shape(coef)[0] != units[-1]:
            raise ValueError("coefs_ shapes do not chain: each must be (fan_in, fan_out).")
        if np.shape(intercept) != (np.shape(coef)[1],):
            raise ValueError("intercepts_[i] must have shape (coefs_[i].shape[1],).")
        units.append(np.shape(coef)[1])
    return units


def block_of(coefs, intercepts, dtype):
    """The block behind coefs and intercepts when they are still its views in
    order and of dtype (no copy), else a packed copy: a user may assign them."""
    owner = owning_block(coefs, intercepts)
    return owner if owner is not None and owner.dtype == dtype else pack(coefs, intercepts, dtype)


def owning_block(coefs, intercepts):
    """The block that coefs and intercepts are views of, in order, or None."""
    units = units_of(coefs, intercepts)
    arrays = [*coefs, *intercepts]
    owner = getattr(arrays[0], "base", None)
    if not isinstance(owner, np.ndarray) or owner.shape != (n_params(units),):
        return None
    coef_views, intercept_views = views(owner, units)
    if all(
        getattr(a, "base", None) is owner and a.__array_interface__ == v.__array_interface__
        for a, v in zip(arrays, coef_views + intercept_views)
    ):
        return owner
    return None


def regrouped(coefs, intercepts):
    """coefs and intercepts as views of one new block (unpickling makes views
    separate arrays), when they are arrays of one dtype whose shapes chain;
    else as they are."""
    try:
        units = units_of(coefs, intercepts)
    except (TypeError, ValueError):
        return coefs, intercepts
    arrays = [*coefs, *intercepts]
    if not all(isinstance(a, np.ndarray) and a.dtype == arrays[0].dtype for a in arrays):
        return coefs, intercepts
    return views(pack(coefs, intercepts, arrays[0].dtype), units)


def fit_bytes(units, dtype, solver, n_samples, batch_size, dropout=0.0):
    """Bytes a fit of a network of layer sizes units allocates for its blocks
    and workspace, with every size asked of the core: the parameters,
    gradients, up to two optimizer states and a best copy, of dtype; the
    float64 draw of the initial weights and its packed copy; and the
    workspace of lbfgs's pass over all n_samples, or of an epoch's batches.
    ValueError when a size does not fit in 64 bits."""
    net = _core.Net(units, dropout=dropout)
    workspace = (net.backprop_workspace_len(n_samples) if solver == "lbfgs"
                 else net.epoch_workspace_len(batch_size))
    blocks = (5 * net.n_params + workspace) * np.dtype(dtype).itemsize
    return blocks + 2 * net.n_params * np.dtype(np.float64).itemsize


def check_memory(needed, what):
    """MemoryError, before anything is allocated, when needed bytes cannot
    fit in the memory available now (Linux's MemAvailable; elsewhere the
    physical memory): a clean error instead of the OOM killer."""
    if needed <= _ALWAYS_AVAILABLE:
        return
    available = _available_memory()
    if available is not None and needed > available:
        raise MemoryError(
            f"{what} needs about {needed / 2**30:.3g} GiB, more than the "
            f"{available / 2**30:.3g} GiB of memory available: use fewer or smaller layers, "
            "a smaller batch_size, or float32 input."
        )


# Sizes below this are not checked: reading /proc/meminfo costs more than a
# partial_fit on a small block, and an allocation this small that fails raises
# MemoryError by itself.
_ALWAYS_AVAILABLE = 64 << 20


def _available_memory():
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def glorot_uniform(units, activation, random_state, dtype):
    """Initial block, drawn exactly as scikit-learn's MLP draws it: per layer,
    W then b from U(-bound, bound) in float64, bound = sqrt(factor / (fan_in +
    fan_out)), factor 2 for logistic and 6 otherwise (Glorot and Bengio)."""
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in weight_shapes(units):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(random_state.uniform(-bound, bound, fan_out))
    return pack(coefs, intercepts, dtype)
