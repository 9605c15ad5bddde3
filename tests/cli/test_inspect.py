"""`gpuxc inspect` (text and JSON: inputs, outputs, ops with counts and the targets that
compile each) and `gpuxc targets`."""
import json
import subprocess

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np


def gpuxc_run(gpuxc, *args):
    r = subprocess.run([str(gpuxc), *map(str, args)], capture_output=True, text=True,
                       timeout=120)
    assert "Sanitizer" not in r.stderr, r.stderr
    assert r.returncode >= 0, f"gpuxc died of signal {-r.returncode}\n{r.stderr}"
    return r


def mixed_model(path):
    """Two Relu, one MatMul with a weight, one op gpuxc does not know (a foreign domain)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("MatMul", ["a", "w"], ["b"]),
             helper.make_node("Relu", ["b"], ["c"]),
             helper.make_node("Frobnicate", ["c"], ["y"], domain="com.example")]
    g = helper.make_graph(nodes, "g", [x], [y], initializer=[w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.example", 1)])
    onnx.save(m, str(path))
    return path


def test_text(gpuxc, tmp_path):
    r = gpuxc_run(gpuxc, "inspect", mixed_model(tmp_path / "m.onnx"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "opset 17, 4 nodes, 12 parameters" in lines[0]
    assert any(l.split()[:3] == ["input", "x", "float32"] and "[N,4]" in l for l in lines)
    rows = {l.split()[0]: l.split()[1:] for l in lines if l.startswith("  ") and
            l.split()[0] in ("Relu", "MatMul", "Frobnicate")}
    assert rows["Relu"] == ["2", "c", "cpu"]
    assert rows["MatMul"] == ["1", "c", "cpu"]
    assert rows["Frobnicate"] == ["1", "(unsupported)"]


def test_json(gpuxc, tmp_path):
    r = gpuxc_run(gpuxc, "inspect", mixed_model(tmp_path / "m.onnx"), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["opset"] == 17 and doc["nodes"] == 4 and doc["parameters"] == 12
    assert doc["inputs"] == [{"name": "x", "type": "float32", "shape": ["N", 4]}]
    assert doc["ops"]["Relu"] == {"count": 2, "targets": ["c", "cpu"]}
    assert doc["ops"]["Frobnicate"] == {"count": 1, "targets": []}


def test_targets(gpuxc):
    r = gpuxc_run(gpuxc, "targets")
    assert r.returncode == 0, r.stderr
    names = [l.split()[0] for l in r.stdout.splitlines()]
    assert names == ["c", "cpu"]
    assert all(l.split()[1] == "available" for l in r.stdout.splitlines())


def test_inspect_missing_file(gpuxc, tmp_path):
    r = gpuxc_run(gpuxc, "inspect", tmp_path / "nope.onnx")
    assert r.returncode == 2 and "nope.onnx" in r.stderr
