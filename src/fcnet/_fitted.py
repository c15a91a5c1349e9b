"""The fitted attributes that are numbers or lists, each named once: fit sets
them, fcnet.save writes them and fcnet.load checks them, to_onnx hands them to
scikit-learn's MLP (which has the same ones)."""

# name -> the types of its value, as a model file's JSON holds it (a float
# written as a whole number reads back as an int)
SCALARS = {
    "n_layers_": (int,), "n_outputs_": (int,), "n_iter_": (int,), "t_": (int,),
    "n_features_in_": (int,), "out_activation_": (str,), "loss_": (float, int),
    "best_loss_": (float, int, type(None)), "best_validation_score_": (float, int, type(None)),
    "_no_improvement_count": (int,),
}

# the per-epoch records of the stochastic solvers: lists that a fit only
# appends to (the validation ones are None without early stopping)
CURVES = ("loss_curve_", "validation_scores_", "validation_loss_curve_")
