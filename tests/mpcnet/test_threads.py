"""Thread hygiene: one torch thread by default, changed by --threads or MPCNET_THREADS."""

import pytest
import torch

from mpcnet.errors import ConfigError
from mpcnet.threads import THREADS_ENV, configure_threads, requested_threads
from tests.fixtures.cli import usage_error_line


def test_default_is_one_thread_and_the_environment_or_argument_changes_it(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert requested_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "3")
    assert requested_threads() == 3
    assert requested_threads(2) == 2  # the command line wins over the environment
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(ConfigError, match="MPCNET_THREADS"):
        requested_threads()
    with pytest.raises(ConfigError, match="threads="):
        requested_threads(0)
    before = torch.get_num_threads()
    try:
        assert configure_threads(2) == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_every_command_takes_threads_and_rejects_nonsense(tmp_path):
    from training.cli import build_parser

    parser = build_parser()
    for argv in (["collect"], ["train", "--data", "d"], ["bench", "rollout"],
                 ["bench", "mip", "--model", "m", "--json", "j"], ["demo"]):
        assert parser.parse_args([*argv, "--threads", "2"]).threads == 2
    line = usage_error_line(["collect", "--threads", "0", "--out", str(tmp_path / "x")],
                            tmp_path)
    assert "--threads: expected an integer from 1 to 1,024, got 0" in line
    assert not (tmp_path / "x").exists()


def test_heap_thresholds_are_pinned_on_glibc_unless_the_environment_chooses(monkeypatch):
    import platform
    import sys

    from mpcnet.threads import pin_heap_thresholds

    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert pin_heap_thresholds() is glibc
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert pin_heap_thresholds() is False
