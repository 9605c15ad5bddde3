"""Einsum and Det against onnxruntime (or ONNX's reference evaluator for the integer types
onnxruntime has no Einsum for), for what ONNX's node tests leave out: explicit and implicit
outputs, '...' with broadcasting, diagonals, three and four operands, outputs the last
product cannot write in place, size-1 broadcasting of letters, empty sums, every integer
type, float64, float16 through float32, big products on the blocked GEMM, constant folding
inside gpuxc; batched Det with pivoting, singular and empty matrices; and the invalid models
gpuxc must reject with exit code 2 (or 3 where the model is valid but not handled)."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID, UNSUPPORTED = 2, 3
RNG = np.random.default_rng(20261125)


def rand(shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return RNG.standard_normal(shape).astype(dtype)
    lo = -4 if dtype.kind == "i" else 0
    return RNG.integers(lo, 5, shape).astype(dtype)


def elem(dtype):
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def multi_model(nodes, dtype, opset=12, folded=False):
    """One graph of several nodes: nodes is a list of (op, [input shapes], attrs); node i
    reads x{i}_{j} and writes y{i}. folded: the inputs are initializers and each result is
    added to a graph input z{i}, so gpuxc evaluates the nodes at compile time.
    Returns (model, feeds, output names)."""
    g_nodes, g_in, inits, feeds, outs = [], [], [], {}, []
    for i, (op, shapes, attrs) in enumerate(nodes):
        names = [f"x{i}_{j}" for j in range(len(shapes))]
        for n, s in zip(names, shapes):
            a = rand(s, dtype)
            if folded:
                inits.append(numpy_helper.from_array(a, n))
            else:
                feeds[n] = a
                g_in.append(helper.make_tensor_value_info(n, elem(dtype), s))
        g_nodes.append(helper.make_node(op, names, [f"y{i}"], name=f"{op}_{i}", **attrs))
        outs.append(f"y{i}")
    # The results' shapes (the graph's outputs declare them), from ONNX's shape inference.
    probe = helper.make_model(helper.make_graph(g_nodes, "g", g_in + [
        helper.make_tensor_value_info(t.name, t.data_type, t.dims) for t in inits], [
        helper.make_tensor_value_info(o, elem(dtype), None) for o in outs]),
        opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(probe, strict_mode=True)
                .graph.output}
    shapes = [[d.dim_value for d in inferred[o].type.tensor_type.shape.dim] for o in outs]
    if folded:
        for i, s in enumerate(shapes):
            feeds[f"z{i}"] = rand(s, dtype)
            g_in.append(helper.make_tensor_value_info(f"z{i}", elem(dtype), s))
            g_nodes.append(helper.make_node("Add", [f"y{i}", f"z{i}"], [f"s{i}"], name=f"add{i}"))
        outs = [f"s{i}" for i in range(len(shapes))]
    graph = helper.make_graph(g_nodes, "g", g_in, [
        helper.make_tensor_value_info(o, elem(dtype), s) for o, s in zip(outs, shapes)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(m)
    return m, feeds, outs


def ein(eq, *shapes):
    return ("Einsum", list(shapes), {"equation": eq})


# Equations over float types; each group becomes one model (one C compile).
EQUATIONS = [
    ein("ij,jk->ik", (5, 7), (7, 3)),
    ein("ij,kj->ik", (5, 7), (3, 7)),
    ein("ji,jk->ik", (7, 5), (7, 3)),
    ein("ji,kj->ik", (7, 5), (3, 7)),
    ein("ik,kj->ji", (4, 6), (6, 5)),
    ein("bij,bjk->bik", (3, 4, 5), (3, 5, 2)),
    ein("bhqd,bhkd->bhqk", (2, 3, 5, 4), (2, 3, 6, 4)),
    ein("bhqk,bhkd->bqhd", (2, 3, 5, 6), (2, 3, 6, 4)),
    ein("bij,bjk->kbi", (3, 4, 5), (3, 5, 2)),
    ein("ibh,hnd->ibnd", (4, 2, 6), (6, 3, 5)),
    ein("ij,j->i", (4, 6), (6,)),
    ein("j,ij->i", (6,), (4, 6)),
    ein("i,i->", (9,), (9,)),
    ein("i,j->ij", (4,), (5,)),
    ein("ij,ij->ij", (1, 5), (3, 5)),
    ein("ij,jk", (2, 3), (1, 4)),
    ein("ijk,jl->il", (3, 4, 5), (4, 6)),
    ein("ij,jkl->", (3, 4), (4, 2, 5)),
    ein("ii->i", (5, 5)),
    ein("ii", (5, 5)),
    ein("i...i", (4, 3, 4)),
    ein("bii,bi->bi", (3, 4, 4), (3, 4)),
    ein("ij->", (4, 6)),
    ein("ij->ji", (4, 6)),
    ein("ba", (4, 6)),
    ein("ijk->kj", (3, 4, 5)),
    ein("...ij,...jk->...ik", (2, 1, 3, 4), (1, 5, 4, 6)),
    ein("...ij,...jk", (2, 3, 4), (2, 4, 5)),
    ein("...ii->...i", (2, 3, 4, 4)),
    ein("ab...,...->...", (2, 3, 4), (1,)),
    ein("ij->...ij", (2, 3)),
    ein(" ij , jk -> ik ", (3, 4), (4, 2)),
    ein("Ab,bC->CA", (3, 4), (4, 2)),
    ein("ij,jk,kl->il", (3, 4), (4, 5), (5, 2)),
    ein("ab,bc,cd,de->ae", (2, 3), (3, 4), (4, 5), (5, 2)),
    ein("ij,ik,il->jkl", (5, 2), (5, 3), (5, 4)),
    ein("bn,anm,bm->ba", (2, 3), (4, 3, 5), (2, 5)),
    ein("i,i,i->i", (6,), (6,), (6,)),
    ein("ij,jk->ik", (3, 0), (0, 4)),
    ein("ij,jk->ik", (0, 3), (3, 4)),
    ein("ij->i", (3, 0)),
    ein("->", ()),
    ein(",ij->ij", (), (2, 3)),
    ein("i,->i", (3,), ()),
]


@pytest.mark.parametrize("dtype,opset,folded", [
    pytest.param(np.float32, 12, False, id="f32-op12"),
    pytest.param(np.float64, 13, False, id="f64-op13"),
    pytest.param(np.float32, 18, True, id="f32-folded-op18"),
])
def test_einsum_float(dtype, opset, folded, compile_model, run_exe, ort_run, assert_close,
                      tmp_path):
    m, feeds, outs = multi_model(EQUATIONS, dtype, opset, folded)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name])


INT_EQUATIONS = [
    ein("ij,jk->ik", (5, 7), (7, 3)),
    ein("bij,bkj->bki", (3, 4, 5), (3, 2, 5)),
    ein("ij,kj->ik", (5, 7), (3, 7)),
    ein("ii->i", (4, 4)),
    ein("ij->", (4, 6)),
    ein("...ij,...jk->...ik", (2, 1, 3, 4), (1, 5, 4, 6)),
    ein("ij,jk,kl->li", (3, 4), (4, 5), (5, 2)),
    ein("i,j->ij", (4,), (5,)),
]


@pytest.mark.parametrize("dtype", [np.int32, np.int64], ids=["i32", "i64"])
def test_einsum_int_ort(dtype, compile_model, run_exe, ort_run, assert_close, tmp_path):
    m, feeds, outs = multi_model(INT_EQUATIONS, dtype)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name])


def test_einsum_int_wraps(compile_model, run_exe, assert_close, tmp_path):
    """Integer products and sums wrap (as numpy's)."""
    m, _, outs = multi_model([ein("ij,jk->ik", (2, 3), (3, 2)), ein("ij->", (2, 3))], np.int32)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    big = np.array([[2**30, 3, -2**31], [7, 2**29 + 1, 5]], np.int32)
    feeds = {"x0_0": big, "x0_1": big.T.copy(), "x1_0": big}
    want = ReferenceEvaluator(m).run(None, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name, w in zip(outs, want):
        assert_close(name, got[name], np.asarray(w))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.uint64],
                         ids=["u8", "i8", "u16", "i16", "u32", "u64"])
