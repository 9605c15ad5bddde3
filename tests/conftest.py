"""Shared pytest fixtures: the gpuxc binary, a cache of zoo models, and the differential helpers
(compile with gpuxc, run the generated executable, run onnxruntime, compare)."""
import hashlib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "samples"))
import zoo  # noqa: E402  (samples/zoo.py)

CACHE = ROOT / "tests" / ".cache"

# gpuxc may be built with AddressSanitizer/UBSan: a report must fail the test with an exit
# code no documented code uses.
os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:exitcode=99")
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1:exitcode=98")
# Generated code must compile without warnings. GPUXC_CFLAGS adds flags (make test adds the
# sanitizers, so the kernels run under them too).
os.environ["CFLAGS"] = " ".join(["-Werror", os.environ.get("GPUXC_CFLAGS", "")]).strip()
# The compiled driver is the same for every model: build it once per session's flags.
os.environ.setdefault("GPUXC_CACHE", str(CACHE / "driver"))
BUILD_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 600


def sanitize(name):
    """The generated executable's file name for an output: [A-Za-z0-9._-] kept, others '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def run_checked(cmd, what, timeout):
    cmd = [str(c) for c in cmd]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} ran past {timeout} s\n$ {shlex.join(cmd)}", pytrace=False)
    if r.returncode != 0:
        pytest.fail(f"{what} failed with exit code {r.returncode}\n$ {shlex.join(cmd)}\n"
                    f"--- stderr ---\n{r.stderr}--- stdout ---\n{r.stdout}", pytrace=False)
    return r


@pytest.fixture(scope="session")
def gpuxc():
    path = Path(os.environ.get("GPUXC") or ROOT / "build" / "gpuxc").resolve()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"gpuxc not found at {path}: build it (cmake -S . -B build && cmake --build "
                    f"build) or point GPUXC at the binary", pytrace=False)
    return path


@pytest.fixture(scope="session")
def model_cache():
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE


@pytest.fixture(scope="session")
def zoo_model(model_cache):
    """zoo_model(name, **kwargs) -> path of samples/zoo.py's model, built once and kept in
    tests/.cache/ under a name made of a hash of zoo.py and the arguments. Models that an
    older zoo.py built are deleted."""
    digest = hashlib.sha256(Path(zoo.__file__).read_bytes()).hexdigest()[:12]
    for stale in model_cache.glob("*.onnx"):
        if not stale.name.startswith(digest + "-"):
            stale.unlink(missing_ok=True)

    def get(name, **kwargs):
        key = "-".join([digest, name, *(f"{k}={v}" for k, v in sorted(kwargs.items()))])
        path = model_cache / f"{sanitize(key)}.onnx"
        if not path.exists():
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
            zoo.save_model(zoo.MODELS[name](**kwargs), tmp)
            os.replace(tmp, path)
        return path

    return get


@pytest.fixture
def compile_model(gpuxc):
    """compile_model(onnx_path, out_dir, *args) -> path of the executable gpuxc wrote."""

    def build(onnx_path, out_dir, *args):
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        exe = out_dir / "model"
        run_checked([gpuxc, "build", onnx_path, "-o", exe, *args], "gpuxc build", BUILD_TIMEOUT_S)
        assert exe.is_file(), f"gpuxc build exited 0 but wrote no executable at {exe}"
        assert exe.with_name(exe.name + ".src").is_dir(), f"gpuxc build wrote no {exe}.src/"
        return exe

    return build


def run_exe(exe, inputs, outputs=None):
    """Run a generated executable on {name: array}; return {output name: array}.

    With `outputs` (names in order) the output folder must hold exactly those files, named by
    sanitize(); without it every .npy written is returned, keyed by file stem."""
    work = Path(tempfile.mkdtemp(prefix="run-", dir=Path(exe).parent))
    args = []
    for i, (name, arr) in enumerate(inputs.items()):
        np.save(work / f"input{i}.npy", arr)
        args += ["--input", f"{name}={work / f'input{i}.npy'}"]
    out_dir = work / "out"
    out_dir.mkdir()
    run_checked([exe, *args, "--output-dir", out_dir], Path(exe).name, RUN_TIMEOUT_S)
    written = {p.name: p for p in out_dir.glob("*.npy")}
    if outputs is None:
        return {p.stem: np.load(p) for _, p in sorted(written.items())}
    expected = {sanitize(n) + ".npy": n for n in outputs}
    assert set(written) == set(expected), f"outputs written {sorted(written)}, expected {sorted(expected)}"
    return {name: np.load(written[f]) for f, name in expected.items()}


def ort_run(onnx_path, inputs):
    """The reference: onnxruntime on CPU, graph optimizations off, one thread."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, inputs)))


def assert_close(name, got, want, rtol=1e-3, atol=1e-4):
    """Same dtype and shape, then |got - want| <= atol + rtol*|want| everywhere (NaN matches
    NaN, inf matches inf of the same sign; integers and bools must be equal)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"
    if got.size == 0:
        return
    if want.dtype.kind not in "fc":
        atol = rtol = 0.0
    g, w = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        same = (g == w) | (np.isnan(g) & np.isnan(w))
        err = np.nan_to_num(np.where(same, 0.0, np.abs(g - w)), nan=np.inf)
    rel = err / np.maximum(np.abs(w), np.finfo(np.float64).tiny)
    # NaN or inf expected and not matched: an infinite excess, never within tolerance.
    excess = np.where(same, -1.0, err - (atol + rtol * np.abs(w)))
    excess = np.where(~same & ~np.isfinite(w), np.inf, excess)
    worst = np.unravel_index(np.argmax(excess), got.shape)
    bad = int((excess > 0).sum())
    msg = (f"{name}: max abs err {err.max():.3g}, max rel err {rel.max():.3g}; worst at "
           f"{tuple(int(i) for i in worst)}: got {got[worst]!r}, want {want[worst]!r}; "
           f"{bad} of {got.size} outside atol={atol:g} rtol={rtol:g}")
    print(msg)
    assert bad == 0, msg


def random_inputs(onnx_path, dims=None, seed=0):
    """Seeded inputs for every graph input. Symbolic dims are bound from `dims` ({"batch": 2}).
    Floats ~ N(0, 1); an int input named like *mask* is ones with a zero tail of 3+row
    positions; other ints are ids in [0, rows of the table a Gather indexes with them)."""
    m = onnx.load(str(onnx_path), load_external_data=False)
    inits = {t.name: t for t in m.graph.initializer}
    rng = np.random.default_rng(seed)
    feeds = {}
    for vi in m.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else dims[d.dim_param] for d in tt.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if dtype.kind == "f":
            arr = rng.standard_normal(shape).astype(dtype)
        elif "mask" in vi.name.lower():
            arr = np.ones(shape, dtype)
            for i, row in enumerate(arr.reshape(-1, shape[-1])):
                row[max(1, shape[-1] - 3 - i):] = 0
        else:
            tables = [inits[n.input[0]].dims[0] for n in m.graph.node
                      if n.op_type == "Gather" and n.input[1] == vi.name and n.input[0] in inits]
            arr = rng.integers(0, min(tables, default=2), shape).astype(dtype)
        feeds[vi.name] = arr
    return feeds


# The plain helpers as fixtures, so test modules need not import conftest.
@pytest.fixture(name="run_exe")
def run_exe_fixture():
    return run_exe


@pytest.fixture(name="ort_run")
def ort_run_fixture():
    return ort_run


@pytest.fixture(name="assert_close")
def assert_close_fixture():
    return assert_close


@pytest.fixture(name="random_inputs")
def random_inputs_fixture():
    return random_inputs
