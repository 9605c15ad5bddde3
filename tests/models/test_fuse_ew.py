"""fuse-ew: chains of elementwise nodes become one loop (the inner nodes are computed inside
the loop of the node that reads them), with the same numbers as onnxruntime, on both CPU
targets; a value read twice or a graph output stays in memory; a loop reads at most 8 values."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

INLINE = "computed inside the loop of the node that reads it"


def model(nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def ew_chain():
    """A GELU-like chain of x + bias (bias broadcast), x [4, 6, 8], whose last factor (0.25)
    keeps fuse-gelu from turning it into one Gelu node."""
    c = lambda n, v: numpy_helper.from_array(np.array(v, np.float32), n)
    bias = numpy_helper.from_array(np.linspace(-1, 1, 8).astype(np.float32), "bias")
    nodes = [helper.make_node("Add", ["x", "bias"], ["a"]),
             helper.make_node("Div", ["a", "sqrt2"], ["b"]),
             helper.make_node("Erf", ["b"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["f"]),
             helper.make_node("Mul", ["a", "f"], ["g"]),
             helper.make_node("Mul", ["g", "half"], ["y"])]
    return model(nodes, [f32("x", [4, 6, 8])], [f32("y", [4, 6, 8])],
                 [bias, c("sqrt2", 1.4142135), c("one", 1.0), c("half", 0.25)])


def wide_chain(n):
    """y = ((x0 + x1) + x2) + ... + x(n-1): n distinct operands."""
    nodes, prev = [], "x0"
    for i in range(1, n):
        out = "y" if i == n - 1 else f"s{i}"
        nodes.append(helper.make_node("Add", [prev, f"x{i}"], [out]))
        prev = out
    return model(nodes, [f32(f"x{i}", [3, 5]) for i in range(n)], [f32("y", [3, 5])])


def shared_and_output():
    """t = Sigmoid(x) is read twice and is an output: it must stay in memory."""
    nodes = [helper.make_node("Sigmoid", ["x"], ["t"]),
             helper.make_node("Mul", ["x", "t"], ["u"]),
             helper.make_node("Tanh", ["u"], ["v"]),
             helper.make_node("Add", ["v", "t"], ["y"])]
    return model(nodes, [f32("x", [2, 7])], [f32("y", [2, 7]), f32("t", [2, 7])])


def build_and_compare(m, tmp_path, target, compile_model, run_exe, ort_run, random_inputs,
                      assert_close):
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    exe = compile_model(path, tmp_path, "--target", target)
    inputs = random_inputs(path)
    want = ort_run(path, inputs)
    got = run_exe(exe, inputs, list(want))
    for name in want:
        assert_close(name, got[name], want[name], rtol=1e-5, atol=1e-6)
    return (tmp_path / "model.src" / "model.c").read_text()


@pytest.mark.parametrize("target", ["c", "cpu"])
def test_chain_is_one_loop(target, tmp_path, compile_model, run_exe, ort_run, random_inputs,
                           assert_close):
    src = build_and_compare(ew_chain(), tmp_path, target, compile_model, run_exe, ort_run,
                            random_inputs, assert_close)
    # a = x + bias is read twice (Div, Mul): its own loop; Div, Erf, Add, Mul run inside y's
    assert src.count(INLINE) == 4
    assert src.count("for (int64_t i0") == 2


@pytest.mark.parametrize("n,loops", [(8, 1), (9, 2), (12, 2)])
def test_at_most_eight_operands_per_loop(n, loops, tmp_path, compile_model, run_exe, ort_run,
                                         random_inputs, assert_close):
    src = build_and_compare(wide_chain(n), tmp_path, "c", compile_model, run_exe, ort_run,
                            random_inputs, assert_close)
    assert src.count("for (int64_t i0") == loops
    assert src.count(INLINE) == n - 1 - loops


def test_shared_values_stay_in_memory(tmp_path, compile_model, run_exe, ort_run, random_inputs,
                                      assert_close):
    src = build_and_compare(shared_and_output(), tmp_path, "c", compile_model, run_exe, ort_run,
                            random_inputs, assert_close)
    assert src.count(INLINE) == 2  # Mul and Tanh inside Add's loop; Sigmoid (read twice) kept


def test_dump_after_marks_inline(gpuxc, tmp_path):
    onnx.save(ew_chain(), tmp_path / "m.onnx")
    r = subprocess.run([str(gpuxc), "build", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "o"),
                        "--emit-only", "-q", "--dump-after", "fuse-ew"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(" inline") + r.stderr.count(" inline") == 4
