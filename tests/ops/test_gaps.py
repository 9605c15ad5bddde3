"""The types and modes ONNX's node tests leave out, for the ops whose gaps they showed:
Reduce* of float64, int32, uint32, uint64, int8/uint8 (Max, Min) and bool (Max, Min, opset 20);
BatchNormalization in training mode (opsets 14 and 15, float32, float64, float16) and float64
inference; MaxPool's Indices (1-3 spatial dims, storage_order 0 and 1, pads, strides, dilations,
ceil_mode) and MaxPool of float64/int8/uint8, AveragePool and the global pools of float64; Range
of every type (float16 and bfloat16 with both stash types); Dropout in training mode. Against
onnxruntime, or ONNX's reference evaluator where onnxruntime has no kernel. Also constant
folding inside gpuxc, and the invalid models gpuxc must reject with exit code 2."""
import subprocess

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID, UNSUPPORTED = 2, 3
RNG = np.random.default_rng(20261125)
ELEM = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
        np.dtype(np.float16): TensorProto.FLOAT16,
        np.dtype(ml_dtypes.bfloat16): TensorProto.BFLOAT16,
        np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
        np.dtype(np.int16): TensorProto.INT16, np.dtype(np.int32): TensorProto.INT32,
        np.dtype(np.int64): TensorProto.INT64, np.dtype(np.uint32): TensorProto.UINT32,
        np.dtype(np.uint64): TensorProto.UINT64, np.dtype(np.bool_): TensorProto.BOOL}


def values(dtype, *shape, lo=-50, hi=50):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return RNG.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(lo, info.min), min(hi, info.max)
        return RNG.integers(lo, hi, shape, endpoint=True).astype(dtype)
    return (RNG.standard_normal(shape) * 2).astype(dtype)


def model(nodes, feeds, outputs, opset, inits=None, check=True):
    """A graph of nodes whose inputs are feeds ({name: array}) and inits ({name: array},
    initializers); outputs: [(name, TensorProto type)]."""
    g_in = [helper.make_tensor_value_info(n, ELEM[a.dtype], a.shape) for n, a in feeds.items()]
    inits = [numpy_helper.from_array(a, n) for n, a in (inits or {}).items()]
    g_out = [helper.make_tensor_value_info(n, t, None) for n, t in outputs]
    m = helper.make_model(helper.make_graph(nodes, "gaps", g_in, g_out, inits),
                          opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    if check:  # the outputs' shapes come from ONNX's shape inference
        m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        onnx.checker.check_model(m, full_check=True)
    return m


def reference(m, feeds):
    """onnxruntime when it runs the model, else ONNX's reference evaluator."""
    names = [o.name for o in m.graph.output]
    try:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        got = sess.run(names, feeds)
    except Exception:  # noqa: BLE001  (no kernel in onnxruntime for this type or opset)
        got = ReferenceEvaluator(m).run(names, feeds)
    return dict(zip(names, (np.asarray(g) for g in got)))


def storage(a):
    """How the generated executable reads and writes an array (bfloat16 as its bits)."""
    return a.view(np.uint16) if a.dtype == ml_dtypes.bfloat16 else a


def gpuxc_run(m, feeds, tmp_path, compile_model, run_exe):
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    exe = compile_model(path, tmp_path / "out")
    names = [o.name for o in m.graph.output]
    return run_exe(exe, {n: storage(a) for n, a in feeds.items()}, names)


def check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=1e-5, atol=1e-6,
          want=None):
    want = want or reference(m, feeds)
    got = gpuxc_run(m, feeds, tmp_path, compile_model, run_exe)
    for name, w in want.items():
        g = got[name]
        if w.dtype == ml_dtypes.bfloat16:
            g, w = g.view(ml_dtypes.bfloat16).astype(np.float32), w.astype(np.float32)
        assert_close(name, g, w, rtol=rtol, atol=atol)


def rejects(m, what, gpuxc, tmp_path, code=INVALID):
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == code, f"exit code {r.returncode}, expected {code}\n{r.stderr}"
    assert "the_node" in r.stderr and what in r.stderr, r.stderr


# ---- Reduce*

REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
              "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]


