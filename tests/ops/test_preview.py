"""FlexAttention (ai.onnx.preview 1) against onnx.reference (onnxruntime does not implement it),
for what ONNX's node tests leave out: softmax_precision other than the default (float64 softmax
for float32 inputs and the other way round), grouped heads with an explicit scale, score_mod and
prob_mod together, subgraphs that read graph values and initializers, an identity subgraph,
float16 with grouped heads; and the invalid models gpuxc must reject with exit code 2 naming the
node and the reason."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID = 2
RNG = np.random.default_rng(20261124)
PREVIEW = "ai.onnx.preview"
F32, F64, F16 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16


def modifier(name, nodes, elem=F32, inits=(), out="out", inp="s", in_shape=("B", "H", "L", "S")):
    """A score_mod / prob_mod subgraph: one input inp, one output out."""
    return helper.make_graph(nodes, name, [helper.make_tensor_value_info(inp, elem, in_shape)],
                             [helper.make_tensor_value_info(out, elem, None)], list(inits))


def scalar(name, v, dtype=np.float32):
    return numpy_helper.from_array(np.array(v, dtype), name)


def causal_mask(elem=F32):
    """Positions after the query's are -inf (reads the shape of its input)."""
    nodes = [
        helper.make_node("Shape", ["s"], ["shape"]),
        helper.make_node("Gather", ["shape", "i2"], ["l"], axis=0),
        helper.make_node("Gather", ["shape", "i3"], ["n"], axis=0),
        helper.make_node("Range", ["zero", "l", "one"], ["qr"]),
        helper.make_node("Reshape", ["qr", "qshape"], ["q"]),
        helper.make_node("Range", ["zero", "n", "one"], ["kr"]),
        helper.make_node("Reshape", ["kr", "kshape"], ["k"]),
        helper.make_node("GreaterOrEqual", ["q", "k"], ["mask"]),
        helper.make_node("Where", ["mask", "s", "ninf"], ["out"]),
    ]
    np_t = helper.tensor_dtype_to_np_dtype(elem)
    inits = [scalar("i2", 2, np.int64), scalar("i3", 3, np.int64), scalar("zero", 0, np.int64),
             scalar("one", 1, np.int64), numpy_helper.from_array(np.array([1, 1, -1, 1]), "qshape"),
             numpy_helper.from_array(np.array([1, 1, 1, -1]), "kshape"),
             scalar("ninf", -np.inf, np_t)]
    return modifier("causal", nodes, elem, inits)


def soft_cap(cap, elem=F32):
    np_t = helper.tensor_dtype_to_np_dtype(elem)
    nodes = [helper.make_node("Div", ["s", "cap"], ["d"]), helper.make_node("Tanh", ["d"], ["t"]),
             helper.make_node("Mul", ["t", "cap"], ["out"])]
    return modifier("soft_cap", nodes, elem, [scalar("cap", cap, np_t)])


def flex_model(q, k, v, opset=26, extra_inputs=(), inits=(), name="the_flex", **attrs):
    elem = helper.np_dtype_to_tensor_dtype(q.dtype)
    node = helper.make_node("FlexAttention", ["Q", "K", "V"], ["Y"], domain=PREVIEW, name=name,
                            **attrs)
    g_in = [helper.make_tensor_value_info(n, elem, a.shape) for n, a in
            [("Q", q), ("K", k), ("V", v)]]
    g_in += [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
             for n, a in extra_inputs]
    y_shape = [q.shape[0], q.shape[1], q.shape[2], v.shape[3]]
    graph = helper.make_graph([node], "flex", g_in, [helper.make_tensor_value_info("Y", elem, y_shape)],
                              list(inits))
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", opset), helper.make_opsetid(PREVIEW, 1)])


def qkv(b, hq, hkv, l, s, e, ev=None, dtype=np.float32):
    return (RNG.standard_normal((b, hq, l, e)).astype(dtype),
            RNG.standard_normal((b, hkv, s, e)).astype(dtype),
            RNG.standard_normal((b, hkv, s, ev or e)).astype(dtype))


def bias_mod(name="bias"):
    """Adds a graph input (read from the enclosing scope) to the scores."""
    return modifier("add_bias", [helper.make_node("Add", ["s", name], ["out"])])


def prob_scale():
    return modifier("scale_probs", [helper.make_node("Mul", ["s", "half"], ["out"])],
                    inits=[scalar("half", 0.5)])


