"""Differential tests of the selection, layout and scatter ops (compiler/ops/select.c,
layout.c, scatter.c) against onnxruntime, for shapes, types, attributes and opset forms the
ONNX node tests do not cover: each case is a one-node model compiled with gpuxc, run through
the generated executable and compared with onnxruntime on the same inputs. Cases whose inputs
are all initializers exercise gpuxc's compile-time folding (the same kernels, run inside
gpuxc). A few cases check that inputs which decide a shape but are graph inputs exit with
code 3 and name the node.

    GPUXC=build/gpuxc python3 -m pytest -q tests/ops/test_select_layout_scatter.py
"""
import subprocess
from dataclasses import dataclass, field

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

UNSUPPORTED = 3
RNG = np.random.default_rng(20250301)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def halves(*shape, dtype=np.float32):
    """Values on a 0.5 grid in [-2, 2]: many ties for the selection ops."""
    return (RNG.integers(-4, 5, shape) / 2).astype(dtype)


def with_nans(*shape, dtype=np.float32):
    """halves() with about a quarter of the elements NaN."""
    x = halves(*shape, dtype=dtype)
    x[RNG.random(shape) < 0.25] = np.nan
    return x


def ints(lo, hi, *shape, dtype=np.int64):
    """Integers in [lo, hi]."""
    return RNG.integers(lo, hi + 1, shape).astype(dtype)


def i64(*values):
    return np.array(values, dtype=np.int64)


@dataclass
class Case:
    id: str
    op: str
    inputs: list            # input names in node order ("" = absent)
    feeds: dict             # graph inputs
    inits: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    outputs: tuple = ("y",)
    opset: int = 18


def C(cid, op, inputs, feeds, inits=None, opset=18, outputs=("y",), **attrs):
    return Case(cid, op, inputs, feeds, inits or {}, attrs, outputs, opset)


