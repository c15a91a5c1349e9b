"""A classifier's labels: learnt by a LabelBinarizer (from y by fit, from
`classes` by the first partial_fit), y encoded as their 0/1 indicator matrix,
class weights, and output activations decoded back into labels."""

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target, unique_labels


def binarizer(labels):
    """A LabelBinarizer that has learnt labels."""
    return LabelBinarizer().fit(labels)


def binarizer_for_partial_fit(y, classes):
    """The first partial_fit's LabelBinarizer: of `classes`, or of y's
    columns for a multilabel indicator y."""
    return binarizer(y if type_of_target(y).startswith("multilabel") else classes)


def check_classes(y, known, warm_start):
    """y's classes against those learnt: a warm start needs the same ones,
    partial_fit some of them."""
    classes = unique_labels(y)
    if warm_start:
        if set(classes) != set(known):
            raise ValueError(
                "warm_start can only be used where `y` has the same "
                "classes as in the previous call to fit. Previously "
                f"got {known}, `y` has {classes}"
            )
    elif len(np.setdiff1d(classes, known, assume_unique=True)):
        raise ValueError(
            "`y` has classes not in `self.classes_`. "
            f"`self.classes_` has {known}. 'y' has {classes}."
        )


def output_activation(binarizer):
    """softmax for one label among several classes; else one logistic unit per output."""
    return "softmax" if binarizer.y_type_ == "multiclass" else "logistic"


def with_class_weights(sample_weight, class_weight, y, incremental):
    """Sample weights (or None) times the class weights of y's labels."""
    if class_weight is None:
        return sample_weight
    if incremental and class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' is not supported for partial_fit: one batch "
            "does not tell the class frequencies. Compute them with "
            "sklearn.utils.class_weight.compute_class_weight on enough of the "
            "training targets and pass the resulting dict as class_weight."
        )
    class_weights = compute_sample_weight(class_weight, y)
    return class_weights if sample_weight is None else sample_weight * class_weights


def decode(binarizer, A):
    """Labels from output activations A (or from a 0/1 indicator matrix),
    decoded as LabelBinarizer.inverse_transform decodes them, without its
    checks: they cost more than a single-row prediction."""
    if binarizer.sparse_input_:
        return binarizer.inverse_transform(A.ravel() if A.shape[1] == 1 else A)
    if binarizer.y_type_ == "multiclass":
        return binarizer.classes_.take(A.argmax(axis=1), mode="clip")
    above = (A > (binarizer.pos_label + binarizer.neg_label) / 2.0).astype(np.intp)
    if binarizer.y_type_ == "multilabel-indicator":
        return above
    if len(binarizer.classes_) == 1:
        return np.repeat(binarizer.classes_[0], len(A))
    return binarizer.classes_[above.ravel()]
