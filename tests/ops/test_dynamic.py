"""The ops of data-dependent output shape (NonZero, Unique, NonMaxSuppression) against
onnxruntime, for what ONNX's node tests leave out: more element types, ranks 0 to 4, -0.0
and NaN, every subset of Unique's outputs, sorted and unsorted along each axis, NMS with
either box format, ties, degenerate boxes and its scalars as constants, run-time inputs or
absent; types onnxruntime lacks against NumPy or ONNX's reference implementation. Then the
models gpuxc must reject (exit 2 for invalid ones, 3 where a data-dependent value feeds
another node) and how the executable describes such an output (--info)."""
import json
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID, UNSUPPORTED = 2, 3
RNG = np.random.default_rng(20261124)
I64 = TensorProto.INT64


def elem(a):
    return helper.np_dtype_to_tensor_dtype(np.asarray(a).dtype)


def make_model(nodes, feeds, outs, consts=None, opset=13):
    """A graph of nodes: feeds {name: array} are graph inputs, consts initializers, outs
    [(name, elem type)] graph outputs of unknown shape."""
    ins = [helper.make_tensor_value_info(n, elem(a), np.shape(a)) for n, a in feeds.items()]
    inits = [numpy_helper.from_array(np.asarray(a), n) for n, a in (consts or {}).items()]
    graph = helper.make_graph(nodes, "dynamic", ins,
                              [helper.make_tensor_value_info(n, t, None) for n, t in outs], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def build_and_run(model, feeds, outs, compile_model, run_exe, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    return path, run_exe(compile_model(path, tmp_path), feeds, [n for n, _ in outs])


def check_against_ort(model, feeds, outs, compile_model, run_exe, ort_run, assert_close, tmp_path):
    path, got = build_and_run(model, feeds, outs, compile_model, run_exe, tmp_path)
    want = ort_run(path, feeds)
    for name, _ in outs:
        assert_close(name, got[name], want[name])


def with_signed_zeros(a):
    """a (float) with -0.0, 0.0 and NaN in the first three places."""
    flat = a.reshape(-1)
    flat[:3] = np.array([-0.0, 0.0, np.nan], a.dtype)[:flat.size]
    return a


# ---- NonZero ----

def nonzero_input(dtype, shape):
    a = RNG.integers(0, 3, shape) * (RNG.random(shape) < 0.5)
    if np.dtype(dtype).kind == "f":
        a = with_signed_zeros(np.asarray(a * 1.5, dtype))
    return np.asarray(a, dtype)


NONZERO_ORT = [  # the types onnxruntime has NonZero for
    pytest.param(np.bool_, (3, 4), id="bool-2d"),
    pytest.param(np.int32, (5,), id="i32-1d"),
    pytest.param(np.int64, (2, 3, 4), id="i64-3d"),
    pytest.param(np.uint8, (2, 1, 3, 4), id="u8-4d"),
    pytest.param(np.float32, (4, 5), id="f32-signed-zero-nan"),
    pytest.param(np.float32, (2, 2, 3, 2), id="f32-4d"),
    pytest.param(np.float32, (), id="f32-scalar"),
    pytest.param(np.int64, (), id="i64-scalar"),
    pytest.param(np.float16, (3, 3), id="f16"),
]


@pytest.mark.parametrize("dtype,shape", NONZERO_ORT)
def test_nonzero(dtype, shape, compile_model, run_exe, ort_run, assert_close, tmp_path):
    x = nonzero_input(dtype, shape)
    m = make_model([helper.make_node("NonZero", ["x"], ["y"], name="nz")], {"x": x}, [("y", I64)])
    check_against_ort(m, {"x": x}, [("y", I64)], compile_model, run_exe, ort_run, assert_close,
                      tmp_path)


@pytest.mark.parametrize("dtype,shape", [
    pytest.param(np.float64, (3, 4), id="f64"),
    pytest.param(np.int8, (6,), id="i8"),
    pytest.param(np.int16, (2, 5), id="i16"),
    pytest.param(np.uint16, (2, 2, 2), id="u16"),
    pytest.param(np.uint64, (4, 3), id="u64"),
    pytest.param(np.float32, (2, 0, 3), id="empty"),
])
def test_nonzero_numpy(dtype, shape, compile_model, run_exe, assert_close, tmp_path):
    """Types onnxruntime lacks, against NumPy."""
    x = nonzero_input(dtype, shape)
    m = make_model([helper.make_node("NonZero", ["x"], ["y"], name="nz")], {"x": x}, [("y", I64)])
    _, got = build_and_run(m, {"x": x}, [("y", I64)], compile_model, run_exe, tmp_path)
    assert_close("y", got["y"], np.array(np.nonzero(x), np.int64).reshape(len(shape), -1))


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 1, 3), (1, 2, 2, 2)],
                         ids=lambda s: f"rank{len(s)}")
