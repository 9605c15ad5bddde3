"""OUT.src/ is a project of its own: it rebuilds with make and with CMake from any folder,
compiles warning-free under gcc and clang, names no path of the machine that made it,
and the library is C99 with only libc's memcpy/memset and libm underneath."""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest


def sh(cmd, cwd):
    """Runs cmd without the CFLAGS the test session sets for gpuxc (make would take them)."""
    env = {k: v for k, v in os.environ.items() if k != "CFLAGS"}
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, f"$ {' '.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def project(tmp_path_factory, gpuxc, zoo_model):
    """tinycnn emitted (not compiled) and moved to another folder."""
    work = tmp_path_factory.mktemp("proj")
    sh([gpuxc, "build", zoo_model("tinycnn"), "-o", work / "made" / "cnn", "--emit-only", "-q"],
       cwd=work)
    moved = work / "elsewhere" / "cnn.src"
    shutil.copytree(work / "made" / "cnn.src", moved)
    return work, moved


def outputs_of(exe, tmp, x):
    np.save(tmp / "x.npy", x)
    sh([exe, "--input", tmp / "x.npy", "--output-dir", tmp / "o"], cwd=tmp)
    return np.load(tmp / "o" / "output.npy")


def test_no_machine_paths(project):
    work, src = project
    for f in src.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert str(work).encode() not in data, f"{f.name} names the build folder"


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_make_rebuilds_warning_free(project, cc, tmp_path, zoo_model, ort_run, assert_close):
    _, src = project
    build = tmp_path / "src"
    shutil.copytree(src, build)
    sh(["make", f"CC={cc}", "CFLAGS=-std=c99 -O2 -Wall -Wextra -Werror -pedantic"], cwd=build)
    assert len(list(build.glob("lib*.a"))) == 1
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    got = outputs_of(build / "cnn", tmp_path, x)
    assert_close("output", got, ort_run(zoo_model("tinycnn"), {"input": x})["output"])


def test_cmake_rebuilds(project, tmp_path, zoo_model, ort_run, assert_close):
    _, src = project
    sh(["cmake", "-S", src, "-B", tmp_path / "b", "-DCMAKE_BUILD_TYPE=Release"], cwd=tmp_path)
    sh(["cmake", "--build", tmp_path / "b"], cwd=tmp_path)
    x = np.random.default_rng(4).standard_normal((1, 3, 32, 32)).astype(np.float32)
    got = outputs_of(tmp_path / "b" / "cnn", tmp_path, x)
    assert_close("output", got, ort_run(zoo_model("tinycnn"), {"input": x})["output"])


def test_library_needs_only_memcpy_memset_and_libm(project, tmp_path):
    """Undefined symbols of lib<name>.a: nothing but memcpy/memset and math functions."""
    _, src = project
    build = tmp_path / "src"
    shutil.copytree(src, build)
    sh(["make", "lib"], cwd=build)
    (lib,) = build.glob("lib*.a")
    nm = sh(["nm", "-u", lib.name], cwd=build).stdout.split()
    defined = sh(["nm", "--defined-only", lib.name], cwd=build).stdout.split()
    undefined = {s for s in nm if not s.endswith(":") and s not in ("U", "w")} - set(defined)
    libm = {"expf", "logf", "sqrtf", "tanhf", "erff", "powf", "fmodf", "floorf", "ceilf",
            "log1pf", "exp", "log", "sqrt", "tanh", "erf", "pow", "fmod", "floor", "ceil",
            "log1p", "fabsf", "fabs"}
    allowed = {"memcpy", "memset", "memmove"} | libm
    assert undefined <= allowed, f"unexpected dependencies: {sorted(undefined - allowed)}"


def test_verbose_reports_passes_and_arena(gpuxc, zoo_model, tmp_path):
    r = subprocess.run([str(gpuxc), "build", str(zoo_model("tinycnn")), "-o",
                        str(tmp_path / "m"), "--emit-only", "--verbose"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "pass fuse-bn    folded 4 BatchNormalizations into Conv" in r.stderr
    assert "pass fuse-act   fused" in r.stderr
    assert "arena" in r.stderr and "intermediates without reuse" in r.stderr
    q = subprocess.run([str(gpuxc), "build", str(zoo_model("tinycnn")), "-o",
                        str(tmp_path / "m"), "--emit-only", "--quiet"],
                       capture_output=True, text=True, timeout=300)
    assert q.returncode == 0 and q.stderr == "" and q.stdout == ""


def test_comment_per_node(project):
    _, src = project
    code = (src / "model.c").read_text()
    assert "'/stem/stem.0/Conv' Conv: [1,3,32,32], [16,3,3,3], [16] -> [1,16,32,32], fused Relu" \
        in code
    assert Path(src / "weights.S").read_text().count(".incbin") == 1


def test_driver_cache(gpuxc, zoo_model, tmp_path, run_exe, ort_run, assert_close):
    """The compiled driver is kept in GPUXC_CACHE and reused; 'off' keeps nothing."""
    model = zoo_model("tinycnn")
    env = dict(os.environ, GPUXC_CACHE=str(tmp_path / "cache"))
    x = np.random.default_rng(5).standard_normal((1, 3, 32, 32)).astype(np.float32)
    for k in range(2):
        subprocess.run([str(gpuxc), "build", str(model), "-o", str(tmp_path / f"m{k}"), "-q"],
                       env=env, check=True)
        assert len(list((tmp_path / "cache").glob("driver-*.a"))) == 1
        assert_close("output", run_exe(tmp_path / f"m{k}", {"input": x})["output"],
                     ort_run(model, {"input": x})["output"])
    env["GPUXC_CACHE"] = "off"
    env["HOME"] = str(tmp_path / "home")
    subprocess.run([str(gpuxc), "build", str(model), "-o", str(tmp_path / "m2"), "-q"], env=env,
                   check=True)
    assert not (tmp_path / "home").exists()
