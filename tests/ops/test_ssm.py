"""LinearAttention, CausalConvWithState (opset 27) and SwiGLU (opset 28) against ONNX's reference
implementation (onnxruntime does not implement them), for what ONNX's node tests leave out: d_k
other than d_v, GQA with per-key decay, per-head decay and a shared beta under the delta rules,
past state with every update rule, explicit and negative scales, long and empty sequences,
float16 and bfloat16, kernel sizes above the length, SwiGLU in float64 and with other alphas,
constant folding inside gpuxc; and the invalid models gpuxc must reject with exit code 2 (3 for
the valid state type it does not handle)."""
import subprocess

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID, UNSUPPORTED = 2, 3
RNG = np.random.default_rng(20261124)
LA, CC, SW = "LinearAttention", "CausalConvWithState", "SwiGLU"
INPUTS = {
    LA: ["query", "key", "value", "past_state", "decay", "beta"],
    CC: ["input", "weight", "bias", "past_state"],
    SW: ["A", "B"],
}
OUTPUTS = {LA: ["output", "present_state"], CC: ["output", "present_state"], SW: ["Y"]}
OPSET = {LA: 27, CC: 27, SW: 28}
BF16 = np.dtype(ml_dtypes.bfloat16)


def randn(*shape, scale=1.0, dtype=np.float32):
    return np.asarray(RNG.standard_normal(shape) * scale, dtype=dtype)


def l2_normalize(x, heads):
    """Keys of unit length per head, as the delta rules expect."""
    b, t, hd = x.shape
    x4 = x.reshape(b, t, heads, hd // heads)
    x4 = x4 / np.maximum(np.linalg.norm(x4, axis=-1, keepdims=True), 1e-6)
    return x4.reshape(b, t, hd).astype(x.dtype)


def node_model(op, data, outs=None, opset=None, folded=None, shapes=None, **attrs):
    """One op node over data ({input name: array or None for absent}). outs: the output names
    ("" leaves one out). folded (output 0's shape): the inputs are initializers and output 0 is
    added to a graph input 'z' of that shape, so gpuxc evaluates the node at compile time.
    shapes: {node output: shape} declares the graph outputs (and runs ONNX's checker).
    Returns (model, feeds, graph outputs)."""
    names = INPUTS[op]
    ins = [n if data.get(n) is not None else "" for n in names[:len(data)]]
    while ins and not ins[-1]:
        ins.pop()
    outs = list(OUTPUTS[op] if outs is None else outs)
    nodes = [helper.make_node(op, ins, outs, name=f"{op}_0", **attrs)]
    present = {n: a for n, a in data.items() if a is not None}
    feeds, inits = dict(present), []
    g_out = [o for o in outs if o]
    shapes = dict(shapes or {})
    if folded is not None:
        inits = [numpy_helper.from_array(a, n) for n, a in present.items()]
        feeds = {}
        nodes.append(helper.make_node("Add", [outs[0], "z"], ["y"], name="add"))
        g_out = ["y"] + g_out[1:]
        shapes["y"] = shapes.get(outs[0])
    elem = helper.np_dtype_to_tensor_dtype(next(iter(present.values())).dtype)
    g_in = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
            for n, a in feeds.items()]
    if folded is not None:
        g_in.append(helper.make_tensor_value_info("z", elem, folded))
    g_outs = [helper.make_tensor_value_info(n, elem, shapes.get(n)) for n in g_out]
    graph = helper.make_graph(nodes, "ssm", g_in, g_outs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset or OPSET[op])],
                          ir_version=10)
    if shapes:
        onnx.checker.check_model(m, full_check=True)
    return m, feeds, g_out


def reference(op, data, outs, **attrs):
    """ONNX's reference implementation of the node alone: {node output: array}."""
    m, feeds, _ = node_model(op, data, outs, **attrs)
    names = [o for o in (OUTPUTS[op] if outs is None else outs) if o]
    with np.errstate(over="ignore"):  # exp(-alpha a) of large gates overflows to inf: y is 0
        return dict(zip(names, ReferenceEvaluator(m).run(names, feeds)))


