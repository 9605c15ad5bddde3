"""The generated executable: its flags, its JSON, and its error paths, on models compiled by
gpuxc (the driver itself has C unit tests in tests/unit/test_cli.c)."""
import json
import subprocess

import numpy as np
import pytest

USAGE, BAD_DATA = 1, 2


@pytest.fixture(scope="module")
def cnn(tmp_path_factory, gpuxc, zoo_model):
    """tinycnn compiled once: (exe, model path)."""
    out = tmp_path_factory.mktemp("cnn")
    model = zoo_model("tinycnn")
    subprocess.run([str(gpuxc), "build", str(model), "-o", str(out / "cnn"), "-q"], check=True)
    return out / "cnn", model


@pytest.fixture(scope="module")
def bert(tmp_path_factory, gpuxc, zoo_model):
    """tinybert (int64 input_ids and attention_mask) compiled once."""
    out = tmp_path_factory.mktemp("bert")
    model = zoo_model("tinybert")
    subprocess.run([str(gpuxc), "build", str(model), "-o", str(out / "bert"), "-q"], check=True)
    return out / "bert", model


def run(exe, *args, stdin=None):
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                       input=stdin, timeout=120)
    assert r.returncode >= 0, f"{exe.name} died of signal {-r.returncode}: {r.stderr}"
    return r


def test_bare_input_and_output_dir(cnn, tmp_path, ort_run, assert_close):
    exe, model = cnn
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = run(exe, "--input", tmp_path / "x.npy", "--output-dir", tmp_path / "out" / "deep")
    assert r.returncode == 0, r.stderr
    got = np.load(tmp_path / "out" / "deep" / "output.npy")
    assert_close("output", got, ort_run(model, {"input": x})["output"])


def test_json_in_and_out(cnn, ort_run, assert_close):
    exe, model = cnn
    x = np.random.default_rng(2).standard_normal((1, 3, 32, 32)).astype(np.float32)
    r = run(exe, "--input-json", json.dumps({"input": x.tolist()}))
    assert r.returncode == 0, r.stderr
    got = np.asarray(json.loads(r.stdout)["output"], dtype=np.float32)
    assert_close("output", got, ort_run(model, {"input": x})["output"])
    r = run(exe, "--input-json", "-", stdin=json.dumps({"input": x.ravel().tolist()}))
    assert r.returncode == 0, r.stderr
    assert_close("output (flat json)", np.asarray(json.loads(r.stdout)["output"], np.float32),
                 ort_run(model, {"input": x})["output"])


def test_two_int_inputs(bert, tmp_path, random_inputs, run_exe, ort_run, assert_close):
    exe, model = bert
    feeds = random_inputs(model)
    got = run_exe(exe, feeds)
    for name, want in ort_run(model, feeds).items():
        assert_close(name, got[name], want)


def test_info_json(cnn):
    exe, model = cnn
    r = run(exe, "--info", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["name"] == model.stem and info["target"] == "c"
    assert info["inputs"] == [{"name": "input", "type": "float32", "shape": [1, 3, 32, 32]}]
    assert info["outputs"][0]["shape"] == [1, 10]
    assert info["arena_bytes"] > 0 and info["weight_bytes"] > 0
    assert info["arena_bytes"] <= info["intermediate_bytes"]


def test_benchmark_json(cnn):
    exe, _ = cnn
    r = run(exe, "--benchmark", "--runs", "7", "--warmup", "1", "--json")
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout)
    for k in ("avg_inference_time", "min_inference_time", "max_inference_time",
              "p50_inference_time", "p99_inference_time", "fps"):
        assert b[k] > 0, k
    assert b["min_inference_time"] <= b["p50_inference_time"] <= b["max_inference_time"]
    assert b["runs"] == 7


@pytest.mark.parametrize("make,args,message", [
    (None, [], "missing input 'input' (float32 [1,3,32,32]); pass --input input=FILE.npy"),
    (lambda p: np.save(p, np.zeros((1, 3, 32, 32))), ["--input", "{f}"],
     "expected float32 ('<f4'), got float64 ('<f8')"),
    (lambda p: np.save(p, np.zeros((1, 3, 31, 32), np.float32)), ["--input", "input={f}"],
     "expected shape [1,3,32,32], got [1,3,31,32]"),
    (None, ["--input", "{f}"], "No such file or directory"),
    (lambda p: p.write_bytes(b"\x93NUMPY\x01\x00garbage"), ["--input", "{f}"], "input 'input'"),
    (lambda p: p.write_bytes(b"not numpy at all"), ["--input", "{f}"], "input 'input'"),
    (None, ["--input-json", '{"input": [1, 2'], "--input-json"),
    (None, ["--input-json", '{"input": [[1, 2]]}'], "input 'input'"),
])
def test_bad_inputs(cnn, tmp_path, make, args, message):
    exe, _ = cnn
    f = tmp_path / "in.npy"
    if make:
        make(f)
    r = run(exe, *[a.replace("{f}", str(f)) for a in args])
    assert r.returncode == BAD_DATA, r.stderr
    assert message in r.stderr


def test_unknown_and_repeated_inputs(bert, tmp_path):
    exe, _ = bert
    np.save(tmp_path / "ids.npy", np.zeros((1, 16), np.int64))
    r = run(exe, "--input", f"nope={tmp_path / 'ids.npy'}", "--input",
            f"attention_mask={tmp_path / 'ids.npy'}")
    assert r.returncode == BAD_DATA and "input_ids" in r.stderr
    r = run(exe, "--input", f"input_ids={tmp_path / 'ids.npy'}", "--input",
            f"input_ids={tmp_path / 'ids.npy'}")
    assert r.returncode == BAD_DATA and "input_ids" in r.stderr


@pytest.mark.parametrize("args", [["--frobnicate"], ["--runs"], ["--benchmark", "--runs", "0"],
                                  ["--benchmark", "--runs", "abc"]])
def test_usage_errors(cnn, args):
    r = run(cnn[0], *args)
    assert r.returncode == USAGE, r.stderr
    assert "--help" in r.stderr
