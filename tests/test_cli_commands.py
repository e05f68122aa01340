"""The commands besides ``retroprop train`` on bad input: one line on stderr, exit status
2 for a usage error or a file that cannot be used, 1 for a failure, never a traceback."""

import subprocess
import sys

from retroprop.cli import main


def test_python_m_retroprop_is_the_command():
    result = subprocess.run([sys.executable, "-m", "retroprop", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("retroprop ")


def test_a_diverged_training_is_one_line_and_status_1(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--hidden", "8", "--lr", "1e6", "--verbose", "0",
                 "--output", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("retroprop: error: fit: training diverged") and err.count("\n") == 1
