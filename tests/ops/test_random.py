"""RandomNormal, RandomUniform, RandomNormalLike, RandomUniformLike, Bernoulli and Multinomial.

No two generators agree on their numbers, so gpuxc's are checked by distribution: dtype and shape
as onnxruntime gives them (the ONNX reference where onnxruntime lacks the op or type), values
the op can produce (uniform ones inside [low, high), Bernoulli ones 0 or 1, classes a row can
draw), mean and variance, a Kolmogorov-Smirnov distance to the theoretical distribution and to
the reference's own sample, and counts within a few binomial standard deviations. Also: the
same numbers on every run with a seed, new ones on every run and in every node without one,
never folded at compile time, empty outputs, warning-free code under gcc and clang, and the
invalid models gpuxc must reject with exit code 2."""
import math
import shutil
import subprocess
from pathlib import Path

import sys

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto as T
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "onnx_node"))
import stats  # noqa: E402  (tests/onnx_node/stats.py)

INVALID = 2
RNG = np.random.default_rng(20261124)
SHAPE = (200, 500)  # 100,000 samples
SIGMAS = 5.0
F16, BF16 = T.FLOAT16, T.BFLOAT16
NP_TYPE = {T.FLOAT: np.float32, T.DOUBLE: np.float64, F16: np.float16, BF16: ml_dtypes.bfloat16,
           T.BOOL: np.bool_, T.INT8: np.int8, T.UINT8: np.uint8, T.INT16: np.int16,
           T.INT32: np.int32, T.INT64: np.int64, T.UINT64: np.uint64}


# ---- models and runs ----