def storage(a):
    """How the generated executable reads and writes an array (bfloat16 as its bits)."""
    return a.view(np.uint16) if a.dtype == BF16 else a


def case(cid, op, data, outs=None, opset=None, folded=False, tol=None, **attrs):
    return pytest.param((op, data, outs, opset, folded, tol, attrs), id=cid)


def la_data(b, t, hq, hkv, dk, dv, past=False, decay=None, beta=None, delta=False,
            dtype=np.float32):
    """LinearAttention inputs; decay: 'key' (per key dim) or 'head'; beta: 'head' or 'one'."""
    key = randn(b, t, hkv * dk)
    d = {"query": randn(b, t, hq * dk, dtype=dtype),
         "key": (l2_normalize(key, hkv) if delta else key * 0.5).astype(dtype),
         "value": randn(b, t, hkv * dv, dtype=dtype),
         "past_state": randn(b, hkv, dk, dv, scale=0.1, dtype=dtype) if past else None,
         "decay": None, "beta": None}
    if decay:
        last = hkv * dk if decay == "key" else hkv
        d["decay"] = (-np.abs(randn(b, t, last)) * 0.2).astype(dtype)
    if beta:
        d["beta"] = RNG.random((b, t, hkv if beta == "head" else 1)).astype(dtype)
    return d


def cc_data(b, c, n, k, bias=False, past=False, dtype=np.float32):
    return {"input": randn(b, c, n, dtype=dtype), "weight": randn(c, 1, k, scale=0.5, dtype=dtype),
            "bias": randn(c, dtype=dtype) if bias else None,
            "past_state": randn(b, c, k - 1, dtype=dtype) if past else None}


def sw_data(*shape, scale=1.0, dtype=np.float32):
    return {"A": randn(*shape, scale=scale, dtype=dtype), "B": randn(*shape, dtype=dtype)}


