r"""MNIST handwritten digits, loaded offline-first and verified.

:func:`load_mnist` returns the 70,000 MNIST images as one ``uint8`` array in
the official order (the 60,000 training images, then the 10,000 test images),
the same data as scikit-learn's ``fetch_openml("mnist_784")`` but with integer
labels. It looks for the data in this order:

1. the ``data_dir`` argument;
2. the ``MNIST_DATA_DIR`` environment variable;
3. the cache directory :func:`mnist_cache_dir`, which is
   ``$XDG_CACHE_HOME/lecture_code/mnist`` (by default
   ``~/.cache/lecture_code/mnist``);
4. otherwise it downloads once with ``fetch_openml`` and stores the result in
   the cache directory as ``mnist.npz``.

Steps 1 to 3 read the four original gzip files of LeCun, Cortes and Burges
(names in :data:`MNIST_FILES`) and check each file's published MD5 *before*
parsing it. The cache file ``mnist.npz`` is checked too, by the MD5 of its
pixels and of its labels (:data:`MNIST_CONTENT_MD5`), because a re-compressed
file cannot have the original bytes. Nothing unverified is ever returned.

Memory: the loaders return ``uint8`` (55 MB for all 70,000 images). Convert
with :func:`scale_pixels`, which makes exactly one ``float32`` copy (220 MB
for the whole set) instead of the 440 MB ``float64`` array of ``X / 255.0``.

Introduced in chapter "MNIST".
"""

import gzip
import hashlib
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._validation import _check_n_classes

__all__ = ["load_mnist", "mnist_sample", "mnist_cache_dir", "scale_pixels"]

#: The four original files and their published MD5 checksums (of the .gz).
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: MD5 of the raw bytes of ``X`` (70000 x 784 uint8, C order) and of ``y``
#: (70000 uint8) in the official order: the check for the cached ``mnist.npz``
#: and for a fresh download. Computed from the four files above.
MNIST_CONTENT_MD5 = {
    "X": "df934f9eb93f7ea5d223226cfb084043",
    "y": "bf9c761ef28608442f2dc57fe655344e",
}

#: Environment variable naming a directory that holds the four files.
ENV_VAR = "MNIST_DATA_DIR"

#: Name of the cached download inside :func:`mnist_cache_dir`.
CACHE_FILE = "mnist.npz"

_N_TRAIN, _N_TEST, _SIDE = 60_000, 10_000, 28

# idx magic numbers: 0x0000 08 0N = unsigned bytes, N dimensions.
_MAGIC = {3: 0x00000803, 1: 0x00000801}


def _expected_shapes():
    """Dimensions each file's header must announce (read at call time)."""
    return {
        "train-images-idx3-ubyte.gz": (_N_TRAIN, _SIDE, _SIDE),
        "train-labels-idx1-ubyte.gz": (_N_TRAIN,),
        "t10k-images-idx3-ubyte.gz": (_N_TEST, _SIDE, _SIDE),
        "t10k-labels-idx1-ubyte.gz": (_N_TEST,),
    }


