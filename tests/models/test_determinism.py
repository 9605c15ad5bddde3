"""Building the same model twice gives byte-identical sources: CI pipelines diff OUT.src/."""
from pathlib import Path

import pytest


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", ["tinycnn", "tinybert"])
def test_sources_are_byte_identical(name, zoo_model, compile_model, tmp_path):
    model = zoo_model(name)
    first = tree(f"{compile_model(model, tmp_path / 'a')}.src")
    second = tree(f"{compile_model(model, tmp_path / 'b')}.src")
    assert first, "OUT.src/ is empty"
    assert sorted(first) == sorted(second), "the two builds wrote different file lists"
    differ = [p for p in first if first[p] != second[p]]
    assert not differ, f"files differ between two builds of the same model: {differ}"