def test_nonzero_all_zeros(shape, compile_model, run_exe, ort_run, assert_close, tmp_path):
    x = np.zeros(shape, np.float32)
    if x.size:
        x.reshape(-1)[0] = -0.0
    m = make_model([helper.make_node("NonZero", ["x"], ["y"], name="nz")], {"x": x}, [("y", I64)])
    path, got = build_and_run(m, {"x": x}, [("y", I64)], compile_model, run_exe, tmp_path)
    assert got["y"].shape == (max(len(shape), 1), 0)
    assert_close("y", got["y"], ort_run(path, {"x": x})["y"])


# ---- Unique ----

UNIQUE_OUTS = ["y", "indices", "inverse", "counts"]


def unique_model(x, outputs, opset=11, **attrs):
    """Unique over graph input x; outputs: the node's output names ("" for absent)."""
    node = helper.make_node("Unique", ["x"], outputs, name="uq", **attrs)
    outs = [(n, elem(x) if i == 0 else I64) for i, n in enumerate(outputs) if n]
    return make_model([node], {"x": x}, outs, opset=opset), outs


def dup_rows(shape, axis, dtype=np.float32, values=3):
    """Random small values with repeated slices along axis."""
    base = RNG.integers(-values, values, shape)
    if axis is not None:
        idx = RNG.integers(0, max(shape[axis] // 2, 1), shape[axis])
        base = np.take(np.take(base, idx, axis=axis), np.arange(shape[axis]), axis=axis)
    return np.asarray(base, dtype)


ALL = UNIQUE_OUTS
UNIQUE_ORT = [
    pytest.param(dup_rows((12,), None), ALL, {}, id="f32-sorted"),
    pytest.param(dup_rows((12,), None), ALL, {"sorted": 0}, id="f32-unsorted"),
    pytest.param(dup_rows((3, 4), None, np.float64), ALL, {}, id="f64-2d-flattened"),
    pytest.param(dup_rows((2, 3, 2), None, np.int64), ALL, {"sorted": 0}, id="i64-3d-unsorted"),
    pytest.param(dup_rows((10,), None, np.int8), ALL, {}, id="i8"),
    pytest.param(np.array([0.0, -0.0, 1.0, -0.0, 1.0], np.float32), ALL, {}, id="signed-zeros"),
    pytest.param(np.array([-0.0, 0.0, 2.0, -0.0], np.float32), ALL, {"sorted": 0},
                 id="signed-zeros-unsorted"),
    pytest.param(np.array(7.5, np.float32), ALL, {}, id="scalar"),
    pytest.param(np.zeros((0,), np.float32), ALL, {}, id="empty"),
    pytest.param(dup_rows((6, 3), 0), ALL, {"axis": 0}, id="axis0"),
    pytest.param(dup_rows((6, 3), 0), ALL, {"axis": 0, "sorted": 0}, id="axis0-unsorted"),
    pytest.param(dup_rows((3, 7), 1), ALL, {"axis": 1}, id="axis1"),
    pytest.param(dup_rows((3, 7), 1), ALL, {"axis": -1, "sorted": 0}, id="axis-neg1-unsorted"),
    pytest.param(dup_rows((2, 5, 2), 1, np.int64), ALL, {"axis": 1}, id="3d-axis1"),
    pytest.param(dup_rows((2, 3, 6), 2, np.float64), ALL, {"axis": -1, "sorted": 0},
                 id="3d-axis-neg1-unsorted"),
    pytest.param(dup_rows((4, 2, 2), 0, np.int8), ALL, {"axis": -3}, id="3d-axis-neg3"),
    pytest.param(dup_rows((8,), None), ["y"], {}, id="only-y"),
    pytest.param(dup_rows((8,), None), ["y", "indices"], {"sorted": 0}, id="y-indices"),
    pytest.param(dup_rows((8,), None), ["y", "", "inverse"], {}, id="y-inverse"),
    pytest.param(dup_rows((8,), None), ["y", "", "", "counts"], {"sorted": 0}, id="y-counts"),
    pytest.param(dup_rows((5, 4), 0), ["y", "indices", "", "counts"], {"axis": 0},
                 id="axis0-no-inverse"),
    pytest.param(np.array(["b", "a", "b", "", "ab", "a"]), ALL, {}, id="strings"),
    pytest.param(np.array(["b", "a", "b", "", "ab", "a"]), ALL, {"sorted": 0},
                 id="strings-unsorted"),
    pytest.param(np.array([["x", "y"], ["x", "y"], ["x", "z"]]), ALL, {"axis": 0},
                 id="strings-axis0"),
]


@pytest.mark.parametrize("x,outputs,attrs", UNIQUE_ORT)
def test_unique(x, outputs, attrs, compile_model, run_exe, ort_run, assert_close, tmp_path):
    m, outs = unique_model(x, [n for n in outputs], **attrs)
    path, got = build_and_run(m, {"x": x}, outs, compile_model, run_exe, tmp_path)
    want = ort_run(path, {"x": x})
    for name, _ in outs:
        if x.dtype.kind == "U":
            assert got[name].tolist() == want[name].tolist(), name
        else:
            assert_close(name, got[name], want[name])


@pytest.mark.parametrize("x,attrs", [
    pytest.param(dup_rows((10,), None, np.int32), {}, id="i32"),
    pytest.param(dup_rows((12,), None, np.uint8, values=2) + np.uint8(2), {"sorted": 0},
                 id="u8-unsorted"),
    pytest.param(RNG.random((9,)) < 0.5, {}, id="bool"),
    pytest.param(dup_rows((11,), None, np.int16), {"sorted": 0}, id="i16-unsorted"),
    pytest.param(dup_rows((4, 3), 0, np.uint64) * np.uint64(2**62), {"axis": 0}, id="u64-axis0"),
    pytest.param(dup_rows((9,), None, np.float16) / np.float16(4), {}, id="f16"),
    pytest.param(dup_rows((5, 2), 0, np.float16), {"axis": 0, "sorted": 0},
                 id="f16-axis0-unsorted"),
])
def test_unique_reference(x, attrs, compile_model, run_exe, assert_close, tmp_path):
    """Types onnxruntime lacks, against ONNX's reference implementation (whose unsorted Y
    takes along axis 0 whatever the axis, so those cases are 1-D or along axis 0)."""
    m, outs = unique_model(x, UNIQUE_OUTS, **attrs)
    _, got = build_and_run(m, {"x": x}, outs, compile_model, run_exe, tmp_path)
    want = ReferenceEvaluator(m).run(None, {"x": x})
    for (name, _), w in zip(outs, want):
        assert_close(name, got[name], np.asarray(w, x.dtype if name == "y" else np.int64))


@pytest.mark.parametrize("onnx_type,attrs", [
    pytest.param(TensorProto.BFLOAT16, {}, id="bf16"),
    pytest.param(TensorProto.BFLOAT16, {"axis": 0, "sorted": 0}, id="bf16-axis0-unsorted"),
    pytest.param(TensorProto.INT4, {}, id="int4"),
    pytest.param(TensorProto.UINT4, {"sorted": 0}, id="uint4-unsorted"),
])
def test_unique_narrow(onnx_type, attrs, compile_model, run_exe, ort_run, assert_close, tmp_path):
    """bfloat16 and int4/uint4, which gpuxc compares as they are: the same as Unique of the
    same values in float32 (int8) in onnxruntime. The executable reads and writes bfloat16
    as its bits (uint16) and the 4-bit types one value per byte."""
    wide = dup_rows((6, 2), 0, np.float32 if onnx_type == TensorProto.BFLOAT16 else np.int8)
    if onnx_type == TensorProto.UINT4:
        wide = np.abs(wide)
    if onnx_type == TensorProto.BFLOAT16:
        wide = wide / np.float32(8)
        feed = (wide.view(np.uint32) >> 16).astype(np.uint16)
    else:
        feed = wide.astype(np.uint8 if onnx_type == TensorProto.UINT4 else np.int8)
    node = helper.make_node("Unique", ["x"], UNIQUE_OUTS, name="uq", **attrs)
    graph = helper.make_graph([node], "narrow",
                              [helper.make_tensor_value_info("x", onnx_type, wide.shape)],
                              [helper.make_tensor_value_info(n, onnx_type if n == "y" else I64,
                                                             None) for n in UNIQUE_OUTS])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    got = run_exe(compile_model(path, tmp_path), {"x": feed}, UNIQUE_OUTS)
    ref_model, _ = unique_model(wide, UNIQUE_OUTS, **attrs)
    onnx.save(ref_model, tmp_path / "ref.onnx")
    want = ort_run(tmp_path / "ref.onnx", {"x": wide})
    if onnx_type == TensorProto.BFLOAT16:
        want["y"] = (want["y"].view(np.uint32) >> 16).astype(np.uint16)
    else:
        want["y"] = want["y"].astype(feed.dtype)
    for name in UNIQUE_OUTS:
        assert_close(name, got[name], want[name])


def test_unique_empty_slices(compile_model, run_exe, tmp_path):
    """Along axis 0 of a [3, 0] tensor every slice is empty, so all are equal (onnxruntime
    aborts here; this is what its algorithm computes)."""
    x = np.zeros((3, 0), np.float32)
    m, outs = unique_model(x, UNIQUE_OUTS, axis=0)
    _, got = build_and_run(m, {"x": x}, outs, compile_model, run_exe, tmp_path)
    assert got["y"].shape == (1, 0)
    assert got["indices"].tolist() == [0] and got["counts"].tolist() == [3]
    assert got["inverse"].tolist() == [0, 0, 0]


def test_unique_partial_graph_outputs(compile_model, run_exe, ort_run, assert_close, tmp_path):
    """All four outputs made, only Y and counts read by the caller."""
    x = dup_rows((4, 6), 1)
    node = helper.make_node("Unique", ["x"], UNIQUE_OUTS, name="uq", axis=1, sorted=0)
    outs = [("y", TensorProto.FLOAT), ("counts", I64)]
    check_against_ort(make_model([node], {"x": x}, outs), {"x": x}, outs, compile_model, run_exe,
                      ort_run, assert_close, tmp_path)


# ---- NonMaxSuppression ----

def random_boxes(b, n, center, scale=1.0):
    """[b, n, 4] boxes: corners in either order, or centers and (positive) sizes."""
    if center:
        xy = RNG.random((b, n, 2)) * scale
        wh = RNG.random((b, n, 2)) * scale * 0.5 + 0.05
        return np.concatenate([xy, wh], axis=-1).astype(np.float32)
    return (RNG.random((b, n, 4)) * scale).astype(np.float32)


def random_scores(b, c, n, ties=False):
    s = RNG.random((b, c, n))
    return (np.round(s * 4) / 4 if ties else s).astype(np.float32)


def nms_model(boxes, scores, scalars, runtime=(), opset=11, **attrs):
    """NMS over graph inputs boxes and scores; scalars {input name: array or None (absent)}
    in the order max_output_boxes_per_class, iou_threshold, score_threshold; those named in
    runtime are graph inputs, the others initializers. Returns (model, feeds)."""
    names = ["boxes", "scores"]
    feeds, consts = {"boxes": boxes, "scores": scores}, {}
    for name, value in scalars.items():
        names.append("" if value is None else name)
        if value is not None:
            (feeds if name in runtime else consts)[name] = value
    while names and not names[-1]:
        names.pop()
    node = helper.make_node("NonMaxSuppression", names, ["selected"], name="nms", **attrs)
    return make_model([node], feeds, [("selected", I64)], consts, opset=opset), feeds


def scalars(max_out=None, iou=None, score=None, shape=(1,)):
    def arr(v, dt):
        return None if v is None else np.full(shape, v, dt)

    return {"max_out": arr(max_out, np.int64), "iou": arr(iou, np.float32),
            "score": arr(score, np.float32)}


NMS_CASES = [
    pytest.param(random_boxes(1, 12, False), random_scores(1, 1, 12), scalars(4, 0.5, 0.2), (),
                 {}, id="corners"),
    pytest.param(random_boxes(2, 16, True), random_scores(2, 3, 16), scalars(5, 0.4, 0.1), (),
                 {"center_point_box": 1}, id="centers-2batch-3class"),
    pytest.param(random_boxes(2, 10, False), random_scores(2, 2, 10, ties=True),
                 scalars(10, 0.3), (), {}, id="ties-no-score-threshold"),
    pytest.param(random_boxes(1, 20, False), random_scores(1, 2, 20, ties=True),
                 scalars(3, 0.6, 0.0, shape=()), (), {}, id="scalar-inputs"),
    pytest.param(random_boxes(1, 8, False), random_scores(1, 1, 8), scalars(100, 0.0, 0.3), (),
                 {}, id="max-above-boxes-iou0"),
    pytest.param(random_boxes(1, 8, False), random_scores(1, 1, 8), scalars(8, 1.0), (), {},
                 id="iou1"),
    pytest.param(random_boxes(1, 8, False), random_scores(1, 2, 8), scalars(0, 0.5), (), {},
                 id="max0"),
    pytest.param(random_boxes(1, 8, False), random_scores(1, 2, 8), scalars(-3, 0.5), (), {},
                 id="max-negative"),
    pytest.param(random_boxes(1, 6, False), random_scores(1, 1, 6), scalars(), (), {},
                 id="all-absent"),
    pytest.param(random_boxes(1, 6, False), random_scores(1, 1, 6), scalars(None, 0.5, 0.1), (),
                 {}, id="max-absent"),
    pytest.param(random_boxes(1, 6, False), random_scores(1, 1, 6), scalars(4), (), {},
                 id="only-max"),
    pytest.param(random_boxes(1, 9, False), random_scores(1, 1, 9), scalars(6, 0.5, 2.0), (), {},
                 id="score-threshold-above-all"),
    pytest.param(random_boxes(2, 14, False), random_scores(2, 2, 14), scalars(5, 0.45, 0.25),
                 ("max_out", "iou", "score"), {}, id="runtime-scalars"),
    pytest.param(random_boxes(1, 14, True), random_scores(1, 3, 14, ties=True),
                 scalars(2, 0.5, 0.1), ("max_out",), {"center_point_box": 1},
                 id="runtime-max"),
    pytest.param(random_boxes(1, 14, False), random_scores(1, 2, 14), scalars(0, 0.5),
                 ("max_out",), {}, id="runtime-max0"),
    pytest.param(random_boxes(1, 14, False), random_scores(1, 2, 14), scalars(3, 0.2, 0.5),
                 ("iou", "score"), {}, id="runtime-thresholds"),
    pytest.param(random_boxes(3, 40, False, 10.0), random_scores(3, 4, 40), scalars(7, 0.5, 0.05),
                 (), {}, id="bigger"),
    pytest.param(np.array([[[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 0, 1], [0.5, 0.5, 0.5, 0.5],
                            [0, 0, 1, 1], [2, 2, 3, 3]]], np.float32),
                 np.array([[[0.9, 0.9, 0.8, 0.8, 0.9, 0.5]]], np.float32), scalars(6, 0.5), (),
                 {}, id="degenerate-corners"),
    pytest.param(np.array([[[0, 0, 1, 1], [0, 0, -1, 1], [0, 0, 1, 0], [0, 0, -1, -1],
                            [0.1, 0, 1, 1]]], np.float32),
                 np.array([[[0.5, 0.9, 0.7, 0.6, 0.4]]], np.float32), scalars(5, 0.1), (),
                 {"center_point_box": 1}, id="degenerate-centers"),
    pytest.param(np.zeros((1, 0, 4), np.float32), np.zeros((1, 2, 0), np.float32),
                 scalars(3, 0.5), (), {}, id="no-boxes"),
]


@pytest.mark.parametrize("boxes,scores,scal,runtime,attrs", NMS_CASES)
def test_nms(boxes, scores, scal, runtime, attrs, compile_model, run_exe, ort_run, assert_close,
             tmp_path):
    m, feeds = nms_model(boxes, scores, scal, runtime, **attrs)
    check_against_ort(m, feeds, [("selected", I64)], compile_model, run_exe, ort_run,
                      assert_close, tmp_path)


@pytest.mark.parametrize("center", [0, 1])
def test_nms_opset10(center, compile_model, run_exe, ort_run, assert_close, tmp_path):
    m, feeds = nms_model(random_boxes(2, 10, center), random_scores(2, 2, 10), scalars(3, 0.5, 0.2),
                         ("score",), opset=10, center_point_box=center)
    check_against_ort(m, feeds, [("selected", I64)], compile_model, run_exe, ort_run,
                      assert_close, tmp_path)


def test_nms_matches_reference(compile_model, run_exe, assert_close, tmp_path):
    """Ties broken by the lower box index, as ONNX's reference implementation does too."""
    boxes = random_boxes(1, 12, False)
    scores = np.full((1, 2, 12), 0.5, np.float32)
    m, feeds = nms_model(boxes, scores, scalars(12, 0.2))
    _, got = build_and_run(m, feeds, [("selected", I64)], compile_model, run_exe, tmp_path)
    assert_close("selected", got["selected"], ReferenceEvaluator(m).run(None, feeds)[0])


def test_all_three_in_one_model(compile_model, run_exe, ort_run, assert_close, tmp_path):
    """Several data-dependent outputs with their shapes side by side."""
    x = dup_rows((10,), None)
    boxes, scores = random_boxes(1, 8, False), random_scores(1, 2, 8)
    nodes = [helper.make_node("NonZero", ["x"], ["nz"], name="nz"),
             helper.make_node("Unique", ["x"], ["y", "", "inverse", "counts"], name="uq"),
             helper.make_node("NonMaxSuppression", ["boxes", "scores", "max_out", "iou"],
                              ["selected"], name="nms")]
    outs = [("nz", I64), ("y", TensorProto.FLOAT), ("inverse", I64), ("counts", I64),
            ("selected", I64)]
    feeds = {"x": x, "boxes": boxes, "scores": scores}
    consts = {"max_out": np.array([3]), "iou": np.array([0.3], np.float32)}
    m = make_model(nodes, feeds, outs, consts)
    check_against_ort(m, feeds, outs, compile_model, run_exe, ort_run, assert_close, tmp_path)


# ---- what gpuxc rejects ----

def raw_model(nodes, ins, outs, consts=None, opset=11):
    """A model as written, without ONNX's checker: ins [(name, elem type, shape)]."""
    vis = [helper.make_tensor_value_info(n, t, s) for n, t, s in ins]
    inits = [numpy_helper.from_array(np.asarray(a), n) for n, a in (consts or {}).items()]
    graph = helper.make_graph(nodes, "bad", vis,
                              [helper.make_tensor_value_info(n, I64, None) for n in outs], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def bad_unique(shape=(4, 3), outputs=("y",), **attrs):
    return raw_model([helper.make_node("Unique", ["x"], list(outputs), name="the_node", **attrs)],
                     [("x", TensorProto.FLOAT, shape)], [o for o in outputs if o])


def bad_nms(boxes=(1, 5, 4), scores=(1, 2, 5), consts=None, box_type=TensorProto.FLOAT, **attrs):
    if consts is None:
        consts = {"m": np.array([2]), "iou": np.array([0.5], np.float32)}
    node = helper.make_node("NonMaxSuppression", ["boxes", "scores", *consts], ["sel"],
                            name="the_node", **attrs)
    return raw_model([node], [("boxes", box_type, boxes), ("scores", TensorProto.FLOAT, scores)],
                     ["sel"], consts)


INVALID_CASES = [
    pytest.param(bad_unique(sorted=2), "sorted", id="unique-sorted-2"),
    pytest.param(bad_unique(axis=2), "axis", id="unique-axis-out-of-range"),
    pytest.param(bad_unique(axis=-3), "axis", id="unique-axis-negative-out-of-range"),
    pytest.param(bad_unique(shape=(), axis=0), "axis", id="unique-axis-of-scalar"),
    pytest.param(bad_unique(axis=1.0), "axis", id="unique-float-axis"),
    pytest.param(bad_unique(outputs=("y", "a", "b", "c", "d")), "outputs", id="unique-5-outputs"),
    pytest.param(bad_unique(outputs=("", "a")), "Y", id="unique-no-y"),
    pytest.param(bad_nms(boxes=(1, 5, 3)), "boxes", id="nms-box-width"),
    pytest.param(bad_nms(boxes=(5, 4)), "boxes", id="nms-boxes-rank"),
    pytest.param(bad_nms(scores=(2, 5)), "scores", id="nms-scores-rank"),
    pytest.param(bad_nms(scores=(2, 2, 5)), "batches", id="nms-batch-mismatch"),
    pytest.param(bad_nms(scores=(1, 2, 6)), "boxes", id="nms-box-count-mismatch"),
    pytest.param(bad_nms(center_point_box=2), "center_point_box", id="nms-center-point-box-2"),
    pytest.param(bad_nms(consts={"m": np.array([2]), "iou": np.array([1.5], np.float32)}),
                 "iou_threshold", id="nms-iou-above-1"),
    pytest.param(bad_nms(consts={"m": np.array([2, 3])}), "max_output_boxes_per_class",
                 id="nms-two-max-values"),
    pytest.param(bad_nms(consts={"m": np.array([2], np.int32)}), "int32", id="nms-max-int32"),
    pytest.param(bad_nms(consts={"m": np.array([2]), "iou": np.zeros(0, np.float32)}),
                 "iou_threshold", id="nms-empty-iou"),
    pytest.param(bad_nms(box_type=TensorProto.INT64), "int64", id="nms-int-boxes"),
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


def test_dynamic_value_feeding_a_node(gpuxc, tmp_path):
    nodes = [helper.make_node("NonZero", ["x"], ["nz"], name="nz"),
             helper.make_node("Cast", ["nz"], ["y"], name="the_cast", to=TensorProto.FLOAT)]
    m = raw_model(nodes, [("x", TensorProto.FLOAT, (3, 4))], ["y"])
    r = gpuxc_build(gpuxc, m, tmp_path)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert "the_cast" in r.stderr and "input 'nz'" in r.stderr, r.stderr
    assert "data-dependent" in r.stderr, r.stderr


def test_unique_float8_unsupported(gpuxc, tmp_path):
    m = raw_model([helper.make_node("Unique", ["x"], ["y"], name="the_node")],
                  [("x", TensorProto.FLOAT8E4M3FN, (4,))], [], opset=21)
    m.graph.output.append(helper.make_tensor_value_info("y", TensorProto.FLOAT8E4M3FN, None))
    r = gpuxc_build(gpuxc, m, tmp_path)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert "the_node" in r.stderr and "Unique of float8" in r.stderr, r.stderr


# ---- how the executable describes a data-dependent output ----

def test_info_marks_dynamic_outputs(compile_model, tmp_path):
    x = np.zeros((3, 4), np.float32)
    nodes = [helper.make_node("NonZero", ["x"], ["nz"], name="nz"),
             helper.make_node("Relu", ["x"], ["r"], name="relu")]
    m = make_model(nodes, {"x": x}, [("nz", I64), ("r", TensorProto.FLOAT)])
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    exe = compile_model(path, tmp_path)
    r = subprocess.run([str(exe), "--info", "--json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    outs = {o["name"]: o for o in json.loads(r.stdout)["outputs"]}
    assert outs["nz"]["dynamic"] is True and outs["nz"]["shape"] == [2, 12]
    assert "dynamic" not in outs["r"] and outs["r"]["shape"] == [3, 4]
    r = subprocess.run([str(exe), "--info"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if " nz " in ln)
    assert "at most" in line, r.stdout
    assert "at most" not in next(ln for ln in r.stdout.splitlines() if " r " in ln), r.stdout
