"""The ONNX frontend: every storage form of initializers, every attribute kind, opset
imports, and node order."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def build(gpuxc, model_path, out, *args):
    return subprocess.run([str(gpuxc), "build", str(model_path), "-o", str(out), "-q", *args],
                          capture_output=True, text=True, timeout=300)


def typed(name, array, onnx_type):
    """An initializer in the typed repeated fields (not raw_data), as older exporters write."""
    return helper.make_tensor(name, onnx_type, array.shape, array.ravel().tolist(), raw=False)


def test_typed_field_initializers(gpuxc, tmp_path, run_exe, ort_run, assert_close):
    """float_data, int32_data (int8, int32, bool), int64_data and double_data all load."""
    rng = np.random.default_rng(0)
    f = rng.standard_normal((2, 3)).astype(np.float32)
    inits = [typed("f", f, TensorProto.FLOAT),
             typed("i8", rng.integers(-5, 5, (2, 3)).astype(np.int8), TensorProto.INT8),
             typed("i32", rng.integers(-5, 5, (2, 3)).astype(np.int32), TensorProto.INT32),
             typed("i64", rng.integers(-5, 5, (2, 3)).astype(np.int64), TensorProto.INT64),
             typed("d", rng.standard_normal((2, 3)), TensorProto.DOUBLE),
             typed("b", np.array([[1, 0, 1], [0, 1, 1]], bool), TensorProto.BOOL)]
    nodes = [helper.make_node("Add", ["x", "f"], ["a0"])]
    for k, src in enumerate(["i8", "i32", "i64", "d"]):
        nodes.append(helper.make_node("Cast", [src], [f"c{k}"], to=TensorProto.FLOAT))
        nodes.append(helper.make_node("Add", [f"a{k}", f"c{k}"], [f"a{k + 1}"]))
    nodes.append(helper.make_node("Where", ["b", "a4", "x"], ["y"]))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y], initializer=inits),
                          opset_imports=[helper.make_opsetid("", 17)])
    p = tmp_path / "typed.onnx"
    onnx.save(m, str(p))
    r = build(gpuxc, p, tmp_path / "t")
    assert r.returncode == 0, r.stderr
    feeds = {"x": rng.standard_normal((2, 3)).astype(np.float32)}
    assert_close("y", run_exe(tmp_path / "t", feeds)["y"], ort_run(p, feeds)["y"])


def test_typed_field_count_mismatch(gpuxc, tmp_path):
    t = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])
    del t.float_data[3]  # the shape says 4 values, the data has 3
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", [x], [y],
                          initializer=[t])
    p = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = build(gpuxc, p, tmp_path / "m")
    assert r.returncode == 2
    assert "initializer 'w': has 3 values, its shape needs 4" in r.stderr


def test_every_attribute_kind_loads(gpuxc, tmp_path):
    """An unknown op carrying one attribute of every kind is reported as unsupported: the
    frontend reads them all without failing."""
    sub = helper.make_graph([helper.make_node("Identity", ["a"], ["b"])], "sub",
                            [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
                            [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])])
    t = numpy_helper.from_array(np.ones(3, np.float32), "t")
    sparse = helper.make_sparse_tensor(numpy_helper.from_array(np.ones(1, np.float32), "v"),
                                       numpy_helper.from_array(np.zeros(1, np.int64), "i"), [4])
    tp = helper.make_tensor_type_proto(TensorProto.FLOAT, [2])
    attrs = [helper.make_attribute("f", 1.5), helper.make_attribute("i", 3),
             helper.make_attribute("s", b"text"), helper.make_attribute("t", t),
             helper.make_attribute("g", sub), helper.make_attribute("fs", [1.0, 2.0]),
             helper.make_attribute("is", [1, 2]), helper.make_attribute("ss", [b"a", b"b"]),
             helper.make_attribute("ts", [t, t]), helper.make_attribute("gs", [sub, sub]),
             helper.make_attribute("sp", sparse), helper.make_attribute("sps", [sparse]),
             helper.make_attribute("tp", tp), helper.make_attribute("tps", [tp, tp])]
    n = helper.make_node("Weird", ["x"], ["y"], name="weird")
    n.attribute.extend(attrs)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    p = tmp_path / "attrs.onnx"
    m = helper.make_model(helper.make_graph([n], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, str(p))
    r = build(gpuxc, p, tmp_path / "a")
    assert r.returncode == 3, r.stderr
    assert "node 'weird' (Weird)" in r.stderr and "not supported" in r.stderr


def relu_model(opsets, ir_version=8):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    return helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
                             ir_version=ir_version)


@pytest.mark.parametrize("opsets,code,message", [
    ([("", 29)], 3, "opset 29"),
    ([("ai.onnx", 13)], 0, ""),
    ([("", 11), ("com.microsoft", 1)], 0, ""),
])
def test_opset_imports(gpuxc, tmp_path, opsets, code, message):
    p = tmp_path / "o.onnx"
    onnx.save(relu_model(opsets), str(p))
    r = build(gpuxc, p, tmp_path / "o")
    assert r.returncode == code, r.stderr
    assert message in r.stderr


def test_op_newer_than_model_opset(gpuxc, tmp_path):
    """Gelu came in opset 20: in an opset 17 model it is not the ONNX op."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    g = helper.make_graph([helper.make_node("Gelu", ["x"], ["y"], name="g1")], "g", [x], [y])
    p = tmp_path / "gelu.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = build(gpuxc, p, tmp_path / "g")
    assert r.returncode == 2
    assert "node 'g1' (Gelu)" in r.stderr and "does not exist in opset 17" in r.stderr


