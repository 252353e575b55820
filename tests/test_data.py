"""Tests for lecture_code.data: the idx reader, the lookup order, the errors.

Everything except the last two tests runs on tiny idx files that the tests
write themselves with ``struct`` and ``gzip`` (an independent writer, not the
code under test), so no test touches the network: ``fetch_openml`` is always
replaced by a fake. The two real-data tests read MNIST as a reader's machine
does (``MNIST_DATA_DIR``, which CI sets to the original files, else the cache,
else one OpenML download) and compare with the published counts.
"""

import gzip
import hashlib
import io
import os
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import sklearn.datasets
from sklearn.utils import Bunch

import lecture_code
from lecture_code import data
from lecture_code.data import MNIST_FILES, _read_idx, load_mnist, mnist_sample

N_TRAIN, N_TEST, SIDE = 40, 10, 2  # the fake MNIST: 50 images of 2 x 2 pixels


def write_idx(path, array, *, magic=None, truncate=None):
    """Write ``array`` (uint8) as a gzip idx file: big-endian header + bytes."""
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x00000800 + array.ndim
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    blob = gzip.compress(header + array.tobytes())
    if truncate is not None:
        blob = blob[:truncate]
    Path(path).write_bytes(blob)
    return hashlib.md5(blob).hexdigest()


def md5_of(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def make_fake(seed):
    """A fake dataset: every digit present, pixels 0-255."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(N_TRAIN + N_TEST, SIDE * SIDE), dtype=np.uint8)
    y = np.concatenate([np.arange(N_TRAIN) % 10, np.arange(N_TEST) % 10])
    y = y.astype(np.uint8)
    rng.shuffle(y[:N_TRAIN])
    return X, y


def write_mnist_dir(directory, X, y):
    """Write the four files for (X, y) into ``directory``; return their md5s."""
    directory.mkdir(parents=True, exist_ok=True)
    parts = {
        "train-images-idx3-ubyte.gz": X[:N_TRAIN].reshape(N_TRAIN, SIDE, SIDE),
        "train-labels-idx1-ubyte.gz": y[:N_TRAIN],
        "t10k-images-idx3-ubyte.gz": X[N_TRAIN:].reshape(N_TEST, SIDE, SIDE),
        "t10k-labels-idx1-ubyte.gz": y[N_TRAIN:],
    }
    return {name: write_idx(directory / name, arr) for name, arr in parts.items()}


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Shrink MNIST to 50 tiny images and isolate env, cache and download.

    Returns a namespace with two distinct datasets ``a`` and ``b`` written to
    ``dir_a``/``dir_b``, the cache directory, and the list of fake downloads.
    Checksum tables are monkeypatched to the fake files' md5s.
    """
    monkeypatch.setattr(data, "_N_TRAIN", N_TRAIN)
    monkeypatch.setattr(data, "_N_TEST", N_TEST)
    monkeypatch.setattr(data, "_SIDE", SIDE)
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    a, b = make_fake(1), make_fake(2)
    # The fake files of a and b differ, so one checksum table cannot accept
    # both: tests that mix them patch MNIST_FILES per dataset.
    md5_a = write_mnist_dir(tmp_path / "a", *a)
    md5_b = write_mnist_dir(tmp_path / "b", *b)
    calls = []

    def fake_fetch_openml(name, **kwargs):
        calls.append(name)
        X, y = a  # OpenML serves string labels (and float pixels with LIAC-ARFF)
        return Bunch(data=X.astype(np.float64), target=y.astype(str))

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch_openml)

    def use(dataset):
        X, y = {"a": a, "b": b}[dataset]
        md5s = {"a": md5_a, "b": md5_b}[dataset]
        monkeypatch.setattr(data, "MNIST_FILES", md5s)
        monkeypatch.setattr(
            data,
            "MNIST_CONTENT_MD5",
            {"X": hashlib.md5(X.tobytes()).hexdigest(), "y": hashlib.md5(y.tobytes()).hexdigest()},
        )

    use("a")
    return Bunch(
        a=a,
        b=b,
        dir_a=tmp_path / "a",
        dir_b=tmp_path / "b",
        cache=tmp_path / "xdg" / "lecture_code" / "mnist",
        calls=calls,
        use=use,
        tmp=tmp_path,
    )


