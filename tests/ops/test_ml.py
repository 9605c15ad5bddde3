"""The ai.onnx.ml ops gpuxc compiles: Binarizer, ArrayFeatureExtractor, TreeEnsemble (ml 5) and
TreeEnsembleRegressor (ml 1 and 3), against onnxruntime (where it implements the case) or
onnx.reference, for what ONNX's node tests leave out: other types, every aggregate function and
post_transform, NaN features with missing_value_tracks_true, set membership, several trees and
targets, leaves with several weights, base values, constant folding; and the invalid models gpuxc
must reject with exit code 2 naming the node."""
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID = 2
RNG = np.random.default_rng(20261124)
ML = "ai.onnx.ml"
F32, F64, I32, I64, STR = (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT32,
                           TensorProto.INT64, TensorProto.STRING)
ort.set_default_logger_severity(3)


def one_node_model(op, inputs, outputs, ml_opset, inits=(), name="the_node", **attrs):
    """inputs/outputs: (name, elem type, shape) triples."""
    node = helper.make_node(op, [i[0] for i in inputs] + [t.name for t in inits],
                            [o[0] for o in outputs], domain=ML, name=name, **attrs)
    graph = helper.make_graph(
        [node], "ml", [helper.make_tensor_value_info(*i) for i in inputs],
        [helper.make_tensor_value_info(*o) for o in outputs], list(inits))
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(ML, ml_opset)])


def check(model, feeds, tmp_path, compile_model, run_exe, assert_close, reference="ort",
          want=None, rtol=1e-5, atol=1e-6):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    outs = [o.name for o in model.graph.output]
    if want is None and reference == "ort":
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        want = dict(zip(outs, ort.InferenceSession(str(path), so).run(outs, feeds)))
    elif want is None:
        want = dict(zip(outs, ReferenceEvaluator(model).run(outs, feeds)))
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name], rtol=rtol, atol=atol)


# ---- Binarizer ----

@pytest.mark.parametrize("dtype,threshold,reference", [
    (np.float32, None, "ort"),
    (np.float32, 0.25, "ort"),
    (np.float64, -0.5, "reference"),
    (np.int32, 1.5, "reference"),
    (np.int64, -0.5, "reference"),
], ids=["f32-default", "f32", "f64-nan", "i32", "i64"])
def test_binarizer(dtype, threshold, reference, tmp_path, compile_model, run_exe, assert_close):
    x = (RNG.standard_normal((3, 4, 5)) * 3).astype(dtype)
    if dtype == np.float64:
        x[0, 0, :2] = [np.nan, -np.inf]
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    attrs = {} if threshold is None else {"threshold": threshold}
    m = one_node_model("Binarizer", [("X", elem, x.shape)], [("Y", elem, x.shape)], 1, **attrs)
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close, reference)


def test_binarizer_folded(tmp_path, compile_model, run_exe, assert_close):
    """A constant input: gpuxc evaluates the node at compile time."""
    x = RNG.standard_normal((4, 6)).astype(np.float32)
    node = helper.make_node("Binarizer", ["C"], ["B"], domain=ML, threshold=0.1)
    add = helper.make_node("Add", ["B", "Z"], ["Y"])
    graph = helper.make_graph([node, add], "fold", [helper.make_tensor_value_info("Z", F32, x.shape)],
                              [helper.make_tensor_value_info("Y", F32, x.shape)],
                              [numpy_helper.from_array(x, "C")])
    m = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 21),
                                                               helper.make_opsetid(ML, 1)])
    z = RNG.standard_normal(x.shape).astype(np.float32)
    check(m, {"Z": z}, tmp_path, compile_model, run_exe, assert_close)


# ---- ArrayFeatureExtractor ----

@pytest.mark.parametrize("dtype,x_shape,idx", [
    (np.float32, (2, 3, 5), [4, 0, 0, 2]),
    (np.float64, (7,), [6, 1]),
    (np.int64, (3, 4), [[3, 1, 2]]),
    (np.int32, (2, 2, 1, 6), [5]),
], ids=["f32-3d", "f64-1d", "i64-idx2d", "i32-4d"])
def test_feature_extractor(dtype, x_shape, idx, tmp_path, compile_model, run_exe, assert_close):
    x = (RNG.standard_normal(x_shape) * 10).astype(dtype)
    y = np.array(idx, np.int64)
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    m = one_node_model("ArrayFeatureExtractor", [("X", elem, x.shape), ("Y", I64, y.shape)],
                       [("Z", elem, None)], 1)
    check(m, {"X": x, "Y": y}, tmp_path, compile_model, run_exe, assert_close)