CASES = [
    # LinearAttention: each update rule with d_k != d_v, GQA, MQA, per-head decay
    case("la-linear-dk6-dv5-gqa", LA, la_data(2, 5, 6, 2, 6, 5), update_rule="linear",
         q_num_heads=6, kv_num_heads=2),
    case("la-linear-past-t1", LA, la_data(3, 1, 2, 2, 4, 7, past=True), update_rule="linear",
         q_num_heads=2, kv_num_heads=2),
    case("la-gated-key-decay-gqa-past", LA, la_data(2, 6, 4, 2, 8, 3, past=True, decay="key"),
         update_rule="gated", q_num_heads=4, kv_num_heads=2),
    case("la-gated-head-decay-mqa", LA, la_data(1, 7, 3, 1, 5, 6, decay="head"),
         update_rule="gated", q_num_heads=3, kv_num_heads=1),
    case("la-delta-shared-beta", LA, la_data(2, 6, 3, 3, 4, 4, beta="one", delta=True),
         update_rule="delta", q_num_heads=3, kv_num_heads=3),
    case("la-delta-past-gqa-scale", LA, la_data(2, 4, 4, 2, 8, 6, past=True, beta="head",
                                                delta=True),
         update_rule="delta", q_num_heads=4, kv_num_heads=2, scale=0.5),
    case("la-gated-delta-head-decay-past", LA, la_data(2, 5, 2, 2, 6, 8, past=True, decay="head",
                                                       beta="head", delta=True),
         q_num_heads=2, kv_num_heads=2),
    case("la-gated-delta-mqa-shared-beta", LA, la_data(1, 4, 4, 1, 4, 4, decay="key", beta="one",
                                                       delta=True),
         update_rule="gated_delta", q_num_heads=4, kv_num_heads=1, chunk_size=2),
    case("la-gated-delta-dk1-head-decay", LA, la_data(2, 3, 2, 2, 1, 3, decay="head",
                                                      beta="head", delta=True),
         q_num_heads=2, kv_num_heads=2),
    case("la-linear-negative-scale", LA, la_data(1, 3, 2, 2, 3, 3), update_rule="linear",
         q_num_heads=2, kv_num_heads=2, scale=-0.25),
    case("la-gated-delta-long-t64", LA, la_data(1, 64, 4, 2, 32, 32, past=True, decay="key",
                                               beta="head", delta=True),
         q_num_heads=4, kv_num_heads=2),
    case("la-linear-t0", LA, la_data(2, 0, 2, 1, 4, 3, past=True), update_rule="linear",
         q_num_heads=2, kv_num_heads=1),
    case("la-fp16-past", LA, la_data(2, 4, 4, 2, 8, 8, past=True, decay="key", beta="head",
                                     delta=True, dtype=np.float16),
         tol=(1e-2, 1e-2), q_num_heads=4, kv_num_heads=2),
    case("la-bf16-gated", LA, la_data(1, 3, 2, 2, 4, 4, past=True, decay="head", dtype=BF16),
         tol=(2e-2, 2e-2), update_rule="gated", q_num_heads=2, kv_num_heads=2),
    case("la-opset28", LA, la_data(1, 3, 2, 2, 4, 4, decay="key", beta="head", delta=True),
         opset=28, q_num_heads=2, kv_num_heads=2),
    case("la-folded-gated-delta", LA, la_data(2, 3, 4, 2, 4, 3, past=True, decay="head",
                                              beta="head", delta=True),
         folded=True, q_num_heads=4, kv_num_heads=2),
    # CausalConvWithState
    case("cc-bias-past-silu", CC, cc_data(3, 5, 7, 4, bias=True, past=True), activation="silu"),
    case("cc-short-input-with-past", CC, cc_data(2, 3, 2, 5, past=True)),
    case("cc-short-input-bias-swish", CC, cc_data(1, 4, 1, 4, bias=True), activation="swish"),
    case("cc-k1-bias-silu", CC, cc_data(2, 3, 5, 1, bias=True), activation="silu"),
    case("cc-k1-past-empty", CC, cc_data(2, 3, 4, 1, past=True)),
    case("cc-decode-len1-none", CC, cc_data(4, 6, 1, 3, bias=True, past=True), activation="none"),
    case("cc-long-many-channels", CC, cc_data(2, 64, 128, 4, bias=True, past=True),
         activation="silu"),
    case("cc-len0-past", CC, cc_data(2, 3, 0, 3, past=True)),
    case("cc-opset28", CC, cc_data(1, 2, 6, 3, bias=True), opset=28),
    case("cc-fp16-bias-past", CC, cc_data(2, 4, 6, 3, bias=True, past=True, dtype=np.float16),
         tol=(1e-2, 1e-2), activation="silu"),
    case("cc-bf16-bias-past", CC, cc_data(2, 3, 5, 3, bias=True, past=True, dtype=BF16),
         tol=(2e-2, 2e-2), activation="swish"),
    case("cc-folded-bias-past", CC, cc_data(2, 3, 5, 3, bias=True, past=True), folded=True,
         activation="silu"),
    # SwiGLU
    case("sw-f64", SW, sw_data(3, 4, 5, dtype=np.float64)),
    case("sw-f64-alpha", SW, sw_data(2, 7, dtype=np.float64), alpha=1.702),
    case("sw-negative-alpha", SW, sw_data(4, 6), alpha=-0.75),
    case("sw-zero-alpha", SW, sw_data(5), alpha=0.0),
    case("sw-large-values", SW, sw_data(3, 33, scale=60.0), alpha=2.0),
    case("sw-scalar", SW, {"A": np.array(1.5, np.float32), "B": np.array(-2.0, np.float32)}),
    case("sw-empty", SW, sw_data(2, 0, 3)),
    case("sw-fp16-alpha", SW, sw_data(3, 8, dtype=np.float16), tol=(1e-2, 1e-3), alpha=0.5),
    case("sw-bf16", SW, sw_data(4, 5, dtype=BF16), tol=(2e-2, 1e-2)),
    case("sw-folded-f64", SW, sw_data(2, 3, dtype=np.float64), folded=True, alpha=1.5),
]