def mnist_cache_dir():
    """Directory where :func:`load_mnist` caches (and looks for) MNIST.

    ``$XDG_CACHE_HOME/lecture_code/mnist``, or ``~/.cache/lecture_code/mnist``
    when ``XDG_CACHE_HOME`` is not set. The directory need not exist.

    Returns
    -------
    pathlib.Path

    Introduced in chapter "MNIST".
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lecture_code" / "mnist"


def _md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _read_idx(path, expected_md5=None, expected_shape=None):
    """Read one gzip-compressed idx file into a read-only ``uint8`` array.

    The checksum of the compressed bytes is checked *before* anything is
    decompressed or parsed; then the magic number, the number of dimensions,
    the dimensions themselves and the payload length.

    Parameters
    ----------
    path : str or Path
        A ``*-idx?-ubyte.gz`` file.
    expected_md5 : str, optional
        MD5 hex digest of the file; ``None`` skips the check.
    expected_shape : tuple of int, optional
        The dimensions the header must announce; ``None`` accepts any.

    Returns
    -------
    ndarray of uint8
        Shape given by the header, e.g. ``(N, 28, 28)`` or ``(N,)``.

    Raises
    ------
    ValueError
        If the checksum, the gzip stream, the header or the length is wrong.
    """
    path = Path(path)
    raw = path.read_bytes()
    if expected_md5 is not None:
        actual = _md5(raw)
        if actual != expected_md5:
            raise ValueError(
                f"{path} is corrupt or incomplete: its md5 is {actual}, expected "
                f"{expected_md5} ({len(raw):,} bytes read). Delete it and copy "
                "the original file again (see the MNIST README)."
            )
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{path} is not a complete gzip file ({exc}). Delete it and copy the "
            "original file again."
        ) from exc
    if len(data) < 4:
        raise ValueError(f"{path}: idx header too short ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    ndim = data[3]
    if magic >> 8 != 0x08 or ndim not in _MAGIC:
        raise ValueError(
            f"{path}: bad idx magic number {magic:#010x}; expected "
            f"{_MAGIC[3]:#010x} (images) or {_MAGIC[1]:#010x} (labels)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: idx header too short ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if expected_shape is not None and shape != tuple(expected_shape):
        raise ValueError(
            f"{path}: idx header announces dimensions {shape}, expected {tuple(expected_shape)}"
        )
    n_bytes = int(np.prod(shape))
    if len(data) - header != n_bytes:
        raise ValueError(
            f"{path}: {len(data) - header:,} data bytes after the header, "
            f"expected {n_bytes:,} for dimensions {shape}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _missing_files(directory):
    return [name for name in MNIST_FILES if not (Path(directory) / name).is_file()]


def _read_idx_dir(directory):
    """Read the four verified idx files of ``directory``; return ``(X, y)``."""
    parts = {
        name: _read_idx(Path(directory) / name, MNIST_FILES[name], shape)
        for name, shape in _expected_shapes().items()
    }
    X = np.concatenate(
        [
            parts["train-images-idx3-ubyte.gz"].reshape(_N_TRAIN, -1),
            parts["t10k-images-idx3-ubyte.gz"].reshape(_N_TEST, -1),
        ]
    )
    y = np.concatenate([parts["train-labels-idx1-ubyte.gz"], parts["t10k-labels-idx1-ubyte.gz"]])
    return X, y


def _check_content(X, y, source):
    """Check shape, dtype and the content MD5s of ``(X, y)`` from ``source``."""
    n, d = _N_TRAIN + _N_TEST, _SIDE * _SIDE
    if X.shape != (n, d) or X.dtype != np.uint8:
        raise ValueError(
            f"{source}: images have shape {X.shape} and dtype {X.dtype}, expected ({n}, {d}) uint8"
        )
    if y.shape != (n,) or y.dtype != np.uint8:
        raise ValueError(
            f"{source}: labels have shape {y.shape} and dtype {y.dtype}, expected ({n},) uint8"
        )
    for key, arr in (("X", X), ("y", y)):
        actual = _md5(np.ascontiguousarray(arr).tobytes())
        expected = MNIST_CONTENT_MD5[key]
        if actual != expected:
            raise ValueError(
                f"{source}: the md5 of {key} is {actual}, expected {expected}. "
                "The data is not the original MNIST; delete the file and load again."
            )


def _read_cache(path):
    """Load and verify the cached ``mnist.npz``; return ``(X, y)``."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            X, y = npz["X"], npz["y"]
    except (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"{path} is corrupt or incomplete ({exc}). Delete it and call "
            "load_mnist() again to download MNIST once more."
        ) from exc
    _check_content(X, y, path)
    return X, y


def _openml_attempts():
    """Keyword arguments for ``fetch_openml``, best first.

    The pandas parser with explicit column types reads the pixels straight
    into ``uint8`` (55 MB) and the labels as strings. The explicit label type
    also avoids a bug of scikit-learn's pandas parser with pandas >= 3.1,
    which reads unquoted nominal values as integers (present in
    scikit-learn 1.9.1; scikit-learn issue #34892). The pure-Python
    LIAC-ARFF parser is the fallback: slower, and it briefly holds two
    float64 copies (~0.9 GB).
    """
    attempts = []
    try:
        import pandas as pd
    except ImportError:
        pass
    else:
        column_types = {i: np.uint8 for i in range(_SIDE * _SIDE)}
        column_types[_SIDE * _SIDE] = pd.CategoricalDtype([str(d) for d in range(10)])
        attempts.append({"parser": "pandas", "read_csv_kwargs": {"dtype": column_types}})
    attempts.append({"parser": "liac-arff"})
    return attempts