def assert_same(result, expected):
    X, y = result
    assert X.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(X, expected[0])
    np.testing.assert_array_equal(y, expected[1])


# --- the idx reader ----------------------------------------------------------


def test_read_idx_images_and_labels(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "img.gz", images)
    write_idx(tmp_path / "lab.gz", [7, 0, 9])
    np.testing.assert_array_equal(_read_idx(tmp_path / "img.gz"), images)
    np.testing.assert_array_equal(_read_idx(tmp_path / "lab.gz"), [7, 0, 9])


def test_read_idx_header_is_big_endian(tmp_path):
    # 256 images of 1 x 1: the count 256 = 0x00000100 is wrong if read little-endian.
    write_idx(tmp_path / "f.gz", np.arange(256).reshape(256, 1, 1))
    assert _read_idx(tmp_path / "f.gz").shape == (256, 1, 1)


def test_read_idx_accepts_right_checksum(tmp_path):
    md5 = write_idx(tmp_path / "f.gz", [1, 2, 3])
    np.testing.assert_array_equal(_read_idx(tmp_path / "f.gz", md5), [1, 2, 3])


def test_read_idx_wrong_checksum_names_file_and_both_md5s(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    actual = write_idx(path, [1, 2, 3])
    expected = "0" * 32
    with pytest.raises(ValueError, match="corrupt or incomplete") as err:
        _read_idx(path, expected)
    msg = str(err.value)
    assert str(path) in msg and actual in msg and expected in msg
    assert "copy the original file again" in msg


def test_read_idx_truncated_file_fails_checksum_before_parsing(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    md5_full = write_idx(path, np.zeros((3, 28, 28)))
    write_idx(path, np.zeros((3, 28, 28)), truncate=20)
    match = f"its md5 is {md5_of(path)}, expected {md5_full}"
    with pytest.raises(ValueError, match=match):
        _read_idx(path, md5_full)


def test_read_idx_truncated_gzip_without_checksum(tmp_path):
    path = tmp_path / "f.gz"
    write_idx(path, np.arange(100), truncate=30)
    with pytest.raises(ValueError, match="f.gz is not a complete gzip file"):
        _read_idx(path)


def test_read_idx_not_gzip(tmp_path):
    path = tmp_path / "f.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(ValueError, match="not a complete gzip file"):
        _read_idx(path)


@pytest.mark.parametrize("magic", [0x00000903, 0x00000802, 0x12345678])
def test_read_idx_bad_magic(tmp_path, magic):
    write_idx(tmp_path / "f.gz", np.zeros((2, 2, 2)), magic=magic)
    with pytest.raises(ValueError, match=f"bad idx magic number {magic:#010x}"):
        _read_idx(tmp_path / "f.gz")


def test_read_idx_wrong_dimensions(tmp_path):
    write_idx(tmp_path / "f.gz", np.zeros((5, 28, 27)))
    match = r"announces dimensions \(5, 28, 27\), expected \(5, 28, 28\)"
    with pytest.raises(ValueError, match=match):
        _read_idx(tmp_path / "f.gz", expected_shape=(5, 28, 28))


def test_read_idx_payload_shorter_than_header_says(tmp_path):
    # header announces 10 labels, only 4 bytes follow: 4 != 10
    blob = struct.pack(">II", 0x00000801, 10) + bytes(4)
    (tmp_path / "f.gz").write_bytes(gzip.compress(blob))
    with pytest.raises(ValueError, match="4 data bytes after the header, expected 10"):
        _read_idx(tmp_path / "f.gz")


@pytest.mark.parametrize("blob", [b"\x00\x00", struct.pack(">I", 0x00000803) + bytes(6)])
def test_read_idx_header_too_short(tmp_path, blob):
    (tmp_path / "f.gz").write_bytes(gzip.compress(blob))
    with pytest.raises(ValueError, match="idx header too short"):
        _read_idx(tmp_path / "f.gz")


# --- lookup order: data_dir > MNIST_DATA_DIR > cache > download ---------------


def test_data_dir_argument(fake):
    assert_same(load_mnist(fake.dir_a), fake.a)
    assert_same(load_mnist(str(fake.dir_a)), fake.a)
    assert fake.calls == []


def test_argument_beats_environment(fake, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(fake.dir_a))
    fake.use("b")
    assert_same(load_mnist(fake.dir_b), fake.b)
    assert fake.calls == []


def test_environment_beats_cache(fake, monkeypatch):
    write_mnist_dir(fake.cache, *fake.a)
    monkeypatch.setenv("MNIST_DATA_DIR", str(fake.dir_b))
    fake.use("b")
    assert_same(load_mnist(), fake.b)
    assert fake.calls == []


def test_cache_with_the_four_files(fake):
    write_mnist_dir(fake.cache, *fake.a)
    assert_same(load_mnist(), fake.a)
    assert fake.calls == []


def test_xdg_cache_home_and_default(fake, monkeypatch):
    assert data.mnist_cache_dir() == fake.cache
    monkeypatch.delenv("XDG_CACHE_HOME")
    expected = Path.home() / ".cache" / "lecture_code" / "mnist"
    assert data.mnist_cache_dir() == expected


def test_download_only_when_nothing_local_then_cached(fake):
    assert_same(load_mnist(), fake.a)
    assert fake.calls == ["mnist_784"]
    assert sorted(os.listdir(fake.cache)) == ["mnist.npz"]  # no leftover .part
    assert_same(load_mnist(), fake.a)  # second call: from the cache
    assert fake.calls == ["mnist_784"]


def test_download_falls_back_to_liac_arff_when_pandas_parser_fails(fake, monkeypatch):
    parsers = []

    def pandas_broken(name, **kwargs):
        parsers.append(kwargs["parser"])
        if kwargs["parser"] == "pandas":
            raise TypeError("expected string or bytes-like object, got 'int'")
        X, y = fake.a
        return Bunch(data=X.astype(np.float64), target=y.astype(str))

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", pandas_broken)
    assert_same(load_mnist(), fake.a)
    assert parsers == ["pandas", "liac-arff"]


def test_download_pandas_options_read_uint8_pixels_and_string_labels(fake):
    # The options load_mnist gives fetch_openml, run through scikit-learn's own
    # pandas ARFF parser on a tiny ARFF file shaped like mnist_784 (4 pixels).
    from sklearn.datasets._arff_parser import _pandas_arff_parser

    X, y = fake.a
    names = [f"pixel{i + 1}" for i in range(SIDE * SIDE)]
    header = ["@relation mnist_784"] + [f"@attribute {n} numeric" for n in names]
    header += ["@attribute class {0,1,2,3,4,5,6,7,8,9}", "@data"]
    rows = [",".join(map(str, row)) + f",{label}" for row, label in zip(X, y)]
    blob = gzip.compress("\n".join(header + rows + [""]).encode())
    info = {n: {"data_type": "numeric", "name": n, "index": str(i)} for i, n in enumerate(names)}
    info["class"] = {"data_type": "nominal", "name": "class", "index": str(len(names))}
    kwargs = data._openml_attempts()[0]
    assert kwargs["parser"] == "pandas"
    X_out, y_out, _, _ = _pandas_arff_parser(
        gzip.GzipFile(fileobj=io.BytesIO(blob)),
        "numpy",
        info,
        names,
        ["class"],
        kwargs["read_csv_kwargs"],
    )
    assert X_out.dtype == np.uint8
    np.testing.assert_array_equal(X_out, X)
    np.testing.assert_array_equal(y_out, y.astype(str))


def test_download_network_error_does_not_retry_other_parser(fake, monkeypatch):
    parsers = []

    def offline(name, **kwargs):
        parsers.append(kwargs["parser"])
        raise urllib.error.URLError("timed out")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(FileNotFoundError, match="the download failed"):
        load_mnist()
    assert parsers == ["pandas"]


def test_download_every_parser_fails(fake, monkeypatch):
    def broken(name, **kwargs):
        raise ValueError(f"cannot parse with {kwargs['parser']}")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", broken)
    match = r"the download failed \(cannot parse with liac-arff\)"
    with pytest.raises(FileNotFoundError, match=match):
        load_mnist()


def test_download_that_is_not_mnist_is_refused_and_not_cached(fake, monkeypatch):
    def wrong(name, **kwargs):
        X, y = fake.b
        return Bunch(data=X.astype(np.float64), target=y.astype(str))

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", wrong)
    with pytest.raises(ValueError, match=r'fetch_openml\("mnist_784"\): the md5 of X'):
        load_mnist()
    assert not (fake.cache / "mnist.npz").exists()


def test_download_with_pixels_out_of_range(fake, monkeypatch):
    monkeypatch.setattr(
        sklearn.datasets,
        "fetch_openml",
        lambda name, **kw: Bunch(data=np.full((50, 4), 256.0), target=np.zeros(50)),
    )
    with pytest.raises(ValueError, match="pixels outside 0-255"):
        load_mnist()


def test_corrupt_cache_file(fake):
    load_mnist()  # download + cache
    path = fake.cache / "mnist.npz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="mnist.npz is corrupt or incomplete"):
        load_mnist()
    assert fake.calls == ["mnist_784"]  # a corrupt cache is reported, not refetched


def test_cache_file_with_wrong_content(fake):
    fake.cache.mkdir(parents=True)
    X, y = fake.b
    np.savez_compressed(fake.cache / "mnist.npz", X=X, y=y)
    with pytest.raises(ValueError, match="the md5 of X is .*delete the file"):
        load_mnist()


def test_cache_file_with_wrong_shape(fake):
    fake.cache.mkdir(parents=True)
    X, y = fake.a
    np.savez_compressed(fake.cache / "mnist.npz", X=X[:10], y=y)
    match = r"images have shape \(10, 4\) and dtype uint8, expected \(50, 4\) uint8"
    with pytest.raises(ValueError, match=match):
        load_mnist()


def test_cache_file_with_wrong_label_dtype(fake):
    fake.cache.mkdir(parents=True)
    X, y = fake.a
    np.savez_compressed(fake.cache / "mnist.npz", X=X, y=y.astype(np.int64))
    with pytest.raises(ValueError, match=r"labels have shape \(50,\) and dtype int64"):
        load_mnist()


def test_wrong_checksum_in_data_dir(fake, monkeypatch):
    table = dict(data.MNIST_FILES, **{"t10k-labels-idx1-ubyte.gz": "f" * 32})
    monkeypatch.setattr(data, "MNIST_FILES", table)
    match = (
        "t10k-labels-idx1-ubyte.gz is corrupt or incomplete: "
        "its md5 is [0-9a-f]{32}, expected f{32}"
    )
    with pytest.raises(ValueError, match=match):
        load_mnist(fake.dir_a)


def test_truncated_file_in_data_dir(fake):
    path = fake.dir_a / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    match = f"train-images-idx3-ubyte.gz is corrupt or incomplete: its md5 is {md5_of(path)}"
    with pytest.raises(ValueError, match=match):
        load_mnist(fake.dir_a)


def test_real_checksum_table_matches_readme():
    # The published md5s, copied by hand from the MNIST README table.
    assert MNIST_FILES == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }


# --- errors when the data is missing -------------------------------------------


def test_data_dir_without_files(fake):
    (fake.dir_a / "t10k-labels-idx1-ubyte.gz").unlink()
    match = (
        "data_dir = .* does not hold the MNIST file.s. "
        "t10k-labels-idx1-ubyte.gz\\. Put the four original files"
    )
    with pytest.raises(FileNotFoundError, match=match):
        load_mnist(fake.dir_a)
    assert fake.calls == []  # an explicit directory never falls back to a download


def test_environment_without_files(fake, monkeypatch):
    write_mnist_dir(fake.cache, *fake.a)  # the cache would work, but is not used
    monkeypatch.setenv("MNIST_DATA_DIR", str(fake.tmp / "empty"))
    match = r"\$MNIST_DATA_DIR = .*empty does not hold the MNIST file.s. train-images"
    with pytest.raises(FileNotFoundError, match=match):
        load_mnist()
    assert fake.calls == []


def test_no_data_and_no_network(fake, monkeypatch):
    def offline(name, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(FileNotFoundError) as err:
        load_mnist()
    msg = str(err.value)
    assert "the download failed (<urlopen error Name or service not known>)" in msg
    assert f"into {fake.cache}" in msg
    assert "set the environment variable MNIST_DATA_DIR" in msg
    assert "load_mnist(data_dir=...)" in msg
    for name in MNIST_FILES:
        assert name in msg
    assert not fake.cache.exists() or not any(fake.cache.iterdir())


# --- the stratified sample and the float conversion --------------------------


def test_mnist_sample_is_stratified_from_training_rows(fake):
    X, y = mnist_sample(20, data_dir=fake.dir_a)
    # 40 training labels, 4 of each digit; a sample of 20 keeps 2 of each.
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.full(10, 2))
    X_all, y_all = fake.a
    rows = [np.flatnonzero((X_all == row).all(axis=1)) for row in X]
    assert all(len(r) == 1 and r[0] < N_TRAIN for r in rows)  # never a test row
    np.testing.assert_array_equal(y, [y_all[r[0]] for r in rows])
    assert X.dtype == np.uint8 and len({r[0] for r in rows}) == 20


def test_mnist_sample_is_reproducible(fake):
    first = mnist_sample(12, random_state=3, data_dir=fake.dir_a)
    second = mnist_sample(12, random_state=3, data_dir=fake.dir_a)
    other = mnist_sample(12, random_state=4, data_dir=fake.dir_a)
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("n", [9, 31, 0, -5])
def test_mnist_sample_size_out_of_range(fake, n):
    # with the fake's 40 training images the largest sample is 40 - 10 = 30
    with pytest.raises(ValueError, match="n must be"):
        mnist_sample(n, data_dir=fake.dir_a)


def test_mnist_sample_size_message():
    with pytest.raises(ValueError, match="n must be between 10 and 59990; got 60000"):
        mnist_sample(60000)


@pytest.mark.parametrize("n", [5000.0, "5000", True])
def test_mnist_sample_size_type(n):
    with pytest.raises(TypeError, match="n must be a positive integer"):
        mnist_sample(n)


def test_scale_pixels():
    X = np.array([[0, 1, 128, 255]], dtype=np.uint8)
    out = data.scale_pixels(X)
    assert out.dtype == np.float32 and out.shape == X.shape
    # 128 / 255 = 0.50196..., to float32 precision
    np.testing.assert_allclose(out, [[0.0, 1 / 255, 128 / 255, 1.0]], rtol=1e-7)
    assert data.scale_pixels(X, np.float64)[0, 2] == 128 / 255
    assert X[0, 3] == 255  # the input is untouched


def test_scale_pixels_errors():
    match = "X must hold integer pixels 0-255; got dtype float64"
    with pytest.raises(TypeError, match=match):
        data.scale_pixels(np.zeros(3))
    with pytest.raises(TypeError, match="dtype must be a floating-point type; got int32"):
        data.scale_pixels(np.zeros(3, np.uint8), np.int32)


def test_public_names():
    for name in ["load_mnist", "mnist_sample", "scale_pixels", "mnist_cache_dir"]:
        assert getattr(lecture_code, name) is getattr(data, name)


# --- the real data ----------------------------------------------------------
# These read MNIST the way a reader's machine does: MNIST_DATA_DIR when it is
# set (CI sets it to the original files, offline), otherwise the cache, and on
# a first run with internet the OpenML download that fills the cache.

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist():
    X, y = load_mnist()
    assert X.shape == (70000, 784) and X.dtype == np.uint8
    assert y.shape == (70000,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 255
    np.testing.assert_array_equal(np.bincount(y[:60000]), TRAIN_COUNTS)  # README
    np.testing.assert_array_equal(np.bincount(y[60000:]), TEST_COUNTS)
    np.testing.assert_array_equal(y[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])  # well known


def test_real_mnist_sample():
    X, y = mnist_sample(5000)
    assert X.shape == (5000, 784) and X.dtype == np.uint8
    # stratified: each count within 1 of 5000 * (training share of the digit)
    expected = 5000 * np.array(TRAIN_COUNTS) / 60000
    assert np.all(np.abs(np.bincount(y) - expected) <= 1)
