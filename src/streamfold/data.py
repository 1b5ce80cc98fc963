"""Data sets that ship with the project's dependencies or sit on disk; nothing is downloaded."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfold.errors import DataError

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Split:
    """Images as float32 in [0, 1], flattened per sample, and integer labels."""

    x: npt.NDArray[np.float32]
    y: I64


def load_digits_split(test_fraction: float = 0.25, seed: int = 0) -> tuple[Split, Split]:
    """scikit-learn's 8x8 digits (1,797 images, values 0..16 scaled to [0, 1]), split once."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return Split(x[train], y[train]), Split(x[test], y[test])


_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def load_mnist(data_dir: str | Path) -> tuple[Split, Split]:
    """MNIST from the four IDX files (plain or .gz) in ``data_dir``: (train, test)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(f"MNIST: data directory must exist, not {str(root)!r} (pass --data DIR)")
    return _load_idx_splits(root, "MNIST")


def load_fashion_mnist(data_dir: str | Path = FASHION_MNIST_DIR) -> tuple[Split, Split]:
    """Fashion-MNIST (same IDX files and layout as MNIST) in ``data_dir``: (train, test).

    Images are flattened to 784 values in [0, 1], as ``load_mnist``'s; reshape to [1, 28, 28].
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(
            f"Fashion-MNIST: data directory must exist, not {str(root)!r} "
            "(apt-get install dataset-fashion-mnist, or pass --data DIR)"
        )
    return _load_idx_splits(root, "Fashion-MNIST")


def _load_idx_splits(root: Path, name: str) -> tuple[Split, Split]:
    splits = []
    for part in ("train", "test"):
        images, labels = (_read_idx(_find(root, stem, name)) for stem in _MNIST_FILES[part])
        if len(images) != len(labels):
            raise DataError(
                f"{name}: {part} images and labels must be as many, "
                f"not {len(images)} and {len(labels)}"
            )
        x = images.reshape(len(images), -1).astype(np.float32) / 255.0
        splits.append(Split(x, labels.astype(np.int64)))
    return splits[0], splits[1]


def _find(root: Path, stem: str, name: str = "MNIST") -> Path:
    for candidate in (root / stem, root / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{name}: {root}/{stem}[.gz] must exist")


def _read_idx(path: Path) -> U8:
    if path.suffix == ".gz":
        with gzip.open(path) as f:
            raw = f.read()
    else:
        raw = path.read_bytes()
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise DataError(f"{path}: must be an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path}: must hold {int(np.prod(dims))} values, not {data.size}")
    return data.reshape(dims)
