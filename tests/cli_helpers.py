"""Running the ``mpcnet`` command line in a subprocess, as a user would."""

import subprocess
import sys


def usage_error_line(argv: list[str], cwd) -> str:
    """Run ``mpcnet argv``; assert exit code 2 and a one-line error, and return that line."""
    proc = subprocess.run([sys.executable, "-m", "training.cli", *argv], capture_output=True,
                          text=True, cwd=cwd)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def run_cli(argv: list[str]) -> int:
    """``mpcnet argv`` in this process; the exit code, argparse's own errors included."""
    from training.cli import main

    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code
