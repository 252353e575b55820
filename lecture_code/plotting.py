"""The book's figure style: one colour-blind-safe palette and small helpers.

Every chapter calls :func:`use_book_style` once, in its setup cell, and draws
with the helpers below. Each helper draws on an ``ax`` it is given and returns
it, so a chapter decides the layout and the package decides the look.

The palette is Okabe & Ito's (2008) eight colours, which stay distinct for the
common forms of colour blindness and in greyscale print (with the line styles).
"""

import matplotlib as mpl
import numpy as np
from cycler import cycler

#: Okabe-Ito colours, in the order the book uses them.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: Line styles paired with the colours, so curves differ in print too.
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-", "--"]

#: Sequential colour map for heat maps (confusion matrices, loss surfaces).
SEQUENTIAL_CMAP = "viridis"


#: Where the book's figures are compared or published as files, two runs of a
#: notebook must write the same SVG: matplotlib's element ids come from this salt
#: (instead of a random one), and the file carries no date and no version.
SVG_HASH_SALT = "cross-entropy-book"
SVG_METADATA = {"Date": None, "Creator": None}

#: Smallest text in a figure, in points. A figure is shown at its natural size
#: (1 pt = 4/3 CSS px), so this is 14 px on the page, above the page's smallest
#: caption text (13 px code) at 1280 px; browser_tests/test_reader.py checks it.
SMALLEST_FONT_PT = 10.5


def use_book_style():
    """Apply the book's figure style to matplotlib (colours, sizes, grid) and,
    in a notebook, have figures shown as SVG (vector: sharp on any screen and
    on paper, text kept as text).

    The SVG is deterministic (``svg.hashsalt``, no date), so the stored
    outputs compare equal between runs.

    Introduced in chapter "Loss functions".
    """
    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=list(COLORS.values())) + cycler(linestyle=LINESTYLES),
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "figure.constrained_layout.use": True,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": SMALLEST_FONT_PT,
            "ytick.labelsize": SMALLEST_FONT_PT,
            "legend.fontsize": SMALLEST_FONT_PT,
            "figure.titlesize": 12,
            "legend.frameon": False,
            "lines.linewidth": 2.0,
            "image.cmap": SEQUENTIAL_CMAP,
            "svg.fonttype": "none",
            "svg.hashsalt": SVG_HASH_SALT,
        }
    )
    _show_figures_as_svg()


def _show_figures_as_svg():
    # Only inside IPython with the inline backend (a notebook); a script or a
    # test keeps whatever backend it has.
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg", metadata=SVG_METADATA)


def label_axes(ax, *, xlabel, ylabel, title, legend=None):
    """Label an ``ax`` the book's way: both axes (with units), a title, a legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    xlabel, ylabel, title : str
        Axis labels should carry their unit, e.g. ``"loss (nats)"``.
    legend : bool, optional
        Draw a legend. By default, only when the axes have labelled artists.

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "Loss functions".
    """
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    handles, _ = ax.get_legend_handles_labels()
    if legend or (legend is None and handles):
        ax.legend()
    return ax


def plot_distribution(ax, probs, categories, *, title, ylabel="probability", color=None):
    """Bar plot of one discrete distribution, each bar annotated with its value.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    probs : array_like of shape (C,)
    categories : sequence of str, length C
    title, ylabel : str
    color : str, optional
        A colour of :data:`COLORS` (default blue).

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "Entropy".
    """
    probs = np.asarray(probs, dtype=float)
    bars = ax.bar(categories, probs, color=color or COLORS["blue"])
    ax.bar_label(bars, labels=[f"{p:.2f}" for p in probs], padding=2)
    ax.set_ylim(0, max(1.0, probs.max() * 1.15))
    return label_axes(ax, xlabel="outcome", ylabel=ylabel, title=title, legend=False)


