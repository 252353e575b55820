"""lecture_code: the tested code behind the course book on cross-entropy loss.

Every chapter imports from here, for example::

    from lecture_code import entropy, cross_entropy

The modules follow the book: activations (``activations``), information
theory and the information gain of a split (``information``), targets
(``targets``), losses with the softmax gradient and Hessian (``losses``),
focal losses (``focal``), training and calibration (``training``,
``calibration``), codes, n-gram language models and arithmetic coding
(``coding``), data (``data``) and the book's figure style (``plotting``). Input checks and the dtype policy live in one place,
``_validation``; the fast path of softmax cross-entropy is the private
module ``_fast_softmax_ce``. ``colab`` lets the homework's self-checks run
on Google Colab. The instructors' tooling (assign, grade, release) is not
here: it is the separate package ``course``.
"""

# --- activations (chapters "Loss functions" and "Cross-entropy") -----------
from .activations import log_softmax, logsumexp, sigmoid, softmax
# --- information theory (chapters "Surprise", "Entropy", "Cross-entropy") --
from .information import (
    bhattacharyya,
    conditional_entropy,
    cross_entropy,
    entropy,
    hellinger,
    information_gain,
    js_divergence,
    kl_divergence,
    mutual_information,
    surprise,
    total_variation,
    wasserstein_1d,
)
# --- targets (chapters "Cross-entropy" and "Label smoothing") -------------
from .targets import one_hot, smooth_labels
# --- losses (chapters "Loss functions" and "Cross-entropy") ---------------
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    mse_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_hessian,
)
# --- focal losses (chapter "Focal loss") -----------------------------------
from .focal import (
    binary_focal_loss,
    focal_loss,
    sigmoid_focal_loss,
    softmax_focal_loss,
    softmax_focal_loss_grad,
)
# --- calibration and training (chapters "Label smoothing" to "MNIST") ----
from .calibration import (
    ReliabilityCurve,
    brier_score,
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
)
from .training import (
    SoftmaxClassifier,
    fit_mlp,
    fit_softmax_regression,
    loss_pair,
    mlp_loss_and_gradients,
)
# --- code length (chapter "Cross-entropy as code length") ---------------
from .coding import (
    NgramModel,
    arithmetic_decode,
    arithmetic_encode,
    bits_per_character,
    compress_text,
    decompress_text,
    fit_ngram,
    huffman_code,
    markdown_text,
    perplexity,
    quantise,
)
# --- data (chapter "MNIST") -----------------------------------------------
from .data import load_mnist, mnist_cache_dir, mnist_sample, scale_pixels
# --- plotting (every chapter) ----------------------------------------------
# Imported as ``lecture_code.plotting`` (not re-exported: it loads matplotlib).
