"""scikit-learn's callback API (sklearn.callback, new in 1.9), or, with an
older scikit-learn, stand-ins that do nothing: fcnet fits either way."""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """No callbacks before scikit-learn 1.9."""

    def with_callbacks(method):
        return method


class _NoContext:
    """What a fit reports to when there are no callbacks to call."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False  # never asks to stop


NO_CONTEXT = _NoContext()


def fit_context(estimator, max_subtasks):
    """The root callback context of a fit with max_subtasks epochs."""
    if hasattr(estimator, "_init_callback_context"):
        return estimator._init_callback_context(max_subtasks=max_subtasks)
    return NO_CONTEXT