@pytest.mark.parametrize("spec", CASES)
def test_ssm(spec, compile_model, run_exe, assert_close, tmp_path):
    op, data, outs, opset, folded, tol, attrs = spec
    want = reference(op, data, outs, opset=opset, **attrs)
    out0 = want[OUTPUTS[op][0]]
    m, feeds, g_out = node_model(op, data, outs, opset, out0.shape if folded else None,
                                 {o: a.shape for o, a in want.items()}, **attrs)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    if folded:
        feeds["z"] = randn(*out0.shape, dtype=out0.dtype)
        want = {"y": out0 + feeds["z"], **{o: want[o] for o in g_out[1:]}}
    got = run_exe(compile_model(path, tmp_path), {n: storage(a) for n, a in feeds.items()}, g_out)
    rtol, atol = tol or (1e-3, 1e-4)
    for name in g_out:
        g, w = got[name], want[name]
        if w.dtype == BF16:
            g, w = g.view(BF16).astype(np.float32), w.astype(np.float32)
        assert_close(name, g, w, rtol=rtol, atol=atol)


def raw_model(op, inputs, outs=None, opset=None, **attrs):
    """A model as written, without ONNX's checker (it is meant to be invalid). inputs: (name,
    TensorProto type, shape) or None for an absent optional."""
    ins = [helper.make_tensor_value_info(*i) for i in inputs if i is not None]
    names = [i[0] if i is not None else "" for i in inputs]
    outs = OUTPUTS[op] if outs is None else outs
    node = helper.make_node(op, names, outs, name="the_node", **attrs)
    graph = helper.make_graph([node], "bad", ins,
                              [helper.make_tensor_value_info(o, inputs[0][1], None)
                               for o in outs if o])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset or OPSET[op])],
                             ir_version=10)


F, H, D = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE


def la_raw(q=(2, 3, 8), k=(2, 3, 8), v=(2, 3, 6), past=None, decay=None, beta=None,
           types=(F, F, F, F, F, F), outs=None, **attrs):
    shapes = [q, k, v, past, decay, beta]
    ins = [None if s is None else (n, t, s) for n, t, s in zip(INPUTS[LA], types, shapes)]
    while ins[-1] is None:
        ins.pop()
    attrs = {"q_num_heads": 2, "kv_num_heads": 2, "update_rule": "linear", **attrs}
    return raw_model(LA, ins, outs, **{k: a for k, a in attrs.items() if a is not None})


def cc_raw(x=(2, 3, 5), w=(3, 1, 4), bias=None, past=None, t=F, outs=None, **attrs):
    ins = [("input", t, x), ("weight", t, w),
           None if bias is None else ("bias", t, bias),
           None if past is None else ("past_state", t, past)]
    while ins[-1] is None:
        ins.pop()
    return raw_model(CC, ins, outs, **attrs)


def sw_raw(a=(2, 3), b=(2, 3), ta=F, tb=F, opset=None, **attrs):
    return raw_model(SW, [("A", ta, a), ("B", tb, b)], opset=opset, **attrs)


