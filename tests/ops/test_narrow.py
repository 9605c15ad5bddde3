"""The narrow types (float8 x4, float8e8m0, float4e2m1, int4/uint4, int2/uint2) against
onnxruntime, or against ONNX's reference evaluator where onnxruntime has no kernel: Cast and
CastLike both ways with saturate on and off, QuantizeLinear / DequantizeLinear per tensor and
per axis, narrow initializers (ONNX packs the 4- and 2-bit ones), and the executable's .npy
convention (raw bits in uint8 for the floats, int8/uint8 values for the integers)."""
import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

RNG = np.random.default_rng(20261124)
F8 = {TensorProto.FLOAT8E4M3FN: ml_dtypes.float8_e4m3fn,
      TensorProto.FLOAT8E4M3FNUZ: ml_dtypes.float8_e4m3fnuz,
      TensorProto.FLOAT8E5M2: ml_dtypes.float8_e5m2,
      TensorProto.FLOAT8E5M2FNUZ: ml_dtypes.float8_e5m2fnuz}
SMALL_INT = {TensorProto.INT4: (ml_dtypes.int4, np.int8), TensorProto.UINT4: (ml_dtypes.uint4, np.uint8),
             TensorProto.INT2: (ml_dtypes.int2, np.int8), TensorProto.UINT2: (ml_dtypes.uint2, np.uint8)}
NAME = {v: k for k, v in TensorProto.DataType.items()}


def wide_floats(n):
    """Normal, subnormal, huge, tiny, signed zeros, NaN and infinities."""
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e6, -1e6, 1e-7, -1e-7, 448, 464,
                        465, 240, 57344, 61440, 6.0, 7.0, 0.25, 0.75, 1.0 / 1024], np.float32)
    return np.concatenate([special, RNG.standard_normal(n).astype(np.float32) * 30])


def reference(model, feeds):
    """onnxruntime when it runs the model, else ONNX's reference evaluator."""
    try:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(model.SerializeToString(), so,
                                    providers=["CPUExecutionProvider"])
        return sess.run(None, feeds)
    except Exception:  # noqa: BLE001  (not implemented in onnxruntime: NOT_IMPLEMENTED etc.)
        return ReferenceEvaluator(model).run(None, feeds)


def storage(a):
    """How the generated executable reads and writes an array of a narrow type."""
    if a.dtype in (ml_dtypes.int4, ml_dtypes.int2):
        return a.astype(np.int8)
    if a.dtype in (ml_dtypes.uint4, ml_dtypes.uint2):
        return a.astype(np.uint8)
    if a.dtype.name.startswith(("float8", "float4")):
        return a.view(np.uint8)
    return a


def decoded(a, elem):
    """Values of an array of type elem, held as storage() makes it, as float64."""
    if elem in F8:
        return a.view(F8[elem]).astype(np.float64)
    if elem == TensorProto.FLOAT4E2M1:
        return a.view(ml_dtypes.float4_e2m1fn).astype(np.float64)
    if elem == TensorProto.FLOAT8E8M0:
        return a.view(ml_dtypes.float8_e8m0fnu).astype(np.float64)
    return a.astype(np.float64)


def check(got, want, elem, rtol=0.0):
    want = storage(np.asarray(want))
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype,
                                                                 want.shape)
    g, w = decoded(got, elem), decoded(want, elem)
    with np.errstate(invalid="ignore"):
        same = (g == w) | (np.isnan(g) & np.isnan(w)) | (np.abs(g - w) <= rtol * np.abs(w))
    bad = np.flatnonzero(~same)
    assert bad.size == 0, f"{bad.size} differ; first at {bad[0]}: got {g.flat[bad[0]]}, want {w.flat[bad[0]]}"


def build_and_run(tmp_path, model, feeds, compile_model, run_exe):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    exe = compile_model(path, tmp_path)
    return run_exe(exe, {k: storage(v) for k, v in feeds.items()},
                   [o.name for o in model.graph.output])


def cast_model(src, dst, shape, opset=25, like=False, **attrs):
    ins = [helper.make_tensor_value_info("x", src, shape)]
    if like:
        node = helper.make_node("CastLike", ["x", "t"], ["y"], name="cast", **attrs)
        inits = [helper.make_tensor("t", dst, [1], [0])]
    else:
        node = helper.make_node("Cast", ["x"], ["y"], name="cast", to=dst, **attrs)
        inits = []
    g = helper.make_graph([node], "cast", ins, [helper.make_tensor_value_info("y", dst, shape)],
                          inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=11)


CAST_TO = [(dst, sat) for dst in [*F8, TensorProto.FLOAT8E8M0, TensorProto.FLOAT4E2M1]
           for sat in (0, 1)] + [(dst, 1) for dst in SMALL_INT]


@pytest.mark.parametrize("dst,saturate", CAST_TO,
                         ids=[f"{NAME[d]}-sat{s}" for d, s in CAST_TO])
