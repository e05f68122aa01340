"""Reuse of freed memory between steps (``rp.set_memory_reuse``, glibc's ``mallopt``).

The behaviour is checked by its effect: the page faults of a loop that allocates and
frees 70 MiB per step, measured in a fresh process so that the settings of the test
process are not touched.
"""

import os
import platform
import subprocess
import sys

import pytest

import retroprop as rp
from retroprop import allocator

GLIBC = sys.platform == "linux" and platform.libc_ver()[0] == "glibc"

#: ten 7 MiB arrays per step, after one 8 MiB array freed (which raises glibc's dynamic
#: thresholds to 8 and 16 MiB): with glibc's defaults, freeing them trims the heap and the
#: next step faults its pages in again.
STEPS = """
import ctypes, resource, sys
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)  # PR_SET_THP_DISABLE: 4 KiB pages, whatever the host
import numpy as np, retroprop as rp
if sys.argv[1:] == ["off"]:
    rp.set_memory_reuse(False)
def step():
    blocks = [np.ones(7 * 2**20 // 4, np.float32) for _ in range(10)]
    del blocks
np.ones(8 * 2**20 // 4, np.float32)
step()
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print(rp.get_memory_reuse(), (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start) // 5)
"""


def faults_per_step(*args: str, **variables: str) -> tuple[bool, int]:
    environment = {name: value for name, value in os.environ.items()
                   if name != "RETROPROP_MEMORY_REUSE" and not name.startswith("MALLOC_")
                   and name != "GLIBC_TUNABLES"} | variables
    done = subprocess.run([sys.executable, "-c", STEPS, *args], capture_output=True,
                          text=True, check=True, env=environment)
    reuse, faults = done.stdout.split()
    return reuse == "True", int(faults)


def test_import_turns_reuse_on_and_freed_blocks_come_back_without_page_faults():
    reuse, faults = faults_per_step()
    assert reuse is GLIBC  # elsewhere nothing is set
    if GLIBC:
        assert faults < 300  # 70 MiB per step would be about 18000 pages of 4 KiB


@pytest.mark.parametrize("how", ["variable", "call"])
def test_without_reuse_the_same_loop_faults_its_pages_in_every_step(how):
    reuse, faults = (faults_per_step(RETROPROP_MEMORY_REUSE="0") if how == "variable"
                     else faults_per_step("off"))
    assert not reuse
    if GLIBC:
        assert faults > 1000


@pytest.mark.parametrize("variables", [
    {"MALLOC_TRIM_THRESHOLD_": "131072"}, {"MALLOC_MMAP_THRESHOLD_": "131072"},
    {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}])
def test_a_program_that_tunes_malloc_itself_keeps_its_settings(variables):
    reuse, faults = faults_per_step(**variables)
    assert not reuse
    if GLIBC:  # the 128 KiB thresholds asked for: every step maps its blocks again
        assert faults > 1000


def test_the_setting_is_reported_and_can_be_turned_back_on():
    before = rp.get_memory_reuse()
    try:
        assert rp.set_memory_reuse(False) is GLIBC
        assert rp.get_memory_reuse() is False
        assert rp.set_memory_reuse(True) is GLIBC
        assert rp.get_memory_reuse() is GLIBC
    finally:
        rp.set_memory_reuse(before)


class RefusingLibc:
    """A C library whose ``mallopt`` accepts only glibc's default thresholds (as a 32-bit
    glibc refuses 32 MiB)."""

    def __init__(self):
        self.calls = []

    def mallopt(self, parameter, value):
        self.calls.append((parameter, value))
        return int(value <= allocator.GLIBC_DEFAULT)


def test_a_refusal_raises_when_asked_and_warns_at_import(monkeypatch):
    libc = RefusingLibc()
    monkeypatch.setattr(allocator, "_glibc", lambda: libc)
    monkeypatch.setattr(allocator, "_reuse", True)
    for name in ("RETROPROP_MEMORY_REUSE", "GLIBC_TUNABLES", *allocator._OWN_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(OSError, match=r"set_memory_reuse: mallopt refused the thresholds "
                                      r"33554432 and 268435456"):
        rp.set_memory_reuse(True)
    assert not rp.get_memory_reuse()
    assert libc.calls[-2:] == [(-3, allocator.GLIBC_DEFAULT), (-1, allocator.GLIBC_DEFAULT)]
    with pytest.warns(RuntimeWarning, match="glibc's defaults stay"):
        allocator.configure_at_import()
    assert not rp.get_memory_reuse()


@pytest.mark.parametrize("mode", [1, "yes", None])
def test_mode_must_be_a_bool(mode):
    with pytest.raises(TypeError, match=r"set_memory_reuse: mode must be True or False"):
        rp.set_memory_reuse(mode)