def reduce_model(op, x, axes, keepdims, opset, folded=False, **attrs):
    """op over x; axes as an input (opset 18+, ReduceSum 13+) or an attribute. folded: x is an
    initializer and a graph input z (zero) is added to the result, so gpuxc computes the
    reduction itself at compile time."""
    as_input = opset >= (13 if op == "ReduceSum" else 18)
    ins, inits = ["x"], {}
    if axes is not None and as_input:
        ins.append("axes")
        inits["axes"] = np.array(axes, np.int64)
    elif axes is not None:
        attrs["axes"] = axes
    nodes = [helper.make_node(op, ins, ["y"], name="the_node", keepdims=keepdims, **attrs)]
    feeds = {"x": x}
    if folded:
        inits["x"] = x
        feeds = {"z": np.zeros((), x.dtype)}
        nodes.append(helper.make_node("Or" if x.dtype == np.bool_ else "Add", ["y", "z"], ["w"]))
        return model(nodes, feeds, [("w", ELEM[x.dtype])], opset, inits), feeds
    return model(nodes, feeds, [("y", ELEM[x.dtype])], opset, inits), feeds


def positive(dtype, *shape):
    return (RNG.random(shape) * 3 + 0.1).astype(dtype)


REDUCE_CASES = [
    # float64, every op, axes given or not, keepdims 0 and 1, opsets 13 and 18
    *[pytest.param(op, positive(np.float64, 3, 4, 5) if "Log" in op and op != "ReduceLogSumExp"
                   else values(np.float64, 3, 4, 5), [0, 2], 1, 18, id=f"{op}-f64-axes02")
      for op in REDUCE_OPS],
    *[pytest.param(op, positive(np.float64, 2, 3, 4) if op == "ReduceLogSum"
                   else values(np.float64, 2, 3, 4), None, 0, 13, id=f"{op}-f64-all-op13")
      for op in REDUCE_OPS],
    pytest.param("ReduceLogSumExp", values(np.float64, 4, 6) * 300, [1], 0, 18,
                 id="lse-f64-large"),
    pytest.param("ReduceLogSumExp", np.zeros((3, 0), np.float64), [1], 1, 18, id="lse-f64-empty"),
    pytest.param("ReduceMax", np.zeros((0, 4), np.float64), [0], 0, 18, id="max-f64-empty"),
    pytest.param("ReduceLogSumExp", values(np.float64, 2, 3), [1], 1, 28, id="lse-f64-op28"),
    # int32, uint32, uint64
    *[pytest.param(op, values(np.int32, 3, 4, 5, lo=-9, hi=9), [1], 1, 18, id=f"{op}-i32")
      for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                 "ReduceSumSquare"]],
    pytest.param("ReduceL2", values(np.int32, 4, 6, lo=0, hi=40), [1], 0, 18, id="l2-i32"),
    pytest.param("ReduceLogSumExp", values(np.int32, 4, 6, lo=0, hi=5), [0], 0, 18,
                 id="lse-i32"),
    pytest.param("ReduceMean", values(np.int32, 5, 7, lo=-100, hi=100), [1], 0, 18,
                 id="mean-i32-truncates"),
    pytest.param("ReduceSum", values(np.uint32, 4, 5, lo=0, hi=1000), [0], 1, 13, id="sum-u32"),
    pytest.param("ReduceMax", values(np.uint32, 4, 5, lo=0, hi=4000000000), [1], 0, 18,
                 id="max-u32"),
    pytest.param("ReduceMin", np.array([[2**64 - 1, 2**63, 5], [2**63 + 7, 1, 2**62]], np.uint64),
                 [1], 0, 18, id="min-u64-high-bit"),
    pytest.param("ReduceMax", np.array([[2**64 - 1, 2**63, 5], [2**63 + 7, 1, 2**62]], np.uint64),
                 [1], 1, 18, id="max-u64-high-bit"),
    pytest.param("ReduceSum", values(np.uint64, 3, 5, lo=0, hi=10**6), None, 0, 18, id="sum-u64"),
    pytest.param("ReduceMax", np.zeros((2, 0), np.int32), [1], 0, 18, id="max-i32-empty"),
    pytest.param("ReduceMin", np.zeros((2, 0), np.int32), [1], 0, 18, id="min-i32-empty"),
    # int8 / uint8 (Max, Min), bool (Max, Min, opset 20)
    pytest.param("ReduceMax", values(np.int8, 3, 4, 5, lo=-128, hi=127), [2], 1, 12,
                 id="max-i8-op12"),
    pytest.param("ReduceMin", values(np.int8, 3, 4, 5, lo=-128, hi=127), [0, 1], 0, 18,
                 id="min-i8"),
    pytest.param("ReduceMax", values(np.uint8, 6, 7, lo=0, hi=255), None, 1, 18, id="max-u8"),
    pytest.param("ReduceMin", values(np.uint8, 6, 7, lo=0, hi=255), [1], 0, 13, id="min-u8-op13"),
    pytest.param("ReduceMax", values(np.bool_, 4, 5), [1], 1, 20, id="max-bool"),
    pytest.param("ReduceMin", values(np.bool_, 4, 5), [0], 0, 20, id="min-bool"),
    pytest.param("ReduceMin", np.ones((3, 6), np.bool_), [1], 0, 20, id="min-bool-all-true"),
    pytest.param("ReduceMin", np.zeros((0, 3), np.bool_), [0], 0, 20, id="min-bool-empty"),
    pytest.param("ReduceMax", np.zeros((0, 3), np.bool_), [0], 1, 20, id="max-bool-empty"),
]


