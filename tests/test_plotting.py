"""Tests for lecture_code.plotting: the book's palette, style and helpers.

Each helper is drawn on a real (Agg) figure and read back from matplotlib's
artists: bar heights, texts, labels, the number of lines, against values
worked out by hand.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecture_code.plotting import (  # noqa: E402
    COLORS,
    LINESTYLES,
    label_axes,
    plot_confusion_matrix,
    plot_contour_path,
    plot_digits,
    plot_distribution,
    plot_grouped_bars,
    plot_loss_surface,
    use_book_style,
)


@pytest.fixture
def plt():
    import matplotlib.pyplot as plt

    with mpl.rc_context():  # the style changes stay inside the test
        yield plt
    plt.close("all")


def test_palette_is_okabe_ito_and_distinct():
    # Okabe & Ito (2008): eight colours, as hex, all different
    assert len(COLORS) == 8 and len(set(COLORS.values())) == 8
    assert COLORS["blue"] == "#0072B2" and COLORS["vermillion"] == "#D55E00"
    assert all(mcolors.is_color_like(c) for c in COLORS.values())
    assert len(LINESTYLES) == len(COLORS)


def test_use_book_style_sets_the_cycle_and_the_grid(plt):
    use_book_style()
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert cycle["color"] == list(COLORS.values())
    assert mpl.rcParams["axes.grid"] is True
    fig, ax = plt.subplots()
    first, second = ax.plot([0, 1]), ax.plot([1, 0])
    assert first[0].get_color() == COLORS["blue"]
    assert second[0].get_color() == COLORS["orange"]
    assert second[0].get_linestyle() == "--"


def test_label_axes_with_and_without_legend(plt):
    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], label="loss")
    assert label_axes(a, xlabel="p", ylabel="loss (nats)", title="t") is a
    assert (a.get_xlabel(), a.get_ylabel(), a.get_title()) == ("p", "loss (nats)", "t")
    assert a.get_legend() is not None  # a labelled line: legend by default
    b.plot([0, 1])
    label_axes(b, xlabel="x", ylabel="y", title="u")
    assert b.get_legend() is None  # nothing labelled: no legend


def test_plot_distribution_bars_and_annotations(plt):
    fig, ax = plt.subplots()
    plot_distribution(ax, [0.1, 0.7, 0.2], ["a", "b", "c"], title="weather")
    heights = [bar.get_height() for bar in ax.containers[0]]
    np.testing.assert_allclose(heights, [0.1, 0.7, 0.2])
    assert [t.get_text() for t in ax.texts] == ["0.10", "0.70", "0.20"]
    assert ax.get_ylim() == (0.0, 1.0)
    assert ax.get_title() == "weather" and ax.get_ylabel() == "probability"


def test_plot_contour_path_draws_path_start_and_end(plt):
    xx, yy = np.meshgrid(np.linspace(-1, 1, 11), np.linspace(-1, 1, 11))
    path = [[0.8, 0.8], [0.4, 0.3], [0.0, 0.0]]
    fig, ax = plt.subplots()
    plot_contour_path(ax, xx, yy, xx**2 + yy**2, path)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["gradient descent", "start", "end"]
    np.testing.assert_allclose(ax.lines[0].get_xydata(), path)
    np.testing.assert_allclose(ax.lines[2].get_xydata(), [[0.0, 0.0]])


def test_plot_loss_surface_adds_a_labelled_colour_bar(plt):
    xx, yy = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    fig, ax = plt.subplots()
    plot_loss_surface(ax, xx, yy, xx + yy)
    assert len(fig.axes) == 2  # the axes and its colour bar
    assert fig.axes[1].get_ylabel() == "loss (nats)"


def test_plot_grouped_bars_positions_and_colours(plt):
    fig, ax = plt.subplots()
    plot_grouped_bars(
        ax, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], ["x", "y", "z"], labels=["first", "second"]
    )
    first, second = ax.containers
    # two series: width 0.4 each, centred at group - 0.2 and group + 0.2
    np.testing.assert_allclose([b.get_x() + b.get_width() / 2 for b in first], [-0.2, 0.8, 1.8])
    np.testing.assert_allclose([b.get_height() for b in second], [4.0, 5.0, 6.0])
    assert mcolors.to_hex(first[0].get_facecolor()).lower() == COLORS["blue"].lower()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]


def test_plot_digits_draws_each_image_in_row_major_order(plt):
    images = np.arange(3 * 784).reshape(3, 784) % 256
    fig, axes = plt.subplots(2, 2)
    out = plot_digits(axes, images, titles=["a", "b", "c"])
    assert [ax.get_title() for ax in out] == ["a", "b", "c", ""]
    assert [len(ax.images) for ax in out] == [1, 1, 1, 0]  # the 4th ax stays empty
    np.testing.assert_array_equal(out[1].images[0].get_array(), images[1].reshape(28, 28))


def test_plot_digits_errors(plt):
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="got 3 images for only 2 axes"):
        plot_digits(axes, np.zeros((3, 784)))
    with pytest.raises(ValueError, match="titles has 1 entries for 2 images"):
        plot_digits(axes, np.zeros((2, 784)), titles=["x"])


def test_plot_confusion_matrix_counts_and_percentages(plt):
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 2, 2]
    # by hand: row 0 = [2, 1, 0], row 1 = [0, 1, 1], row 2 = [0, 0, 1]
    fig, (left, right) = plt.subplots(1, 2)
    plot_confusion_matrix(left, y_true, y_pred, title="counts")
    plot_confusion_matrix(right, y_true, y_pred, normalize=True, title="percent")
    counts = [t.get_text() for t in left.texts]
    assert counts == ["2", "1", "0", "0", "1", "1", "0", "0", "1"]
    assert [t.get_text() for t in right.texts][:3] == ["66.7%", "33.3%", "0.0%"]
    assert left.get_xlabel() == "predicted digit" and left.get_ylabel() == "true digit"
    assert right.get_title() == "percent"