def test_feature_extractor_strings(tmp_path, compile_model, run_exe):
    x = np.array([["alpha", "b", "gamma"], ["d", "epsilon", ""]], dtype=object)
    y = np.array([2, 0, 1, 2], np.int64)
    m = one_node_model("ArrayFeatureExtractor", [("X", STR, x.shape)], [("Z", STR, None)], 1,
                       inits=[numpy_helper.from_array(y, "Y")])
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort.InferenceSession(str(path)).run(None, {"X": x})[0]
    got = run_exe(compile_model(path, tmp_path, "--string-bytes", "8"),
                  {"X": np.array(x.tolist(), dtype=str)}, ["Z"])["Z"]
    assert got.shape == want.shape and [str(s) for s in got.ravel()] == list(want.ravel())


def test_feature_extractor_negative_constant(tmp_path, compile_model, run_exe, assert_close):
    """Constant indices counting from the end (NumPy's convention, as onnx.reference)."""
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    y = np.array([-1, 0, -5], np.int64)
    m = one_node_model("ArrayFeatureExtractor", [("X", F32, x.shape)], [("Z", F32, None)], 1,
                       inits=[numpy_helper.from_array(y, "Y")])
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close, want={"Z": x[:, [-1, 0, -5]]})


# ---- tree ensembles ----

def random_forest(n_trees, nf, n_targets, depth=4, members=False, missing=False, extra=False,
                  full=False):
    """Random trees in TreeEnsemble's (ml 5) form. Set members are small non-zero integers:
    onnxruntime implements sets of integers only (it truncates the feature to an integer, so the
    features of such tests are integers too), and onnx.reference ends a set at a member 0. extra: some leaves get a second weight (regressor form only,
    kept in 'extra')."""
    f = {k: [] for k in ["feat", "modes", "splits", "tid", "tleaf", "fid", "fleaf", "miss",
                         "mvals", "lt", "lw", "roots", "extra"]}

    def leaf():
        f["lt"].append(int(RNG.integers(0, n_targets)))
        f["lw"].append(float(np.round(RNG.standard_normal(), 3)))
        if extra and RNG.random() < 0.4:
            f["extra"].append((len(f["lt"]) - 1, int(RNG.integers(0, n_targets)),
                               float(np.round(RNG.standard_normal(), 3))))
        for t in range(n_targets) if full else ():
            if t != f["lt"][-1]:
                f["extra"].append((len(f["lt"]) - 1, t, float(np.round(RNG.standard_normal(), 3))))
        return len(f["lt"]) - 1

    def node(d):
        i = len(f["feat"])
        f["feat"].append(int(RNG.integers(0, nf)))
        mode = int(RNG.integers(0, 7 if members else 6))
        f["modes"].append(mode)
        if mode == 6:
            k = int(RNG.integers(1, 4))
            f["mvals"] += [float(v) for v in RNG.choice([-3, -2, -1, 1, 2, 3], k, replace=False)]
            f["mvals"].append(np.nan)
            f["splits"].append(0.0)
        else:
            f["splits"].append(float(np.round(RNG.standard_normal(), 2)))
        f["miss"].append(int(RNG.integers(0, 2)) if missing else 0)
        for key in ["tid", "tleaf", "fid", "fleaf"]:
            f[key].append(0)
        for br in ("t", "f"):
            if d >= depth or RNG.random() < 0.25:
                ref, is_leaf = leaf(), 1
            else:
                ref, is_leaf = node(d + 1), 0
            f[br + "id"][i], f[br + "leaf"][i] = ref, is_leaf
        return i

    for _ in range(n_trees):
        f["roots"].append(node(1))
    return f