@pytest.mark.parametrize("op,x,axes,keepdims,opset", REDUCE_CASES)
def test_reduce(op, x, axes, keepdims, opset, compile_model, run_exe, assert_close, tmp_path):
    m, feeds = reduce_model(op, x, axes, keepdims, opset)
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=1e-12, atol=1e-12)


FOLD_CASES = [
    pytest.param("ReduceLogSumExp", values(np.float64, 3, 5), [1], id="lse-f64"),
    pytest.param("ReduceMean", values(np.int32, 3, 5), [0], id="mean-i32"),
    pytest.param("ReduceMax", values(np.bool_, 3, 5), [1], id="max-bool"),
    pytest.param("ReduceProd", values(np.uint64, 3, 5, lo=0, hi=9), [0], id="prod-u64"),
]


@pytest.mark.parametrize("op,x,axes", FOLD_CASES)
def test_reduce_folded(op, x, axes, compile_model, run_exe, assert_close, tmp_path):
    m, feeds = reduce_model(op, x, axes, 0, 20, folded=True)
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=1e-12, atol=1e-12)


def raw_reduce(op, elem, opset, shape=(3, 4)):
    node = helper.make_node(op, ["x"], ["y"], name="the_node")
    g = helper.make_graph([node], "bad", [helper.make_tensor_value_info("x", elem, shape)],
                          [helper.make_tensor_value_info("y", elem, None)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


# ---- BatchNormalization

def bn_model(x, opset=15, training=1, outs=3, folded_after_conv=False, **attrs):
    c = x.shape[1]
    dt = x.dtype
    params = {"scale": values(dt, c), "B": values(dt, c), "mean": values(dt, c),
              "var": (RNG.random(c) + 0.5).astype(dt)}
    names = ["y", "running_mean", "running_var"][:outs]
    if training is not None and opset >= 14:
        attrs["training_mode"] = training
    node_outs = names + [""] * (3 - outs) if training else names  # training: 3 outputs, some ""
    node = helper.make_node("BatchNormalization", ["x", "scale", "B", "mean", "var"], node_outs,
                            name="the_node", **attrs)
    return model([node], {"x": x, **params}, [(n, ELEM[dt]) for n in names], opset), \
        {"x": x, **params}


def bn_reference(x, scale, b, mean, var, eps=1e-5, momentum=0.9):
    """ONNX's formulas, in float64."""
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = [1, -1] + [1] * (x.ndim - 2)
    xd = x.astype(np.float64)
    mu, v = xd.mean(axis=axes), xd.var(axis=axes)
    y = (xd - mu.reshape(shape)) / np.sqrt(v.reshape(shape) + eps) * scale.reshape(shape) + \
        b.reshape(shape)
    return {"y": y.astype(x.dtype), "running_mean": (mean * momentum + mu * (1 - momentum)).astype(
        x.dtype), "running_var": (var * momentum + v * (1 - momentum)).astype(x.dtype)}


BN_CASES = [
    pytest.param(values(np.float32, 2, 3, 4, 5), 15, 3, {}, id="f32-nchw-op15"),
    pytest.param(values(np.float32, 6, 4), 14, 3, {"momentum": 0.7}, id="f32-rank2-op14"),
    pytest.param(values(np.float32, 2, 3, 2, 3, 4), 15, 3, {"epsilon": 1e-2}, id="f32-rank5"),
    pytest.param(values(np.float64, 3, 5, 7), 15, 3, {"momentum": 0.25}, id="f64-op15"),
    pytest.param(values(np.float32, 4, 2, 9) * 30 + 100, 15, 1, {}, id="f32-y-only"),
    pytest.param(values(np.float32, 2, 3, 4), 15, 2, {}, id="f32-running-mean-only"),
    pytest.param(values(np.float16, 2, 3, 4), 15, 3, {}, id="f16"),
]


@pytest.mark.parametrize("x,opset,outs,attrs", BN_CASES)
def test_batchnorm_training(x, opset, outs, attrs, compile_model, run_exe, assert_close,
                            tmp_path):
    m, feeds = bn_model(x, opset, 1, outs, **attrs)
    want = bn_reference(*feeds.values(), eps=attrs.get("epsilon", 1e-5),
                        momentum=attrs.get("momentum", 0.9))
    # ONNX's reference evaluator agrees with these formulas
    ref = ReferenceEvaluator(m).run(None, feeds)
    for name, r in zip([o.name for o in m.graph.output], ref):
        assert_close(name, np.asarray(r), want[name], rtol=1e-2 if x.dtype == np.float16 else 1e-4,
                     atol=1e-2 if x.dtype == np.float16 else 1e-5)
    want = {o.name: want[o.name] for o in m.graph.output}
    tol = 2e-3 if x.dtype == np.float16 else 1e-5
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=tol, atol=tol, want=want)


def test_batchnorm_training_after_conv(compile_model, run_exe, assert_close, tmp_path):
    x = values(np.float32, 2, 3, 6, 6)
    consts = {"w": values(np.float32, 4, 3, 3, 3), "s": values(np.float32, 4),
              "b": values(np.float32, 4), "m": values(np.float32, 4),
              "v": (RNG.random(4) + 0.5).astype(np.float32)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3]),
             helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["y", "", ""],
                              name="the_node", training_mode=1)]
    m = model(nodes, {"x": x}, [("y", TensorProto.FLOAT)], 15, consts)
    want = {"y": ReferenceEvaluator(m).run(None, {"x": x})[0]}
    check(m, {"x": x}, tmp_path, compile_model, run_exe, assert_close, rtol=1e-4, atol=1e-4,
          want=want)


