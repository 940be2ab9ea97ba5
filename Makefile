# nnreg. The README's two commands: `make run` (the main job) and `make test`.
# Every target installs what it needs first (Debian packages through apt-get).
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libjpeg-dev libpng-dev dataset-fashion-mnist pkg-config python3 python3-venv time \
  openmpi-bin libopenmpi-dev
FASHION_IDX := /usr/share/datasets/fashion-mnist
RELEASE_BIN := .build/release/nnreg

.PHONY: deps build release data data-csv data-png run test bench ablation lint clean refs-env bench-peers test-env onnx-proto

## deps: the Debian packages the build, the data and the tests need.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## data: Fashion-MNIST from the Debian package, as CSV (data/fashion-mnist/{train,test}.csv)
## and as PNG class folders (data/fashion-mnist-png/{train,test}/<id>_<class>/).
data: data-csv data-png

data-csv: deps
	python3 tools/fashion_mnist_csv.py $(FASHION_IDX) data/fashion-mnist

data-png: deps
	python3 tools/fashion_mnist_png.py $(FASHION_IDX) data/fashion-mnist-png

## run: the main job: train specs/fashion-mlp.json (replacing an earlier run) and print the test metrics.
run: release data
	$(RELEASE_BIN) train specs/fashion-mlp.json --overwrite

## test: every test (unit, reference values, CLI, a 2-epoch MLP on Fashion-MNIST), after the lint.
test: deps data-csv lint test-env
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## bench: nnreg's throughput, memory and load times beside Keras and PyTorch (when installed).
bench: release data
	python3 bench/bench.py

## bench-peers: Keras/TF-CPU and PyTorch into .venv-bench, for make bench (several GB from PyPI).
bench-peers: deps
	bash bench/setup_peers.sh

## docs: regenerate docs/spec-reference.md from the spec schemas (nnreg schema --markdown).
.PHONY: docs
docs: deps
	$(SWIFT) build --product nnreg
	"$$($(SWIFT) build --show-bin-path)/nnreg" schema --markdown > docs/spec-reference.md

## lint: swift-format (ships with the toolchain) with the checked-in .swift-format; warnings fail.
lint:
	$(SWIFT) format lint --strict --recursive --configuration .swift-format Sources Tests

## test-env: the tests' Python tools in .venv-test (PyPI): onnx and onnxruntime for the export tests
## (tools/onnx_check.py), tensorboard for the event-file tests (tools/tensorboard_check.py).
TEST_VENV := .venv-test
test-env: deps
	@$(TEST_VENV)/bin/python -c "import onnx, onnxruntime, numpy, tensorboard" 2>/dev/null || { \
	  python3 -m venv $(TEST_VENV) && \
	  $(TEST_VENV)/bin/pip install -q onnx==1.23.2 onnxruntime==1.32.0 tensorboard==2.21.0 numpy; }

## onnx-proto: regenerate Sources/NNReg/Export/Generated/onnx.pb.swift (committed: a one-off, the build does
## not need protoc) from the onnx package's onnx.proto, with protoc and the protoc-gen-swift of the
## swift-protobuf the package resolves.
## tensorboard-proto: the same for Sources/NNReg/TensorBoard/Generated/tensorboard_event.pb.swift, from
## tools/proto/tensorboard_event.proto (the fields of TensorBoard's event.proto that nnreg writes).
PROTOC_GEN_SWIFT := .build/protoc-gen-swift/release/protoc-gen-swift
.PHONY: protoc-gen-swift tensorboard-proto
protoc-gen-swift: deps
	@dpkg -s protobuf-compiler >/dev/null 2>&1 || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq protobuf-compiler; }
	$(SWIFT) package resolve
	$(SWIFT) build -c release --package-path .build/checkouts/swift-protobuf --scratch-path .build/protoc-gen-swift \
	  --product protoc-gen-swift

onnx-proto: test-env protoc-gen-swift
	proto=$$($(TEST_VENV)/bin/python -c "import onnx, os; print(os.path.dirname(onnx.__file__))"); \
	protoc --plugin=protoc-gen-swift=$(PROTOC_GEN_SWIFT) \
	  --swift_out=Sources/NNReg/Export/Generated -I "$$proto" "$$proto/onnx.proto"

tensorboard-proto: protoc-gen-swift
	mkdir -p Sources/NNReg/TensorBoard/Generated
	protoc --plugin=protoc-gen-swift=$(PROTOC_GEN_SWIFT) \
	  --swift_out=Sources/NNReg/TensorBoard/Generated -I tools/proto tools/proto/tensorboard_event.proto

## refs-env: Keras/TensorFlow in .venv, to regenerate Tests/NNRegTests/Fixtures (tools/reference/*.py).
refs-env:
	[ -x .venv/bin/python ] || python3 -m venv .venv
	.venv/bin/pip install -q tensorflow-cpu==2.21.0 keras==3.15.1 pandas safetensors pillow

clean:
	rm -rf .build

## Experiments: each is a sweep (specs/<name>/sweep*.json) whose write-up docs/<name>.md is
## rendered from docs/templates/<name>.md by running the commands it shows (tools/render_doc.sh).
EXPERIMENTS := ablation tuning augmentation recurrent
.PHONY: $(EXPERIMENTS) data-subsets

## data-subsets: train-5k.csv and the 1,000-image train-1k/ PNG folder the experiments train on.
data-subsets: data
	bash tools/fashion_mnist_subsets.sh

## ablation: every regularization technique as one sweep on 5,000 Fashion-MNIST images, 3 seeds -> docs/ablation.md.
## tuning: 27 random configurations (dropout x L2 x learning rate) to completion and with halving -> docs/tuning.md.
## augmentation: the fashion CNN on 1,000 PNGs with and without augmentation, 3 seeds -> docs/augmentation.md.
## recurrent: stacked LSTMs on weekly CO2, levels against differences, 3 seeds -> docs/recurrent.md.
$(EXPERIMENTS): release data-subsets
	bash tools/render_doc.sh docs/templates/$@.md > docs/.$@.md.tmp
	mv docs/.$@.md.tmp docs/$@.md
