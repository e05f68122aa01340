"""Every tutorial runs (quick mode where they train)."""

import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).parents[1] / "examples" / "tutorials").glob("*.py"))


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(script):
    result = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_there_is_a_tutorial_per_lecture_topic():
    assert len(TUTORIALS) == 5


def test_convnet_recipe_runs_on_a_slice():
    recipe = Path(__file__).parents[1] / "examples" / "fashion_convnet.py"
    result = subprocess.run([sys.executable, str(recipe), "--epochs", "1", "--train-size",
                             "512"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
