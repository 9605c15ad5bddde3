"""NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against onnxruntime, for what ONNX's
node tests leave out: float64, int32 targets, opsets 12/13/22, the default reduction,
negative targets, everything ignored (mean = NaN), large logits, constant folding inside
gpuxc; and the invalid models gpuxc must reject with exit code 2."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

INVALID = 2
RNG = np.random.default_rng(20261124)
NLL, SCE = "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"


def randn(*shape, scale=1.0, dtype=np.float32):
    return np.asarray(RNG.standard_normal(shape) * scale, dtype=dtype)


def classes(c, *shape, lo=0, dtype=np.int64):
    return RNG.integers(lo, c, shape).astype(dtype)


def loss_model(op, x, t, w=None, opset=13, log_prob=False, folded=False, **attrs):
    """One loss node over x, t (and w). folded: the inputs are initializers and the loss is
    added to a graph input 'z' of its shape, so gpuxc evaluates the node at compile time.
    Returns (model, feeds, output names)."""
    data = {"x": x, "t": t, **({"w": w} if w is not None else {})}
    outs = ["loss"] + (["log_prob"] if log_prob else [])
    nodes = [helper.make_node(op, list(data), outs, name=f"{op}_0", **attrs)]
    feeds, inits, g_out = dict(data), [], list(outs)
    if folded:
        inits = [numpy_helper.from_array(a, n) for n, a in data.items()]
        feeds = {}
        nodes.append(helper.make_node("Add", ["loss", "z"], ["y"], name="add"))
        g_out = ["y"] + outs[1:]
    g_in = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
            for n, a in feeds.items()]
    if folded:
        shape = t.shape if attrs.get("reduction", "mean") == "none" else ()
        feeds["z"] = randn(*shape, dtype=x.dtype)
        g_in.append(helper.make_tensor_value_info(
            "z", helper.np_dtype_to_tensor_dtype(x.dtype), shape))
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    loss_shape = t.shape if attrs.get("reduction", "mean") == "none" else ()
    shapes = {"loss": loss_shape, "y": loss_shape, "log_prob": x.shape}
    graph = helper.make_graph(nodes, "loss", g_in,
                              [helper.make_tensor_value_info(n, elem, shapes[n]) for n in g_out],
                              inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    return m, feeds, g_out


def nll(cid, x, t, w=None, opset=13, folded=False, **attrs):
    return pytest.param((NLL, x, t, w, opset, False, folded, attrs), id=cid)


def sce(cid, x, t, w=None, opset=13, log_prob=False, folded=False, **attrs):
    return pytest.param((SCE, x, t, w, opset, log_prob, folded, attrs), id=cid)


def ignored_targets(c, *shape, ii):
    """Classes in [0, c) with about a third of them ignore_index."""
    t = classes(c, *shape)
    return np.where(RNG.random(shape) < 0.3, ii, t).astype(np.int64)


CASES = [
    # NegativeLogLikelihoodLoss, opsets 12 / 13 / 22
    nll("nll-f64-weight-mean-op12", randn(4, 6, 3, dtype=np.float64), classes(6, 4, 3),
        randn(6, dtype=np.float64) ** 2, opset=12, reduction="mean"),
    nll("nll-i32-none-op13", randn(5, 4), classes(4, 5, dtype=np.int32), reduction="none"),
    nll("nll-default-mean-ii-i32-op22", randn(2, 3, 2, 2),
        ignored_targets(3, 2, 2, 2, ii=1).astype(np.int32), np.abs(randn(3)) + 0.5, opset=22,
        ignore_index=1),
    nll("nll-f64-sum-ii-i32-op22", randn(3, 5, 4, dtype=np.float64),
        ignored_targets(5, 3, 4, ii=-100).astype(np.int32), opset=22, reduction="sum",
        ignore_index=-100),
    nll("nll-none-weight-ii-op13", randn(3, 4, 5), ignored_targets(4, 3, 5, ii=2),
        np.abs(randn(4)), reduction="none", ignore_index=2),
    nll("nll-negative-targets-op13", randn(4, 5), classes(0, 4, lo=-5), randn(5),
        reduction="none"),
    nll("nll-negative-targets-op22", randn(4, 5, 2), classes(0, 4, 2, lo=-5), opset=22,
        reduction="sum"),
    nll("nll-all-ignored-mean-op13", randn(2, 3), np.array([1, 1], np.int64), ignore_index=1),
    nll("nll-all-ignored-weight-mean-op22", randn(2, 3, 2), np.full((2, 2), 2, np.int64),
        randn(3), opset=22, reduction="mean", ignore_index=2),
    nll("nll-big-inner-mean-op13", randn(1, 3, 32, 40), classes(3, 1, 32, 40), randn(3) ** 2),
    nll("nll-folded-mean-op13", randn(3, 4, 2), ignored_targets(4, 3, 2, ii=0), randn(4),
        folded=True, ignore_index=0),
    nll("nll-folded-f64-none-op22", randn(3, 4, dtype=np.float64),
        classes(4, 3, dtype=np.int32), opset=22, folded=True, reduction="none"),
    # SoftmaxCrossEntropyLoss, opsets 12 / 13
    sce("sce-f64-mean-weight-ii-logprob-op12", randn(3, 5, 4, dtype=np.float64),
        ignored_targets(5, 3, 4, ii=4), randn(5, dtype=np.float64) ** 2, opset=12,
        log_prob=True, reduction="mean", ignore_index=4),
    sce("sce-i32-none-logprob-op13", randn(4, 3, 2, 3), classes(3, 4, 2, 3, dtype=np.int32),
        log_prob=True, reduction="none"),
    sce("sce-default-mean-op12", randn(6, 7), classes(7, 6), opset=12),
    sce("sce-large-logits-sum-op13", randn(4, 10, 3, scale=300.0), classes(10, 4, 3),
        log_prob=True, reduction="sum"),
    sce("sce-f64-none-weight-op13", randn(5, 4, 3, dtype=np.float64), classes(4, 5, 3),
        randn(4, dtype=np.float64), reduction="none"),
    sce("sce-negative-targets-op13", randn(3, 4), classes(0, 3, lo=-4), reduction="none"),
    sce("sce-all-ignored-mean-logprob-op13", randn(2, 4, 3), np.full((2, 3), -1, np.int64),
        randn(4), log_prob=True, ignore_index=-1),
    sce("sce-folded-sum-logprob-op13", randn(2, 5, 3), ignored_targets(5, 2, 3, ii=3),
        randn(5), log_prob=True, folded=True, reduction="sum", ignore_index=3),
    sce("sce-folded-f64-mean-op12", randn(4, 6, dtype=np.float64), classes(6, 4, dtype=np.int32),
        opset=12, folded=True),
]


@pytest.mark.parametrize("spec", CASES)
def test_loss(spec, compile_model, run_exe, ort_run, assert_close, tmp_path):
    op, x, t, w, opset, log_prob, folded, attrs = spec
    m, feeds, outs = loss_model(op, x, t, w, opset, log_prob, folded, **attrs)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name])


def raw_model(x_shape, t_shape, w_shape=None, op=NLL, x_type=TensorProto.FLOAT, **attrs):
    """A loss model as written, without ONNX's checker (it is meant to be invalid)."""
    ins = [helper.make_tensor_value_info("x", x_type, x_shape),
           helper.make_tensor_value_info("t", TensorProto.INT64, t_shape)]
    if w_shape is not None:
        ins.append(helper.make_tensor_value_info("w", x_type, w_shape))
    node = helper.make_node(op, [i.name for i in ins], ["loss"], name="the_loss", **attrs)
    graph = helper.make_graph([node], "bad", ins,
                              [helper.make_tensor_value_info("loss", x_type, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


INVALID_CASES = [
    pytest.param(raw_model([3, 4], [3], reduction="average"), "reduction", id="bad-reduction"),
    pytest.param(raw_model([3, 4, 2], [3, 3]), "target", id="target-shape"),
    pytest.param(raw_model([3, 4], [3, 1]), "target", id="target-rank"),
    pytest.param(raw_model([4], [4], op=SCE), "rank", id="input-rank-1"),
    pytest.param(raw_model([3, 4], [3], [5], op=SCE), "weight", id="weight-length"),
    pytest.param(raw_model([3, 4], [3], ignore_index=1.5), "ignore_index", id="float-ignore-index"),
]


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_loss" in r.stderr and what in r.stderr, r.stderr