INVALID_CASES = [
    # LinearAttention
    pytest.param(la_raw(update_rule="softmax"), "update_rule", id="la-bad-rule"),
    pytest.param(la_raw(q_num_heads=None), "q_num_heads", id="la-no-q-heads"),
    pytest.param(la_raw(kv_num_heads=0), "kv_num_heads", id="la-zero-kv-heads"),
    pytest.param(la_raw(q=(2, 3, 12), q_num_heads=3), "multiple of kv_num_heads",
                 id="la-heads-not-multiple"),
    pytest.param(la_raw(q_num_heads=2.0), "q_num_heads", id="la-float-heads"),
    pytest.param(la_raw(update_rule="gated"), "decay", id="la-gated-without-decay"),
    pytest.param(la_raw(decay=(2, 3, 2)), "decay", id="la-linear-with-decay"),
    pytest.param(la_raw(decay=(2, 3, 2), update_rule="gated_delta"), "beta",
                 id="la-gated-delta-without-beta"),
    pytest.param(la_raw(decay=(2, 3, 8), beta=(2, 3, 2), update_rule="gated"), "beta",
                 id="la-gated-with-beta"),
    pytest.param(la_raw(decay=(2, 3, 3), update_rule="gated"), "decay",
                 id="la-decay-last-dim"),
    pytest.param(la_raw(decay=(2, 4, 2), update_rule="gated"), "decay", id="la-decay-steps"),
    pytest.param(la_raw(beta=(2, 3, 3), update_rule="delta"), "beta", id="la-beta-last-dim"),
    pytest.param(la_raw(beta=(2, 3), update_rule="delta"), "beta", id="la-beta-rank"),
    pytest.param(la_raw(past=(2, 2, 4, 4)), "past_state", id="la-past-shape"),
    pytest.param(la_raw(k=(2, 3, 6)), "key", id="la-key-last-dim"),
    pytest.param(la_raw(q=(2, 3, 7)), "query", id="la-query-not-multiple"),
    pytest.param(la_raw(v=(2, 3, 5)), "value", id="la-value-not-multiple"),
    pytest.param(la_raw(q=(6, 8)), "query", id="la-query-rank"),
    pytest.param(la_raw(v=(1, 3, 6)), "value", id="la-batch-mismatch"),
    pytest.param(la_raw(types=(F, H, F)), "input 'key' has type float16", id="la-mixed-types"),
    pytest.param(la_raw(outs=["output", ""]), "present_state", id="la-no-present-state"),
    pytest.param(la_raw(outs=["output"]), "outputs", id="la-one-output"),
    # CausalConvWithState
    pytest.param(cc_raw(activation="relu"), "activation", id="cc-bad-activation"),
    pytest.param(cc_raw(w=(3, 2, 4)), "weight", id="cc-weight-middle"),
    pytest.param(cc_raw(w=(4, 1, 4)), "weight", id="cc-weight-channels"),
    pytest.param(cc_raw(w=(3, 1, 0)), "weight", id="cc-weight-k0"),
    pytest.param(cc_raw(w=(3, 4)), "weight", id="cc-weight-rank"),
    pytest.param(cc_raw(bias=(4,)), "bias", id="cc-bias-length"),
    pytest.param(cc_raw(past=(2, 3, 4)), "past_state", id="cc-past-length"),
    pytest.param(cc_raw(past=(1, 3, 3)), "past_state", id="cc-past-batch"),
    pytest.param(cc_raw(x=(2, 3, 5, 1)), "input", id="cc-input-rank"),
    pytest.param(cc_raw(activation=1), "activation", id="cc-int-activation"),
    pytest.param(cc_raw(outs=["output", ""]), "present_state", id="cc-no-present-state"),
    # SwiGLU
    pytest.param(sw_raw(b=(3,)), "same shape", id="sw-broadcast"),
    pytest.param(sw_raw(tb=D), "type", id="sw-mixed-types"),
    pytest.param(sw_raw(opset=27), "opset 27", id="sw-opset27"),
    pytest.param(sw_raw(alpha=1), "alpha", id="sw-int-alpha"),
]


def gpuxc_build(gpuxc, model, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    return subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    r = gpuxc_build(gpuxc, model, tmp_path)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_node" in r.stderr and what in r.stderr, r.stderr


def test_state_type_unsupported(gpuxc, tmp_path):
    """A float32 state with float16 activations is valid ONNX (types T and S); gpuxc says it
    does not handle it."""
    r = gpuxc_build(gpuxc, la_raw(past=(2, 2, 4, 3), types=(H, H, H, F)), tmp_path)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert "the_node" in r.stderr and "past_state" in r.stderr, r.stderr