@pytest.mark.parametrize("opset", [9, 15])
def test_batchnorm_f64_inference(opset, compile_model, run_exe, assert_close, tmp_path):
    m, feeds = bn_model(values(np.float64, 2, 4, 3, 3), opset, 0 if opset >= 14 else None, 1)
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=1e-12, atol=1e-12)


# ---- MaxPool, AveragePool, global pools

def pool_model(op, x, opset=12, indices=False, **attrs):
    outs = ["y", "i"] if indices else ["y"]
    node = helper.make_node(op, ["x"], outs, name="the_node", **attrs)
    types = [ELEM[x.dtype], TensorProto.INT64][:len(outs)]
    return model([node], {"x": x}, list(zip(outs, types)), opset), {"x": x}


def distinct(dtype, *shape):
    """Values without ties (ties make the index of the maximum ambiguous)."""
    n = int(np.prod(shape))
    if np.dtype(dtype).kind in "iu":
        lo = -128 if np.dtype(dtype) == np.int8 else 0
        v = RNG.permutation(np.arange(lo, lo + 256))[:n] if n <= 256 else None
        return v.astype(dtype).reshape(shape)
    return RNG.permutation(n).astype(dtype).reshape(shape) / 7 - 3


MAXPOOL_CASES = [
    pytest.param(distinct(np.float32, 2, 3, 11), {"kernel_shape": [3], "strides": [2]},
                 id="1d-f32"),
    pytest.param(distinct(np.float32, 2, 3, 7, 8), {"kernel_shape": [3, 2], "pads": [1, 0, 1, 1]},
                 id="2d-f32-pads"),
    pytest.param(distinct(np.float32, 2, 2, 7, 8), {"kernel_shape": [3, 3], "storage_order": 1,
                                                    "strides": [2, 1], "pads": [1, 1, 1, 1]},
                 id="2d-f32-colmajor"),
    pytest.param(distinct(np.float32, 1, 2, 9, 9), {"kernel_shape": [2, 2], "dilations": [2, 2],
                                                    "ceil_mode": 1, "strides": [2, 2]},
                 id="2d-f32-dilations-ceil"),
    pytest.param(distinct(np.float32, 1, 2, 5, 6, 7), {"kernel_shape": [2, 3, 2],
                                                       "strides": [1, 2, 2]}, id="3d-f32"),
    pytest.param(distinct(np.float32, 1, 2, 5, 6, 7), {"kernel_shape": [2, 3, 2],
                                                       "storage_order": 1}, id="3d-f32-colmajor"),
    pytest.param(distinct(np.float64, 2, 3, 6, 6),
                 {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER"}, id="2d-f64-same-upper"),
    pytest.param(distinct(np.int8, 1, 3, 8, 9), {"kernel_shape": [2, 3], "strides": [2, 2]},
                 id="2d-i8"),
    pytest.param(distinct(np.uint8, 1, 2, 9, 10), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
                 id="2d-u8-pads"),
]


@pytest.mark.parametrize("indices", [True, False], ids=["indices", "no-indices"])
@pytest.mark.parametrize("x,attrs", MAXPOOL_CASES)
def test_maxpool(x, attrs, indices, compile_model, run_exe, assert_close, tmp_path):
    m, feeds = pool_model("MaxPool", x, 12, indices, **attrs)
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=0, atol=0)


def test_maxpool_f16_indices(compile_model, run_exe, assert_close, tmp_path):
    x = distinct(np.float32, 1, 2, 6, 6).astype(np.float16)
    m, feeds = pool_model("MaxPool", x, 12, True, kernel_shape=[2, 2], strides=[2, 2])
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=0, atol=0)


