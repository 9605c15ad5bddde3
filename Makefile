# gpuxc: an ahead-of-time compiler from ONNX models to standalone C programs.
#
#   make demo   install what is missing, build gpuxc, compile the sample MLP, run it
#   make test   install what is missing, build (also with ASan/UBSan), run every test
# (./make.sh TARGET does the same on a machine that does not have make yet.)
#
# Everything else is a step of those two.

PY      = .venv/bin/python
BUILD   = build
ASAN    = build-asan
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps gpuxc gpuxc-asan demo test unit pytest clean

all: gpuxc

deps:
	@./scripts/bootstrap.sh

gpuxc: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > /dev/null
	@cmake --build $(BUILD) -j $(JOBS)

gpuxc-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DGPUXC_SANITIZE=ON > /dev/null
	@cmake --build $(ASAN) -j $(JOBS)

demo: gpuxc
	$(PY) samples/mlp/make_model.py
	$(PY) samples/mlp/make_input.py
	$(BUILD)/gpuxc build samples/mlp/gpux.yml -o samples/mlp/out/mlp
	samples/mlp/out/mlp --info
	samples/mlp/out/mlp --input samples/mlp/input.npy --output-dir samples/mlp/out
	$(PY) -c "import numpy as np; y = np.load('samples/mlp/out/output.npy'); \
	  print('output', y.shape, 'class per row', y.argmax(axis=1))"
	samples/mlp/out/mlp --benchmark --runs 50

# The tests run gpuxc built with AddressSanitizer and UndefinedBehaviorSanitizer, and
# compile the generated programs with both sanitizers too (and -Werror). GCC's flow-based
# warnings misfire on sanitizer-instrumented code, so those three are off here; the
# warning-free build without sanitizers is checked by tests/models/test_project.py.
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -Wno-stringop-overflow -Wno-array-bounds -Wno-maybe-uninitialized

test: gpuxc gpuxc-asan
	cd $(ASAN) && ctest --output-on-failure -j $(JOBS)
	GPUXC=$(ASAN)/gpuxc GPUXC_CFLAGS="$(SANITIZE)" $(PY) -m pytest -q

unit: gpuxc-asan
	cd $(ASAN) && ctest --output-on-failure -j $(JOBS)

pytest: gpuxc-asan
	GPUXC=$(ASAN)/gpuxc GPUXC_CFLAGS="$(SANITIZE)" $(PY) -m pytest -q

clean:
	rm -rf $(BUILD) $(ASAN) tests/.cache
