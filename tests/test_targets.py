"""Tests of lecture_code.targets against NumPy identities and hand values."""

import numpy as np
import pytest

from lecture_code import one_hot, smooth_labels


def test_one_hot_matches_identity_rows():
    labels = np.array([3, 0, 2, 2])
    np.testing.assert_array_equal(one_hot(labels, 5), np.eye(5)[labels])
    np.testing.assert_array_equal(one_hot(labels), np.eye(4)[labels])  # max + 1 classes
    assert one_hot([[0, 1]], 2).shape == (1, 2, 2)
    assert one_hot([], 3).shape == (0, 3)


def test_smooth_labels_hand_values():
    # alpha = 0.1, C = 4: 1 - 0.1 + 0.025 = 0.925 and 0.025 elsewhere
    out = smooth_labels([1, 3], 0.1, n_classes=4)
    np.testing.assert_allclose(out, [[0.025, 0.925, 0.025, 0.025], [0.025, 0.025, 0.025, 0.925]])
    # soft rows: (1 - 0.5) * [0.2, 0.8] + 0.25 = [0.35, 0.65]
    np.testing.assert_allclose(smooth_labels([[0.2, 0.8]], 0.5), [[0.35, 0.65]])
    np.testing.assert_allclose(smooth_labels([0, 1], 1.0, n_classes=2), 0.5)
    np.testing.assert_array_equal(smooth_labels([0, 1], 0.0, n_classes=2), np.eye(2))


def test_smooth_labels_matches_szegedy_formula_on_one_hot():
    y = np.eye(10)[np.array([4, 7])]
    np.testing.assert_allclose(smooth_labels(y, 0.2), 0.8 * y + 0.02)
    np.testing.assert_allclose(smooth_labels(y, 0.2).sum(axis=1), 1.0)


def test_errors():
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 2\]; got 3"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="labels must be non-negative integers; got -1"):
        one_hot([-1, 0])
    with pytest.raises(ValueError, match="labels must be integers; got 0.5"):
        one_hot([0.5])
    with pytest.raises(ValueError, match="n_classes must be a positive integer; got 0"):
        one_hot([0], 0)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]; got 1.2"):
        smooth_labels([0, 1], 1.2, n_classes=2)
    with pytest.raises(ValueError, match=r"alpha must be a scalar; got shape \(2,\)"):
        smooth_labels([0, 1], [0.1, 0.2], n_classes=2)
    with pytest.raises(ValueError, match=r"y must sum to 1 along axis -1"):
        smooth_labels([[0.3, 0.3]], 0.1)
    with pytest.raises(ValueError, match="y has 2 classes per row but n_classes is 3"):
        smooth_labels([[0.5, 0.5]], 0.1, n_classes=3)
    with pytest.raises(TypeError, match="y must be integer labels or probability rows"):
        smooth_labels(["a"], 0.1)
    with pytest.raises(ValueError, match="labels must be integers; got 0.5"):
        smooth_labels(0.5, 0.1)  # a scalar is a label
    with pytest.raises(ValueError, match="labels must be integers; got 0.2"):
        smooth_labels([0.2, 0.8], 0.1)  # 1-D is labels: a row must be [[0.2, 0.8]]


def test_integer_one_hot_rows_are_rows_not_labels():
    # Issue 11: integer one-hot rows were taken for labels (shape (2, 2, 2)).
    # Szegedy et al.: (1 - a) y + a / C, here a = 0.1, C = 2.
    got = smooth_labels(np.array([[0, 1], [1, 0]]), 0.1)
    np.testing.assert_allclose(got, [[0.05, 0.95], [0.95, 0.05]], rtol=1e-15)


def test_whole_number_float_labels_are_labels_as_in_one_hot():
    # Issue 11: [0., 2.] was refused although one_hot accepts it
    np.testing.assert_array_equal(one_hot([0.0, 2.0], 3), one_hot([0, 2], 3))
    np.testing.assert_array_equal(
        smooth_labels([0.0, 2.0], 0.3, n_classes=3), smooth_labels([0, 2], 0.3, n_classes=3)
    )
    np.testing.assert_allclose(
        smooth_labels(np.float32([1.0]), 0.3, n_classes=3), [[0.1, 0.8, 0.1]], rtol=1e-15
    )


def test_dtype_of_smoothed_rows():
    rows = np.eye(3, dtype=np.float32)
    assert smooth_labels(rows, 0.1).dtype == np.float32
    assert smooth_labels(rows.astype(np.float16), 0.1).dtype == np.float32
    assert smooth_labels([0, 1], 0.1).dtype == np.float64
    assert one_hot(np.array([2], dtype=np.uint8)).dtype == np.float64


def test_huge_labels_give_our_error():
    with pytest.raises(
        ValueError, match="labels must be integers below 2\\*\\*63; got 18446744073709551615"
    ):
        one_hot(np.array([2**64 - 1], dtype=np.uint64))
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 2\]; got 1e\+20"):
        one_hot([1e20], 3)
