"""Files are written atomically, with the user's umask, and a full disk names the file."""

import errno
import os

import pytest

import retroprop as rp
from retroprop.atomic import atomic_write


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_model_file_keeps_the_umask(tmp_path, umask_022):
    rp.save(rp.nn.Linear(2, 1), tmp_path / "model.rpz")
    assert (tmp_path / "model.rpz").stat().st_mode & 0o777 == 0o644


def test_atomic_write_keeps_the_umask(tmp_path, umask_022):
    atomic_write(tmp_path / "report.html", "<p>ok</p>")
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "report.html").read_text() == "<p>ok</p>"


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old report")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match=f"could not write {target}: No space left"):
        atomic_write(target, "new report")
    assert target.read_text() == "old report"
    assert os.listdir(tmp_path) == ["report.html"]  # no temporary file left behind


def test_report_is_written_atomically(tmp_path, monkeypatch, capsys):
    from retroprop.cli import main

    assert main(["train", "--epochs", "1", "--hidden", "8", "--verbose", "0",
                 "--output", str(tmp_path)]) == 0
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")))
    before = (tmp_path / "report.html").read_text()
    assert main(["report", str(tmp_path)]) == 2
    assert f"could not write {tmp_path / 'report.html'}" in capsys.readouterr().err
    assert (tmp_path / "report.html").read_text() == before
