import gzip

import numpy as np
import pytest

import retroprop as rp
from retroprop.datasets import IDXError, read_idx


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def test_reads_plain_and_gzip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(images))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), images)
    floats = np.array([1.5, -2.0], dtype=">f4")
    (tmp_path / "f").write_bytes(idx_bytes(floats, 0x0D))
    out = read_idx(tmp_path / "f")
    assert out.dtype == np.float32 and out.tolist() == [1.5, -2.0]


def test_rejects_wrong_magic_and_truncation(tmp_path):
    images = np.zeros((2, 3, 4), dtype=np.uint8)
    data = idx_bytes(images)
    (tmp_path / "magic").write_bytes(b"\x01" + data[1:])
    with pytest.raises(IDXError, match="magic number 01000803"):
        read_idx(tmp_path / "magic")
    (tmp_path / "short").write_bytes(data[:-5])
    with pytest.raises(IDXError, match=r"truncated: shape \(2, 3, 4\) of uint8 needs 24 bytes"):
        read_idx(tmp_path / "short")
    (tmp_path / "long").write_bytes(data + b"xx")
    with pytest.raises(IDXError, match="too long"):
        read_idx(tmp_path / "long")
    (tmp_path / "badgz").write_bytes(gzip.compress(data)[:20])
    with pytest.raises(IDXError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "badgz")


def fake_mnist(directory, n_train=6, n_test=4):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        (directory / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (directory / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))


def test_load_mnist_from_a_path_and_from_the_environment(tmp_path, monkeypatch):
    fake_mnist(tmp_path / "here")
    (X, y), (X_test, y_test) = rp.datasets.load_mnist(tmp_path / "here", download=False)
    assert X.shape == (6, 28, 28) and X.dtype == np.uint8 and y.dtype == np.int64
    assert X_test.shape == (4, 28, 28) and y_test.shape == (4,)
    fake_mnist(tmp_path / "data" / "mnist", n_train=3)
    monkeypatch.setenv("RETROPROP_DATA", str(tmp_path / "data"))
    (X, _), _ = rp.datasets.load_mnist(download=False)
    assert len(X) == 3


def test_missing_data_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RETROPROP_DATA", raising=False)

    def offline(*args, **kwargs):
        raise rp.datasets.DownloadError("no network")

    monkeypatch.setattr(rp.datasets.loaders, "download", offline)
    with pytest.raises(FileNotFoundError, match=r"(?s)not found in:.*cache/retroprop/mnist.*"
                                                r"download failed \(no network\).*RETROPROP_DATA"):
        rp.datasets.load_mnist()
    with pytest.raises(FileNotFoundError, match="not a folder"):
        rp.datasets.load_mnist(tmp_path / "nowhere")


def test_download_checks_the_checksum(tmp_path):
    source = tmp_path / "mirror"
    source.mkdir()
    (source / "file.bin").write_bytes(b"payload")
    good = rp.datasets.download.sha256(source / "file.bin")
    mirror = source.as_uri() + "/"
    saved = rp.datasets.download.download("file.bin", [mirror], good, tmp_path / "out")
    assert saved.read_bytes() == b"payload"
    with pytest.raises(rp.datasets.DownloadError, match="SHA-256"):
        rp.datasets.download.download("file.bin", [mirror], "0" * 64, tmp_path / "out2")
    assert not list((tmp_path / "out2").iterdir())


def test_fashion_mnist_from_the_debian_package():
    (X, y), (X_test, y_test) = rp.datasets.load_fashion_mnist(download=False)
    assert X.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert X.dtype == np.uint8 and X.max() == 255
    assert np.array_equal(np.bincount(y), np.full(10, 6000))
    assert y_test.dtype == np.int64


def test_digits_split_is_fixed_and_stratified():
    (X, _), (X_test, y_test) = rp.datasets.load_digits()
    (X2, _), _ = rp.datasets.load_digits()
    np.testing.assert_array_equal(X, X2)
    assert X.dtype == np.uint8 and X.shape[1:] == (8, 8) and X.max() == 16
    assert len(X) + len(X_test) == 1797
    assert np.bincount(y_test).min() >= 34
    scaled = rp.datasets.scale(X, rp.datasets.DIGITS_MAXIMUM)
    assert scaled.dtype == np.float32 and scaled.max() == 1.0


def test_load_by_name_and_files(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        rp.datasets.load("cifar")
    table = np.column_stack([np.random.default_rng(0).random((20, 3)), np.arange(20) % 2])
    np.savetxt(tmp_path / "d.csv", table, delimiter=",", header="a,b,c,label", comments="")
    ((X, y), (X_test, _)), maximum = rp.datasets.load(str(tmp_path / "d.csv"))
    assert X.shape == (16, 3) and y.dtype == np.int64 and len(X_test) == 4 and maximum is None
    np.savez(tmp_path / "d.npz", X=table[:, :3], y=table[:, 3])
    ((X, _), _), _ = rp.datasets.load(str(tmp_path / "d.npz"))
    assert X.shape == (16, 3)


def test_idx_errors_are_data_file_errors_and_corrupt_streams_are_reported(tmp_path):
    assert issubclass(IDXError, rp.DataFileError) and issubclass(IDXError, rp.FileFormatError)
    data = bytearray(gzip.compress(idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 20))))
    data[14] ^= 0xFF  # inside the deflate stream: zlib reports it, not gzip
    (tmp_path / "flipped.gz").write_bytes(bytes(data))
    with pytest.raises(IDXError, match="corrupt or truncated gzip data"):
        read_idx(tmp_path / "flipped.gz")
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


def test_declared_sizes_beyond_the_data_cost_no_memory(tmp_path):
    huge = bytes([0, 0, 0x0D, 2]) + np.array([2**30] * 2, ">u4").tobytes() + bytes(8)
    (tmp_path / "huge").write_bytes(huge)
    with pytest.raises(IDXError, match=r"truncated: shape \(1073741824, 1073741824\) of "
                                       r"float32 needs 4611686018427387904 bytes of data, "
                                       "found 8"):
        read_idx(tmp_path / "huge")
    beyond = bytes([0, 0, 0x08, 3]) + np.array([0, 2**32 - 1, 2**32 - 1], ">u4").tobytes()
    (tmp_path / "beyond").write_bytes(beyond)
    with pytest.raises(IDXError, match=r"shape \(0, 4294967295, 4294967295\) of uint8 is "
                                       "too large for any array"):
        read_idx(tmp_path / "beyond")
    (tmp_path / "short_header").write_bytes(bytes([0, 0, 0x08, 3, 0, 0]))
    with pytest.raises(IDXError, match="truncated header: 3 dimensions need 16 bytes"):
        read_idx(tmp_path / "short_header")