def _download(cache_dir):
    """Download MNIST with ``fetch_openml``, verify it, cache it as npz."""
    from sklearn import datasets

    attempts = _openml_attempts()
    for i, kwargs in enumerate(attempts):
        try:
            bunch = datasets.fetch_openml(
                "mnist_784", version=1, as_frame=False, cache=False, **kwargs
            )
            break
        except OSError as exc:  # no network, server down, proxy, disk, ...
            raise FileNotFoundError(_no_data_message(cache_dir, exc)) from exc
        except Exception as exc:  # a parser problem: try the next parser
            if i == len(attempts) - 1:
                raise FileNotFoundError(_no_data_message(cache_dir, exc)) from exc
    data, target = bunch["data"], bunch["target"]
    del bunch
    X = np.asarray(data)
    del data
    if X.min() < 0 or X.max() > 255:
        raise ValueError("fetch_openml returned pixels outside 0-255")
    X = X.astype(np.uint8, copy=False)  # frees any float copy; md5 checks the rest
    y = np.asarray(target).astype(np.int64).astype(np.uint8)
    _check_content(X, y, 'fetch_openml("mnist_784")')
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / (CACHE_FILE + ".part.npz")
    np.savez_compressed(tmp, X=X, y=y)
    os.replace(tmp, cache_dir / CACHE_FILE)  # atomic: never a half-written cache
    return X, y


def _no_data_message(cache_dir, exc):
    files = "\n".join(f"    {name}" for name in MNIST_FILES)
    return (
        f"MNIST is not available locally and the download failed ({exc}).\n"
        "Do one of the following:\n"
        f"  * put the four original files\n{files}\n"
        f"    into {cache_dir}\n"
        f"  * or set the environment variable {ENV_VAR} to a directory that holds them,"
        f" e.g. export {ENV_VAR}=/path/to/mnist\n"
        "  * or pass load_mnist(data_dir=...)\n"
        "  * or connect to the internet and call load_mnist() again "
        "(it downloads once and caches)."
    )


def load_mnist(data_dir=None):
    r"""Load all 70,000 MNIST digits, verified, as ``uint8`` pixels.

    Each image is a row of :math:`28 \times 28 = 784` pixels from 0
    (background) to 255 (ink). The rows are in the official order: the
    first 60,000 are the training set, the last 10,000 the test set.

    .. math:: X \in \{0, \dots, 255\}^{70000 \times 784}, \qquad
              y \in \{0, \dots, 9\}^{70000}

    Parameters
    ----------
    data_dir : str or Path, optional
        Directory holding the four original files (:data:`MNIST_FILES`).
        If ``None``: the directory in the ``MNIST_DATA_DIR`` environment
        variable; else the cache :func:`mnist_cache_dir` (the four files or
        ``mnist.npz``); else a one-time download with scikit-learn's
        ``fetch_openml("mnist_784")``, cached as ``mnist.npz``.

    Returns
    -------
    X : ndarray of uint8, shape (70000, 784)
    y : ndarray of int64, shape (70000,)
        The digit of each image.

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` or ``MNIST_DATA_DIR`` lacks one of the files, or if
        nothing is cached and the download fails; the message says where to
        put the files.
    ValueError
        If a file is corrupt, incomplete or has the wrong checksum.

    Notes
    -----
    The download (only when nothing is found locally) reads OpenML's ARFF
    file with pandas straight into ``uint8``; if that parser fails it falls
    back to scikit-learn's LIAC-ARFF parser, which briefly needs about
    1 GB. Every later call reads the cache and holds only ``uint8`` data.
    Use :func:`scale_pixels` for a single ``float32`` copy.

    Examples
    --------
    >>> X, y = load_mnist()
    >>> X.shape, X.dtype, y[:5]
    ((70000, 784), dtype('uint8'), array([5, 0, 4, 1, 9]))

    Introduced in chapter "MNIST".
    """
    if data_dir is not None:
        source, directory = "data_dir", Path(data_dir)
    elif os.environ.get(ENV_VAR):
        source, directory = f"${ENV_VAR}", Path(os.environ[ENV_VAR])
    else:
        source, directory = None, None

    if directory is not None:  # explicit choice: no silent fallback
        missing = _missing_files(directory)
        if missing:
            raise FileNotFoundError(
                f"{source} = {directory} does not hold the MNIST file(s) "
                f"{', '.join(missing)}. Put the four original files "
                f"({', '.join(MNIST_FILES)}) there, or point {source} at the "
                "directory that holds them."
            )
        X, y = _read_idx_dir(directory)
    else:
        cache = mnist_cache_dir()
        if not _missing_files(cache):
            X, y = _read_idx_dir(cache)
        elif (cache / CACHE_FILE).is_file():
            X, y = _read_cache(cache / CACHE_FILE)
        else:
            X, y = _download(cache)
    return X, y.astype(np.int64)