def te5_attrs(f, n_targets, np_dtype, agg, post):
    a = dict(aggregate_function=agg, post_transform=post, n_targets=n_targets,
             nodes_featureids=f["feat"],
             nodes_modes=numpy_helper.from_array(np.array(f["modes"], np.uint8)),
             nodes_splits=numpy_helper.from_array(np.array(f["splits"], np_dtype)),
             nodes_truenodeids=f["tid"], nodes_trueleafs=f["tleaf"],
             nodes_falsenodeids=f["fid"], nodes_falseleafs=f["fleaf"],
             nodes_missing_value_tracks_true=f["miss"], leaf_targetids=f["lt"],
             leaf_weights=numpy_helper.from_array(np.array(f["lw"], np_dtype)),
             tree_roots=f["roots"])
    if f["mvals"]:
        a["membership_values"] = numpy_helper.from_array(np.array(f["mvals"], np_dtype))
    return a


def features(n, nf, dtype, nans=True, ints=False):
    """Rows of small integers and halves (so equality and set membership tests hit); integers
    only if ints."""
    x = np.round(RNG.standard_normal((n, nf)) * 4) / 2
    x = (np.round(x) if ints else x).astype(dtype)
    if nans and dtype in (np.float32, np.float64):
        x[RNG.random(x.shape) < 0.1] = np.nan
    return x


# onnxruntime numbers TreeEnsemble's post_transform 1 and 2 the other way round from the ONNX
# specification (1 LOGISTIC, 2 SOFTMAX); gpuxc follows the specification (1 SOFTMAX).
ORT_POST = {0: 0, 1: 2, 2: 1, 3: 3, 4: 4}

TE5 = [
    # (id, trees, features, targets, dtype, aggregate, post_transform, members, missing)
    ("sum-none-f32", 4, 5, 3, np.float32, 1, 0, True, True),
    ("avg-softmax-f32", 5, 3, 4, np.float32, 0, 1, False, True),
    ("min-logistic-f64", 3, 4, 2, np.float64, 2, 2, True, False),
    ("max-softmax-zero-f32", 6, 6, 3, np.float32, 3, 3, True, True),
    ("sum-probit-f64", 2, 3, 2, np.float64, 1, 4, False, False),
    ("one-target-avg-f64", 7, 4, 1, np.float64, 0, 0, True, True),
    ("one-target-probit-f32", 3, 2, 1, np.float32, 1, 4, False, True),
    ("one-target-logistic-f32", 3, 2, 1, np.float32, 1, 2, False, False),
    ("max-one-target-f32", 8, 5, 1, np.float32, 3, 0, True, True),
]


@pytest.mark.parametrize("spec", [pytest.param(s[1:], id=s[0]) for s in TE5])
def test_tree_ensemble(spec, tmp_path, compile_model, run_exe, assert_close):
    n_trees, nf, nt, dtype, agg, post, members, missing = spec
    f = random_forest(n_trees, nf, nt, members=members, missing=missing)
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    x = features(40, nf, dtype, ints=members)
    if post == 4:  # PROBIT wants scores in (0, 1)
        f["lw"] = [float(v) for v in RNG.uniform(0.01, 0.99 / n_trees, len(f["lw"]))]
    io = ([("X", elem, list(x.shape))], [("Y", elem, [len(x), nt])])
    m = one_node_model("TreeEnsemble", *io, 5, **te5_attrs(f, nt, dtype, agg, post))
    ref = one_node_model("TreeEnsemble", *io, 5, **te5_attrs(f, nt, dtype, agg, ORT_POST[post]))
    onnx.save(ref, tmp_path / "ort.onnx")
    want = {"Y": ort.InferenceSession(str(tmp_path / "ort.onnx")).run(None, {"X": x})[0]}
    # onnxruntime evaluates PROBIT's approximation in float32, which loses digits near 0.5
    tol = 1e-4 if post == "PROBIT" else 1e-5
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close, want=want, rtol=tol,
          atol=tol)


def test_tree_ensemble_reference_sum(tmp_path, compile_model, run_exe, assert_close):
    """onnx.reference too (it leaves post_transform out): members and float64 leaves."""
    f = random_forest(5, 4, 3, members=True, missing=True)
    x = features(30, 4, np.float64)
    m = one_node_model("TreeEnsemble", [("X", F64, [30, 4])], [("Y", F64, [30, 3])], 5,
                       **te5_attrs(f, 3, np.float64, 1, 0))
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close, "reference")


