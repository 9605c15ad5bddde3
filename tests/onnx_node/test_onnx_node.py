"""Conformance can only go up: every node test listed in expected_pass.txt must pass, on the
portable c target and on the cpu target (SIMD kernels, threads). The full results of each run
are written to tests/.cache/onnx_node/RESULTS-<target>.md; the
checked-in tests/onnx_node/RESULTS.md is regenerated with `run.py --update`."""
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run  # noqa: E402  (tests/onnx_node/run.py)


@pytest.mark.parametrize("target", ["c", "cpu"])
def test_no_node_test_regresses(target, gpuxc, monkeypatch):
    # gpuxc itself runs as built (with the sanitizers under make test); the ~1,800 small
    # programs it writes are compiled without them and at -O0, which keeps this within the CI
    # budget. The kernels run under the sanitizers in tests/ops.
    monkeypatch.setenv("CFLAGS", "-Werror -O0")
    results = run.run_all(gpuxc, target=target)
    run.write_results(results, run.CACHE / f"RESULTS-{target}.md")
    by_name = {r.name: r for r in results}
    expected = [n for n in run.EXPECTED.read_text().split() if n]
    missing = [n for n in expected if n not in by_name]
    regressed = [by_name[n] for n in expected if n in by_name and by_name[n].status != "pass"]
    newly = sorted(r.name for r in results if r.status == "pass" and r.name not in expected)
    print(run.summary(results)[1])
    if newly:
        print(f"{len(newly)} tests pass that expected_pass.txt does not list yet "
              f"(run.py --update): {', '.join(newly[:20])}")
    assert not missing, f"node tests missing from onnx {run.onnx.__version__}: {missing[:20]}"
    assert not regressed, "node tests that passed before now do not:\n" + "\n".join(
        f"  {r.name}: {r.status}: {r.detail}" for r in regressed)
