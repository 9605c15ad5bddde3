"""Loading a large model keeps one copy of its weights in memory: protobuf-c copies each
raw_data once while the mapped file's pages are dropped, and BatchNormalization is folded
into the weights in place. Measured on the release build (the sanitizers' own memory would
hide it)."""
import subprocess
import sys

from conftest import ROOT

MEASURE = """
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(r.stderr)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kib(*cmd):
    out = subprocess.run([sys.executable, "-c", MEASURE, *map(str, cmd)], capture_output=True,
                         text=True, timeout=600)
    rc, rss = out.stdout.split()
    assert rc == "0", out.stderr
    return int(rss)


def test_resnet50_loads_with_one_copy_of_its_weights(zoo_model, tmp_path):
    gpuxc = ROOT / "build" / "gpuxc"
    assert gpuxc.is_file(), f"the release build {gpuxc} is missing (make gpuxc)"
    model = zoo_model("resnet50")
    size_kib = model.stat().st_size // 1024
    rss = peak_rss_kib(gpuxc, "build", model, "-o", tmp_path / "r", "--emit-only", "-q")
    print(f"model {size_kib} KiB, gpuxc peak RSS {rss} KiB ({rss / size_kib:.2f}x)")
    assert rss < 1.4 * size_kib
