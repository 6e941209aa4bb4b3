"""The examples run as users run them (the example checks RTL against the golden model and
exits non-zero on any difference)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_own_mlp_example(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "own_mlp.py"),
                             str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RTL = golden model on 6 inputs" in result.stdout
    assert (tmp_path / "mlp.eie").exists()


def test_cpu_baseline_example():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "cpu_baseline.py"),
                             "--layer", "NT-We"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("NT-We: 600×4096, ")
    assert "thread(s):" in result.stdout and "scipy" in result.stdout