AVG_CASES = [
    pytest.param("AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, id="avg-pads"),
    pytest.param("AveragePool", {"kernel_shape": [3, 2], "pads": [1, 0, 1, 1],
                                 "count_include_pad": 1, "strides": [2, 1]}, id="avg-include-pad"),
    pytest.param("AveragePool", {"kernel_shape": [2, 2], "ceil_mode": 1, "strides": [2, 2]},
                 id="avg-ceil"),
    pytest.param("GlobalAveragePool", {}, id="global-avg"),
    pytest.param("GlobalMaxPool", {}, id="global-max"),
]


@pytest.mark.parametrize("op,attrs", AVG_CASES)
def test_pool_f64(op, attrs, compile_model, run_exe, assert_close, tmp_path):
    m, feeds = pool_model(op, values(np.float64, 2, 3, 7, 6), 19, **attrs)
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=1e-12, atol=1e-12)


def raw_pool(op, elem, opset, outs=1, **attrs):
    node = helper.make_node(op, ["x"], ["y", "i"][:outs], name="the_node", **attrs)
    g = helper.make_graph([node], "bad", [helper.make_tensor_value_info("x", elem, [1, 1, 4, 4])],
                          [helper.make_tensor_value_info(n, elem, None) for n in ["y", "i"][:outs]])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


# ---- Range

def range_model(start, limit, delta, opset=27, **attrs):
    consts = {"start": np.array(start), "limit": np.array(limit), "delta": np.array(delta)}
    nodes = [helper.make_node("Range", list(consts), ["y"], name="the_node", **attrs)]
    return model(nodes, {}, [("y", ELEM[consts["start"].dtype])], opset, consts)


def t(v, dtype):
    return np.array(v, dtype)


