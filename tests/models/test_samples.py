"""Each sample's gpux.yml builds with the model its script makes (the scripts write into a
temporary folder here, not into samples/)."""
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, random_inputs

SAMPLES = {"mlp": [], "bert": ["--layers", "1"], "resnet50": []}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_builds_from_its_yml(name, gpuxc, tmp_path, run_exe, ort_run, assert_close):
    src = ROOT / "samples" / name
    shutil.copy(src / "gpux.yml", tmp_path / "gpux.yml")
    model = tmp_path / "model.onnx"
    subprocess.run([sys.executable, str(src / "make_model.py"), "-o", str(model), *SAMPLES[name]],
                   check=True, capture_output=True, timeout=600)
    exe = tmp_path / "out" / name
    r = subprocess.run([str(gpuxc), "build", str(tmp_path / "gpux.yml"), "-o", str(exe), "-q"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    feeds = random_inputs(model)
    got = run_exe(exe, feeds)
    for out, want in ort_run(model, feeds).items():
        assert_close(out, got[out], want)