def test_tree_ensemble_fp16(tmp_path, compile_model, run_exe, assert_close):
    """float16 (onnxruntime has no kernel for it: its float32 result, rounded, is the reference;
    the thresholds and weights are float16 values in both)."""
    f = random_forest(3, 4, 2)
    f["splits"] = [float(np.float16(v)) for v in f["splits"]]
    f["lw"] = [float(np.float16(v)) for v in f["lw"]]
    x = features(20, 4, np.float16, nans=False)
    m = one_node_model("TreeEnsemble", [("X", TensorProto.FLOAT16, [20, 4])],
                       [("Y", TensorProto.FLOAT16, [20, 2])], 5,
                       **te5_attrs(f, 2, np.float16, 1, 0))
    ref = one_node_model("TreeEnsemble", [("X", F32, [20, 4])], [("Y", F32, [20, 2])], 5,
                         **te5_attrs(f, 2, np.float32, 1, 0))
    onnx.save(ref, tmp_path / "ort.onnx")
    want = ort.InferenceSession(str(tmp_path / "ort.onnx")).run(None, {"X": x.astype(np.float32)})
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close,
          want={"Y": want[0].astype(np.float16)}, rtol=1e-3, atol=1e-3)


def test_tree_ensemble_single_leaf_tree(tmp_path, compile_model, run_exe, assert_close):
    """A tree that is one leaf: a node whose branches both reach that leaf."""
    attrs = dict(n_targets=2, aggregate_function=1, tree_roots=[0, 1],
                 nodes_featureids=[0, 1], nodes_truenodeids=[0, 1], nodes_falsenodeids=[0, 2],
                 nodes_trueleafs=[1, 1], nodes_falseleafs=[1, 1],
                 nodes_modes=numpy_helper.from_array(np.array([0, 3], np.uint8)),
                 nodes_splits=numpy_helper.from_array(np.array([0.0, 0.5], np.float32)),
                 leaf_targetids=[1, 0, 1],
                 leaf_weights=numpy_helper.from_array(np.array([2.5, -1.0, 4.0], np.float32)))
    m = one_node_model("TreeEnsemble", [("X", F32, [3, 2])], [("Y", F32, [3, 2])], 5, **attrs)
    x = np.array([[1, 0], [-1, 1], [0, 0.5]], np.float32)
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close)


def regressor_attrs(f, n_targets, agg, post, base=None, as_tensor=False):
    """The forest in TreeEnsembleRegressor's form: nodes numbered per tree from 0 in visiting
    order, leaves as LEAF nodes, leaf weights as target_* (plus the 'extra' ones)."""
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes",
                         "nodes_values", "nodes_truenodeids", "nodes_falsenodeids",
                         "nodes_missing_value_tracks_true", "target_treeids", "target_nodeids",
                         "target_ids", "target_weights"]}
    modes = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]
    extra = {}
    for leaf, t, w in f["extra"]:
        extra.setdefault(leaf, []).append((t, w))

    def visit(tree, ref, is_leaf, counter):
        nid = counter[0]
        counter[0] += 1
        a["nodes_treeids"].append(tree)
        a["nodes_nodeids"].append(nid)
        if is_leaf:
            for key, v in [("nodes_featureids", 0), ("nodes_modes", "LEAF"), ("nodes_values", 0.0),
                           ("nodes_truenodeids", 0), ("nodes_falsenodeids", 0),
                           ("nodes_missing_value_tracks_true", 0)]:
                a[key].append(v)
            for t, w in [(f["lt"][ref], f["lw"][ref])] + extra.get(ref, []):
                a["target_treeids"].append(tree)
                a["target_nodeids"].append(nid)
                a["target_ids"].append(t)
                a["target_weights"].append(w)
            return nid
        at = len(a["nodes_treeids"]) - 1
        for key, v in [("nodes_featureids", f["feat"][ref]), ("nodes_modes", modes[f["modes"][ref]]),
                       ("nodes_values", f["splits"][ref]), ("nodes_truenodeids", 0),
                       ("nodes_falsenodeids", 0), ("nodes_missing_value_tracks_true", f["miss"][ref])]:
            a[key].append(v)
        a["nodes_truenodeids"][at] = visit(tree, f["tid"][ref], f["tleaf"][ref], counter)
        a["nodes_falsenodeids"][at] = visit(tree, f["fid"][ref], f["fleaf"][ref], counter)
        return nid

    for tree, root in enumerate(f["roots"]):
        visit(tree, root, 0, [0])
    a.update(n_targets=n_targets, aggregate_function=agg, post_transform=post)
    if base is not None:
        a["base_values"] = base
    if as_tensor:
        for key in ["nodes_values", "target_weights"] + (["base_values"] if base else []):
            a[key + "_as_tensor"] = numpy_helper.from_array(np.array(a.pop(key), np.float64))
    return a