def mnist_sample(n=5000, *, random_state=0, data_dir=None):
    """A stratified random sample of the 60,000 MNIST training images.

    Each digit keeps its share of the training set (to within one image),
    so a small sample is still balanced. The 10,000 test images are never
    sampled. With the defaults this is the 5,000-image sample of the
    lecture and the homework.

    Parameters
    ----------
    n : int, default 5000
        Sample size, from 10 (one image per digit) to 59,990 (the split
        must leave at least one image of each digit out).
    random_state : int, default 0
        Seed of the sample (``train_test_split``'s ``random_state``).
    data_dir : str or Path, optional
        Passed to :func:`load_mnist`.

    Returns
    -------
    X : ndarray of uint8, shape (n, 784)
    y : ndarray of int64, shape (n,)

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n`` is outside [10, 59990].

    Examples
    --------
    >>> X, y = mnist_sample(5000)
    >>> X.shape, np.bincount(y)
    ((5000, 784), array([494, 562, 496, 511, 487, 452, 493, 522, 487, 496]))

    Introduced in chapter "MNIST".
    """
    n = _check_n_classes(n, "n")
    if not 10 <= n <= _N_TRAIN - 10:
        raise ValueError(f"n must be between 10 and {_N_TRAIN - 10}; got {n}")
    from sklearn.model_selection import train_test_split

    X, y = load_mnist(data_dir)
    X_train, y_train = X[:_N_TRAIN], y[:_N_TRAIN]
    X_s, _, y_s, _ = train_test_split(
        X_train, y_train, train_size=n, stratify=y_train, random_state=random_state
    )
    return X_s, y_s


def scale_pixels(X, dtype=np.float32):
    r"""Pixels 0-255 as floats in [0, 1], with a single copy.

    .. math:: x \mapsto x / 255

    ``X / 255.0`` makes a float64 array (8 bytes per pixel: 440 MB for all
    of MNIST). This function makes one array of ``dtype`` (``float32`` by
    default: 220 MB) and divides it in place, so no second temporary copy
    appears.

    Parameters
    ----------
    X : array_like of integers
        Pixels, e.g. from :func:`load_mnist`.
    dtype : {numpy.float32, numpy.float64}, default numpy.float32

    Returns
    -------
    ndarray of ``dtype``, same shape as ``X``

    Raises
    ------
    TypeError
        If ``X`` is not an integer array or ``dtype`` is not a float type.

    Examples
    --------
    >>> scale_pixels(np.array([[0, 51, 255]], dtype=np.uint8))
    array([[0. , 0.2, 1. ]], dtype=float32)

    Introduced in chapter "MNIST".
    """
    X = np.asarray(X)
    if X.dtype.kind not in "ui":
        raise TypeError(f"X must hold integer pixels 0-255; got dtype {X.dtype}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating-point type; got {dtype}")
    out = X.astype(dtype)
    out /= dtype.type(255)
    return out