def make_model(c, path):
    node = helper.make_node(c.op, c.inputs, list(c.outputs), name=f"{c.op.lower()}_node",
                            **c.attrs)
    graph_in = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype),
                                              a.shape) for n, a in c.feeds.items()]
    graph_out = [helper.make_empty_tensor_value_info(n) for n in c.outputs]  # gpuxc infers
    inits = [numpy_helper.from_array(a, n) for n, a in c.inits.items()]
    graph = helper.make_graph([node], c.id, graph_in, graph_out, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", c.opset)])
    model.ir_version = 8
    onnx.save(model, path)


# ---- the cases ----

SELECT = [
    # ArgMax / ArgMin: ties (0.5 grid), both tie rules, every rank position, int types
    C("argmax-ties-last", "ArgMax", ["x"], {"x": halves(3, 7, 4)}, opset=13, axis=1,
      keepdims=0, select_last_index=1),
    C("argmax-ties-first-axis0", "ArgMax", ["x"], {"x": halves(5, 3, 2)}, opset=13, axis=0),
    C("argmin-int32-last-axis", "ArgMin", ["x"], {"x": ints(-3, 3, 2, 3, 6, dtype=np.int32)},
      opset=13, axis=-1, select_last_index=1),
    C("argmin-float64", "ArgMin", ["x"], {"x": halves(4, 5, dtype=np.float64)}, opset=12,
      axis=1, keepdims=0),
    C("argmax-int64-opset11", "ArgMax", ["x"], {"x": ints(-5, 5, 3, 4, dtype=np.int64)},
      opset=11, axis=1),
    C("argmax-uint8-opset1", "ArgMax", ["x"], {"x": ints(0, 9, 6, 2, dtype=np.uint8)},
      opset=1),
    C("argmax-int8-last", "ArgMax", ["x"], {"x": ints(-3, 3, 4, 5, dtype=np.int8)}, opset=13,
      axis=0, select_last_index=1),
    # NaN: results as onnxruntime's (ordered comparisons; TopK ranks NaN highest)
    C("argmax-nan", "ArgMax", ["x"], {"x": with_nans(6, 5)}, opset=13, axis=1),
    C("argmin-nan-last", "ArgMin", ["x"], {"x": with_nans(6, 5)}, opset=13, axis=1,
      select_last_index=1),
    C("topk-nan", "TopK", ["x", "k"], {"x": with_nans(6, 5)}, {"k": i64(3)}, opset=11,
      outputs=("v", "i")),
    C("topk-nan-smallest", "TopK", ["x", "k"], {"x": with_nans(6, 5)}, {"k": i64(4)},
      opset=11, outputs=("v", "i"), largest=0),
    C("hardmax-nan", "Hardmax", ["x"], {"x": with_nans(6, 5)}, opset=13),
    C("argmin-folded", "ArgMin", ["x"], {}, {"x": halves(3, 5)}, opset=13, axis=1),
    # TopK: constant K, ties keep index order, both directions, int and float64
    C("topk-ties-largest", "TopK", ["x", "k"], {"x": halves(3, 9, 4)}, {"k": i64(4)},
      opset=11, outputs=("v", "i"), axis=1),
    C("topk-smallest-all", "TopK", ["x", "k"], {"x": halves(2, 6, dtype=np.float64)},
      {"k": i64(6)}, opset=11, outputs=("v", "i"), largest=0),
    C("topk-int32-axis0", "TopK", ["x", "k"], {"x": ints(-4, 4, 10, 3, dtype=np.int32)},
      {"k": i64(3)}, opset=11, outputs=("v", "i"), axis=0),
    C("topk-int64-smallest", "TopK", ["x", "k"], {"x": ints(-4, 4, 2, 3, 12)},
      {"k": i64(5)}, opset=11, outputs=("v", "i"), axis=-1, largest=0),
    C("topk-uint8", "TopK", ["x", "k"], {"x": ints(0, 9, 3, 8, dtype=np.uint8)}, {"k": i64(8)},
      opset=11, outputs=("v", "i")),
    C("topk-opset10", "TopK", ["x", "k"], {"x": randn(4, 33)}, {"k": i64(7)}, opset=10,
      outputs=("v", "i")),
    C("topk-opset1-attr-k", "TopK", ["x"], {"x": randn(3, 5, 2)}, opset=1,
      outputs=("v", "i"), k=2, axis=1),
    C("topk-folded", "TopK", ["x", "k"], {}, {"x": halves(2, 8), "k": i64(3)}, opset=11,
      outputs=("v", "i")),
    # Hardmax: the flattening form before 13, the per-axis form since
    C("hardmax-opset11-axis1", "Hardmax", ["x"], {"x": halves(2, 3, 4)}, opset=11, axis=1),
    C("hardmax-opset11-default", "Hardmax", ["x"], {"x": randn(3, 2, 5)}, opset=11),
    C("hardmax-opset11-axis0", "Hardmax", ["x"], {"x": randn(3, 2, 2)}, opset=11, axis=0),
    C("hardmax-opset13-axis0-ties", "Hardmax", ["x"], {"x": halves(4, 3, 2)}, opset=13,
      axis=0),
    C("hardmax-opset13-middle", "Hardmax", ["x"], {"x": randn(2, 5, 3)}, opset=13, axis=-2),
    # CumSum: axis constant or a graph input (read at run time), int32/int64 axis
    C("cumsum-excl-rev-axis1", "CumSum", ["x", "axis"], {"x": randn(2, 4, 3)},
      {"axis": np.array(1, np.int64)}, opset=14, exclusive=1, reverse=1),
    C("cumsum-runtime-axis", "CumSum", ["x", "axis"],
      {"x": ints(-9, 9, 3, 4, 2), "axis": np.array([-1], np.int64)}, opset=14),
    C("cumsum-int32-axis0-i32", "CumSum", ["x", "axis"], {"x": ints(-9, 9, 5, 3, dtype=np.int32)},
      {"axis": np.array(0, np.int32)}, opset=14, reverse=1),
    C("cumsum-float64-exclusive", "CumSum", ["x", "axis"], {"x": randn(3, 7, dtype=np.float64)},
      {"axis": np.array(-1, np.int64)}, opset=11, exclusive=1),
    C("cumsum-folded", "CumSum", ["x", "axis"], {},
      {"x": randn(3, 4), "axis": np.array(0, np.int64)}, opset=14),
]

LAYOUT = [
    C("tile-3d", "Tile", ["x", "r"], {"x": randn(2, 3, 4)}, {"r": i64(2, 1, 3)}, opset=13),
    C("tile-int64-first", "Tile", ["x", "r"], {"x": ints(-9, 9, 3, 2)}, {"r": i64(3, 1)},
      opset=6),
    C("tile-bool-ones", "Tile", ["x", "r"], {"x": RNG.random((2, 1, 3)) < 0.5},
      {"r": i64(1, 4, 1)}, opset=13),
    C("tile-zero-repeat", "Tile", ["x", "r"], {"x": randn(2, 3)}, {"r": i64(2, 0)}, opset=13),
    C("trilu-upper-k-neg", "Trilu", ["x", "k"], {"x": randn(2, 4, 6)},
      {"k": np.array(-1, np.int64)}, opset=14),
    C("trilu-lower-runtime-k", "Trilu", ["x", "k"],
      {"x": ints(-9, 9, 5, 3), "k": np.array(1, np.int64)}, opset=14, upper=0),
    C("trilu-lower-k-beyond", "Trilu", ["x", "k"], {"x": randn(3, 4)},
      {"k": np.array(-7, np.int64)}, opset=14, upper=0),
    C("trilu-bool-upper-k", "Trilu", ["x", "k"], {"x": RNG.random((3, 5)) < 0.5},
      {"k": np.array(2, np.int64)}, opset=14),
    C("trilu-int32-lower", "Trilu", ["x"], {"x": ints(-9, 9, 2, 5, 4, dtype=np.int32)}, opset=14,
      upper=0),
    C("trilu-float64-default", "Trilu", ["x"], {"x": randn(2, 2, 3, 3, dtype=np.float64)},
      opset=14),
    C("eyelike-float64-kneg", "EyeLike", ["x"], {"x": ints(0, 1, 4, 3, dtype=np.int32)},
      opset=9, dtype=onnx.TensorProto.DOUBLE, k=-1),
    C("eyelike-same-type-k", "EyeLike", ["x"], {"x": randn(3, 6)}, opset=22, k=2),
    C("eyelike-int64-k-beyond", "EyeLike", ["x"], {"x": randn(2, 3)}, opset=22,
      dtype=onnx.TensorProto.INT64, k=5),
    C("eyelike-uint64-from-int64", "EyeLike", ["x"], {"x": ints(0, 1, 4, 4)}, opset=11,
      dtype=onnx.TensorProto.UINT64, k=-3),
    C("onehot-axis0-neg-idx", "OneHot", ["i", "d", "v"], {"i": ints(-5, 6, 2, 3)},
      {"d": np.array(5, np.int64), "v": np.array([-1.5, 2.5], np.float32)}, opset=11, axis=0),
    C("onehot-float-depth-int32-values", "OneHot", ["i", "d", "v"],
      {"i": ints(-3, 3, 4), "v": np.array([0, 7], np.int32)},
      {"d": np.array([3.0], np.float32)}, opset=11),
    C("onehot-int32-idx-depth", "OneHot", ["i", "d", "v"],
      {"i": ints(-4, 4, 3, 2, dtype=np.int32), "v": np.array([0.5, -1], np.float32)},
      {"d": np.array(4, np.int32)}, opset=11, axis=-2),
    C("onehot-float-idx-middle", "OneHot", ["i", "d", "v"],
      {"i": ints(0, 4, 2, 3).astype(np.float32)},
      {"d": np.array(4.0, np.float32), "v": np.array([0.0, 1.0], np.float32)}, opset=9, axis=1),
    C("depthtospace-dcr", "DepthToSpace", ["x"], {"x": randn(2, 8, 3, 2)}, opset=13,
      blocksize=2),
    C("depthtospace-crd-float64", "DepthToSpace", ["x"], {"x": randn(1, 18, 2, 3, dtype=np.float64)},
      opset=13, blocksize=3, mode="CRD"),
    C("depthtospace-opset1", "DepthToSpace", ["x"], {"x": randn(1, 4, 2, 2)}, opset=1,
      blocksize=2),
    C("spacetodepth-b2", "SpaceToDepth", ["x"], {"x": randn(2, 3, 4, 6)}, opset=13,
      blocksize=2),
    C("spacetodepth-uint8-b3", "SpaceToDepth", ["x"], {"x": ints(0, 255, 1, 2, 6, 3,
                                                                dtype=np.uint8)},
      opset=13, blocksize=3),
    C("reversesequence-time-major", "ReverseSequence", ["x", "l"],
      {"x": randn(5, 3, 2), "l": i64(5, 1, 3)}, opset=10, batch_axis=1, time_axis=0),
    C("reversesequence-batch-major-int32", "ReverseSequence", ["x", "l"],
      {"x": ints(-9, 9, 3, 4, 2, dtype=np.int32), "l": i64(2, 4, 0)}, opset=10,
      batch_axis=0, time_axis=1),
    C("centercroppad-odd", "CenterCropPad", ["x", "s"], {"x": randn(7, 6, 3)},
      {"s": i64(4, 9)}, opset=18, axes=[0, 1]),
    C("centercroppad-int64-all-axes", "CenterCropPad", ["x", "s"], {"x": ints(-9, 9, 5, 5)},
      {"s": i64(5, 2)}, opset=18),
    C("centercroppad-neg-axis", "CenterCropPad", ["x", "s"], {"x": randn(2, 3, 8)},
      {"s": i64(3)}, opset=18, axes=[-1]),
    C("compress-axis1-short", "Compress", ["x", "c"], {"x": randn(3, 4, 2)},
      {"c": np.array([True, False, True])}, opset=11, axis=1),
    C("compress-flat", "Compress", ["x", "c"], {"x": ints(-9, 9, 2, 3)},
      {"c": np.array([False, True, True, False, True, True])}, opset=9),
    C("compress-neg-axis", "Compress", ["x", "c"], {"x": randn(2, 3, 4, dtype=np.float64)},
      {"c": np.array([True, True, False, True])}, opset=11, axis=-1),
    C("compress-folded", "Compress", ["x", "c"], {},
      {"x": randn(4, 2), "c": np.array([False, True, False, True])}, opset=11, axis=0),
]


def nd_indices(dims, n, k):
    """n index tuples of length k into dims, some negative, some repeated."""
    cols = [RNG.integers(-d, d, n) for d in dims[:k]]
    idx = np.stack(cols, axis=-1).astype(np.int64)
    idx[-1] = idx[0]
    return idx


def elem_indices(n_axis, shape, dtype=np.int64):
    return RNG.integers(-n_axis, n_axis, shape).astype(dtype)


SCATTER = [
    C("scatternd-add-dup", "ScatterND", ["x", "i", "u"],
      {"x": randn(4, 5, 6), "u": randn(3, 5, 6)}, {"i": i64([1], [3], [1])}, opset=18,
      reduction="add"),
    C("scatternd-none-int64-pairs", "ScatterND", ["x", "i", "u"],
      {"x": ints(-9, 9, 3, 4, 2), "u": ints(-9, 9, 2, 2)}, {"i": i64([0, 1], [2, -1])},
      opset=13),
    C("scatternd-mul-int32", "ScatterND", ["x", "i", "u"],
      {"x": ints(-5, 5, 6, 3, dtype=np.int32), "i": nd_indices((6, 3), 4, 1),
       "u": ints(-3, 3, 4, 3, dtype=np.int32)}, opset=16, reduction="mul"),
    C("scatternd-max-float64-elements", "ScatterND", ["x", "i", "u"],
      {"x": randn(3, 4, dtype=np.float64), "i": nd_indices((3, 4), 5, 2),
       "u": randn(5, dtype=np.float64)}, opset=18, reduction="max"),
    C("scatternd-min-batch-idx", "ScatterND", ["x", "i", "u"],
      {"x": randn(2, 3, 4), "i": nd_indices((2, 3, 4), 6, 2).reshape(2, 3, 2),
       "u": randn(2, 3, 4)}, opset=18, reduction="min"),
    C("scatternd-folded", "ScatterND", ["x", "i", "u"], {},
      {"x": randn(4, 3), "i": i64([2], [0]), "u": randn(2, 3)}, opset=11),
    C("scatterelements-axis0-int32-idx", "ScatterElements", ["x", "i", "u"],
      {"x": randn(4, 3), "u": randn(2, 3)},
      {"i": np.array([[3, 0, 1], [2, 1, 3]], np.int32)}, opset=11, axis=0),
    C("scatterelements-add-dup-last-axis", "ScatterElements", ["x", "i", "u"],
      {"x": randn(2, 3, 4), "i": elem_indices(4, (2, 2, 5)), "u": randn(2, 2, 5)}, opset=16,
      axis=-1, reduction="add"),
    C("scatterelements-max-int64", "ScatterElements", ["x", "i", "u"],
      {"x": ints(-9, 9, 3, 5), "i": elem_indices(3, (4, 5)), "u": ints(-9, 9, 4, 5)},
      opset=18, axis=0, reduction="max"),
    C("scatterelements-min-float64", "ScatterElements", ["x", "i", "u"],
      {"x": randn(3, 5, dtype=np.float64), "i": elem_indices(5, (3, 4)),
       "u": randn(3, 4, dtype=np.float64)}, opset=18, axis=1, reduction="min"),
    C("scatterelements-max-min-nan", "ScatterElements", ["x", "i", "u"],
      {"x": with_nans(3, 5), "i": elem_indices(5, (3, 4)), "u": with_nans(3, 4)}, opset=18,
      axis=1, reduction="max"),
    C("scatternd-min-nan", "ScatterND", ["x", "i", "u"],
      {"x": with_nans(4, 3), "u": with_nans(3, 3)}, {"i": i64([1], [3], [1])}, opset=18,
      reduction="min"),
    C("scatterelements-mul-int32", "ScatterElements", ["x", "i", "u"],
      {"x": ints(-5, 5, 2, 6, dtype=np.int32), "i": elem_indices(6, (2, 3)),
       "u": ints(-3, 3, 2, 3, dtype=np.int32)}, opset=18, axis=1, reduction="mul"),
    C("scatter-opset9-axis1", "Scatter", ["x", "i", "u"],
      {"x": randn(3, 4), "u": randn(3, 2)}, {"i": i64([0, 3], [1, 1], [2, 0])}, opset=9,
      axis=1),
    C("scatter-opset10-bool", "Scatter", ["x", "i", "u"],
      {"x": RNG.random((3, 3)) < 0.5, "u": RNG.random((1, 3)) < 0.5},
      {"i": i64([2, 0, 1])}, opset=10),
]

CASES = SELECT + LAYOUT + SCATTER


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_op(c, compile_model, run_exe, ort_run, assert_close, tmp_path):
    path = tmp_path / "model.onnx"
    make_model(c, path)
    exe = compile_model(path, tmp_path / "out")
    got = run_exe(exe, c.feeds, list(c.outputs))
    want = ort_run(path, c.feeds)
    for name in c.outputs:
        assert_close(name, got[name], want[name])


# Inputs that decide an output shape must be constants: as graph inputs, exit code 3.
UNSUPPORTED_CASES = [
    C("topk-runtime-k", "TopK", ["x", "k"], {"x": randn(3, 4), "k": i64(2)}, opset=11,
      outputs=("v", "i")),
    C("tile-runtime-repeats", "Tile", ["x", "r"], {"x": randn(3, 4), "r": i64(1, 2)},
      opset=13),
    C("onehot-runtime-depth", "OneHot", ["i", "d", "v"],
      {"i": i64(1, 2), "d": i64(3), "v": np.array([0, 1], np.float32)}, opset=11),
    C("compress-runtime-condition", "Compress", ["x", "c"],
      {"x": randn(3, 4), "c": np.array([True, False, True])}, opset=11, axis=0),
    C("centercroppad-runtime-shape", "CenterCropPad", ["x", "s"],
      {"x": randn(3, 4), "s": i64(2, 2)}, opset=18),
]


@pytest.mark.parametrize("c", UNSUPPORTED_CASES, ids=[c.id for c in UNSUPPORTED_CASES])
def test_unsupported(c, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    make_model(c, path)
    r = subprocess.run([gpuxc, "build", path, "-o", tmp_path / "m"], capture_output=True,
                       text=True)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert f"{c.op.lower()}_node" in r.stderr, f"the node is not named\n{r.stderr}"
