"""lecture_code: the tested code behind the course book on cross-entropy loss.

Every chapter imports from here, for example::

    from lecture_code import entropy, cross_entropy

The modules follow the book: activations (``activations``), information
theory and the information gain of a split (``information``), targets
(``targets``), losses with the softmax gradient and Hessian (``losses``),
focal losses (``focal``), training and calibration (``training``,
``calibration``), codes, n-gram language models and arithmetic coding
(``coding``), data (``data``) and the book's figure style (``plotting``).
The generic input checks and the dtype policy (below) live in
``_validation``; the one reduction of every loss (``reduction='mean'``,
``'sum'``, ``'none'``) in ``_reduction``; the fast path of softmax
cross-entropy is the private module ``_fast_softmax_ce``. ``colab`` lets the
homework's self-checks find their tests (on Google Colab too). The
instructors' tooling (assign, grade, release) is not here: it is the
separate package ``course``.

Dtype policy
------------
Every function computes in the floating dtype of its input: float32 stays
float32 (as in PyTorch), float64 stays float64 (as in SciPy); float16 is
computed in float32, and integers, booleans, lists and scalars in float64.
``reduction='mean'`` and ``'sum'`` return a Python ``float`` summed in
float64. Clipping constants (``eps``) are applied in the computing dtype, so
the default ``eps=1e-15`` gives the same finite loss at probabilities of
exactly 0 or 1 in float16, float32 and float64. The details (tolerances on
sums, copies) are in the docstring of ``lecture_code._validation``.

Empty input
-----------
A loss of a batch of 0 samples: elementwise losses (``mse_loss``, the binary
losses) return an empty array for ``'none'`` and 0.0 for ``'sum'``; their
``'mean'`` is undefined and raises ``ValueError``. The categorical losses
(shape ``(N, K)``) refuse an empty batch ``(0, K)`` and an empty class axis
``(N, 0)`` with a ``ValueError`` that names the argument and its shape.
"""

# --- activations (chapters "Loss functions" and "Cross-entropy") -----------
from .activations import log_softmax, logsumexp, sigmoid, softmax

# --- calibration (chapters "Label smoothing" to "MNIST") -------------------
from .calibration import (
    ReliabilityCurve,
    brier_score,
    expected_calibration_error,
    fit_temperature,
    reliability_curve,
)

# --- code length (chapter "Cross-entropy as code length") -----------------
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

# --- focal losses (chapter "Focal loss") -----------------------------------
from .focal import (
    binary_focal_loss,
    focal_loss,
    sigmoid_focal_loss,
    softmax_focal_loss,
    softmax_focal_loss_grad,
)

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

# --- targets (chapters "Cross-entropy" and "Label smoothing") -------------
from .targets import one_hot, smooth_labels

# --- training (chapters "Label smoothing" to "MNIST") ----------------------
from .training import (
    SoftmaxClassifier,
    fit_mlp,
    fit_softmax_regression,
    loss_pair,
    mlp_loss_and_gradients,
)

# --- plotting (every chapter) ----------------------------------------------
# Imported as ``lecture_code.plotting`` (not re-exported: it loads matplotlib).