REGRESSORS = [
    # (id, trees, features, targets, x dtype, aggregate, post_transform, base, as_tensor, opset)
    ("sum-f32", 4, 5, 2, np.float32, "SUM", "NONE", None, False, 3),
    ("avg-base-f32", 5, 3, 3, np.float32, "AVERAGE", "NONE", [0.5, -1.0, 2.0], False, 1),
    ("min-logistic-f64-tensor", 3, 4, 2, np.float64, "MIN", "LOGISTIC", None, True, 3),
    ("max-softmax-i64", 4, 3, 3, np.int64, "MAX", "SOFTMAX", [0.1, 0.2, 0.3], False, 3),
    ("sum-softmax-zero-i32", 3, 4, 4, np.int32, "SUM", "SOFTMAX_ZERO", None, False, 1),
    ("one-target-base-avg-f64", 6, 4, 1, np.float64, "AVERAGE", "NONE", [3.0], True, 3),
    ("one-target-probit-f32", 2, 3, 1, np.float32, "SUM", "PROBIT", [0.2], False, 3),
]


@pytest.mark.parametrize("spec", [pytest.param(s[1:], id=s[0]) for s in REGRESSORS])
def test_tree_regressor(spec, tmp_path, compile_model, run_exe, assert_close):
    n_trees, nf, nt, dtype, agg, post, base, as_tensor, opset = spec
    f = random_forest(n_trees, nf, nt, missing=dtype in (np.float32, np.float64), extra=nt > 1,
                      full=base is not None or agg in ("MIN", "MAX"))
    if post == "PROBIT":
        f["lw"] = [float(v) for v in RNG.uniform(0.0, 0.7 / n_trees, len(f["lw"]))]
    x = features(40, nf, dtype)
    attrs = regressor_attrs(f, nt, agg, post, base, as_tensor)
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    m = one_node_model("TreeEnsembleRegressor", [("X", elem, list(x.shape))],
                       [("Y", F32, [len(x), nt])], opset, **attrs)
    want = None
    if dtype in (np.int32, np.int64):  # onnxruntime has float kernels only: the same on floats
        ref = one_node_model("TreeEnsembleRegressor", [("X", F32, list(x.shape))],
                             [("Y", F32, [len(x), nt])], opset, **attrs)
        onnx.save(ref, tmp_path / "ort.onnx")
        sess = ort.InferenceSession(str(tmp_path / "ort.onnx"))
        want = {"Y": sess.run(None, {"X": x.astype(np.float32)})[0]}
    # onnxruntime evaluates PROBIT's approximation in float32, which loses digits near 0.5
    tol = 1e-4 if post == "PROBIT" else 1e-5
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close, want=want, rtol=tol,
          atol=tol)


def test_tree_regressor_base_reference(tmp_path, compile_model, run_exe, assert_close):
    """Base values reach every target, also those no leaf has a weight for (onnx.reference and
    the specification; onnxruntime leaves those at 0). No NaN features: onnx.reference sends a
    NaN down the missing-value branch even at BRANCH_NEQ, where NaN != split holds (onnxruntime
    and gpuxc take the true branch)."""
    f = random_forest(3, 4, 4)
    x = features(30, 4, np.float32, nans=False)
    attrs = regressor_attrs(f, 4, "AVERAGE", "NONE", base=[1.0, -2.0, 0.5, 3.0])
    m = one_node_model("TreeEnsembleRegressor", [("X", F32, [30, 4])], [("Y", F32, [30, 4])], 3,
                       **attrs)
    check(m, {"X": x}, tmp_path, compile_model, run_exe, assert_close, "reference")


# ---- invalid models ----