def plot_contour_path(ax, xx, yy, zz, path, *, levels=20, path_label="gradient descent"):
    """Contours of a 2-D loss surface with an optimisation trajectory on top.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    xx, yy, zz : ndarray of shape (M, M)
        Grid (as from :func:`numpy.meshgrid`) and the loss on it.
    path : array_like of shape (T, 2)
        The parameters visited, in order.
    levels : int
        Number of contour levels.
    path_label : str
        Legend entry of the trajectory.

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "Loss functions".
    """
    path = np.asarray(path, dtype=float)
    contours = ax.contour(xx, yy, zz, levels=levels, cmap=SEQUENTIAL_CMAP, linewidths=1)
    ax.clabel(contours, inline=True, fontsize=SMALLEST_FONT_PT, fmt="%.2f")
    ax.plot(
        path[:, 0],
        path[:, 1],
        color=COLORS["vermillion"],
        linestyle="-",
        marker="o",
        markersize=3,
        label=path_label,
    )
    ax.plot(*path[0], marker="s", color=COLORS["black"], linestyle="none", label="start")
    ax.plot(
        *path[-1], marker="*", markersize=12, color=COLORS["orange"], linestyle="none", label="end"
    )
    return ax


# --- Calibration (chapters 5-6) ---


def reliability_diagram(ax, y_true, probs, *, n_bins=15, label=None, color=None):
    """Reliability diagram: accuracy per confidence bin against the diagonal.

    Bars show each bin's accuracy; hatched bars show the gap to the bin's mean
    confidence (red above the bar: over-confident; below: under-confident).
    The dashed diagonal is perfect calibration. The title carries ``label``
    and the expected calibration error (ECE) on the same bins.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    y_true : array_like of shape (N,)
        Integer class labels.
    probs : array_like of shape (N, C) or (N,)
        Probability rows, or the probability of class 1 of a binary problem.
    n_bins : int, default 15
        Number of equal-width confidence bins.
    label : str, optional
        Name of the model, used in the title.
    color : str, optional
        Bar colour (default :data:`COLORS` blue).

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "Label smoothing".
    """
    from .calibration import expected_calibration_error, reliability_curve

    curve = reliability_curve(y_true, probs, n_bins=n_bins)
    ece = expected_calibration_error(y_true, probs, n_bins=n_bins)
    filled = curve.counts > 0
    lefts = curve.bin_edges[:-1][filled]
    width = curve.bin_edges[1] - curve.bin_edges[0]
    acc, conf = curve.accuracy[filled], curve.confidence[filled]
    ax.bar(
        lefts,
        acc,
        width=width,
        align="edge",
        color=color or COLORS["blue"],
        edgecolor="white",
        label="accuracy",
    )
    ax.bar(
        lefts,
        conf - acc,
        bottom=acc,
        width=width,
        align="edge",
        fill=False,
        hatch="//",
        edgecolor=COLORS["vermillion"],
        label="gap to confidence",
    )
    ax.plot(
        [0, 1],
        [0, 1],
        color=COLORS["black"],
        linestyle="--",
        linewidth=1,
        label="perfect calibration",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    title = f"ECE = {ece:.3f}" if label is None else f"{label}: ECE = {ece:.3f}"
    return label_axes(ax, xlabel="confidence (max probability)", ylabel="accuracy", title=title)


# --- Surprise, entropy, cross-entropy (chapters 2-4) ---


def plot_loss_surface(ax, xx, yy, zz, *, levels=20, cbar_label="loss (nats)"):
    """Contour lines of a loss over two parameters, with a labelled colour bar.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    xx, yy, zz : ndarray of shape (M, M)
        Grid (as from :func:`numpy.meshgrid`) and the loss on it.
    levels : int
        Number of contour levels.
    cbar_label : str
        Label of the colour bar, with its unit.

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "Cross-entropy".
    """
    contours = ax.contour(xx, yy, zz, levels=levels, cmap=SEQUENTIAL_CMAP, linewidths=1.2)
    ax.figure.colorbar(contours, ax=ax, label=cbar_label)
    return ax


def plot_grouped_bars(ax, values, groups, *, labels, colors=None):
    """Side-by-side bars: one group per category, one bar per series.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    values : array_like of shape (S, G)
        One row per series (drawn in the book's colour order), one column per group.
    groups : sequence of str, length G
        Tick label of each group.
    labels : sequence of str, length S
        Legend entry of each series.
    colors : sequence of str, optional
        Colours of the series (default: the book's palette in order).

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "Cross-entropy".
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n_series, n_groups = values.shape
    colors = colors or list(COLORS.values())[:n_series]
    width = 0.8 / n_series
    x = np.arange(n_groups)
    for k in range(n_series):
        ax.bar(
            x + (k - (n_series - 1) / 2) * width,
            values[k],
            width=width,
            color=colors[k],
            label=labels[k],
        )
    ax.set_xticks(x, list(groups))
    return ax


# --- MNIST (chapter 7) ---


def plot_digits(axes, images, *, titles=None, side=28):
    """Draw MNIST-style images, one per ``ax``, in grey (ink dark on white).

    Parameters
    ----------
    axes : array_like of matplotlib.axes.Axes
        For example the array returned by ``plt.subplots(3, 8)``; used in
        row-major order. Axes without an image are switched off.
    images : array_like of shape (N, side * side) or (N, side, side)
        Pixels (any scale: ``uint8`` 0-255 or floats 0-1).
    titles : sequence of str, optional
        One short title per image, e.g. ``"7 (p=0.98)"``.
    side : int, default 28
        Image height and width in pixels.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        The flattened ``axes``.

    Introduced in chapter "MNIST".
    """
    axes = np.ravel(axes)
    images = np.asarray(images).reshape(-1, side, side)
    if len(images) > len(axes):
        raise ValueError(f"got {len(images)} images for only {len(axes)} axes")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images")
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=SMALLEST_FONT_PT)
    return axes


def plot_confusion_matrix(ax, y_true, y_pred, *, normalize=False, title, labels=None):
    """Heat map of a confusion matrix: true class down, predicted class across.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    y_true, y_pred : array_like of shape (N,)
        True and predicted labels.
    normalize : bool, default False
        If True, each row is shown in percent of its true class (so the
        diagonal is the per-class recall); else raw counts.
    title : str
    labels : sequence, optional
        The classes, in display order (default: the sorted classes seen).

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "MNIST".
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    if normalize:
        kwargs = {"normalize": "true", "values_format": ".1%"}
    else:
        kwargs = {"values_format": "d"}
    display = ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        ax=ax,
        cmap=SEQUENTIAL_CMAP,
        colorbar=False,
        text_kw={"fontsize": SMALLEST_FONT_PT},
        **kwargs,
    )
    ax.grid(False)
    if normalize:
        # Recall on the diagonal is ~0.9-1.0: show the rest in the same scale.
        display.im_.set_clim(0, 1)
    return label_axes(ax, xlabel="predicted digit", ylabel="true digit", title=title, legend=False)


