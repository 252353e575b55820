"""lecture_code: the tested code behind the course book on cross-entropy loss.

Every chapter imports from here, for example::

    from lecture_code import entropy, cross_entropy

The modules follow the book: activations (``activations``), information
theory (``information``), targets (``targets``), losses (``losses``), the
decision-tree and Hessian helpers (``analysis``), training and calibration
(``training``, ``calibration``), data (``data``) and the book's figure style
(``plotting``). Input checks live in one place, ``_validation``. ``colab`` helps the homework's
self-checks run on Google Colab. Nothing here is for instructors: assigning,
grading and releasing the course are not part of this package.
"""

# --- activations (chapters "Loss functions" and "Cross-entropy") -----------
from .activations import log_softmax, logsumexp, sigmoid, softmax
# --- information theory (chapters "Surprise", "Entropy", "Cross-entropy") --
from .information import (
    bhattacharyya,
    cross_entropy,
    entropy,
    hellinger,
    js_divergence,
    kl_divergence,
    surprise,
    total_variation,
    wasserstein_1d,
)
# --- targets (chapters "Cross-entropy" and "Label smoothing") -------------
from .targets import one_hot, smooth_labels
# --- losses (chapters "Loss functions" to "Focal loss") -------------------
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    binary_focal_loss,
    categorical_cross_entropy,
    focal_loss,
    mse_loss,
    sigmoid_focal_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_focal_loss,
    softmax_focal_loss_grad,
)
# --- analysis (chapters "Entropy", "Cross-entropy") ---
from .analysis import information_gain, softmax_hessian
# --- training and calibration (chapters "Label smoothing", "Focal loss") --
from .calibration import ReliabilityCurve, expected_calibration_error, reliability_curve
from .training import SoftmaxClassifier, fit_softmax_regression
# --- data (chapter "MNIST") -----------------------------------------------
from .data import load_mnist, mnist_cache_dir, mnist_sample, scale_pixels
# --- plotting (every chapter) ----------------------------------------------
# Imported as ``lecture_code.plotting`` (not re-exported: it loads matplotlib).
