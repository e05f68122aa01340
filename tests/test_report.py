"""The training report is a self-contained page that a browser renders: every image
decodes, the screenshot is not blank, and the console shows no error (headless Chromium,
from Debian's ``chromium`` package)."""

import re
import shutil

import numpy as np
import pytest

import retroprop as rp
from retroprop.cli import main
from retroprop.report import build_report
from retroprop.serialization import read_metadata
from tests.chromium import CHECK, chromium


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "3", "--quiet", "--output", str(folder)]) == 0
    return folder


def test_report_is_self_contained_and_rebuilt(run_dir):
    page = (run_dir / "report.html").read_text()
    assert "http://" not in page and "https://" not in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 5
    (run_dir / "report.html").unlink()
    assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "report.html").is_file()




@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_report_of_a_run_with_non_finite_weights(run_dir, tmp_path, bad):
    """A diverged model still gets its report (matplotlib refused the histogram: "range of
    [nan, nan] is not finite"), each histogram saying how many weights it leaves out."""
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    model, metadata = rp.load(folder / "model.rpz"), read_metadata(folder / "model.rpz")
    model[0].weight.data[:2] = bad
    model[2].weight.data[...] = bad
    rp.save(model, folder / "model.rpz", metadata=metadata)
    page = build_report(folder).read_text()
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 5


def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    checked = tmp_path / "checked.html"
    checked.write_text((run_dir / "report.html").read_text().replace("</body>", CHECK +
                                                                      "</body>"))
    dom = chromium("--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                   "--dump-dom", checked.as_uri(), profile=tmp_path / "profile1")
    assert "<title>images 5/5</title>" in dom.stdout, dom.stdout[:300]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "rror" in line], console

    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,2400",
             (run_dir / "report.html").as_uri(), profile=tmp_path / "profile2")
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] > 1000 and pixels[..., :3].std() > 0.05  # not a blank page
    assert np.mean(pixels[..., :3] < 0.5) > 0.01  # drawn content: dark pixels


def test_report_of_a_feature_table_renders(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 13))
    labels = np.array(["barbera", "barolo", "grignolino"])[
        np.digitize(X[:, 0] + 0.7 * rng.normal(size=150), [-0.5, 0.5])]
    rows = ["cultivar," + ",".join(f"f{i}" for i in range(13))]
    rows += [",".join([name, *(f"{v:.4f}" for v in row)]) for name, row in zip(labels, X,
                                                                                strict=True)]
    (tmp_path / "wine.csv").write_text("\n".join(rows) + "\n")
    run_dir = tmp_path / "run"
    assert main(["train", "--dataset", str(tmp_path / "wine.csv"), "--label-column",
                 "cultivar", "--epochs", "3", "--verbose", "0", "--output", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text()
    assert "<td>grignolino</td>" in page or "<td>barolo</td>" in page  # true/predicted names
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", CHECK + "</body>"))
    dom = chromium("--virtual-time-budget=5000", "--dump-dom", checked.as_uri(),
                   profile=tmp_path / "profile")
    assert "<title>images 4/4</title>" in dom.stdout, dom.stdout[:300]
    assert "<table>" in dom.stdout and "<th>f0</th>" in dom.stdout