def test_einsum_int_reference(dtype, compile_model, run_exe, assert_close, tmp_path):
    """onnxruntime has no Einsum for these types: ONNX's reference evaluator (numpy) is the
    reference."""
    m, feeds, outs = multi_model(INT_EQUATIONS[:6], dtype)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ReferenceEvaluator(m).run(None, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name, w in zip(outs, want):
        assert_close(name, got[name], np.asarray(w).astype(dtype))


def test_einsum_float16(compile_model, run_exe, ort_run, assert_close, tmp_path):
    m, feeds, outs = multi_model([ein("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
                                  ein("ii->", (4, 4))], np.float16)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name], rtol=1e-2, atol=1e-2)


def test_einsum_big(compile_model, run_exe, ort_run, assert_close, tmp_path):
    """Products big enough for the blocked float32 GEMM, with transposed operands."""
    m, feeds, outs = multi_model([
        ein("ik,kj->ij", (70, 300), (300, 90)),
        ein("ki,jk->ij", (300, 70), (90, 300)),
        ein("bhqd,bhkd->bhqk", (2, 4, 33, 64), (2, 4, 65, 64)),
        ein("ij,jk->ik", (130, 150), (150, 1)),
    ], np.float32)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name], rtol=1e-3, atol=1e-3)


# ---- Det ----

def det_feeds():
    pivot = np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 3.0], [4.0, 5.0, 0.0]])  # 0 on the diagonal
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    return {"x0_0": rand((2, 3, 4, 4), np.float64), "x1_0": np.stack([pivot, singular]),
            "x2_0": rand((1, 1), np.float64), "x3_0": rand((5, 5), np.float64) * 3,
            "x4_0": np.zeros((3, 0, 0))}