def te5_model(extra_input=False, **changes):
    attrs = dict(n_targets=2, aggregate_function=1, tree_roots=[0],
                 nodes_featureids=[0, 1], nodes_truenodeids=[1, 0], nodes_falsenodeids=[0, 1],
                 nodes_trueleafs=[0, 1], nodes_falseleafs=[1, 1],
                 nodes_modes=numpy_helper.from_array(np.array([0, 6], np.uint8)),
                 nodes_splits=numpy_helper.from_array(np.array([0.0, 0.0], np.float32)),
                 membership_values=numpy_helper.from_array(np.array([1, 2, np.nan], np.float32)),
                 leaf_targetids=[0, 1],
                 leaf_weights=numpy_helper.from_array(np.array([1.0, 2.0], np.float32)))
    attrs.update(changes)
    attrs = {k: v for k, v in attrs.items() if v is not None}
    inputs = [("X", F32, [3, 2])] + ([("W", F32, [1])] if extra_input else [])
    return one_node_model("TreeEnsemble", inputs, [("Y", F32, None)], 5, **attrs)


def regressor_model(**changes):
    attrs = dict(n_targets=1, nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2],
                 nodes_featureids=[0, 0, 0], nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"],
                 nodes_values=[0.5, 0.0, 0.0], nodes_truenodeids=[1, 0, 0],
                 nodes_falsenodeids=[2, 0, 0], target_treeids=[0, 0], target_nodeids=[1, 2],
                 target_ids=[0, 0], target_weights=[1.0, -1.0])
    attrs.update(changes)
    attrs = {k: v for k, v in attrs.items() if v is not None}
    return one_node_model("TreeEnsembleRegressor", [("X", F32, [3, 2])], [("Y", F32, None)], 3,
                          **attrs)


INVALID_CASES = [
    pytest.param(te5_model(nodes_featureids=[0, 2]), "feature 2", id="feature-out-of-range"),
    pytest.param(te5_model(nodes_truenodeids=[1, 5]), "leaf 5", id="leaf-out-of-range"),
    pytest.param(te5_model(nodes_falsenodeids=[0, 0], nodes_falseleafs=[1, 0]), "cycle",
                 id="cycle"),
    pytest.param(te5_model(nodes_modes=numpy_helper.from_array(np.array([0, 9], np.uint8))),
                 "mode 9", id="bad-mode"),
    pytest.param(te5_model(membership_values=None), "membership_values", id="no-members"),
    pytest.param(te5_model(membership_values=numpy_helper.from_array(
        np.array([1, np.nan, 2, np.nan], np.float32))), "more sets", id="extra-members"),
    pytest.param(te5_model(aggregate_function=7), "aggregate_function", id="bad-aggregate"),
    pytest.param(te5_model(post_transform=5), "post_transform", id="bad-post-transform"),
    pytest.param(te5_model(leaf_targetids=[0, 2]), "target 2", id="target-out-of-range"),
    pytest.param(te5_model(tree_roots=[3]), "root node 3", id="root-out-of-range"),
    pytest.param(te5_model(nodes_splits=numpy_helper.from_array(np.zeros(3, np.float32))),
                 "nodes_splits", id="splits-length"),
    pytest.param(te5_model(leaf_weights=None), "leaf_weights", id="no-leaf-weights"),
    pytest.param(te5_model(extra_input=True), "takes 1", id="two-inputs"),
    pytest.param(regressor_model(nodes_truenodeids=[7, 0, 0]), "node 7", id="missing-child"),
    pytest.param(regressor_model(target_nodeids=[1, 0]), "not a LEAF", id="weight-on-branch"),
    pytest.param(regressor_model(nodes_modes=["BRANCH_LEQ", "LEAF", "LEAVES"]), "LEAVES",
                 id="bad-mode-name"),
    pytest.param(regressor_model(aggregate_function="MEDIAN"), "MEDIAN", id="bad-aggregate-name"),
    pytest.param(regressor_model(base_values=[1.0, 2.0]), "base_values", id="base-length"),
    pytest.param(regressor_model(nodes_nodeids=[0, 1, 1]), "two nodes", id="duplicate-node"),
    pytest.param(regressor_model(n_targets=None), "n_targets", id="no-n-targets"),
    pytest.param(one_node_model("ArrayFeatureExtractor", [("X", F32, [2, 3])], [("Z", F32, None)],
                                1, inits=[numpy_helper.from_array(np.array([3], np.int64), "Y")]),
                 "out of range", id="extract-index-out-of-range"),
    pytest.param(one_node_model("Binarizer", [("X", F32, [2])], [("Y", F32, None)], 1,
                                threshold=1), "threshold", id="binarizer-int-threshold"),
]


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_node" in r.stderr and what in r.stderr, r.stderr
