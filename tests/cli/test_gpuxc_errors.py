"""gpuxc's error paths: every bad input gets a clear message naming what is wrong and
where, the documented exit code, and never a crash."""
import random
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

USAGE, INVALID, UNSUPPORTED = 1, 2, 3


def gpuxc_run(gpuxc, *args, cwd=None):
    r = subprocess.run([str(gpuxc), *map(str, args)], capture_output=True, text=True,
                       errors="replace", timeout=300, cwd=cwd)
    assert "Sanitizer" not in r.stderr, r.stderr
    assert r.returncode >= 0, f"gpuxc died of signal {-r.returncode}\n{r.stderr}"
    return r


def tiny_model(path, *, op="Relu", x_shape=(1, 4), extra_nodes=(), inits=(), opset=17):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node(op, ["x"], ["y"], name="the_node"), *extra_nodes]
    g = helper.make_graph(nodes, "g", [x], [y], initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(m, str(path))
    return path


def test_missing_file(gpuxc, tmp_path):
    r = gpuxc_run(gpuxc, "build", tmp_path / "nope.onnx", "-o", tmp_path / "o")
    assert r.returncode == INVALID
    assert "cannot read" in r.stderr and "nope.onnx" in r.stderr
    assert "No such file" in r.stderr


@pytest.mark.parametrize("content,reason", [
    (b"", "empty"),
    (b"\xff\xff\xff\xff garbage that is not protobuf", "not a valid ONNX model"),
    (b"hello world", "not"),
])
def test_not_a_model(gpuxc, tmp_path, content, reason):
    p = tmp_path / "bad.onnx"
    p.write_bytes(content)
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o")
    assert r.returncode == INVALID, r.stderr
    assert "bad.onnx" in r.stderr and reason in r.stderr


def test_truncated_models_never_crash(gpuxc, tmp_path, zoo_model):
    data = Path(zoo_model("tinycnn")).read_bytes()
    for cut in (10, len(data) // 3, len(data) // 2, len(data) - 7):
        p = tmp_path / f"cut{cut}.onnx"
        p.write_bytes(data[:cut])
        r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o", "--emit-only")
        assert r.returncode == INVALID, (cut, r.stderr)
        assert f"cut{cut}.onnx" in r.stderr


def test_mutated_models_never_crash(gpuxc, tmp_path, zoo_model):
    data = bytearray(Path(zoo_model("tinycnn")).read_bytes())
    rng = random.Random(7)
    p = tmp_path / "m.onnx"
    for i in range(60):
        d = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            d[rng.randrange(len(d))] = rng.randrange(256)
        p.write_bytes(bytes(d))
        r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o", "--emit-only", "--quiet")
        assert r.returncode in (0, INVALID, UNSUPPORTED, USAGE), (i, r.returncode, r.stderr)


def test_unsupported_ops_all_listed(gpuxc, tmp_path):
    nodes = [helper.make_node("FancyOp", ["y"], ["z"], name="fancy1"),
             helper.make_node("WeirdOp", ["z"], ["w"], name="weird1"),
             helper.make_node("Relu", ["w"], ["out"], name="ok")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"]), *nodes], "g", [x], [out])
    p = tmp_path / "u.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o")
    assert r.returncode == UNSUPPORTED
    assert "node 'fancy1' (FancyOp)" in r.stderr and "node 'weird1' (WeirdOp)" in r.stderr


def test_foreign_domain_is_unsupported(gpuxc, tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    n = helper.make_node("FusedGemm", ["x"], ["y"], name="fg", domain="com.microsoft")
    g = helper.make_graph([n], "g", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    p = tmp_path / "ms.onnx"
    onnx.save(m, str(p))
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o")
    assert r.returncode == UNSUPPORTED
    assert "com.microsoft" in r.stderr and "'fg'" in r.stderr


def test_shape_mismatch_names_node(gpuxc, tmp_path):
    b = numpy_helper.from_array(np.ones((3, 5), np.float32), "b")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("Add", ["x", "b"], ["y"], name="bad_add")], "g", [x],
                          [y], initializer=[b])
    p = tmp_path / "s.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o")
    assert r.returncode == INVALID
    assert "node 'bad_add' (Add)" in r.stderr and "do not broadcast" in r.stderr


def test_unbound_dynamic_dim(gpuxc, tmp_path):
    p = tiny_model(tmp_path / "d.onnx", x_shape=("batch", 4))
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o", "--emit-only")
    assert r.returncode == USAGE
    assert "input 'x'" in r.stderr and "batch" in r.stderr and "--input-shape" in r.stderr
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o", "--emit-only",
                  "--input-shape", "x=3x4")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("binding,message", [
    ("nothere=1x4", "no input 'nothere'"),
    ("x=1x4x4", "rank 2"),
    ("x=1x5", "fixed to 4"),
])
def test_bad_input_shape_binding(gpuxc, tmp_path, binding, message):
    p = tiny_model(tmp_path / "d.onnx", x_shape=("batch", 4))
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o", "--input-shape", binding)
    assert r.returncode == USAGE
    assert message in r.stderr


