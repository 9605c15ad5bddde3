"""DFT, STFT, HannWindow, HammingWindow, BlackmanWindow and MelWeightMatrix against
onnxruntime (ONNX's reference evaluator where onnxruntime lacks a type) and against float64
NumPy for accuracy, for what ONNX's node tests leave out: float64 and 16-bit inputs, every
axis, dft_length cutting and padding, lengths that are powers of two, short and long other
lengths, IRFFT of odd length, complex STFT, every window output type, a mel matrix with
run-time edges, constant folding inside gpuxc; and the models gpuxc must reject with exit
code 2 (or 3 where a shape input is not a constant)."""
import subprocess

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto as T, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID, UNSUPPORTED = 2, 3
RNG = np.random.default_rng(20261125)
NODE = "the_node"
BF16 = ml_dtypes.bfloat16


def randn(*shape, dtype=np.float32):
    return np.asarray(RNG.standard_normal(shape), dtype=dtype)


def i64(v):
    return np.array(v, np.int64)


def elem_type(a):
    return T.BFLOAT16 if a.dtype == BF16 else helper.np_dtype_to_tensor_dtype(a.dtype)


def node_model(op, args, out_type, opset=17, check=True, **attrs):
    """One node. args: (name, array, 'in' | 'const') in input order, or None for an absent
    optional input. Returns (model, feeds) with feeds for the 'in' arguments."""
    inputs, inits, feeds, names = [], [], {}, []
    for a in args:
        if a is None:
            names.append("")
            continue
        name, arr, kind = a
        names.append(name)
        if kind == "const":
            inits.append(numpy_helper.from_array(arr, name))
        else:
            inputs.append(helper.make_tensor_value_info(name, elem_type(arr), arr.shape))
            feeds[name] = arr
    node = helper.make_node(op, names, ["y"], name=NODE, **attrs)
    graph = helper.make_graph([node], "signal", inputs,
                              [helper.make_tensor_value_info("y", out_type, None)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    if check:  # ONNX's inference fills in the output's shape, which the checker wants
        m = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
        onnx.checker.check_model(m, full_check=True)
    return m, feeds


def build_run(m, feeds, compile_model, run_exe, tmp_path, *args):
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    exe = compile_model(path, tmp_path / "out", *args)
    ins = {n: (a.view(np.uint16) if a.dtype == BF16 else a) for n, a in feeds.items()}
    return path, run_exe(exe, ins, ["y"])["y"]


def assert_accurate(got, want, rel):
    """|got - want| <= rel * max|want| everywhere (want in float64)."""
    got = np.asarray(got, np.float64)
    assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape}"
    err = np.abs(got - want).max() if got.size else 0.0
    scale = max(np.abs(want).max() if want.size else 0.0, 1e-300)
    assert err <= rel * scale, f"max abs err {err:.3g} is {err / scale:.3g} of max |want|"


# ---- DFT ----

def np_dft(x, axis, length, inverse, onesided):
    """The DFT in float64 NumPy; axis counts the dims of x (not the complex one)."""
    x = x.astype(np.float64)
    c = x[..., 0] + (1j * x[..., 1] if x.shape[-1] == 2 else 0)
    if inverse and onesided:
        return np.fft.irfft(c, n=length, axis=axis)[..., None]
    y = np.fft.ifft(c, n=length, axis=axis) if inverse else np.fft.fft(c, n=length, axis=axis)
    if onesided:
        y = np.take(y, np.arange(length // 2 + 1), axis=axis)
    return np.stack([y.real, y.imag], axis=-1)


def dft(cid, x, axis=None, length=None, opset=20, inverse=0, onesided=0, ort=True, folded=False,
        axis_attr=None):
    return pytest.param((x, axis, length, opset, inverse, onesided, ort, folded, axis_attr),
                        id=cid)


DFT_CASES = [
    # opset 17: axis is an attribute (default 1)
    dft("op17-complex-pow2-default-axis", randn(2, 16, 2), opset=17),
    dft("op17-real-axis2-f64-len12", randn(2, 3, 12, 1, dtype=np.float64), opset=17,
        axis_attr=2),
    dft("op17-inverse-complex-axis0", randn(6, 3, 2), opset=17, axis_attr=0, inverse=1),
    dft("op17-rfft-odd-len", randn(3, 15, 1), opset=17, onesided=1),
    dft("op17-irfft-neg-axis", randn(2, 9, 4, 2), opset=17, axis_attr=-3, inverse=1, onesided=1),
    # opset 20: axis an input (default -2)
    dft("op20-default-axis-complex", randn(3, 4, 10, 2)),
    dft("op20-pad-to-32-int32-length", randn(2, 20, 1), axis=1, length=np.int32(32)),
    dft("op20-cut-to-7", randn(2, 20, 2), axis=-2, length=7),
    dft("op20-rfft-pad-len-33", randn(4, 30, 1, dtype=np.float64), axis=1, length=33, onesided=1),
    dft("op20-inverse-f64-axis1-rank4", randn(2, 12, 3, 2, dtype=np.float64), axis=1, inverse=1),
    dft("op20-inverse-real-input", randn(2, 8, 1), axis=1, inverse=1),
    dft("op20-irfft-odd-len-9", randn(2, 5, 2), axis=1, length=9, inverse=1, onesided=1),
    # onnxruntime reads all 9 bins here; ONNX's reference (and NumPy's irfft) the first 4
    dft("op20-irfft-cut-len-6", randn(2, 9, 2), axis=1, length=6, inverse=1, onesided=1,
        ort=False),
    dft("op20-irfft-default-len", randn(1, 33, 2, dtype=np.float64), axis=-2, inverse=1,
        onesided=1),
    dft("op20-len-1", randn(3, 1, 2), axis=1),
    dft("op20-bluestein-100-f64", randn(2, 100, 2, dtype=np.float64), axis=1),
    dft("op20-bluestein-1000-inverse", randn(1, 1000, 2), axis=1, inverse=1),
    dft("op20-bluestein-rfft-997", randn(2, 997, 1, dtype=np.float64), axis=1, onesided=1),
    dft("op20-pow2-4096", randn(1, 4096, 2, dtype=np.float64), axis=1),
    dft("op20-empty-batch", randn(0, 8, 2), axis=1),
    dft("op20-float16", randn(2, 12, 2, dtype=np.float16), axis=1, ort=False),
    dft("op20-bfloat16-irfft", randn(2, 5, 2).astype(BF16), axis=1, length=8, inverse=1,
        onesided=1, ort=False),
    dft("op20-folded-rfft", randn(2, 24, 1), axis=1, onesided=1, folded=True),
    dft("op20-folded-bluestein-f64", randn(2, 70, 2, dtype=np.float64), axis=1, inverse=1,
        folded=True),
]


def dft_model(x, axis, length, opset, inverse, onesided, folded, axis_attr):
    attrs = {"inverse": inverse, "onesided": onesided}
    if axis_attr is not None:
        attrs["axis"] = axis_attr
    args = [("x", x, "const" if folded else "in"),
            ("len", np.array(length, getattr(length, "dtype", np.int64)), "const")
            if length is not None else None]
    if opset >= 20 and axis is not None:
        args.append(("axis", i64(axis), "const"))
    while args[-1] is None:
        args.pop()
    return node_model("DFT", args, elem_type(x), opset, **attrs)


@pytest.mark.parametrize("spec", DFT_CASES)
def test_dft(spec, compile_model, run_exe, ort_run, assert_close, tmp_path):
    x, axis, length, opset, inverse, onesided, ort, folded, axis_attr = spec
    m, feeds = dft_model(x, axis, length, opset, inverse, onesided, folded, axis_attr)
    path, got = build_run(m, feeds, compile_model, run_exe, tmp_path)
    ax = axis_attr if opset < 20 else axis
    ax = (1 if opset < 20 else -2) if ax is None else ax
    ax = ax % x.ndim
    want = np_dft(x, ax, length or (2 * (x.shape[ax] - 1) if inverse and onesided
                                    else x.shape[ax]), inverse, onesided)
    if x.dtype == np.float16:
        assert_close("y", got, want.astype(np.float16), rtol=1e-2, atol=1e-2)
        return
    if x.dtype == BF16:
        assert_close("y", got.view(BF16).astype(np.float32), want.astype(BF16).astype(np.float32),
                     rtol=2e-2, atol=2e-2)
        return
    assert_accurate(got, want, 1e-12 if x.dtype == np.float64 else 1e-6)
    if ort:
        assert_close("y", got, ort_run(path, feeds)["y"])


def test_dft_axis_at_build_time(compile_model, run_exe, gpuxc, tmp_path):
    """axis as a graph input: gpuxc asks for it as a constant, then builds with --constant."""
    x = randn(2, 6, 5, 2)
    m, feeds = node_model("DFT", [("x", x, "in"), None, ("axis", i64(2), "in")], T.FLOAT, 20)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "m")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == UNSUPPORTED, r.stderr
    assert NODE in r.stderr and "'axis'" in r.stderr and "compile-time constant" in r.stderr
    np.save(tmp_path / "axis.npy", i64(2))
    exe = compile_model(path, tmp_path / "out", "--constant", f"axis={tmp_path / 'axis.npy'}")
    got = run_exe(exe, {"x": x}, ["y"])["y"]
    assert_accurate(got, np_dft(x, 2, 5, 0, 0), 1e-6)


# ---- STFT ----

def np_stft(x, step, window, frame_len, onesided):
    x = x.astype(np.float64)
    c = x[..., 0] + (1j * x[..., 1] if x.shape[-1] == 2 else 0)
    w = np.ones(frame_len) if window is None else window.astype(np.float64)
    frames = (x.shape[1] - frame_len) // step + 1
    f = np.stack([c[:, i * step:i * step + frame_len] * w for i in range(frames)], axis=1)
    y = np.fft.fft(f, axis=-1)
    if onesided:
        y = y[..., :frame_len // 2 + 1]
    return np.stack([y.real, y.imag], axis=-1)


def stft(cid, x, step, window=None, frame_len=None, onesided=None, window_kind="in",
         ort=True, folded=False):
    return pytest.param((x, step, window, frame_len, onesided, window_kind, ort, folded), id=cid)


def hann(n, dtype=np.float32):
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(dtype)


STFT_CASES = [
    stft("real-window-batch2", randn(2, 64, 1), 4, window=hann(16)),
    stft("real-const-window-frame-len", randn(1, 50, 1), 5, window=hann(20), frame_len=20,
         window_kind="const"),
    stft("real-no-window-twosided", randn(3, 40, 1), 6, frame_len=12, onesided=0),
    stft("complex-twosided-f64", randn(2, 48, 2, dtype=np.float64), 8,
         window=hann(16, np.float64), onesided=0),
    stft("complex-onesided-default", randn(1, 32, 2), 4, frame_len=8),
    stft("step-larger-than-frame", randn(1, 100, 1), 30, frame_len=16),
    # onnxruntime fails without a window and frame_length
    stft("whole-signal-one-frame", randn(2, 24, 1, dtype=np.float64), 1, ort=False),
    stft("bluestein-frame-100", randn(1, 400, 1), 50, window=hann(100), onesided=1),
    stft("float16", randn(1, 40, 1, dtype=np.float16), 8, window=hann(10, np.float16),
         ort=False),
    stft("folded", randn(2, 30, 1), 5, window=hann(10), window_kind="const", folded=True),
]


@pytest.mark.parametrize("spec", STFT_CASES)
def test_stft(spec, compile_model, run_exe, ort_run, assert_close, tmp_path):
    x, step, window, frame_len, onesided, window_kind, ort, folded = spec
    args = [("signal", x, "const" if folded else "in"), ("step", i64(step), "const"),
            ("window", window, window_kind) if window is not None else None,
            ("frame_len", i64(frame_len), "const") if frame_len is not None else None]
    while args[-1] is None:
        args.pop()
    attrs = {} if onesided is None else {"onesided": onesided}
    # ONNX's shape inference cannot tell the frame length without a window or frame_length
    check = window is not None or frame_len is not None
    m, feeds = node_model("STFT", args, elem_type(x), 17, check=check, **attrs)
    path, got = build_run(m, feeds, compile_model, run_exe, tmp_path)
    fl = frame_len or (window.shape[0] if window is not None else x.shape[1])
    want = np_stft(x, step, window, fl, 1 if onesided is None else onesided)
    if x.dtype == np.float16:
        assert_close("y", got, want.astype(np.float16), rtol=1e-2, atol=2e-2)
        return
    assert_accurate(got, want, 1e-12 if x.dtype == np.float64 else 1e-6)
    if ort:
        assert_close("y", got, ort_run(path, feeds)["y"])


# ---- the windows ----

WINDOW_COEFS = {"HannWindow": (0.5, 0.5, 0.0), "HammingWindow": (25 / 46, 21 / 46, 0.0),
                "BlackmanWindow": (0.42, 0.5, 0.08)}
OUT_TYPES = {T.FLOAT: np.float32, T.DOUBLE: np.float64, T.FLOAT16: np.float16, T.BFLOAT16: BF16,
             T.INT8: np.int8, T.UINT8: np.uint8, T.INT16: np.int16, T.UINT16: np.uint16,
             T.INT32: np.int32, T.UINT32: np.uint32, T.INT64: np.int64, T.UINT64: np.uint64}


def np_window(op, n, periodic):
    a0, a1, a2 = WINDOW_COEFS[op]
    big_n = n if periodic else n - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        t = 2 * np.pi * np.arange(n) / big_n
    return (a2 * np.cos(2 * t) - a1 * np.cos(t)) + a0  # summed as ONNX's reference sums


WINDOW_CASES = [
    pytest.param(op, n, periodic, t, size_type, id=f"{op}-{n}-p{periodic}-t{t}-{size_type}")
    for op, n, periodic, t, size_type in [
        ("HannWindow", 64, 1, T.DOUBLE, "int32"),
        ("HannWindow", 7, 0, T.FLOAT16, "int64"),
        ("HannWindow", 1, 1, T.FLOAT, "int64"),
        ("HannWindow", 1, 0, T.FLOAT, "int64"),
        ("HannWindow", 9, 1, T.INT32, "int32"),
        ("HammingWindow", 33, 0, T.DOUBLE, "int64"),
        ("HammingWindow", 16, 1, T.BFLOAT16, "int32"),
        ("HammingWindow", 5, 0, T.UINT8, "int64"),
        ("HammingWindow", 1000, 1, T.FLOAT, "int64"),
        ("BlackmanWindow", 31, 1, T.DOUBLE, "int64"),
        ("BlackmanWindow", 12, 0, T.FLOAT16, "int32"),
        ("BlackmanWindow", 2, 0, T.INT64, "int64"),
        ("BlackmanWindow", 8, 1, T.UINT64, "int64"),
        ("BlackmanWindow", 2, 1, T.FLOAT, "int32"),
    ]
]


@pytest.mark.parametrize("op,n,periodic,out_type,size_type", WINDOW_CASES)
def test_window(op, n, periodic, out_type, size_type, compile_model, run_exe, ort_run,
                assert_close, tmp_path):
    size = np.array(n, size_type)
    m, feeds = node_model(op, [("size", size, "const")], out_type, 17, periodic=periodic,
                          output_datatype=out_type)
    path, got = build_run(m, feeds, compile_model, run_exe, tmp_path)
    dtype = OUT_TYPES[out_type]
    if dtype == BF16:
        got = got.view(BF16)
    assert got.dtype == np.dtype(dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # a symmetric window of size 1
        ref = ReferenceEvaluator(m).run(None, {})[0]
    if np.dtype(dtype).kind in "iu":
        # truncated towards zero; ONNX's reference sums so that a peak is exactly 1
        assert_close("y", got, ref)
        assert_close("y", got, np.trunc(np.nan_to_num(np_window(op, n, periodic))).astype(dtype))
        return
    tol = 1e-2 if dtype in (np.float16, BF16) else 1e-6
    for want in (ref, np_window(op, n, periodic).astype(dtype)):
        assert_close("y", got.astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol)
    if dtype != BF16:  # onnxruntime makes integer windows from float32 values (a peak of
        # 0.99999994 becomes 0), so only its float windows are compared
        assert_close("y", got, ort_run(path, feeds)["y"], rtol=1e-3, atol=1e-6)


# ---- MelWeightMatrix ----

def mel_args(bins, dft_len, rate, lo, hi, int_type=np.int64, edge_type=np.float32,
             run_time=False):
    kind = "in" if run_time else "const"
    return [("bins", np.array(bins, int_type), "const"),
            ("dft_len", np.array(dft_len, int_type), "const"),
            ("rate", np.array(rate, int_type), kind), ("lo", np.array(lo, edge_type), kind),
            ("hi", np.array(hi, edge_type), kind)]


MEL_CASES = [
    pytest.param(mel_args(10, 512, 16000, 20.0, 8000.0), T.FLOAT, True, id="f32-512"),
    # onnxruntime has float32 edges only
    pytest.param(mel_args(40, 400, 16000, 0.0, 7600.0, np.int32, np.float64), T.DOUBLE, False,
                 id="i32-f64-400"),
    # onnxruntime rejects an upper edge at the Nyquist frequency with an odd dft_length
    pytest.param(mel_args(8, 31, 8000, 100.0, 4000.0), T.DOUBLE, False, id="odd-dft-len"),
    pytest.param(mel_args(64, 256, 22050, 30.0, 11025.0, edge_type=np.float64), T.FLOAT, False,
                 id="many-bins-narrow-bands"),
    pytest.param(mel_args(12, 128, 16000, 300.0, 300.0), T.FLOAT, True, id="empty-range"),
    pytest.param(mel_args(6, 64, 16000, 0.0, 8000.0), T.INT32, True, id="int32-out"),
    pytest.param(mel_args(6, 64, 16000, 0.0, 8000.0), T.FLOAT16, False, id="float16-out"),
    pytest.param(mel_args(16, 512, 16000, 50.0, 7000.0, run_time=True), T.FLOAT, True,
                 id="run-time-rate-and-edges"),
    pytest.param(mel_args(10, 256, 8000, 10.0, 3000.0, edge_type=np.float16, run_time=True),
                 T.FLOAT, False, id="run-time-f16-edges"),
]


@pytest.mark.parametrize("args,out_type,ort", MEL_CASES)
def test_mel(args, out_type, ort, compile_model, run_exe, ort_run, assert_close, tmp_path):
    m, feeds = node_model("MelWeightMatrix", args, out_type, 17, output_datatype=out_type)
    path, got = build_run(m, feeds, compile_model, run_exe, tmp_path)
    ref = ReferenceEvaluator(m).run(None, {**feeds} if feeds else {})[0]
    assert_close("y", got, ref, rtol=1e-5, atol=1e-6)
    if ort:
        assert_close("y", got, ort_run(path, feeds)["y"], rtol=1e-5, atol=1e-6)


# ---- invalid models ----

def bad(cid, what, op, args, opset=17, **attrs):
    return pytest.param(op, args, opset, attrs, what, id=cid)


X4 = ("x", np.zeros((1, 8, 4, 2), np.float32), "in")
X1 = ("x", np.zeros((1, 8, 1), np.float32), "in")
SIG = ("signal", np.zeros((1, 32, 1), np.float32), "in")

INVALID_CASES = [
    bad("dft-axis-last", "axis -1 is out of range", "DFT", [X4], axis=-1),
    bad("dft-axis-too-big", "axis 3 is out of range", "DFT", [X4, None, ("a", i64(3), "const")],
        opset=20),
    bad("dft-last-dim-3", "last dim of 1", "DFT", [("x", np.zeros((2, 4, 3), np.float32), "in")]),
    bad("dft-rank-1", "rank >= 2", "DFT", [("x", np.zeros((4,), np.float32), "in")]),
    bad("dft-rfft-complex", "takes real input", "DFT", [X4], onesided=1),
    bad("dft-irfft-real", "takes complex input", "DFT", [X1], onesided=1, inverse=1),
    bad("dft-length-0", "dft_length 'len' is 0", "DFT", [X4, ("len", i64(0), "const")]),
    bad("dft-length-not-scalar", "must be a scalar", "DFT", [X4, ("len", i64([4, 4]), "const")]),
    bad("dft-inverse-2", "inverse is 2", "DFT", [X4], inverse=2),
    bad("dft-axis-input-op17", "axis input came in opset 20", "DFT",
        [X4, None, ("a", i64(1), "const")]),
    bad("dft-axis-attr-op20", "attribute 'axis'", "DFT", [X4], opset=20, axis=1),
    bad("dft-irfft-default-len-0", "default dft_length is 0", "DFT",
        [("x", np.zeros((2, 1, 2), np.float32), "in")], onesided=1, inverse=1),
    bad("stft-frame-too-long", "no frames", "STFT", [SIG, ("s", i64(1), "const"), None,
                                                     ("l", i64(33), "const")]),
    bad("stft-window-length", "window 'w' has 16 points; frame_length is 8", "STFT",
        [SIG, ("s", i64(2), "const"), ("w", np.ones(16, np.float32), "in"),
         ("l", i64(8), "const")]),
    bad("stft-window-rank", "rank 1", "STFT",
        [SIG, ("s", i64(2), "const"), ("w", np.ones((2, 8), np.float32), "in")]),
    bad("stft-window-type", "window 'w' has type float64", "STFT",
        [SIG, ("s", i64(2), "const"), ("w", np.ones(8, np.float64), "in")]),
    bad("stft-signal-rank-2", "[batch, length, 1]", "STFT",
        [("signal", np.zeros((1, 32), np.float32), "in"), ("s", i64(2), "const")]),
    bad("stft-step-0", "frame_step 's' is 0", "STFT", [SIG, ("s", i64(0), "const")]),
    bad("stft-onesided-3", "onesided is 3", "STFT", [SIG, ("s", i64(4), "const")], onesided=3),
    bad("window-size-0", "size 'n' is 0", "HannWindow", [("n", i64(0), "const")]),
    bad("window-size-vector", "must be a scalar", "HammingWindow", [("n", i64([4, 5]), "const")]),
    bad("window-bool-out", "output_datatype 9 (bool)", "BlackmanWindow",
        [("n", i64(4), "const")], output_datatype=T.BOOL),
    bad("window-string-out", "output_datatype 8 (string)", "HannWindow",
        [("n", i64(4), "const")], output_datatype=T.STRING),
    bad("window-periodic-2", "periodic is 2", "HannWindow", [("n", i64(4), "const")], periodic=2),
    bad("mel-negative-lower", "lower_edge_hertz 'lo' is -5", "MelWeightMatrix",
        mel_args(4, 64, 8000, -5.0, 4000.0)),
    bad("mel-upper-below-lower", "upper_edge_hertz 100 is below lower_edge_hertz 200",
        "MelWeightMatrix", mel_args(4, 64, 8000, 200.0, 100.0)),
    bad("mel-rate-0", "sample_rate 'rate' is 0", "MelWeightMatrix",
        mel_args(4, 64, 0, 0.0, 4000.0)),
    bad("mel-bins-0", "num_mel_bins 'bins' is 0", "MelWeightMatrix",
        mel_args(0, 64, 8000, 0.0, 4000.0)),
    bad("mel-mixed-int-types", "input 1 ('dft_len') has type int32", "MelWeightMatrix",
        [("bins", np.array(4, np.int64), "const"), ("dft_len", np.array(64, np.int32), "const"),
         ("rate", i64(8000), "const"), ("lo", np.array(0, np.float32), "const"),
         ("hi", np.array(4000, np.float32), "const")]),
    bad("mel-above-nyquist", "upper_edge_hertz 'hi' is 4100; it must be at most", "MelWeightMatrix",
        mel_args(4, 64, 8000, 0.0, 4100.0)),
    bad("mel-infinite-upper", "upper_edge_hertz 'hi' is inf", "MelWeightMatrix",
        mel_args(4, 64, 8000, 0.0, np.inf)),
]


def gpuxc_build(gpuxc, m, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    return subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("op,args,opset,attrs,what", INVALID_CASES)
def test_invalid(op, args, opset, attrs, what, gpuxc, tmp_path):
    m, _ = node_model(op, args, T.FLOAT, opset, check=False, **attrs)
    r = gpuxc_build(gpuxc, m, tmp_path)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert NODE in r.stderr and what in r.stderr, r.stderr


UNSUPPORTED_CASES = [
    pytest.param("DFT", [X4, ("len", i64(8), "in")], "'len'", id="dft-length-input"),
    pytest.param("STFT", [SIG, ("s", i64(4), "in")], "'s'", id="stft-step-input"),
    pytest.param("HannWindow", [("n", i64(4), "in")], "'n'", id="window-size-input"),
    pytest.param("MelWeightMatrix", [("bins", i64(4), "in")] + mel_args(4, 64, 8000, 0, 4e3)[1:],
                 "'bins'", id="mel-bins-input"),
]


@pytest.mark.parametrize("op,args,what", UNSUPPORTED_CASES)
def test_shape_input_not_constant(op, args, what, gpuxc, tmp_path):
    m, _ = node_model(op, args, T.FLOAT, 17, check=False)
    r = gpuxc_build(gpuxc, m, tmp_path)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert NODE in r.stderr and what in r.stderr and "compile-time constant" in r.stderr, r.stderr
