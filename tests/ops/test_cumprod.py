"""CumProd (opset 26) against onnxruntime, or ONNX's reference evaluator for the types
onnxruntime has no CumProd for, for what ONNX's node tests leave out: every combination of
exclusive and reverse on inner, middle and outer axes, float64, int64, uint32, uint64,
float16 through float32, int32 axes, negative axes, an axis given at run time, empty axes,
integer products that wrap, constant folding inside gpuxc; and the invalid models gpuxc must
reject with exit code 2."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID = 2
OPSET = 26
RNG = np.random.default_rng(20261126)


def rand(shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":  # near 1, so that long products stay in range
        return (RNG.uniform(0.5, 1.5, shape) * RNG.choice([-1, 1], shape)).astype(dtype)
    lo = -3 if dtype.kind == "i" else 0
    return RNG.integers(lo, 4, shape).astype(dtype)


def elem(dtype):
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def cumprod_model(cases, dtype, folded=False):
    """One CumProd node per case (shape, axis, axis dtype, exclusive, reverse, axis_is_input).
    The axis is an initializer unless axis_is_input; folded: x is one too, and the result is
    added to a graph input so that gpuxc evaluates the node at compile time.
    Returns (model, feeds, output names)."""
    nodes, g_in, inits, feeds, outs = [], [], [], {}, []
    for i, (shape, axis, axis_t, excl, rev, axis_in) in enumerate(cases):
        x, a = rand(shape, dtype), np.array(axis, axis_t)
        if folded:
            inits.append(numpy_helper.from_array(x, f"x{i}"))
        else:
            feeds[f"x{i}"] = x
            g_in.append(helper.make_tensor_value_info(f"x{i}", elem(dtype), shape))
        if axis_in:
            feeds[f"a{i}"] = a
            g_in.append(helper.make_tensor_value_info(f"a{i}", elem(axis_t), []))
        else:
            inits.append(numpy_helper.from_array(a, f"a{i}"))
        nodes.append(helper.make_node("CumProd", [f"x{i}", f"a{i}"], [f"y{i}"], name=f"cp{i}",
                                      exclusive=excl, reverse=rev))
        out = f"y{i}"
        if folded:
            feeds[f"z{i}"] = rand(shape, dtype)
            g_in.append(helper.make_tensor_value_info(f"z{i}", elem(dtype), shape))
            nodes.append(helper.make_node("Add", [out, f"z{i}"], [f"s{i}"], name=f"add{i}"))
            out = f"s{i}"
        outs.append(helper.make_tensor_value_info(out, elem(dtype), shape))
    graph = helper.make_graph(nodes, "cumprod", g_in, outs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)
    onnx.checker.check_model(m, full_check=True)
    return m, feeds, [o.name for o in outs]


def flags(shape, axis, axis_t=np.int64, axis_in=False):
    """The four exclusive/reverse combinations of one axis."""
    return [(shape, axis, axis_t, e, r, axis_in) for e in (0, 1) for r in (0, 1)]


CASES_F32 = (flags((2, 3, 4), 1) + flags((2, 3, 4), 0) + flags((2, 3, 4), -1, np.int32)
             + flags((7,), 0) + [((3, 4), 1, np.int64, 1, 0, True),
                                 ((3, 4), -2, np.int32, 0, 1, True),
                                 ((2, 0, 3), 1, np.int64, 1, 1, False),
                                 ((2, 5, 3), -2, np.int64, 1, 0, False)])
CASES_SMALL = flags((3, 5), 1) + [((4, 2, 3), -3, np.int32, 0, 1, False),
                                  ((4, 3), 0, np.int64, 1, 0, True)]


def reference(m, feeds, outs):
    return dict(zip(outs, (np.asarray(w) for w in ReferenceEvaluator(m).run(None, feeds))))


@pytest.mark.parametrize("dtype,cases,ref,folded", [
    pytest.param(np.float32, CASES_F32, "ort", False, id="f32"),
    pytest.param(np.float64, CASES_SMALL, "ort", False, id="f64"),
    pytest.param(np.int32, CASES_SMALL, "ort", False, id="i32"),
    pytest.param(np.int64, CASES_SMALL, "ort", False, id="i64"),
    pytest.param(np.uint32, CASES_SMALL, "ref", False, id="u32"),
    pytest.param(np.uint64, CASES_SMALL, "ref", False, id="u64"),
    pytest.param(np.float16, CASES_SMALL, "ort", False, id="f16"),
    pytest.param(np.float32, CASES_SMALL, "ort", True, id="f32-folded"),
    pytest.param(np.int64, CASES_SMALL[:3], "ort", True, id="i64-folded"),
])
def test_cumprod(dtype, cases, ref, folded, compile_model, run_exe, ort_run, assert_close,
                 tmp_path):
    m, feeds, outs = cumprod_model(cases, dtype, folded)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds) if ref == "ort" else reference(m, feeds, outs)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    tol = 1e-2 if dtype == np.float16 else 1e-5
    for name in outs:
        assert_close(name, got[name], want[name], rtol=tol, atol=tol)


def test_cumprod_wraps(compile_model, run_exe, assert_close, tmp_path):
    """Integer products wrap around (as numpy's)."""
    m, _, outs = cumprod_model([((6,), 0, np.int64, 0, 0, False),
                                ((6,), 0, np.int64, 1, 1, False)], np.int32)
    x = np.array([70000, -70000, 3, 2**20, 5, -7], np.int32)
    feeds = {"x0": x, "x1": x}
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    with np.errstate(over="ignore"):
        want = reference(m, feeds, outs)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name])


def raw_model(x_shape, axis=None, axis_shape=(), axis_type=TensorProto.INT64,
              x_type=TensorProto.FLOAT, **attrs):
    """A CumProd model as written, without ONNX's checker (it is meant to be invalid). axis:
    a constant value, or None for a graph input of axis_shape."""
    ins = [helper.make_tensor_value_info("x", x_type, x_shape)]
    inits = []
    if axis is None:
        ins.append(helper.make_tensor_value_info("axis", axis_type, axis_shape))
    else:
        inits.append(helper.make_tensor("axis", axis_type, axis_shape, [axis]))
    node = helper.make_node("CumProd", ["x", "axis"], ["y"], name="the_cumprod", **attrs)
    graph = helper.make_graph([node], "bad", ins,
                              [helper.make_tensor_value_info("y", x_type, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             ir_version=10)


INVALID_CASES = [
    pytest.param(raw_model([3, 4], 2), "axis", id="axis-out-of-range"),
    pytest.param(raw_model([3, 4], -3), "axis", id="negative-axis-out-of-range"),
    pytest.param(raw_model([3, 4], axis_shape=[2]), "scalar", id="axis-not-scalar"),
    pytest.param(raw_model([], 0), "rank", id="scalar-input"),
    pytest.param(raw_model([3, 4], 0, exclusive=1.0), "exclusive", id="float-exclusive"),
    pytest.param(raw_model([3, 4], 0, reverse="yes"), "reverse", id="string-reverse"),
]


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_cumprod" in r.stderr and what in r.stderr, r.stderr