CASES = [
    # (id, (b, hq, hkv, l, s, e, ev), dtype, attributes, tolerance)
    ("gqa-scale-softmax-f64", (2, 6, 2, 3, 5, 4, 3), np.float32,
     dict(scale=0.3, softmax_precision=11), 1e-5),
    ("f64-softmax-f32", (1, 2, 2, 4, 4, 8, 8), np.float64, dict(softmax_precision=1), 1e-5),
    ("causal-and-prob-mod", (1, 3, 3, 5, 5, 4, 6), np.float32,
     dict(score_mod=causal_mask(), prob_mod=prob_scale()), 1e-5),
    ("soft-cap-gqa-f64", (2, 4, 1, 3, 7, 5, 2), np.float64,
     dict(score_mod=soft_cap(2.0, F64), scale=0.7), 1e-10),
    ("identity-mods", (1, 2, 1, 2, 3, 4, 4), np.float32,
     dict(score_mod=modifier("id", [], out="s"), prob_mod=modifier("id2", [], out="s")), 1e-5),
    ("fp16-gqa-causal", (1, 4, 2, 6, 6, 8, 8), np.float16, dict(score_mod=causal_mask()), 2e-3),
    ("fp16-softmax-f16", (1, 2, 2, 3, 4, 8, 8), np.float16,
     dict(softmax_precision=10, score_mod=soft_cap(3.0, F16)), 4e-3),
    ("opset-13", (1, 2, 1, 3, 4, 4, 4), np.float32, dict(opset=13, prob_mod=prob_scale()), 1e-5),
]


def run_case(m, feeds, tmp_path, compile_model, run_exe, assert_close, tol, want=None):
    if want is None:
        want = ReferenceEvaluator(m).run(None, feeds)[0]
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    got = run_exe(compile_model(path, tmp_path), feeds, ["Y"])["Y"]
    assert_close("Y", got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("spec", [pytest.param(c[1:], id=c[0]) for c in CASES])
def test_flex_attention(spec, tmp_path, compile_model, run_exe, assert_close):
    dims, dtype, attrs, tol = spec
    attrs = dict(attrs)
    opset = attrs.pop("opset", 26)
    q, k, v = qkv(*dims, dtype=dtype)
    m = flex_model(q, k, v, opset, **attrs)
    run_case(m, {"Q": q, "K": k, "V": v}, tmp_path, compile_model, run_exe, assert_close, tol)


def biased_attention(q, k, v, bias):
    """FlexAttention with score_mod = scores + bias, in float64 (onnx.reference does not let a
    subgraph read names of the graph around it)."""
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, axis=1).astype(np.float64), np.repeat(v, rep, axis=1)
    s = q.astype(np.float64) @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]) + bias
    p = np.exp(s - s.max(-1, keepdims=True))
    return ((p / p.sum(-1, keepdims=True)) @ v).astype(q.dtype)


def test_score_mod_reads_graph_input(tmp_path, compile_model, run_exe, assert_close):
    """A score_mod that adds a graph input (a relative position bias given at run time)."""
    q, k, v = qkv(1, 2, 2, 3, 4, 4)
    bias = RNG.standard_normal((1, 2, 3, 4)).astype(np.float32)
    m = flex_model(q, k, v, extra_inputs=[("bias", bias)], score_mod=bias_mod())
    run_case(m, {"Q": q, "K": k, "V": v, "bias": bias}, tmp_path, compile_model, run_exe,
             assert_close, 1e-5, want=biased_attention(q, k, v, bias))


def test_score_mod_reads_initializer(tmp_path, compile_model, run_exe, assert_close):
    q, k, v = qkv(2, 2, 1, 3, 3, 4)
    w = RNG.standard_normal((3, 3)).astype(np.float32)
    m = flex_model(q, k, v, inits=[numpy_helper.from_array(w, "w")], score_mod=bias_mod("w"))
    run_case(m, {"Q": q, "K": k, "V": v}, tmp_path, compile_model, run_exe, assert_close, 1e-5,
             want=biased_attention(q, k, v, w))


