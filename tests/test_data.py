"""Data loaders: the IDX reader shared by MNIST and Fashion-MNIST."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from streamfold.data import FASHION_MNIST_DIR, load_fashion_mnist, load_mnist
from streamfold.errors import DataError


def _idx(data: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, data.ndim]) + b"".join(d.to_bytes(4, "big") for d in data.shape)
    return header + data.astype(np.uint8).tobytes()


def _write_set(root: Path, rng: np.random.Generator, compress: bool) -> dict[str, np.ndarray]:
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 6),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 4),
    }
    for name, data in arrays.items():
        if compress:
            with gzip.open(root / f"{name}.gz", "wb") as f:
                f.write(_idx(data))
        else:
            (root / name).write_bytes(_idx(data))
    return arrays


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "plain"])
def test_fashion_mnist_reads_idx_files(
    tmp_path: Path, rng: np.random.Generator, compress: bool
) -> None:
    arrays = _write_set(tmp_path, rng, compress)
    train, test = load_fashion_mnist(tmp_path)
    assert train.x.shape == (6, 784) and test.x.shape == (4, 784)
    assert train.x.dtype == np.float32 and train.y.dtype == np.int64
    np.testing.assert_array_equal(train.x * 255, arrays["train-images-idx3-ubyte"].reshape(6, -1))
    np.testing.assert_array_equal(test.y, arrays["t10k-labels-idx1-ubyte"])
    mnist_train, _ = load_mnist(tmp_path)  # the same reader
    np.testing.assert_array_equal(mnist_train.x, train.x)


def test_fashion_mnist_missing_directory_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist") as info:
        load_fashion_mnist(tmp_path / "nowhere")
    assert "--data DIR" in str(info.value) and "\n" not in str(info.value)


def test_fashion_mnist_missing_file_is_named(tmp_path: Path, rng: np.random.Generator) -> None:
    _write_set(tmp_path, rng, compress=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"Fashion-MNIST: .*t10k-labels-idx1-ubyte\[\.gz\]"):
        load_fashion_mnist(tmp_path)


def test_mismatched_counts_are_rejected(tmp_path: Path, rng: np.random.Generator) -> None:
    _write_set(tmp_path, rng, compress=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx(np.zeros(5, dtype=np.uint8)))
    with pytest.raises(DataError, match="as many"):
        load_fashion_mnist(tmp_path)


@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).is_dir(), reason="Fashion-MNIST is not installed")
def test_installed_fashion_mnist() -> None:
    train, test = load_fashion_mnist()
    assert train.x.shape == (60000, 784) and test.x.shape == (10000, 784)
    assert set(np.unique(train.y)) == set(range(10))
    assert train.x.min() >= 0.0 and train.x.max() <= 1.0
