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

GLIBC = sys.platform == "linux" and platform.libc_ver()[0] == "glibc"

#: ten 7 MiB arrays per step, after one 8 MiB array freed (which raises glibc's dynamic
#: thresholds to 8 and 16 MiB): with glibc's defaults, freeing them trims the heap and the
#: next step faults its pages in again.
STEPS = """
import resource, sys, numpy as np, retroprop as rp
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


def faults_per_step(*args: str, reuse_variable: str | None = None) -> tuple[bool, int]:
    environment = dict(os.environ)
    environment.pop("RETROPROP_MEMORY_REUSE", None)
    if reuse_variable is not None:
        environment["RETROPROP_MEMORY_REUSE"] = reuse_variable
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
    reuse, faults = (faults_per_step(reuse_variable="0") if how == "variable"
                     else faults_per_step("off"))
    assert not reuse
    if GLIBC:
        assert faults > 1000


def test_the_setting_is_reported_and_can_be_turned_back_on():
    try:
        assert rp.set_memory_reuse(False) is GLIBC
        assert rp.get_memory_reuse() is False
        assert rp.set_memory_reuse(True) is GLIBC
        assert rp.get_memory_reuse() is GLIBC
    finally:
        rp.set_memory_reuse(True)


@pytest.mark.parametrize("mode", [1, "yes", None])
def test_mode_must_be_a_bool(mode):
    with pytest.raises(TypeError, match=r"set_memory_reuse: mode must be True or False"):
        rp.set_memory_reuse(mode)
