# Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
# tool:debian-package pairs installed when missing (root + apt), else named in one message.
TOOLS := minimap2 samtools bcftools tabix bgzip:tabix
ifeq ($(shell grep -Eq '^aligner:[[:space:]]*bwa' config/config.yaml 2>/dev/null && echo bwa),bwa)
TOOLS += bwa
endif
TEST_TOOLS := bwa plink2 freebayes

.PHONY: setup tools demo test lint bench clean
setup: $(VENV)/.installed tools

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

tools:
	workflow/scripts/ensure_tools.sh $(TOOLS)

demo: setup
	$(BIN)/genorx demo --out resources/demo
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --cores $(CORES)
	@echo "genorx: outputs are in $(CURDIR)/results/<sample>/ (one folder per sample) and results/cohort/"

test: setup
	workflow/scripts/ensure_tools.sh $(TEST_TOOLS)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest

lint: setup
	$(BIN)/ruff check workflow tests benchmarks
	$(BIN)/snakefmt --check Snakefile rules
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --lint

clean:
	rm -rf results logs .snakemake resources/demo

# Container image with the package, the workflow and its tools (podman, else docker); see docs/scale-out.md.
IMAGE ?= genorx:latest
IMAGE_BUILD_ARGS ?=
.PHONY: image
image:
	@engine="$$(command -v podman || command -v docker)" || { echo "make image: needs podman or docker" >&2; exit 2; }; \
	echo "$$engine build $(IMAGE_BUILD_ARGS) -t $(IMAGE) -f Containerfile ."; \
	"$$engine" build $(IMAGE_BUILD_ARGS) -t $(IMAGE) -f Containerfile .