DETS = [("Det", [(2, 3, 4, 4)], {}), ("Det", [(2, 3, 3)], {}), ("Det", [(1, 1)], {}),
        ("Det", [(5, 5)], {}), ("Det", [(3, 0, 0)], {})]


@pytest.mark.parametrize("dtype,opset", [(np.float32, 11), (np.float64, 22)],
                         ids=["f32-op11", "f64-op22"])
def test_det(dtype, opset, compile_model, run_exe, ort_run, assert_close, tmp_path):
    m, _, outs = multi_model(DETS, dtype, opset)
    feeds = {k: v.astype(dtype) for k, v in det_feeds().items()}
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    if dtype == np.float32:
        want = ort_run(path, feeds)
    else:  # onnxruntime has Det for float32 only
        want = dict(zip(outs, (np.asarray(w) for w in ReferenceEvaluator(m).run(None, feeds))))
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name], rtol=1e-4, atol=1e-5)


def test_det_folded_and_half(compile_model, run_exe, ort_run, assert_close, tmp_path):
    """float16 runs through float32; a constant Det is evaluated by gpuxc."""
    m, feeds, outs = multi_model([("Det", [(3, 2, 2)], {})], np.float16, 13)
    mf, ffeeds, fouts = multi_model([("Det", [(2, 3, 3)], {})], np.float32, 13, folded=True)
    for model, fd, names, tol in [(m, feeds, outs, 1e-2), (mf, ffeeds, fouts, 1e-4)]:
        path = tmp_path / "model.onnx"
        onnx.save(model, path)
        want = ort_run(path, fd)
        got = run_exe(compile_model(path, tmp_path / names[0]), fd, names)
        for name in names:
            assert_close(name, got[name], want[name], rtol=tol, atol=tol)


# ---- invalid models ----

def raw_model(op, shapes, types=None, opset=12, **attrs):
    """One node as written, without ONNX's checker (it is meant to be invalid)."""
    types = types or [TensorProto.FLOAT] * len(shapes)
    ins = [helper.make_tensor_value_info(f"x{i}", t, s)
           for i, (s, t) in enumerate(zip(shapes, types))]
    node = helper.make_node(op, [i.name for i in ins], ["y"], name="the_node", **attrs)
    graph = helper.make_graph([node], "bad", ins,
                              [helper.make_tensor_value_info("y", types[0], None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def bad_ein(cid, eq, shapes, what, types=None, code=INVALID):
    attrs = {} if eq is None else {"equation": eq}
    return pytest.param(raw_model("Einsum", shapes, types, **attrs), what, code, id=cid)


INVALID_CASES = [
    bad_ein("no-equation", None, [(2, 3)], "'equation' is required"),
    bad_ein("bad-char", "ij,j#->i", [(2, 3), (3,)], "'#' is not a letter"),
    bad_ein("two-arrows", "ij->ji->ij", [(2, 3)], "more than one '->'"),
    bad_ein("term-count", "ij,jk->ik", [(2, 3)], "2 input terms for 1 inputs"),
    bad_ein("term-rank", "ijk->i", [(2, 3)], "3 labels for input 'x0' of rank 2"),
    bad_ein("size-mismatch", "ij,jk->ik", [(2, 3), (4, 5)], "label 'j' has size 4"),
    bad_ein("output-label-unknown", "ij->ik", [(2, 3)], "output label 'k' is in no input"),
    bad_ein("output-label-twice", "ij->ii", [(2, 3)], "output label 'i' appears twice"),
    bad_ein("ellipsis-counts", "...ij,...jk->...ik", [(5, 2, 3), (3, 4)], "'...' stands for"),
    bad_ein("ellipsis-not-in-output", "...ij->ij", [(5, 2, 3)], "has no '...'"),
    bad_ein("diagonal-sizes", "ii->i", [(2, 3)], "a diagonal needs equal dims"),
    bad_ein("lone-dot", "i.j->ij", [(2, 3)], "'...'"),
    bad_ein("two-ellipses", "...i...->i", [(2, 3)], "has two '...'"),
    bad_ein("mixed-types", "i,i->i", [(3,), (3,)], "has type float64",
            [TensorProto.FLOAT, TensorProto.DOUBLE]),
    bad_ein("bool", "i->i", [(3,)], "bool", [TensorProto.BOOL], UNSUPPORTED),
    pytest.param(raw_model("Det", [(4,)], opset=11), "rank >= 2", INVALID, id="det-rank"),
    pytest.param(raw_model("Det", [(2, 3, 4)], opset=11), "square", INVALID, id="det-square"),
    pytest.param(raw_model("Det", [(3, 3)], [TensorProto.INT32], opset=11), "int32",
                 UNSUPPORTED, id="det-int"),
]


@pytest.mark.parametrize("model,what,code", INVALID_CASES)
def test_invalid(model, what, code, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == code, f"exit code {r.returncode}, expected {code}\n{r.stderr}"
    assert "the_node" in r.stderr and what in r.stderr, r.stderr
