"""runtime-mini/cli's .npy reader and writer and JSON writer against NumPy itself.

A tiny C program linked with rt_npy.c and rt_json.c copies a .npy file (read with our reader,
written with our writer) or prints it as JSON. numpy.save's files must load, our copies must be
byte-identical to numpy.save's output, and our JSON must read back with Python's json module.
Self-contained: needs only a C compiler and numpy."""
import io
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "runtime-mini" / "cli"

TOOL = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rt_json.h"
#include "rt_npy.h"
int main(int argc, char **argv) {
  rt_npy_header h;
  void *data;
  char err[256];
  if (argc < 3) return 64;
  if (rt_npy_load(argv[2], &h, &data, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  if (!strcmp(argv[1], "copy") && argc == 4) {
    if (rt_npy_save(argv[3], h.dtype, h.rank, h.shape, data, err, sizeof err)) {
      fprintf(stderr, "%s\n", err);
      return 2;
    }
  } else {
    rt_json_write_tensor(stdout, h.dtype, h.rank, h.shape, data);
    printf("\n");
  }
  free(data);
  return 0;
}
"""


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    d = tmp_path_factory.mktemp("npytool")
    (d / "tool.c").write_text(TOOL)
    exe = d / "npytool"
    subprocess.run([cc, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror",
                    f"-I{ROOT / 'runtime-mini' / 'include'}", f"-I{CLI}", str(d / "tool.c"),
                    str(CLI / "rt_npy.c"), str(CLI / "rt_json.c"), "-lm", "-o", str(exe)],
                   check=True)
    return exe


def numpy_bytes(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


ARRAYS = [
    np.arange(6, dtype="<f4").reshape(2, 3) / 7,
    np.array([1.5, -np.inf, np.nan, 1e-300], dtype="<f8"),
    np.array([[0.1, 65504, -6e-8]], dtype="<f2"),
    np.array([-128, 0, 127], dtype="i1"),
    np.array([0, 255], dtype="u1"),
    np.array([-32768, 32767], dtype="<i2"),
    np.array([65535, 7], dtype="<u2"),
    np.array([-2**31, 2**31 - 1], dtype="<i4"),
    np.array([2**32 - 1], dtype="<u4"),
    np.array([[-2**63, 2**63 - 1]], dtype="<i8"),
    np.array([2**64 - 1, 0], dtype="<u8"),
    np.array([[True, False, True]], dtype="?"),
    np.array(3.25, dtype="<f4"),
    np.zeros((0, 5), dtype="<f4"),
    np.ones((1, 1000), dtype="<f4"),
    np.zeros((1234567, 0), dtype="i1"),
    np.ones((2, 1, 1, 1, 1, 3), dtype="<i8"),
]


@pytest.mark.parametrize("a", ARRAYS, ids=lambda a: f"{a.dtype.str}{list(a.shape)}")
def test_copy_is_byte_identical_to_numpy_save(tool, tmp_path, a):
    src, dst = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(src, a)
    subprocess.run([tool, "copy", src, dst], check=True)
    assert dst.read_bytes() == numpy_bytes(a)
    b = np.load(dst)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_reads_every_format_version(tool, tmp_path, version):
    a = np.arange(24, dtype="<i4").reshape(2, 3, 4)
    src, dst = tmp_path / "a.npy", tmp_path / "b.npy"
    src.write_bytes(numpy_bytes(a, version))
    subprocess.run([tool, "copy", src, dst], check=True)
    assert dst.read_bytes() == numpy_bytes(a)


@pytest.mark.parametrize("a, message", [
    (np.arange(3, dtype=">f4"), "big-endian"),
    (np.asfortranarray(np.ones((2, 3), dtype="<f4")), "fortran_order"),
    (np.ones(3, dtype="<c8"), "unsupported descr '<c8'"),
    (np.zeros(2, dtype=[("a", "<f4")]), "structured"),
])
def test_rejects_unsupported_files(tool, tmp_path, a, message):
    src = tmp_path / "a.npy"
    np.save(src, a)
    r = subprocess.run([tool, "copy", src, tmp_path / "b.npy"], capture_output=True, text=True)
    assert r.returncode == 2 and message in r.stderr


@pytest.mark.parametrize("a", ARRAYS[:13], ids=lambda a: f"{a.dtype.str}{list(a.shape)}")
def test_json_reads_back_with_python(tool, tmp_path, a):
    src = tmp_path / "a.npy"
    np.save(src, a)
    out = subprocess.run([tool, "json", src], check=True, capture_output=True, text=True).stdout
    got = np.array(json.loads(out), dtype=a.dtype)  # json accepts NaN, Infinity, -Infinity
    assert got.shape == a.shape
    if a.dtype.kind == "f":
        np.testing.assert_array_equal(got, a)  # %.9g / %.17g round-trip exactly
        assert all(math.isnan(x) == math.isnan(y) for x, y in zip(got.ravel(), a.ravel()))
    else:
        assert got.tolist() == a.tolist()
