"""If, Loop and Scan against onnxruntime: constant and run-time conditions, loops with a
constant trip count and a condition computed in the body, scan outputs, Scan-9 axes and
directions, Scan-8's batch axis; and what gpuxc cannot unroll."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20261124)
F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def t(name, shape=None, dt=F):
    return helper.make_tensor_value_info(name, dt, shape)


def const(name, value):
    return helper.make_node("Constant", [], [name], name=f"c_{name}",
                            value=numpy_helper.from_array(np.asarray(value), name))


def check(m, feeds, tmp_path, compile_model, run_exe, ort_run, *args):
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path, *args), feeds, list(want))
    for name, w in want.items():
        np.testing.assert_allclose(got[name], w, rtol=1e-5, atol=1e-6, err_msg=name)


def mk(nodes, inputs, outputs, opset=17):
    g = helper.make_graph(nodes, "control", inputs, outputs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def branches():
    then_b = helper.make_graph([helper.make_node("Mul", ["x", "x"], ["a"], name="sq")], "then",
                               [], [t("a", [2, 3])])
    else_b = helper.make_graph([helper.make_node("Neg", ["x"], ["b"], name="neg")], "else", [],
                               [t("b", [2, 3])])
    return then_b, else_b


@pytest.mark.parametrize("cond", [True, False])
def test_if_runtime_condition(cond, tmp_path, compile_model, run_exe, ort_run):
    then_b, else_b = branches()
    m = mk([helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_b, else_branch=else_b)],
           [t("c", [], B), t("x", [2, 3])], [t("y", [2, 3])])
    feeds = {"c": np.array(cond), "x": RNG.standard_normal((2, 3)).astype(np.float32)}
    check(m, feeds, tmp_path, compile_model, run_exe, ort_run)


def test_if_constant_condition(tmp_path, compile_model, run_exe, ort_run):
    then_b, else_b = branches()
    nodes = [const("c", np.array(False)),
             helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_b, else_branch=else_b)]
    m = mk(nodes, [t("x", [2, 3])], [t("y", [2, 3])])
    check(m, {"x": RNG.standard_normal((2, 3)).astype(np.float32)}, tmp_path, compile_model,
          run_exe, ort_run)


def test_loop_with_scan_output_and_early_exit(tmp_path, compile_model, run_exe, ort_run):
    """acc += x each step, the step's acc is a scan output; the body stops after 3 of the 5
    iterations the trip count allows."""
    body = helper.make_graph(
        [helper.make_node("Add", ["acc", "x"], ["acc2"], name="add"),
         const("three", np.int64(2)),
         helper.make_node("Less", ["i", "three"], ["go"], name="less"),
         helper.make_node("Identity", ["acc2"], ["scan"], name="scan")],
        "body", [t("i", [], I64), t("cond", [], B), t("acc", [3])],
        [t("go", [], B), t("acc2", [3]), t("scan", [3])])
    nodes = [const("n", np.int64(5)), const("go0", np.array(True)),
             helper.make_node("Loop", ["n", "go0", "a0"], ["acc_final", "scans"], name="loop",
                              body=body)]
    m = mk(nodes, [t("a0", [3]), t("x", [3])], [t("acc_final", [3]), t("scans", None)])
    feeds = {"a0": np.zeros(3, np.float32), "x": RNG.standard_normal(3).astype(np.float32)}
    check(m, feeds, tmp_path, compile_model, run_exe, ort_run)


@pytest.mark.parametrize("in_axis,in_dir,out_axis,out_dir", [(0, 0, 0, 0), (1, 1, 1, 0),
                                                            (0, 1, 1, 1)])
def test_scan9(in_axis, in_dir, out_axis, out_dir, tmp_path, compile_model, run_exe, ort_run):
    body = helper.make_graph([helper.make_node("Add", ["s", "e"], ["s2"], name="add"),
                              helper.make_node("Mul", ["s2", "e"], ["o"], name="mul")],
                             "body", [t("s", [4]), t("e", [4])], [t("s2", [4]), t("o", [4])])
    node = helper.make_node("Scan", ["s0", "x"], ["s_final", "ys"], name="scan", body=body,
                            num_scan_inputs=1, scan_input_axes=[in_axis],
                            scan_input_directions=[in_dir], scan_output_axes=[out_axis],
                            scan_output_directions=[out_dir])
    shape = [5, 4] if in_axis == 0 else [4, 5]
    m = mk([node], [t("s0", [4]), t("x", shape)], [t("s_final", [4]), t("ys", None)])
    feeds = {"s0": RNG.standard_normal(4).astype(np.float32),
             "x": RNG.standard_normal(shape).astype(np.float32)}
    check(m, feeds, tmp_path, compile_model, run_exe, ort_run)


def test_scan8_batch(tmp_path, compile_model, run_exe, ort_run):
    body = helper.make_graph([helper.make_node("Add", ["s", "e"], ["s2"], name="add"),
                              helper.make_node("Identity", ["s2"], ["o"], name="id")],
                             "body", [t("s", [2]), t("e", [2])], [t("s2", [2]), t("o", [2])])
    node = helper.make_node("Scan", ["", "s0", "x"], ["s_final", "ys"], name="scan", body=body,
                            num_scan_inputs=1, directions=[1])
    m = mk([node], [t("s0", [3, 2]), t("x", [3, 4, 2])], [t("s_final", [3, 2]), t("ys", [3, 4, 2])],
           opset=8)
    feeds = {"s0": RNG.standard_normal((3, 2)).astype(np.float32),
             "x": RNG.standard_normal((3, 4, 2)).astype(np.float32)}
    check(m, feeds, tmp_path, compile_model, run_exe, ort_run)


def test_loop_needs_a_constant_trip_count(tmp_path, gpuxc):
    body = helper.make_graph([helper.make_node("Identity", ["cond"], ["c2"], name="c"),
                              helper.make_node("Identity", ["v"], ["v2"], name="v")],
                             "body", [t("i", [], I64), t("cond", [], B), t("v", [2])],
                             [t("c2", [], B), t("v2", [2])])
    m = mk([helper.make_node("Loop", ["n", "", "v0"], ["v"], name="the_loop", body=body)],
           [t("n", [], I64), t("v0", [2])], [t("v", [2])])
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    r = subprocess.run([gpuxc, "build", path, "-o", tmp_path / "m"], capture_output=True, text=True)
    assert r.returncode == 3 and "'the_loop'" in r.stderr and "trip count" in r.stderr, r.stderr
