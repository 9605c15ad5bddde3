"""Per-node profiling: `gpuxc build --profile` (or build.profile in gpux.yml) and the program's
`--profile trace.json` (Chrome trace JSON plus a summary on stderr), on both C targets."""
import json
import subprocess

import numpy as np
import onnx
import pytest

USAGE, BAD_DATA = 1, 2


def build(gpuxc, src, out, *flags):
    r = subprocess.run([str(gpuxc), "build", str(src), "-o", str(out), "-q", *flags],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def run(exe, *args):
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode >= 0, f"{exe.name} died of signal {-r.returncode}: {r.stderr}"
    return r


@pytest.fixture(scope="module", params=["c", "cpu"])
def profiled(request, tmp_path_factory, gpuxc, zoo_model):
    """tinycnn built with --profile for each target: (exe, model path, src folder)."""
    out = tmp_path_factory.mktemp("prof") / "cnn"
    model = zoo_model("tinycnn")
    build(gpuxc, model, out, "--profile", "--target", request.param)
    return out, model, out.parent / "cnn.src"


def node_events(trace):
    return [e for e in trace["traceEvents"] if e["cat"] != "run"]


def test_trace_names_every_node_of_every_run(profiled, tmp_path, ort_run, assert_close):
    exe, model, src = profiled
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = run(exe, "--input", tmp_path / "x.npy", "--output-dir", tmp_path / "out",
            "--profile", tmp_path / "t.json")
    assert r.returncode == 0, r.stderr
    # profiling does not change the answer
    assert_close("output", np.load(tmp_path / "out" / "output.npy"),
                 ort_run(model, {"input": x})["output"])
    trace = json.loads((tmp_path / "t.json").read_text())
    runs = [e for e in trace["traceEvents"] if e["cat"] == "run"]
    nodes = node_events(trace)
    assert len(runs) == 1 and trace["otherData"]["runs"] == 1
    assert nodes, "no node was timed"
    onnx_names = {n.name for n in onnx.load(str(model)).graph.node}
    hooks = (src / "model.c").read_text().count("ctx->profile(ctx->profile_user")
    assert len(nodes) == hooks // 2  # one span per node that runs code
    for e in nodes:
        assert e["ph"] == "X" and e["dur"] >= 0
        assert e["name"] in onnx_names, e["name"]
        assert e["cat"] == e["args"]["op"] and "->" in e["args"]["shapes"]
        # inside its run
        assert runs[0]["ts"] <= e["ts"] and e["ts"] + e["dur"] <= runs[0]["ts"] + runs[0]["dur"]
    starts = [e["ts"] for e in nodes]
    assert starts == sorted(starts)
    assert "op" in r.stderr and "slowest nodes" in r.stderr
    assert "Conv" in r.stderr


def test_benchmark_records_only_timed_runs(profiled, tmp_path):
    exe, _, _ = profiled
    r = run(exe, "--benchmark", "--runs", 3, "--warmup", 2, "--json",
            "--profile", tmp_path / "t.json")
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)  # the benchmark's JSON stays alone on stdout
    trace = json.loads((tmp_path / "t.json").read_text())
    runs = [e for e in trace["traceEvents"] if e["cat"] == "run"]
    assert [e["name"] for e in runs] == ["run 0", "run 1", "run 2"]
    per_run = len(node_events(trace)) // 3
    assert per_run > 0 and len(node_events(trace)) == 3 * per_run
    assert "profile: 3 runs" in r.stderr


def test_yml_key_turns_it_on(gpuxc, zoo_model, tmp_path):
    model = zoo_model("tinycnn")
    (tmp_path / "gpux.yml").write_text(
        f"name: cnn\nversion: \"1.0\"\nmodel:\n  source: {model}\nbuild:\n  profile: true\n")
    exe = build(gpuxc, tmp_path / "gpux.yml", tmp_path / "cnn")
    r = run(exe, "--benchmark", "--runs", 1, "--warmup", 0, "--profile", tmp_path / "t.json")
    assert r.returncode == 0, r.stderr
    assert node_events(json.loads((tmp_path / "t.json").read_text()))


def test_without_profiling_is_a_clear_usage_error(gpuxc, zoo_model, tmp_path):
    out = build(gpuxc, zoo_model("tinycnn"), tmp_path / "cnn")
    code = (tmp_path / "cnn.src" / "model.c").read_text()
    assert "profile_user, " not in code  # no hooks unless asked for
    r = run(out, "--benchmark", "--runs", 1, "--profile", tmp_path / "t.json")
    assert r.returncode == USAGE
    assert "built without profiling" in r.stderr and "--profile" in r.stderr
    assert not (tmp_path / "t.json").exists()


@pytest.mark.parametrize("args,code,message", [
    (["--info", "--profile", "t.json"], USAGE, "--info and --profile"),
    (["--benchmark", "--runs", "1", "--profile"], USAGE, "needs a value"),
    (["--benchmark", "--runs", "1", "--profile", "no/such/dir/t.json"], BAD_DATA,
     "cannot write 'no/such/dir/t.json'"),
])
def test_profile_errors(profiled, tmp_path, args, code, message):
    exe, _, _ = profiled
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path)
    assert r.returncode == code, r.stderr
    assert message in r.stderr
