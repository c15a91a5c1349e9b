"""LossCurveDisplay: an estimator's training history, in scikit-learn's
Display style (matplotlib: the optional `plot` extra)."""

from typing import Any

from sklearn.utils.validation import check_is_fitted


def _check_matplotlib(caller):
    """An ImportError that says what to install, before anything is computed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{caller} requires matplotlib: pip install 'fcnet[plot]'") from error


class LossCurveDisplay:
    """Training history of an estimator, in scikit-learn's Display style.

    The training loss per epoch and, with early stopping, the validation
    loss and the validation score (on a second y axis). Create it with
    :meth:`from_estimator`; it is drawn by :meth:`plot`.

    Parameters
    ----------
    loss_curve : list of float
        The training loss of each epoch (``loss_curve_``).
    validation_loss_curve : list of float or None
        The loss on the validation split (``validation_loss_curve_``).
    validation_scores : list of float or None
        The validation score of each epoch (``validation_scores_``).
    estimator_name : str or None
        Shown in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the losses.
    score_ax_ : matplotlib Axes or None
        The twin axes of the validation score.
    figure_ : matplotlib Figure
        The figure of the axes.
    lines_ : dict of str to matplotlib Line2D
        The drawn curves, by name.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against training set sizes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from fcnet import FCNetClassifier, LossCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = FCNetClassifier(early_stopping=True, max_iter=300, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['training loss', 'validation loss', 'validation score']
    """

    def __init__(self, *, loss_curve: list[float],
                 validation_loss_curve: list[float] | None = None,
                 validation_scores: list[float] | None = None,
                 estimator_name: str | None = None) -> None:
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax: Any = None) -> "LossCurveDisplay":
        """Plot the history of a fitted estimator trained by sgd or adam.

        lbfgs keeps no per-epoch history: its estimators are refused.

        Parameters
        ----------
        estimator : fitted FCNetClassifier, FCNetRegressor, MLPClassifier or MLPRegressor
            Its ``loss_curve_``, ``validation_loss_curve_`` and
            ``validation_scores_`` are drawn.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure's axes by default.

        Returns
        -------
        LossCurveDisplay
            The display, drawn.

        See Also
        --------
        LossCurveDisplay.plot : Draw an existing display again.
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if getattr(estimator, "loss_curve_", None) is None:
            raise ValueError("The estimator has no loss_curve_: lbfgs keeps no per-epoch "
                             "history; fit with solver='sgd' or 'adam'.")
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            estimator_name=type(estimator).__name__,
        )
        return display.plot(ax=ax)

    def plot(self, *, ax: Any = None) -> "LossCurveDisplay":
        """Draw the curves.

        Sets ``ax_``, ``score_ax_``, ``figure_`` and ``lines_``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure's axes by default.

        Returns
        -------
        LossCurveDisplay
            The display itself, drawn.
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        epochs = range(1, len(self.loss_curve) + 1)
        self.lines_ = {"training loss": ax.plot(epochs, self.loss_curve,
                                                label="training loss")[0]}
        if self.validation_loss_curve is not None:
            self.lines_["validation loss"] = ax.plot(
                epochs, self.validation_loss_curve, label="validation loss")[0]
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        self.score_ax_ = None
        if self.validation_scores is not None:
            self.score_ax_ = ax.twinx()
            self.lines_["validation score"] = self.score_ax_.plot(
                epochs, self.validation_scores, color="tab:green", linestyle="--",
                label="validation score")[0]
            self.score_ax_.set_ylabel("validation score")
        ax.legend(handles=list(self.lines_.values()), loc="center right")
        if self.estimator_name:
            ax.set_title(f"{self.estimator_name} training history")
        self.ax_, self.figure_ = ax, ax.figure
        return self