def test_unsorted_nodes_are_sorted(gpuxc, tmp_path, run_exe, ort_run, assert_close):
    """ONNX asks for topological order; a model that lists nodes out of order still loads."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])
    nodes = [helper.make_node("Neg", ["t"], ["y"]), helper.make_node("Relu", ["x"], ["t"])]
    p = tmp_path / "u.onnx"
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                                opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = build(gpuxc, p, tmp_path / "u")
    assert r.returncode == 0, r.stderr
    feeds = {"x": np.array([-1, 0.5, 2], np.float32)}
    assert_close("y", run_exe(tmp_path / "u", feeds)["y"], np.array([0, -0.5, -2], np.float32))


def test_cycle_is_reported(gpuxc, tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
             helper.make_node("Relu", ["a"], ["b"], name="n2"),
             helper.make_node("Neg", ["a"], ["y"])]
    p = tmp_path / "c.onnx"
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                                opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = build(gpuxc, p, tmp_path / "c")
    assert r.returncode == 2
    assert "node 'n1' (Add): input 'b' is not produced" in r.stderr


def test_names_that_are_not_c(gpuxc, tmp_path, run_exe):
    """ONNX names may hold anything: comment closers, quotes, newlines, C keywords."""
    xin, yout = "in*/put\n#x", 'o"u*/t'
    x = helper.make_tensor_value_info(xin, TensorProto.FLOAT, [2])
    k = helper.make_tensor_value_info("int", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info(yout, TensorProto.FLOAT, [2])
    nodes = [helper.make_node("Add", [xin, "int"], ["t"], name='a*/b\n"c'),
             helper.make_node("Relu", ["t"], [yout], name="//")]
    p = tmp_path / "names.onnx"
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x, k], [y]),
                                opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = build(gpuxc, p, tmp_path / "n")
    assert r.returncode == 0, r.stderr
    got = run_exe(tmp_path / "n", {xin: np.array([-3, 1], np.float32),
                                   "int": np.array([1, 1], np.float32)}, outputs=[yout])
    np.testing.assert_array_equal(got[yout], np.array([0, 2], np.float32))


def test_constant_input(gpuxc, tmp_path, run_exe, ort_run, assert_close):
    """--constant NAME=FILE.npy turns an input into a constant: a Reshape whose shape is a
    graph input compiles, and the program takes only the other input."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6])
    s = helper.make_tensor_value_info("s", TensorProto.INT64, [3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("Reshape", ["x", "s"], ["y"])], "g", [x, s], [y])
    p = tmp_path / "r.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = build(gpuxc, p, tmp_path / "r")
    assert r.returncode == 3 and "'s') must be a compile-time constant" in r.stderr
    shape = np.array([3, 2, 2], np.int64)
    np.save(tmp_path / "s.npy", shape)
    r = build(gpuxc, p, tmp_path / "r", "--constant", f"s={tmp_path / 's.npy'}")
    assert r.returncode == 0, r.stderr
    feeds = {"x": np.arange(12, dtype=np.float32).reshape(2, 6)}
    got = run_exe(tmp_path / "r", feeds)
    assert_close("y", got["y"], ort_run(p, {**feeds, "s": shape})["y"])
    np.save(tmp_path / "bad.npy", shape.astype(np.int32))
    r = build(gpuxc, p, tmp_path / "r", "--constant", f"s={tmp_path / 'bad.npy'}")
    assert r.returncode == 1 and "holds int32, the input is int64" in r.stderr
    r = build(gpuxc, p, tmp_path / "r", "--constant", f"zz={tmp_path / 's.npy'}")
    assert r.returncode == 1 and "no input 'zz'" in r.stderr