@pytest.mark.parametrize("src", [TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE])
def test_cast_to_narrow(src, dst, saturate, tmp_path, compile_model, run_exe):
    with np.errstate(over="ignore"):  # 1e6 overflows float16 to inf, which is wanted
        x = wide_floats(44).astype(helper.tensor_dtype_to_np_dtype(src)).reshape(4, 16)
    if dst in SMALL_INT:  # ints of the type's range and beyond (they wrap)
        x = np.arange(-20, 44).astype(x.dtype).reshape(4, 16)
    attrs = {} if dst in SMALL_INT else {"saturate": saturate}
    m = cast_model(src, dst, [4, 16], **attrs)
    want = ReferenceEvaluator(m).run(None, {"x": x})[0]
    got = build_and_run(tmp_path, m, {"x": x}, compile_model, run_exe)["y"]
    check(got, want, dst)


@pytest.mark.parametrize("src", [*F8, TensorProto.FLOAT8E8M0, TensorProto.FLOAT4E2M1, *SMALL_INT],
                         ids=lambda t: NAME[t])
@pytest.mark.parametrize("dst", [TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.INT32])
def test_cast_from_narrow(src, dst, tmp_path, compile_model, run_exe):
    if src in SMALL_INT:
        ml, _ = SMALL_INT[src]
        info = ml_dtypes.iinfo(ml)
        x = np.arange(int(info.min), int(info.max) + 1).astype(ml)
    else:  # every bit pattern
        x = np.arange(256 if src != TensorProto.FLOAT4E2M1 else 16, dtype=np.uint8).view(
            helper.tensor_dtype_to_np_dtype(src))
    if dst == TensorProto.INT32 and src not in SMALL_INT:
        x = x[np.isfinite(x.astype(np.float64)) & (np.abs(x.astype(np.float64)) < 1e9)]
    m = cast_model(src, dst, [x.size], like=True)
    want = reference(m, {"x": x})[0]
    got = build_and_run(tmp_path, m, {"x": x}, compile_model, run_exe)["y"]
    g, w = got.astype(np.float64), np.asarray(want).astype(np.float64)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(g, w)


QUANT = [TensorProto.INT4, TensorProto.UINT4, TensorProto.INT2, TensorProto.UINT2,
         TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT8E5M2]


def zero_point(t, n):
    if t in SMALL_INT:
        ml, _ = SMALL_INT[t]
        info = ml_dtypes.iinfo(ml)
        return RNG.integers(int(info.min), int(info.max) + 1, n).astype(ml)
    return np.zeros(n, np.float32).astype(F8[t])  # float8 zero points must be 0 in ONNX


@pytest.mark.parametrize("t", QUANT, ids=lambda t: NAME[t])
@pytest.mark.parametrize("per_axis", [False, True])
def test_quantize_dequantize(t, per_axis, tmp_path, compile_model, run_exe):
    x = RNG.standard_normal((3, 5)).astype(np.float32) * 4
    n = 5 if per_axis else 1
    scale = (RNG.random(n) + 0.25).astype(np.float32)
    zp = zero_point(t, n)
    shape = [n] if per_axis else []
    inits = [numpy_helper.from_array(scale.reshape(shape), "s"),
             helper.make_tensor("z", t, shape, zp.astype(np.float32).ravel().tolist()
                                if t in F8 else zp.astype(np.int64).ravel().tolist())]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q", axis=1),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq", axis=1)]
    g = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                        [3, 5])],
                          [helper.make_tensor_value_info("q", t, [3, 5]),
                           helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 5])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 25)], ir_version=11)
    want_q, want_y = reference(m, {"x": x})
    got = build_and_run(tmp_path, m, {"x": x}, compile_model, run_exe)
    check(got["q"], want_q, t)
    np.testing.assert_allclose(got["y"], want_y, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("t", list(SMALL_INT), ids=lambda t: NAME[t])
def test_packed_initializer(t, tmp_path, compile_model, run_exe):
    """An odd number of 4- or 2-bit values in raw_data, packed as ONNX packs them."""
    ml, _ = SMALL_INT[t]
    info = ml_dtypes.iinfo(ml)
    vals = RNG.integers(int(info.min), int(info.max) + 1, 7).astype(ml)
    init = numpy_helper.from_array(vals, "w")
    assert init.HasField("raw_data") and len(init.raw_data) < 7
    node = helper.make_node("Cast", ["w"], ["wf"], name="c", to=TensorProto.FLOAT)
    add = helper.make_node("Add", ["wf", "x"], ["y"], name="a")
    g = helper.make_graph([node, add], "packed",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [7])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [7])], [init])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 25)], ir_version=11)
    x = RNG.standard_normal(7).astype(np.float32)
    got = build_and_run(tmp_path, m, {"x": x}, compile_model, run_exe)["y"]
    np.testing.assert_array_equal(got, vals.astype(np.float32) + x)


def test_wrong_storage_type_is_rejected(tmp_path, compile_model):
    """A float8 input fed as float32 .npy: a clear message naming the storage type."""
    import subprocess
    m = cast_model(TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT, [4])
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    exe = compile_model(path, tmp_path)
    np.save(tmp_path / "x.npy", np.zeros(4, np.float32))
    r = subprocess.run([exe, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir",
                        tmp_path / "out"], capture_output=True, text=True)
    assert r.returncode != 0
    assert "float8e4m3fn" in r.stderr and "'|u1'" in r.stderr, r.stderr