RANGE_CASES = [
    pytest.param(t(-3, np.int16), t(20, np.int16), t(4, np.int16), 11, {}, id="i16"),
    pytest.param(t(100, np.int32), t(-7, np.int32), t(-9, np.int32), 11, {}, id="i32-negative"),
    pytest.param(t(5, np.int32), t(5, np.int32), t(1, np.int32), 11, {}, id="i32-empty"),
    pytest.param(t(-2**62, np.int64), t(2**62, np.int64), t(2**60, np.int64), 11, {},
                 id="i64-large"),
    pytest.param(t(0.5, np.float64), t(3.3, np.float64), t(0.1, np.float64), 11, {}, id="f64"),
    pytest.param(t(10.0, np.float64), t(-1.0, np.float64), t(-0.75, np.float64), 11, {},
                 id="f64-negative"),
    pytest.param(t(1.0, np.float16), t(9.5, np.float16), t(0.75, np.float16), 27, {}, id="f16"),
    pytest.param(t(2000.0, np.float16), t(2100.0, np.float16), t(1.0, np.float16), 27,
                 {"stash_type": 11}, id="f16-stash-double"),
    pytest.param(t(-4.0, ml_dtypes.bfloat16), t(6.0, ml_dtypes.bfloat16),
                 t(0.5, ml_dtypes.bfloat16), 27, {}, id="bf16"),
    pytest.param(t(0.0, np.float32), t(1.0, np.float32), t(0.125, np.float32), 11, {}, id="f32"),
]


@pytest.mark.parametrize("start,limit,delta,opset,attrs", RANGE_CASES)
def test_range(start, limit, delta, opset, attrs, compile_model, run_exe, assert_close,
               tmp_path):
    m = range_model(start, limit, delta, opset, **attrs)
    check(m, {}, tmp_path, compile_model, run_exe, assert_close, rtol=1e-6, atol=1e-6)


# ---- Dropout

def dropout_model(x, ratio=None, training=None, mask=True, opset=22, consts=(), **attrs):
    """Dropout of x; ratio and training_mode are graph inputs, or initializers if their name is
    in consts."""
    ins = {"x": x, "ratio": ratio, "training": training}
    names = ["x"] + [n for n in ("ratio", "training") if ins[n] is not None]
    if training is not None and ratio is None:
        names = ["x", "", "training"]
    outs = ["y", "mask"] if mask else ["y"]
    node = helper.make_node("Dropout", names, outs, name="the_node", **attrs)
    feeds = {n: ins[n] for n in names if n and n not in consts}
    inits = {n: ins[n] for n in names if n in consts}
    types = [ELEM[x.dtype], TensorProto.BOOL][:len(outs)]
    return model([node], feeds, list(zip(outs, types)), opset, inits), feeds


def dropout_run(x, tmp_path, compile_model, run_exe, **kw):
    tmp_path.mkdir(parents=True, exist_ok=True)
    m, feeds = dropout_model(x, **kw)
    return gpuxc_run(m, feeds, tmp_path, compile_model, run_exe)


def test_dropout_zero_ratio_runtime(compile_model, run_exe, assert_close, tmp_path):
    x = values(np.float32, 3, 4, 5)
    m, feeds = dropout_model(x, np.array(0.0, np.float32), np.array(True), seed=3)
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=0, atol=0)