@pytest.mark.parametrize("args,message", [
    (["build"], "which model"),
    (["build", "m.onnx"], "-o OUT is required"),
    (["build", "m.onnx", "-o"], "-o needs a value"),
    (["build", "m.onnx", "-o", "x", "--frobnicate"], "unknown option '--frobnicate'"),
    (["build", "m.onnx", "-o", "x", "--input-shape", "x"], "--input-shape wants NAME=DIMS"),
    (["compile", "m.onnx"], "unknown command 'compile'"),
])
def test_usage_errors(gpuxc, tmp_path, args, message):
    r = gpuxc_run(gpuxc, *args, cwd=tmp_path)
    assert r.returncode == USAGE
    assert message in r.stderr


def test_unknown_target(gpuxc, tmp_path):
    p = tiny_model(tmp_path / "m.onnx")
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o", "--target", "fpga")
    assert r.returncode == USAGE and "unknown target 'fpga'" in r.stderr


def test_yml_errors_have_line_and_column(gpuxc, tmp_path):
    tiny_model(tmp_path / "m.onnx")
    y = tmp_path / "gpux.yml"
    y.write_text("name: m\nversion: '1'\nmodel:\n  source: m.onnx\ninptus:\n  x: {}\n")
    r = gpuxc_run(gpuxc, "build", y, "-o", tmp_path / "o")
    assert r.returncode == INVALID
    assert "gpux.yml:5:1" in r.stderr and "'inptus'" in r.stderr and "inputs" in r.stderr


def test_yml_missing_model_names_both_paths(gpuxc, tmp_path):
    (tmp_path / "sub").mkdir()
    y = tmp_path / "sub" / "gpux.yml"
    y.write_text("name: m\nversion: '1'\nmodel:\n  source: nothere.onnx\n")
    r = gpuxc_run(gpuxc, "build", y, "-o", tmp_path / "o")
    assert r.returncode == INVALID
    assert "'nothere.onnx'" in r.stderr and "sub/nothere.onnx" in r.stderr


def test_yml_input_type_and_name_checked(gpuxc, tmp_path):
    tiny_model(tmp_path / "m.onnx")
    y = tmp_path / "gpux.yml"
    y.write_text("name: m\nversion: '1'\nmodel:\n  source: m.onnx\ninputs:\n"
                 "  x:\n    type: int64\n    shape: [1, 4]\n  ghost:\n    type: float32\n")
    r = gpuxc_run(gpuxc, "build", y, "-o", tmp_path / "o")
    assert r.returncode in (USAGE, INVALID)
    assert "declared int64 but the model takes float32" in r.stderr
    assert "no input 'ghost'" in r.stderr


def test_raw_data_size_mismatch(gpuxc, tmp_path):
    w = numpy_helper.from_array(np.ones((4,), np.float32), "w")
    w.raw_data = w.raw_data[:8]
    p = tiny_model(tmp_path / "r.onnx", op="Relu", inits=[w])
    r = gpuxc_run(gpuxc, "build", p, "-o", tmp_path / "o")
    assert r.returncode == INVALID
    assert "initializer 'w'" in r.stderr and "raw_data has 8 bytes" in r.stderr


def test_external_data(gpuxc, tmp_path, run_exe, ort_run, assert_close):
    """Weights in a file next to the model are read in place, and problems name the file."""
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g", [x], [y],
                          initializer=[numpy_helper.from_array(w, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    p = tmp_path / "ext.onnx"
    onnx.save(m, str(p), save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.bin", size_threshold=0)
    exe = tmp_path / "o"
    r = gpuxc_run(gpuxc, "build", p, "-o", exe)
    assert r.returncode == 0, r.stderr
    feeds = {"x": np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)}
    assert_close("y", run_exe(exe, feeds)["y"], ort_run(p, feeds)["y"])
    (tmp_path / "ext.bin").write_bytes(b"\0" * 10)
    r = gpuxc_run(gpuxc, "build", p, "-o", exe)
    assert r.returncode == INVALID and "ext.bin" in r.stderr and "outside" in r.stderr
    (tmp_path / "ext.bin").unlink()
    r = gpuxc_run(gpuxc, "build", p, "-o", exe)
    assert r.returncode == INVALID and "ext.bin" in r.stderr and "No such file" in r.stderr


def test_unimplemented_build_keys_warn(gpuxc, tmp_path):
    tiny_model(tmp_path / "m.onnx")
    y = tmp_path / "gpux.yml"
    y.write_text("name: m\nversion: '1'\nmodel:\n  source: m.onnx\n"
                 "build:\n  http: true\n  quantize: int8\n")
    r = gpuxc_run(gpuxc, "build", y, "-o", tmp_path / "o", "--emit-only", "-q")
    assert r.returncode == 0, r.stderr
    assert "build.http is not implemented yet" in r.stderr
    assert "build.quantize is not implemented yet" in r.stderr