# --- Calibration, continued (chapter "Label smoothing") ---


def plot_bin_counts(ax, y_true, probs, *, n_bins=15, title=None, color=None):
    """How many predictions fall in each confidence bin of a reliability diagram.

    Draws one bar per bin of :func:`lecture_code.reliability_curve` (the same
    equal-width bins as :func:`reliability_diagram`) and writes each
    non-empty bin's count above its bar, so that a reader can see which bars
    of the diagram rest on many predictions and which on a handful. The
    y-axis is logarithmic: the top bin usually holds most predictions.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    y_true : array_like of shape (N,)
        Integer class labels.
    probs : array_like of shape (N, C) or (N,)
        Probability rows, or the probability of class 1 of a binary problem.
    n_bins : int, default 15
        Number of equal-width confidence bins.
    title : str, optional
        Title (default: "predictions per confidence bin").
    color : str, optional
        Bar colour (default :data:`COLORS` sky blue).

    Returns
    -------
    matplotlib.axes.Axes

    Introduced in chapter "Label smoothing".
    """
    from .calibration import reliability_curve

    curve = reliability_curve(y_true, probs, n_bins=n_bins)
    width = curve.bin_edges[1] - curve.bin_edges[0]
    filled = curve.counts > 0
    lefts = curve.bin_edges[:-1][filled]
    counts = curve.counts[filled]
    ax.bar(
        lefts, counts, width=width, align="edge", edgecolor="white", color=color or COLORS["sky"]
    )
    for left, count in zip(lefts, counts):
        ax.annotate(
            str(count),
            (left + width / 2, count),
            ha="center",
            va="bottom",
            fontsize=SMALLEST_FONT_PT,
        )
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_ylim(0.5, 4 * curve.counts.max())
    return label_axes(
        ax,
        xlabel="confidence (max probability)",
        ylabel="predictions (count)",
        title=title or "predictions per confidence bin",
        legend=False,
    )