def make_model(nodes, inputs, outputs, opset, inits=()):
    """inputs / outputs: (name, elem type, shape) triples."""
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(nodes, "random", [vi(*i) for i in inputs],
                              [vi(*o) for o in outputs], list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def build(model, tmp_path, compile_model, name="m"):
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    return path, compile_model(path, tmp_path / name)


def run(run_exe, exe, model, feeds):
    """gpuxc's outputs by name; bfloat16 goes in and comes back as its bits."""
    feeds = {n: a.view(np.uint16) if a.dtype == ml_dtypes.bfloat16 else a
             for n, a in feeds.items()}
    outs = run_exe(exe, feeds, [o.name for o in model.graph.output])
    for o in model.graph.output:
        if o.type.tensor_type.elem_type == BF16:
            outs[o.name] = outs[o.name].view(ml_dtypes.bfloat16)
    return outs


def reference(path, feeds, ort_run):
    """onnxruntime's outputs, or the ONNX reference's where onnxruntime lacks the op or type."""
    try:
        return ort_run(path, feeds)
    except (ort.capi.onnxruntime_pybind11_state.NotImplemented,
            ort.capi.onnxruntime_pybind11_state.InvalidGraph):
        ref = ReferenceEvaluator(str(path))
        return dict(zip(ref.output_names, ref.run(None, feeds)))


def same_type_and_shape(name, got, want):
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, reference {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape}, reference {want.shape}"


# ---- statistics ----

def normal_cdf(x, mean, sd):
    return 0.5 * (1.0 + np.vectorize(math.erf)((x - mean) / (sd * math.sqrt(2.0))))


def ks_distance(sample, cdf):
    """sup |F_n - F| of a sample against a continuous CDF (ties allowed)."""
    x = np.sort(sample.ravel())
    n = x.size
    f = cdf(x)
    return max(float(np.max(np.arange(1, n + 1) / n - f)), float(np.max(f - np.arange(n) / n)))


def ks_two_sample(a, b):
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def ks_bound(n, m=None, quantum=0.0):
    """A loose critical KS distance (alpha about 3e-6), plus what rounding to a 16-bit type may
    move the CDF by."""
    eff = n if m is None else n * m / (n + m)
    return 2.6 / math.sqrt(eff) + quantum


def check_moments(name, y, mean, sd, quantum):
    n = y.size
    assert abs(y.mean() - mean) <= SIGMAS * sd / math.sqrt(n) + quantum * max(sd, abs(mean)), \
        f"{name}: mean {y.mean():.5g}, expected {mean:.5g} (sd {sd:.4g}, n {n})"
    ratio = y.var() / sd ** 2
    assert abs(ratio - 1.0) <= SIGMAS * math.sqrt(2.0 / n) + 4 * quantum, \
        f"{name}: variance {y.var():.5g}, expected {sd ** 2:.5g}"


def check_count(what, hits, n, p):
    sd = math.sqrt(n * p * (1.0 - p))
    assert abs(hits - n * p) <= SIGMAS * sd + 1e-9, \
        f"{what}: {hits} of {n}, expected {n * p:.1f} +- {SIGMAS * sd:.1f}"


QUANTUM = {T.FLOAT: 0.0, T.DOUBLE: 0.0, F16: 2.0 ** -10, BF16: 2.0 ** -7}


# ---- RandomNormal, RandomUniform and the *Like forms ----

def dist(cid, op, elem=T.FLOAT, opset=15, like=None, ref_sample=True, **attrs):
    """like: (input elem type, whether to pass dtype) for the *Like ops. ref_sample: compare
    with the reference's numbers too."""
    return pytest.param((op, elem, opset, like, ref_sample, attrs), id=cid)


DIST_CASES = [
    dist("normal-f32-default", "RandomNormal"),
    dist("normal-f64-mean-scale", "RandomNormal", T.DOUBLE, mean=-3.0, scale=0.5),
    dist("normal-f16", "RandomNormal", F16, mean=10.0, scale=2.0),
    dist("normal-bf16-op22", "RandomNormal", BF16, opset=22, mean=1.0, scale=4.0),
    dist("normal-f32-seeded-op22", "RandomNormal", T.FLOAT, opset=22, seed=7.0, scale=1e-3),
    dist("uniform-f32-default", "RandomUniform"),
    dist("uniform-f64-range", "RandomUniform", T.DOUBLE, low=-2.0, high=3.0),
    dist("uniform-f16-range", "RandomUniform", F16, low=5.0, high=6.0),
    dist("uniform-bf16-op22", "RandomUniform", BF16, opset=22, low=-1.0, high=1.0),
    # onnxruntime computes high - low in float32: infinite here, and so are its numbers
    dist("uniform-f32-big-range", "RandomUniform", T.FLOAT, ref_sample=False, low=-3e38,
         high=3e38),
    dist("normal-like-i64-dtype-f32", "RandomNormalLike", T.FLOAT, like=(T.INT64, True)),
    dist("normal-like-f64-input", "RandomNormalLike", T.DOUBLE, like=(T.DOUBLE, False),
         mean=2.0, scale=3.0),
    dist("normal-like-f16-input", "RandomNormalLike", F16, like=(F16, False), scale=0.25),
    dist("normal-like-bool-dtype-f64", "RandomNormalLike", T.DOUBLE, like=(T.BOOL, True)),
    dist("uniform-like-f32-input", "RandomUniformLike", T.FLOAT, like=(T.FLOAT, False),
         low=0.5, high=0.75),
    dist("uniform-like-u8-dtype-f16", "RandomUniformLike", F16, like=(T.UINT8, True)),
    dist("uniform-like-f16-dtype-f64", "RandomUniformLike", T.DOUBLE, like=(F16, True),
         low=-10.0, high=-9.0),
    dist("uniform-like-bf16-op22", "RandomUniformLike", BF16, opset=22, like=(BF16, False),
         low=2.0, high=4.0),
]


def dist_model(op, elem, opset, like, attrs, shape=SHAPE):
    """The node, its graph inputs and the feeds."""
    if like is None:
        node = helper.make_node(op, [], ["y"], name="rand", shape=list(shape), dtype=elem,
                                **attrs)
        return node, [], {}
    in_elem, give_dtype = like
    node = helper.make_node(op, ["x"], ["y"], name="rand", **attrs,
                            **({"dtype": elem} if give_dtype else {}))
    x = np.zeros(shape, NP_TYPE[in_elem])
    return node, [("x", in_elem, list(shape))], {"x": x}


@pytest.mark.parametrize("spec", DIST_CASES)
def test_distribution(spec, compile_model, run_exe, ort_run, tmp_path):
    op, elem, opset, like, ref_sample, attrs = spec
    node, inputs, feeds = dist_model(op, elem, opset, like, attrs)
    model = make_model([node], inputs, [("y", elem, list(SHAPE))], opset)
    onnx.checker.check_model(model, full_check=True)
    path, exe = build(model, tmp_path, compile_model)
    got = run(run_exe, exe, model, feeds)["y"]
    want = reference(path, feeds, ort_run)["y"]
    same_type_and_shape("y", got, want)
    y, q = got.astype(np.float64), QUANTUM[elem]
    assert np.isfinite(y).all(), "values that are not finite"
    if "Uniform" in op:
        low, high = attrs.get("low", 0.0), attrs.get("high", 1.0)
        assert y.min() >= low and y.max() < high, f"values outside [{low}, {high}): " \
            f"{y.min()!r} .. {y.max()!r}"
        mean, sd = (low + high) / 2, (high - low) / math.sqrt(12.0)
        cdf = lambda v: np.clip((v - low) / (high - low), 0.0, 1.0)  # noqa: E731
        # the draws spread over the range: the smallest and largest are near its ends
        assert y.min() - low < 1e-3 * (high - low) + q * abs(low) and \
            high - y.max() < 1e-3 * (high - low) + q * abs(high)
    else:
        mean, sd = attrs.get("mean", 0.0), attrs.get("scale", 1.0)
        cdf = lambda v: normal_cdf(v, mean, sd)  # noqa: E731
    check_moments("y", y, mean, sd, q)
    d = ks_distance(y, cdf)
    assert d <= ks_bound(y.size, quantum=4 * q), f"KS distance to the distribution {d:.4f}"
    if not ref_sample:
        return
    d2 = ks_two_sample(y, want.astype(np.float64))
    assert d2 <= ks_bound(y.size, want.size, 4 * q), f"KS distance to the reference {d2:.4f}"


# ---- Bernoulli ----

PROBS = np.array([0.0, 0.02, 0.3, 0.5, 0.9, 1.0])


def bern(cid, in_elem=T.FLOAT, out_elem=None, opset=15, **attrs):
    return pytest.param((in_elem, out_elem, opset, attrs), id=cid)


BERNOULLI_CASES = [
    bern("f32-default"),
    bern("f64-default", T.DOUBLE),
    bern("f16-default", F16),
    bern("f32-to-f64", T.FLOAT, T.DOUBLE),
    bern("f64-to-f32-seeded", T.DOUBLE, T.FLOAT, seed=3.0),
    bern("f32-to-f16", T.FLOAT, F16),
    bern("f16-to-f32", F16, T.FLOAT),
    bern("f32-to-bool", T.FLOAT, T.BOOL),
    bern("f64-to-int64", T.DOUBLE, T.INT64),
    bern("f32-to-int32", T.FLOAT, T.INT32),
    bern("f32-to-uint8", T.FLOAT, T.UINT8),
    bern("f16-to-int16", F16, T.INT16),
    bern("f32-to-uint64", T.FLOAT, T.UINT64),
    bern("bf16-default-op22", BF16, opset=22),
    bern("f32-to-bf16-op22", T.FLOAT, BF16, opset=22),
]


@pytest.mark.parametrize("spec", BERNOULLI_CASES)
def test_bernoulli(spec, compile_model, run_exe, ort_run, tmp_path):
    in_elem, out_elem, opset, attrs = spec
    per = 4000
    p = np.repeat(PROBS, per).reshape(len(PROBS), per).astype(NP_TYPE[in_elem])
    extra = {"dtype": out_elem} if out_elem is not None else {}
    node = helper.make_node("Bernoulli", ["p"], ["y"], name="coin", **extra, **attrs)
    model = make_model([node], [("p", in_elem, list(p.shape))],
                       [("y", out_elem or in_elem, list(p.shape))], opset)
    onnx.checker.check_model(model, full_check=True)
    path, exe = build(model, tmp_path, compile_model)
    got = run(run_exe, exe, model, {"p": p})["y"]
    same_type_and_shape("y", got, reference(path, {"p": p}, ort_run)["y"])
    v = got.astype(np.float64)
    assert np.isin(v, [0.0, 1.0]).all(), f"values other than 0 and 1: {np.unique(v)[:5]}"
    for row, prob in enumerate(PROBS):
        check_count(f"ones at p = {prob}", int(v[row].sum()), per, float(prob))


# ---- Multinomial ----

LOGITS = np.array([[math.log(1.0), math.log(2.0), math.log(7.0)],
                   [0.0, -np.inf, 0.0],
                   [1000.0, 1001.0, 998.0],
                   [-np.inf, -np.inf, 5.0]])


def multi(cid, in_elem=T.FLOAT, out_elem=None, samples=3000, opset=15, reference=True, **attrs):
    return pytest.param((in_elem, out_elem, samples, opset, reference, attrs), id=cid)


MULTINOMIAL_CASES = [
    multi("f32-default-int32"),
    multi("f64-int64", T.DOUBLE, T.INT64, reference=False),  # onnxruntime: float only
    multi("f32-int64-seeded", T.FLOAT, T.INT64, seed=11.0),
    multi("f16-int32", F16, T.INT32, reference=False),
    multi("bf16-int64-op22", BF16, T.INT64, opset=22, reference=False),
    multi("f32-one-sample", T.FLOAT, T.INT32, samples=1),
]


def softmax_rows(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("spec", MULTINOMIAL_CASES)
def test_multinomial(spec, compile_model, run_exe, ort_run, tmp_path):
    in_elem, out_elem, samples, opset, has_ref, attrs = spec
    x = LOGITS.astype(NP_TYPE[in_elem])
    extra = {"dtype": out_elem} if out_elem is not None else {}
    node = helper.make_node("Multinomial", ["x"], ["y"], name="draw", sample_size=samples,
                            **extra, **attrs)
    out_elem = out_elem or T.INT32
    model = make_model([node], [("x", in_elem, list(x.shape))],
                       [("y", out_elem, [x.shape[0], samples])], opset)
    onnx.checker.check_model(model, full_check=True)
    path, exe = build(model, tmp_path, compile_model)
    got = run(run_exe, exe, model, {"x": x})["y"]
    assert got.dtype == NP_TYPE[out_elem] and got.shape == (x.shape[0], samples), \
        f"{got.dtype} {got.shape}"
    if has_ref:
        same_type_and_shape("y", got, ort_run(path, {"x": x})["y"])
    probs = softmax_rows(x)
    for b in range(x.shape[0]):
        counts = np.bincount(got[b], minlength=x.shape[1])
        assert counts.size == x.shape[1], f"row {b}: classes outside [0, {x.shape[1]})"
        for k in range(x.shape[1]):
            check_count(f"row {b} class {k}", int(counts[k]), samples, float(probs[b, k]))


# ---- seeds, fresh streams, folding ----

def all_ops_model(seed=None, opset=15):
    """One node of each op (with the seed, if given) over the inputs x and p."""
    s = {} if seed is None else {"seed": seed}
    nodes = [helper.make_node("RandomNormal", [], ["n"], shape=[50, 40], **s),
             helper.make_node("RandomUniform", [], ["u"], shape=[7, 3], dtype=T.DOUBLE, **s),
             helper.make_node("RandomNormalLike", ["x"], ["nl"], dtype=F16, **s),
             helper.make_node("RandomUniformLike", ["x"], ["ul"], **s),
             helper.make_node("Bernoulli", ["p"], ["b"], **s),
             helper.make_node("Multinomial", ["l"], ["m"], sample_size=64, **s)]
    outs = [("n", T.FLOAT, [50, 40]), ("u", T.DOUBLE, [7, 3]), ("nl", F16, [9, 11]),
            ("ul", T.FLOAT, [9, 11]), ("b", T.FLOAT, [300]), ("m", T.INT32, [3, 64])]
    return make_model(nodes, [("x", T.FLOAT, [9, 11]), ("p", T.FLOAT, [300]),
                              ("l", T.FLOAT, [3, 5])], outs, opset)


ALL_FEEDS = {"x": np.zeros((9, 11), np.float32), "p": np.full(300, 0.5, np.float32),
             "l": np.zeros((3, 5), np.float32)}


def test_seed_is_deterministic(compile_model, run_exe, tmp_path):
    model = all_ops_model(seed=1234.0)
    _, exe = build(model, tmp_path, compile_model, "a")
    first = run(run_exe, exe, model, ALL_FEEDS)
    again = run(run_exe, exe, model, ALL_FEEDS)
    _, exe2 = build(model, tmp_path, compile_model, "b")  # built again: the same numbers
    rebuilt = run(run_exe, exe2, model, ALL_FEEDS)
    other_model = all_ops_model(seed=1235.0)
    _, exe3 = build(other_model, tmp_path, compile_model, "c")
    other = run(run_exe, exe3, other_model, ALL_FEEDS)
    for name in first:
        assert np.array_equal(first[name], again[name]), f"{name}: seeded, yet runs differ"
        assert np.array_equal(first[name], rebuilt[name]), f"{name}: seeded, yet builds differ"
        assert not np.array_equal(first[name], other[name]), f"{name}: another seed, same draws"


def aslr_on():
    p = Path("/proc/sys/kernel/randomize_va_space")
    return not p.exists() or p.read_text().strip() != "0"


def test_unseeded_runs_differ(compile_model, run_exe, tmp_path):
    if not aslr_on():
        pytest.skip("address-space layout randomization is off: each process starts alike")
    model = all_ops_model()
    _, exe = build(model, tmp_path, compile_model)
    first = run(run_exe, exe, model, ALL_FEEDS)
    second = run(run_exe, exe, model, ALL_FEEDS)
    for name in first:
        assert not np.array_equal(first[name], second[name]), f"{name}: two runs drew alike"


def test_unseeded_nodes_differ(compile_model, run_exe, tmp_path):
    """Two unseeded nodes of one model (and so two calls of one run) draw different numbers;
    two nodes with one seed draw the same."""
    nodes = [helper.make_node("RandomUniform", [], [n], shape=[64], **s)
             for n, s in (("a", {}), ("b", {}), ("c", {"seed": 5.0}), ("d", {"seed": 5.0}))]
    model = make_model(nodes, [], [(n, T.FLOAT, [64]) for n in "abcd"], 15)
    _, exe = build(model, tmp_path, compile_model)
    got = run(run_exe, exe, model, {})
    assert not np.array_equal(got["a"], got["b"])
    assert np.array_equal(got["c"], got["d"])


def test_never_folded(compile_model, run_exe, tmp_path):
    """With constant inputs (or none) the nodes still run in the program, every run."""
    x = numpy_helper.from_array(np.ones((4, 5), np.float32), "x")
    p = numpy_helper.from_array(np.full(64, 0.5, np.float32), "p")
    nodes = [helper.make_node("RandomNormalLike", ["x"], ["r"]),
             helper.make_node("Add", ["r", "x"], ["y"]),
             helper.make_node("RandomNormal", [], ["s"], shape=[4, 5], seed=2.0),
             helper.make_node("Mul", ["s", "x"], ["z"]),
             helper.make_node("Bernoulli", ["p"], ["b"])]
    model = make_model(nodes, [], [("y", T.FLOAT, [4, 5]), ("z", T.FLOAT, [4, 5]),
                                   ("b", T.FLOAT, [64])], 15, inits=[x, p])
    _, exe = build(model, tmp_path, compile_model)
    src = (exe.with_name(exe.name + ".src") / "model.c").read_text()
    for fn in ("rt_random_normal", "rt_bernoulli"):
        assert fn + "(" in src, f"{fn} is not called: folded at compile time?"
    if aslr_on():
        a, b = run(run_exe, exe, model, {}), run(run_exe, exe, model, {})
        assert not np.array_equal(a["y"], b["y"]) and not np.array_equal(a["b"], b["b"])


def test_empty_and_scalar_outputs(compile_model, run_exe, tmp_path):
    scalar = helper.make_node("RandomUniform", [], ["s"], low=2.0, high=3.0)
    scalar.attribute.append(helper.make_attribute("shape", [], attr_type=onnx.AttributeProto.INTS))
    nodes = [helper.make_node("RandomNormal", [], ["e"], shape=[0, 4]), scalar,
             helper.make_node("RandomUniformLike", ["x"], ["el"]),
             helper.make_node("Bernoulli", ["x"], ["eb"], dtype=T.BOOL),
             helper.make_node("Multinomial", ["l"], ["em"], sample_size=3)]
    model = make_model(nodes, [("x", T.FLOAT, [3, 0]), ("l", T.FLOAT, [0, 4])],
                       [("e", T.FLOAT, [0, 4]), ("s", T.FLOAT, []), ("el", T.FLOAT, [3, 0]),
                        ("eb", T.BOOL, [3, 0]), ("em", T.INT32, [0, 3])], 15)
    _, exe = build(model, tmp_path, compile_model)
    got = run(run_exe, exe, model, {"x": np.zeros((3, 0), np.float32),
                                    "l": np.zeros((0, 4), np.float32)})
    assert got["e"].shape == (0, 4) and got["el"].shape == (3, 0)
    assert got["eb"].shape == (3, 0) and got["em"].shape == (0, 3)
    assert got["s"].shape == () and 2.0 <= float(got["s"]) < 3.0


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_pedantic_compilers(cc, compile_model, monkeypatch, tmp_path):
    if not shutil.which(cc):
        pytest.skip(f"{cc} is not installed")
    monkeypatch.setenv("CC", cc)
    monkeypatch.setenv("CFLAGS", "-Werror -Wall -Wextra -pedantic")
    model = all_ops_model(seed=9.0, opset=22)
    build(model, tmp_path, compile_model)


# ---- invalid models ----

def bad(cid, op, what, inputs=(), opset=15, **attrs):
    """A one-node model as written, without ONNX's checker (it is meant to be invalid)."""
    node = helper.make_node(op, [i[0] for i in inputs], ["y"], name="the_random", **attrs)
    model = make_model([node], list(inputs), [("y", T.FLOAT, None)], opset)
    return pytest.param(model, what, id=cid)


X_I64 = [("x", T.INT64, [2, 3])]
X_F32 = [("x", T.FLOAT, [2, 3])]

INVALID_CASES = [
    bad("uniform-high-below-low", "RandomUniform", "below low", shape=[2], low=1.0, high=0.5),
    bad("uniform-like-high-below-low", "RandomUniformLike", "below low", X_F32, low=3.0,
        high=-3.0),
    bad("normal-int-dtype", "RandomNormal", "dtype 7 (int64)", shape=[2], dtype=T.INT64),
    bad("normal-unknown-dtype", "RandomNormal", "dtype 99", shape=[2], dtype=99),
    bad("normal-bf16-before-22", "RandomNormal", "bfloat16 from opset 22", shape=[2],
        dtype=BF16),
    bad("normal-no-shape", "RandomNormal", "'shape' is required"),
    bad("normal-negative-dim", "RandomNormal", "shape[1] is -1", shape=[2, -1]),
    bad("normal-negative-scale", "RandomNormal", "scale -1 is negative", shape=[2], scale=-1.0),
    bad("uniform-nan-low", "RandomUniform", "must be finite", shape=[2], low=float("nan")),
    bad("normal-inf-mean", "RandomNormal", "must be finite", shape=[2], mean=float("inf")),
    bad("normal-with-input", "RandomNormal", "has 1 inputs", X_F32, shape=[2]),
    bad("normal-int-seed", "RandomNormal", "'seed' must be of type float", shape=[2], seed=3),
    bad("normal-like-int-no-dtype", "RandomNormalLike", "no dtype attribute", X_I64),
    bad("uniform-like-int-dtype", "RandomUniformLike", "dtype 6 (int32)", X_F32, dtype=T.INT32),
    bad("bernoulli-int-input", "Bernoulli", "has type int64", X_I64),
    bad("bernoulli-string-dtype", "Bernoulli", "dtype 8 (string)", X_F32, dtype=T.STRING),
    bad("bernoulli-opset-14", "Bernoulli", "came in 15", X_F32, opset=14),
    bad("bernoulli-bf16-before-22", "Bernoulli", "input 'probs' has type bfloat16",
        [("probs", BF16, [4])]),
    bad("multinomial-rank-1", "Multinomial", "rank 2", [("x", T.FLOAT, [5])]),
    bad("multinomial-zero-samples", "Multinomial", "sample_size 0", X_F32, sample_size=0),
    bad("multinomial-float-dtype", "Multinomial", "dtype 1 (float32)", X_F32, dtype=T.FLOAT),
    bad("multinomial-no-classes", "Multinomial", "no classes", [("x", T.FLOAT, [2, 0])]),
    bad("multinomial-int-input", "Multinomial", "has type int32", [("x", T.INT32, [2, 3])]),
]


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_random" in r.stderr and what in r.stderr, r.stderr


# ---- the node-test runner's statistical check (tests/onnx_node/stats.py) ----

def test_stats_check_random():
    rng = np.random.default_rng(5)
    p = rng.random(4000)
    ok = (rng.random(4000) < p).astype(np.float32)
    want = {"y": np.zeros(4000, np.float32)}
    check = stats.check_random
    assert check("test_bernoulli", {"y": ok}, want, {"x": p}) is None
    assert "ones" in check("test_bernoulli_expanded", {"y": ok}, want, {"x": 0.5 * p})
    assert "neither 0 nor 1" in check("test_bernoulli", {"y": ok + 0.5}, want, {"x": p})
    assert "dtype" in check("test_bernoulli", {"y": ok.astype(np.float64)}, want, {"x": p})
    assert "shape" in check("test_bernoulli", {"y": ok[:10]}, want, {"x": p})
    x = rng.standard_normal((40, 50)).astype(np.float32)
    keep = rng.random(x.shape) >= 0.25
    y = np.where(keep, x / np.float32(0.75), 0).astype(np.float32)
    feeds = {"x": x, "r": np.float32(0.25), "t": np.bool_(True)}
    want2 = {"y": y, "mask": keep}
    assert check("test_training_dropout_mask", {"y": y, "mask": keep}, want2, feeds) is None
    assert "mask" in check("test_training_dropout_mask", {"y": y, "mask": ~keep}, want2, feeds)
    assert "neither 0 nor x" in check("test_training_dropout", {"y": x}, {"y": y}, feeds)
    half = np.where(rng.random(x.shape) >= 0.5, x / np.float32(0.75), 0).astype(np.float32)
    assert "kept" in check("test_training_dropout", {"y": half}, {"y": y}, feeds)
    off = {**feeds, "t": np.bool_(False)}
    assert check("test_training_dropout", {"y": x}, {"y": y}, off) is None
    node = helper.make_node("RandomUniformLike", ["x"], ["u"], low=-1.0, high=2.0)
    model = make_model([node], [("x", T.FLOAT, [1000])], [("u", T.FLOAT, [1000])], 15)
    u = rng.uniform(-1.0, 2.0, 1000).astype(np.float32)
    assert check("test_any", {"u": u}, {"u": u}, {}, model) is None
    assert "outside" in check("test_any", {"u": u + 1}, {"u": u}, {}, model)
