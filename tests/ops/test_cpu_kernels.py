"""The cpu target's GEMM and convolution kernels (runtime-mini/kernels/cpu_gemm.c, cpu_conv.c)
for every instruction set this machine runs: tests/unit/test_rt_cpu_gemm.c compiled with the
cpu target's flag set of each (AVX-512, AVX2 + FMA, and the generic one, which ctest also
runs), once at -O2 and once at -O2 with AddressSanitizer and UndefinedBehaviorSanitizer, and
run. The builds run in parallel, up front."""
import os
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "runtime-mini" / "kernels"

# The cpu target's flag sets (targets/cpu/cpu_target.c), by the /proc/cpuinfo flags they need.
ISAS = {
    "avx512": ("-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c", {"avx512f"}),
    "avx2": ("-mavx2 -mfma -mf16c", {"avx2", "fma"}),
    "generic": ("", set()),
}
BASE = ("-std=c99 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -D_POSIX_C_SOURCE=200809L "
        "-pthread")
# GCC's flow-based warnings misfire on sanitizer-instrumented code (as in the Makefile).
SANITIZE = ("-fsanitize=address,undefined -fno-sanitize-recover=undefined "
            "-fno-omit-frame-pointer -Wno-maybe-uninitialized -Wno-array-bounds "
            "-Wno-stringop-overflow")
VARIANTS = {"O2": "", "sanitize": SANITIZE}


def cpu_flags():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def supported():
    have = cpu_flags()
    return [isa for isa, (_, need) in ISAS.items() if need <= have]


BUILDS = [(isa, v) for isa in supported() for v in VARIANTS]


@pytest.fixture(scope="module")
def binaries(tmp_path_factory):
    """Compiles every build in parallel; maps (isa, variant) to (path or None, compiler output)."""
    out = tmp_path_factory.mktemp("cpu_kernels")
    cc = shlex.split(os.environ.get("CC", "gcc"))

    def build(key):
        isa, variant = key
        exe = out / f"test_{isa}_{variant}"
        cmd = (cc + shlex.split(BASE) + shlex.split(ISAS[isa][0]) + shlex.split(VARIANTS[variant])
               + ["-I", str(ROOT / "runtime-mini" / "include"), "-I", str(KERNELS),
                  "-I", str(ROOT / "tests" / "unit"),
                  str(ROOT / "tests" / "unit" / "test_rt_cpu_gemm.c"), str(KERNELS / "cpu_gemm.c"),
                  str(KERNELS / "cpu_conv.c"), str(KERNELS / "tpool.c"), "-lm", "-o", str(exe)])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        return key, (exe if r.returncode == 0 else None, r.stdout + r.stderr)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(pool.map(build, BUILDS))


@pytest.mark.parametrize("isa,variant", BUILDS, ids=[f"{i}-{v}" for i, v in BUILDS])
def test_cpu_kernels(binaries, isa, variant):
    exe, log = binaries[(isa, variant)]
    assert exe is not None, f"build failed:\n{log}"
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:exitcode=99",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=98")
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "tests passed" in r.stderr, r.stderr
