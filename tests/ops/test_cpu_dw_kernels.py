"""The cpu target's depthwise conv and pool kernels (runtime-mini/kernels/cpu_dw.c, cpu_pool.c)
built the way generated code builds them, under every instruction set this host runs, and run
through their unit test (tests/unit/test_rt_cpu_dw.c: against the portable kernels).

ctest covers the separately compiled library with generic flags; here the kernels and the test
go into one translation unit with RT_UNITY defined (as model.c includes them), with -std=c99
-Wall -Wextra -Werror -pedantic and the cpu target's flags for AVX-512, AVX2 and none, once with
-O2 and once with AddressSanitizer and UndefinedBehaviorSanitizer, and with clang at -O2 where
it is installed. Each build is one test; they build two at a time, about 15 s in all on an idle
2-core machine."""
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "runtime-mini" / "kernels"
UNIT = ROOT / "tests" / "unit"

# The cpu target's instruction sets (targets/cpu/cpu_target.c), and the /proc/cpuinfo flags
# each one needs.
ISAS = {
    "avx512": (["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma",
                "-mf16c"], {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"}),
    "avx2": (["-mavx2", "-mfma", "-mf16c"], {"avx2", "fma", "f16c"}),
    "generic": ([], set()),
}
MODES = {
    "O2": ["-O2"],
    # -O0 builds in a quarter of -O1's time and keeps every check
    "sanitize": ["-O0", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                 "-fno-sanitize-recover=undefined"],
}
# model.c's order: the pool, the portable kernels the test compares against, ours, the test.
UNITY = """#define _GNU_SOURCE
#define RT_UNITY
#include "tpool.c"
#include "conv.c"
#include "pool.c"
#include "reduce.c"
#include "cpu_dw.c"
#include "cpu_pool.c"
#include "test_rt_cpu_dw.c"
"""
BUILD_TIMEOUT_S = 300
RUN_TIMEOUT_S = 120


def host_flags():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def compilers():
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    out = [("cc", cc)] if cc else []
    if shutil.which("clang"):
        out.append(("clang", "clang"))
    return out


def configs():
    flags = host_flags()
    out = []
    for isa, (_, needs) in ISAS.items():
        if not needs <= flags:
            continue
        for name, cc in compilers():
            for mode in MODES:
                if name == "clang" and mode == "sanitize":
                    continue  # one sanitizer build per instruction set is enough
                out.append((isa, name, cc, mode))
    return out


CONFIGS = configs()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Every configuration compiled up front, two at a time: {config: (exe or None, log)}."""
    work = tmp_path_factory.mktemp("cpu_dw")
    (work / "unity.c").write_text(UNITY)

    def build(cfg):
        isa, name, cc, mode = cfg
        exe = work / f"test_{isa}_{name}_{mode}"
        cmd = [cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", *MODES[mode],
               *ISAS[isa][0], "-pthread", f"-I{ROOT / 'runtime-mini' / 'include'}",
               f"-I{KERNELS}", f"-I{UNIT}", str(work / "unity.c"), "-lm", "-o", str(exe)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return cfg, (None, f"build ran past {BUILD_TIMEOUT_S} s\n$ {' '.join(cmd)}")
        log = f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}"
        return cfg, (exe if r.returncode == 0 else None, log)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(build, CONFIGS))


@pytest.mark.parametrize("cfg", CONFIGS, ids=["-".join((c[0], c[1], c[3])) for c in CONFIGS])
def test_kernels_match_the_portable_ones(builds, cfg):
    exe, log = builds[cfg]
    if exe is None:
        pytest.fail(f"build failed\n{log}", pytrace=False)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:exitcode=99")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1:exitcode=98")
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                       cwd=UNIT, env=env)
    assert r.returncode == 0, f"{exe.name} exited {r.returncode}\n{r.stderr}{r.stdout}"
    assert "FAIL" not in r.stderr, r.stderr


def test_host_sets_are_covered():
    """The richest set this host runs is among the ones tested (a guard against a cpuinfo
    parse that silently tests only the generic build)."""
    flags = host_flags()
    tested = {c[0] for c in CONFIGS}
    assert "generic" in tested
    if "avx512f" in flags and ISAS["avx512"][1] <= flags:
        assert "avx512" in tested
    if {"avx2", "fma", "f16c"} <= flags:
        assert "avx2" in tested
