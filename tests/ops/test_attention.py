"""Differential tests of the attention family against onnxruntime: Attention (opsets 23 and
24), RotaryEmbedding (23) and TensorScatter (24), for shapes and attribute combinations that
ONNX's node tests leave out: long query sequences (more than one block of query rows), long
head vectors, grouped heads with 3-D inputs, a key cache with a causal mask, float and bool
masks that broadcast or are shorter than the keys, the qk output in every mode, per-batch
padding lengths, and constant inputs folded by gpuxc. Where onnxruntime rejects a case (a mask
that broadcasts over queries or is shorter than the keys) or departs from the ONNX function body
(it writes the lowest float, not -inf, where a causal mask hides a score) the ONNX reference
implementation is the oracle. Last, invalid and unsupported models exit with 2 and 3."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

RNG = np.random.default_rng(20250923)

F = TensorProto.FLOAT
INVALID, UNSUPPORTED = 2, 3


def randn(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def model(op, inputs, outputs, opset, attrs, consts=()):
    """A one-node model. inputs: [(name, array)] ('' for an absent optional input);
    outputs: names ('' for an absent optional output). Inputs named in consts are
    initializers."""
    node = helper.make_node(op, [n for n, _ in inputs], outputs, **attrs)
    graph_in, inits, feeds = [], [], {}
    for name, arr in inputs:
        if not name:
            continue
        if name in consts:
            inits.append(numpy_helper.from_array(arr, name))
            continue
        t = helper.np_dtype_to_tensor_dtype(arr.dtype)
        graph_in.append(helper.make_tensor_value_info(name, t, arr.shape))
        feeds[name] = arr
    outs = [helper.make_tensor_value_info(o, F, None) for o in outputs if o]
    g = helper.make_graph([node], op.lower(), graph_in, outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    return m, feeds


def qkv(b, hq, hkv, sq, skv, d, dv=None, rank=4):
    dv = dv or d
    if rank == 4:
        return randn(b, hq, sq, d), randn(b, hkv, skv, d), randn(b, hkv, skv, dv)
    return randn(b, sq, hq * d), randn(b, skv, hkv * d), randn(b, skv, hkv * dv)


def attention_case(name, q, k, v, mask=None, past=None, nonpad=None, qk=False, opset=23,
                   consts=(), oracle="ort", **attrs):
    ins = [("Q", q), ("K", k), ("V", v)]
    if mask is not None or past is not None or nonpad is not None:
        ins.append(("attn_mask", mask) if mask is not None else ("", None))
    if past is not None:
        ins += [("past_key", past[0]), ("past_value", past[1])]
    elif nonpad is not None:
        ins += [("", None), ("", None)]
    if nonpad is not None:
        ins.append(("nonpad_kv_seqlen", nonpad))
    outs = ["Y"]
    if past is not None or qk:
        outs += ["present_key", "present_value"] if past is not None else ["", ""]
    if qk:
        outs.append("qk")
    return pytest.param(("Attention", ins, outs, opset, attrs, consts, oracle), id=name)


def mask_tail(rows, keys, valid):
    """A bool mask [rows, keys] allowing the first valid[r] keys of row r."""
    return np.arange(keys)[None, :] < np.asarray(valid)[:, None]


CASES = [
    attention_case("4d_long_q", *qkv(1, 2, 2, 150, 70, 16)),
    attention_case("4d_long_head", *qkv(1, 2, 2, 5, 9, 300, 260)),
    attention_case("4d_causal_more_keys", *qkv(2, 2, 2, 70, 90, 8), is_causal=1),
    attention_case("3d_gqa_causal", *qkv(2, 8, 2, 5, 5, 4, 6, rank=3), is_causal=1,
                   q_num_heads=8, kv_num_heads=2),
    attention_case("3d_mqa_mask_scale", *qkv(1, 4, 1, 3, 7, 8, rank=3),
                   mask=randn(3, 7), q_num_heads=4, kv_num_heads=1, scale=0.3),
    attention_case("4d_mask_bool_bcast_heads", *qkv(2, 3, 3, 4, 6, 8),
                   mask=RNG.random((2, 1, 4, 6)) < 0.7),
    attention_case("4d_mask_float_rank3", *qkv(2, 3, 3, 4, 6, 8), mask=randn(3, 4, 6)),
    # onnxruntime wants the mask's query and key dims in full: the ONNX reference decides
    attention_case("4d_mask_bool_bcast_queries", *qkv(2, 3, 3, 4, 6, 8),
                   mask=RNG.random((2, 1, 1, 6)) < 0.7, oracle="ref"),
    attention_case("4d_mask_float_rank3_bcast", *qkv(2, 3, 3, 4, 6, 8), mask=randn(3, 1, 6),
                   oracle="ref"),
    attention_case("4d_mask_bool_short", *qkv(1, 2, 2, 4, 6, 8),
                   mask=mask_tail(4, 4, [0, 2, 3, 4]), oracle="ref"),
    attention_case("4d_mask_float_short", *qkv(1, 2, 2, 4, 6, 8), mask=randn(4, 5),
                   oracle="ref"),
    attention_case("4d_bool_mask_causal", *qkv(1, 2, 2, 4, 4, 8),
                   mask=np.array([[True, False, True, True]] * 4), is_causal=1),
    attention_case("4d_past_causal", *qkv(2, 4, 2, 3, 3, 8),
                   past=(randn(2, 2, 5, 8), randn(2, 2, 5, 8)), is_causal=1),
    attention_case("3d_past_gqa_mask", *qkv(1, 4, 2, 2, 3, 8, 4, rank=3),
                   past=(randn(1, 2, 4, 8), randn(1, 2, 4, 4)), mask=randn(1, 4, 2, 7),
                   q_num_heads=4, kv_num_heads=2),
    attention_case("4d_qk_mode0", *qkv(1, 2, 2, 3, 5, 8), qk=True),
    # mode 0 is the product before the softcap (the ONNX reference softcaps it)
    attention_case("4d_qk_mode0_softcap", *qkv(1, 2, 2, 3, 5, 8), qk=True, softcap=0.5),
    attention_case("4d_qk_mode1_softcap", *qkv(1, 2, 2, 3, 5, 8), mask=randn(3, 5), qk=True,
                   qk_matmul_output_mode=1, softcap=1.5),
    attention_case("4d_qk_mode2", *qkv(1, 2, 2, 3, 5, 8), mask=randn(3, 5), qk=True,
                   qk_matmul_output_mode=2),
    # onnxruntime writes the lowest float where the causal mask is -inf
    attention_case("4d_qk_mode2_causal", *qkv(1, 2, 2, 3, 5, 8), mask=randn(3, 5), qk=True,
                   qk_matmul_output_mode=2, is_causal=1, oracle="ref"),
    attention_case("4d_qk_mode3_past", *qkv(1, 2, 2, 3, 2, 8),
                   past=(randn(1, 2, 3, 8), randn(1, 2, 3, 8)), qk=True,
                   qk_matmul_output_mode=3),
    attention_case("4d_softcap_mask", *qkv(2, 2, 2, 6, 6, 16), mask=randn(6, 6), softcap=0.8),
    attention_case("4d_softmax_f64", *qkv(1, 2, 2, 4, 5, 8), softmax_precision=11),
    attention_case("4d_nonpad", *qkv(2, 2, 2, 3, 8, 8), nonpad=np.array([8, 5], np.int64),
                   opset=24),
    attention_case("4d_nonpad_causal_mask", *qkv(2, 4, 2, 2, 8, 8),
                   mask=RNG.random((2, 1, 2, 8)) < 0.8, nonpad=np.array([6, 3], np.int64),
                   is_causal=1, opset=24),
    attention_case("4d_const_folded", *qkv(1, 2, 1, 3, 4, 8), mask=randn(3, 4),
                   consts=("Q", "K", "V", "attn_mask")),
]


def rotary_case(name, x, cos, sin, pos=None, consts=(), **attrs):
    ins = [("X", x), ("cos_cache", cos), ("sin_cache", sin)]
    if pos is not None:
        ins.append(("position_ids", pos))
    return pytest.param(("RotaryEmbedding", ins, ["Y"], 23, attrs, consts, "ort"), id=name)


def caches(rows, half):
    return randn(rows, half), randn(rows, half)


CASES += [
    rotary_case("rope_4d_pos", randn(2, 3, 5, 16), *caches(12, 8),
                pos=RNG.integers(0, 12, (2, 5))),
    rotary_case("rope_3d_interleaved_partial", randn(2, 5, 3 * 12), *caches(9, 4),
                pos=RNG.integers(0, 9, (2, 5)), num_heads=3, interleaved=1,
                rotary_embedding_dim=8),
    rotary_case("rope_3d_no_pos", randn(2, 4, 2 * 8), randn(2, 4, 4), randn(2, 4, 4),
                num_heads=2),
    rotary_case("rope_4d_no_pos_partial", randn(1, 2, 3, 10), randn(1, 3, 3), randn(1, 3, 3),
                rotary_embedding_dim=6),
]


def scatter_case(name, past, update, idx=None, opset=24, **attrs):
    ins = [("past_cache", past), ("update", update)]
    if idx is not None:
        ins.append(("write_indices", idx))
    return pytest.param(("TensorScatter", ins, ["present_cache"], opset, attrs, (), "ort"),
                        id=name)


CASES += [
    scatter_case("scatter_axis2", randn(2, 3, 8, 4), randn(2, 3, 3, 4),
                 np.array([1, 5], np.int64), axis=2),
    scatter_case("scatter_default_axis_no_idx", randn(2, 6, 5), randn(2, 2, 5)),
    scatter_case("scatter_circular_axis1", randn(3, 5, 2, 2), randn(3, 3, 2, 2),
                 np.array([0, 3, 4], np.int64), axis=1, mode="circular"),
]


@pytest.mark.parametrize("case", CASES)
def test_attention_family(case, tmp_path, compile_model, run_exe, ort_run, assert_close):
    op, ins, outs, opset, attrs, consts, oracle = case
    m, feeds = model(op, ins, outs, opset, attrs, consts)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    if oracle == "ort":
        want = ort_run(path, feeds)
    else:
        names = [o for o in outs if o]
        want = dict(zip(names, ReferenceEvaluator(m).run(names, feeds)))
    exe = compile_model(path, tmp_path / "out")
    got = run_exe(exe, feeds, [o for o in outs if o])
    for name in want:
        assert_close(name, got[name], want[name], rtol=1e-4, atol=1e-5)


REJECTED = [
    pytest.param(attention_case("", *qkv(1, 2, 2, 3, 4, 8), past=(randn(1, 2, 2, 8), None)),
                 INVALID, "past_key and past_value must be given together", id="past_key_alone"),
    pytest.param(attention_case("", *qkv(1, 3, 2, 3, 4, 8)), INVALID, "multiple of kv_num_heads",
                 id="heads_not_grouped"),
    pytest.param(attention_case("", *qkv(1, 2, 2, 3, 4, 8, rank=3)), INVALID,
                 "q_num_heads and kv_num_heads", id="3d_without_heads"),
    pytest.param(attention_case("", *qkv(1, 2, 2, 3, 4, 8), mask=randn(3, 5)), INVALID,
                 "attn_mask", id="mask_longer_than_keys"),
    pytest.param(attention_case("", *qkv(1, 2, 2, 3, 4, 8), mask=np.ones((3, 4), np.int32)),
                 UNSUPPORTED, "attn_mask", id="int_mask"),
    pytest.param(rotary_case("", randn(1, 2, 3, 8), *caches(4, 3), pos=np.zeros((1, 3), np.int64)),
                 INVALID, "cos_cache", id="rope_cache_width"),
    pytest.param(scatter_case("", randn(2, 4, 3), randn(2, 2, 3), axis=0), INVALID, "batch",
                 id="scatter_axis0"),
]


@pytest.mark.parametrize("case, code, words", REJECTED)
def test_attention_family_rejects(case, code, words, tmp_path, gpuxc):
    op, ins, outs, opset, attrs, consts, _ = case.values[0]
    ins = [(n, a) for n, a in ins if a is not None or not n]
    m, _ = model(op, ins, outs, opset, attrs, consts)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    r = subprocess.run([gpuxc, "build", path, "-o", tmp_path / "m"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == code, r.stderr
    assert words in r.stderr and op in r.stderr, r.stderr