def test_two_nodes_same_mod(tmp_path, compile_model, run_exe, assert_close):
    """Two FlexAttention nodes with the same subgraph: the inlined copies must not clash."""
    q, k, v = qkv(1, 2, 2, 4, 4, 4)
    n1 = helper.make_node("FlexAttention", ["Q", "K", "V"], ["A"], domain=PREVIEW, name="f1",
                          score_mod=causal_mask())
    n2 = helper.make_node("FlexAttention", ["A", "K", "V"], ["Y"], domain=PREVIEW, name="f2",
                          score_mod=causal_mask())
    g_in = [helper.make_tensor_value_info(n, F32, a.shape) for n, a in [("Q", q), ("K", k), ("V", v)]]
    graph = helper.make_graph([n1, n2], "two", g_in, [helper.make_tensor_value_info("Y", F32, q.shape)])
    m = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 26),
                                                               helper.make_opsetid(PREVIEW, 1)])
    run_case(m, {"Q": q, "K": k, "V": v}, tmp_path, compile_model, run_exe, assert_close, 1e-5)


def bad(q_shape, k_shape, v_shape, dtype=F32, **attrs):
    g_in = [helper.make_tensor_value_info(n, dtype, s) for n, s in
            [("Q", q_shape), ("K", k_shape), ("V", v_shape)]]
    node = helper.make_node("FlexAttention", ["Q", "K", "V"], ["Y"], domain=PREVIEW,
                            name="the_flex", **attrs)
    graph = helper.make_graph([node], "bad", g_in, [helper.make_tensor_value_info("Y", dtype, None)])
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", 26), helper.make_opsetid(PREVIEW, 1)])


S4 = [1, 2, 3, 4]
INVALID_CASES = [
    pytest.param(bad([2, 3, 4], [2, 3, 4], [2, 3, 4]), "rank-4", id="rank-3"),
    pytest.param(bad([1, 3, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]), "multiple of kv_num_heads",
                 id="heads-not-multiple"),
    pytest.param(bad(S4, [1, 2, 3, 5], [1, 2, 3, 4]), "do not fit", id="head-size"),
    pytest.param(bad(S4, S4, [1, 2, 5, 4]), "do not fit", id="kv-length"),
    pytest.param(bad(S4, S4, S4, softmax_precision=7), "softmax_precision 7", id="int-precision"),
    pytest.param(bad(S4, S4, S4, score_mod=helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["out"])], "two_in",
        [helper.make_tensor_value_info("a", F32, None), helper.make_tensor_value_info("b", F32, None)],
        [helper.make_tensor_value_info("out", F32, None)])), "2 inputs", id="mod-two-inputs"),
    pytest.param(bad(S4, S4, S4, score_mod=modifier(
        "reduce", [helper.make_node("ReduceSum", ["s", "ax"], ["out"], keepdims=1)],
        inits=[numpy_helper.from_array(np.array([3]), "ax")])), "keep its input's type and shape",
        id="mod-changes-shape"),
    pytest.param(bad(S4, S4, S4, prob_mod=modifier(
        "cast", [helper.make_node("Cast", ["s"], ["out"], to=F64)])),
        "prob_mod gives float64", id="mod-changes-type"),
    pytest.param(bad(S4, S4, S4, score_mod=modifier("f64_in", [], elem=F64, out="s")),
                 "float64", id="mod-input-type"),
    pytest.param(bad(S4, S4, S4, score_mod=modifier(
        "undefined", [helper.make_node("Add", ["s", "nowhere"], ["out"])])), "'nowhere'",
        id="mod-undefined-name"),
    pytest.param(bad(S4, S4, S4, score_mod=5), "must be a graph", id="mod-not-graph"),
]


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_flex" in r.stderr and what in r.stderr, r.stderr


def test_no_default_domain(tmp_path, compile_model, run_exe, assert_close):
    """A model that imports only ai.onnx.preview: FlexAttention expands into default-domain ops
    of the newest opset gpuxc knows, and gives the reference's numbers."""
    q, k, v = qkv(1, 2, 1, 3, 4, 4)
    m = flex_model(q, k, v)
    del m.opset_import[:]
    m.opset_import.append(helper.make_opsetid(PREVIEW, 1))
    want = flex_model(q, k, v)  # the reference needs the default domain imported
    want = ReferenceEvaluator(want).run(None, {"Q": q, "K": k, "V": v})[0]
    run_case(m, {"Q": q, "K": k, "V": v}, tmp_path, compile_model, run_exe, assert_close, 1e-5,
             want)