def test_dropout_training_false_runtime(compile_model, run_exe, assert_close, tmp_path):
    x = values(np.float64, 4, 6)
    m, feeds = dropout_model(x, np.array(0.4, np.float64), np.array(False))
    check(m, feeds, tmp_path, compile_model, run_exe, assert_close, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("ratio", [0.25, 0.5, 0.8])
def test_dropout_training(dtype, ratio, compile_model, run_exe, tmp_path):
    """Random masks cannot match numpy's generator: check what must hold instead. Every element
    is either dropped (0, mask false) or kept and scaled by 1 / (1 - ratio), and the kept
    fraction is 1 - ratio within 5 standard deviations."""
    x = (RNG.random((40, 50)) + 0.5).astype(dtype)
    got = dropout_run(x, tmp_path, compile_model, run_exe, ratio=np.array(ratio, np.float32),
                      training=np.array(True), seed=7)
    y, mask = got["y"], got["mask"]
    assert y.dtype == dtype and mask.dtype == np.bool_ and y.shape == mask.shape == x.shape
    scale = 1 / (1 - ratio)
    tol = 2e-3 if dtype == np.float16 else 1e-6
    np.testing.assert_allclose(y[mask], x[mask].astype(np.float64) * scale, rtol=tol)
    assert (y[~mask] == 0).all()
    kept, n = mask.mean(), x.size
    assert abs(kept - (1 - ratio)) < 5 * np.sqrt(ratio * (1 - ratio) / n), kept


def test_dropout_deterministic(compile_model, run_exe, tmp_path):
    """The same seed gives the same mask on every run and in both constant and input forms; another
    seed gives another."""
    x = values(np.float32, 64, 64)
    ratio, train = np.array(0.5, np.float32), np.array(True)
    a = dropout_run(x, tmp_path / "a", compile_model, run_exe, ratio=ratio, training=train, seed=1)
    b = dropout_run(x, tmp_path / "b", compile_model, run_exe, ratio=ratio, training=train, seed=1,
                    consts=("ratio", "training"))
    c = dropout_run(x, tmp_path / "c", compile_model, run_exe, ratio=ratio, training=train, seed=2)
    np.testing.assert_array_equal(a["mask"], b["mask"])
    np.testing.assert_array_equal(a["y"], b["y"])
    assert (a["mask"] != c["mask"]).mean() > 0.3


def test_dropout_no_mask_output(compile_model, run_exe, tmp_path):
    """Training without the mask output still drops (it is no Identity)."""
    x = values(np.float32, 50, 40) + 10
    y = dropout_run(x, tmp_path, compile_model, run_exe, training=np.array(True), mask=False,
                    consts=("training",))["y"]
    kept = y != 0
    assert 0.4 < kept.mean() < 0.6  # default ratio 0.5
    np.testing.assert_allclose(y[kept], x[kept] * 2, rtol=1e-6)


def test_dropout_folded(compile_model, run_exe, tmp_path):
    """A Dropout of constants is evaluated by gpuxc at compile time, by the same kernel."""
    x = values(np.float32, 30, 20) + 10
    consts = {"x": x, "ratio": np.array(0.3, np.float32), "training": np.array(True)}
    nodes = [helper.make_node("Dropout", list(consts), ["y", "mask"], name="the_node", seed=5),
             helper.make_node("Add", ["y", "z"], ["w"])]
    z = np.zeros((), np.float32)
    m = model(nodes, {"z": z}, [("w", TensorProto.FLOAT), ("mask", TensorProto.BOOL)], 22, consts)
    (tmp_path / "folded").mkdir()
    folded = gpuxc_run(m, {"z": z}, tmp_path / "folded", compile_model, run_exe)
    live = dropout_run(x, tmp_path / "live", compile_model, run_exe,
                       ratio=consts["ratio"], training=consts["training"], seed=5)
    np.testing.assert_array_equal(folded["mask"], live["mask"])
    np.testing.assert_array_equal(folded["w"], live["y"])


@pytest.mark.parametrize("opset", [7, 10, 13])
def test_dropout_inference_mask(opset, compile_model, run_exe, assert_close, tmp_path):
    """Inference: y = x, mask all ones (bool; of x's type before opset 10)."""
    x = values(np.float32, 3, 5)
    node = helper.make_node("Dropout", ["x"], ["y", "mask"], name="the_node")
    mask_type = TensorProto.FLOAT if opset < 10 else TensorProto.BOOL
    m = model([node], {"x": x}, [("y", TensorProto.FLOAT), ("mask", mask_type)], opset,
              check=False)  # ONNX infers no shape for the old mask
    want = {"y": x, "mask": np.ones(x.shape, np.float32 if opset < 10 else np.bool_)}
    check(m, {"x": x}, tmp_path, compile_model, run_exe, assert_close, rtol=0, atol=0, want=want)


def raw_dropout(ratio=None, training=None, x_elem=TensorProto.FLOAT, opset=22):
    inits, names = [], ["x"]
    for name, v in (("ratio", ratio), ("training", training)):
        if v is not None:
            inits.append(numpy_helper.from_array(np.asarray(v), name))
            names.append(name)
    node = helper.make_node("Dropout", names, ["y"], name="the_node")
    g = helper.make_graph([node], "bad", [helper.make_tensor_value_info("x", x_elem, [4])],
                          [helper.make_tensor_value_info("y", x_elem, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


# ---- invalid models: exit 2, the node named, the reason given

def raw_bn(opset=15, outs=1, x_elem=TensorProto.FLOAT, c=3, scale_len=3, **attrs):
    ins = [helper.make_tensor_value_info("x", x_elem, [2, c, 4])]
    for n in ["scale", "B", "mean", "var"]:
        ins.append(helper.make_tensor_value_info(n, x_elem, [scale_len if n == "scale" else c]))
    names = ["y", "rm", "rv"][:outs]
    node = helper.make_node("BatchNormalization", [i.name for i in ins], names, name="the_node",
                            **attrs)
    g = helper.make_graph([node], "bad", ins,
                          [helper.make_tensor_value_info(n, x_elem, None) for n in names])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def raw_range(start, limit, delta, opset=27, **attrs):
    consts = [numpy_helper.from_array(np.asarray(v), n)
              for n, v in (("start", start), ("limit", limit), ("delta", delta))]
    node = helper.make_node("Range", ["start", "limit", "delta"], ["y"], name="the_node", **attrs)
    g = helper.make_graph([node], "bad", [], [helper.make_tensor_value_info("y", 1, None)], consts)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


INVALID_CASES = [
    pytest.param(raw_reduce("ReduceLogSum", TensorProto.INT32, 28), "int32", id="logsum-i32-op28"),
    pytest.param(raw_reduce("ReduceMax", TensorProto.BOOL, 18), "bool", id="max-bool-op18"),
    pytest.param(raw_reduce("ReduceSum", TensorProto.BOOL, 20), "bool", id="sum-bool"),
    pytest.param(raw_reduce("ReduceMin", TensorProto.INT8, 11), "int8", id="min-i8-op11"),
    pytest.param(raw_reduce("ReduceMean", TensorProto.UINT8, 18), "uint8", id="mean-u8"),
    pytest.param(raw_bn(outs=3, training_mode=0), "training mode", id="bn-outputs-inference"),
    pytest.param(raw_bn(training_mode=2), "training_mode", id="bn-training-mode-2"),
    pytest.param(raw_bn(scale_len=4, training_mode=1), "scale", id="bn-scale-shape"),
    pytest.param(raw_bn(x_elem=TensorProto.INT32), "int32", id="bn-int"),
    pytest.param(raw_pool("MaxPool", TensorProto.FLOAT, 12, 2, kernel_shape=[2, 2],
                          storage_order=2), "storage_order", id="maxpool-storage-order-2"),
    pytest.param(raw_pool("MaxPool", TensorProto.INT8, 11, kernel_shape=[2, 2]), "int8",
                 id="maxpool-i8-op11"),
    pytest.param(raw_pool("AveragePool", TensorProto.UINT8, 19, kernel_shape=[2, 2]), "uint8",
                 id="avgpool-u8"),
    pytest.param(raw_pool("MaxPool", TensorProto.INT32, 22, kernel_shape=[2, 2]), "int32",
                 id="maxpool-i32"),
    pytest.param(raw_range(np.int32(0), np.int32(5), np.int32(0)), "delta is 0",
                 id="range-delta-0"),
    pytest.param(raw_range(np.int32(0), np.int64(5), np.int32(1)), "one type",
                 id="range-mixed-types"),
    pytest.param(raw_range(np.float16(0), np.float16(5), np.float16(1), 26), "float16",
                 id="range-f16-op26"),
    pytest.param(raw_range(np.float16(0), np.float16(5), np.float16(1), 27, stash_type=5),
                 "stash_type", id="range-stash-type"),
    pytest.param(raw_range(np.uint8(0), np.uint8(5), np.uint8(1)), "uint8", id="range-u8"),
    pytest.param(raw_range(np.array([0, 1], np.int64), np.int64(5), np.int64(1)), "scalar",
                 id="range-not-scalar"),
    pytest.param(raw_dropout(np.float32(1.0), np.bool_(True)), "ratio", id="dropout-ratio-1"),
    pytest.param(raw_dropout(np.float32(-0.5), np.bool_(False)), "ratio", id="dropout-ratio-neg"),
    pytest.param(raw_dropout(np.float32(0.5), np.int64(1)), "training_mode",
                 id="dropout-training-int"),
    pytest.param(raw_dropout(np.array([0.5, 0.5], np.float32), np.bool_(True)), "ratio",
                 id="dropout-ratio-vector"),
    pytest.param(raw_dropout(np.float32(0.5), np.bool_(True), TensorProto.INT32), "int32",
                 id="dropout-int-training"),
]


@pytest.mark.parametrize("m,what", INVALID_CASES)
def test_invalid(m, what, gpuxc, tmp_path):
    rejects(m, what, gpuxc, tmp_path)


def test_bn_training_before_opset_14_unsupported(gpuxc, tmp_path):
    rejects(raw_bn(opset=9, outs=3), "before opset 14", gpuxc, tmp_path, code=UNSUPPORTED)
