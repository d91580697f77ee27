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

# Debian's python3 needs python3-venv for `python3 -m venv` (installed with apt as root).
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "genorx: needs Python >= 3.11 (found $$($(PYTHON) --version 2>&1)); set PYTHON=python3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "genorx: installing python3-venv with apt" >&2; apt-get update -qq >/dev/null; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; \
	  else echo "genorx: '$(PYTHON) -m venv' failed; install python3-venv (or use PYTHON=<python 3.11+>)" >&2; exit 1; fi; \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

tools:
	@workflow/scripts/ensure_tools.sh $(TOOLS)

# The demo is deterministic: generated once (delete resources/demo to regenerate).
resources/demo/manifest.json: | $(VENV)/.installed
	$(BIN)/genorx demo --out resources/demo

demo: setup resources/demo/manifest.json
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --cores $(CORES) --rerun-incomplete
	@echo "genorx: done. Per sample: $(CURDIR)/results/<sample>/ (alignment, variant calls,"
	@echo "        target status, pharmacogenomics, polygenic scores, therapy table and report);"
	@echo "        cohort: $(CURDIR)/results/cohort/; logs: logs/, per-rule cost: benchmarks/<rule>/."

test: setup
	@workflow/scripts/ensure_tools.sh $(TEST_TOOLS)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python $$b || exit 1; done

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
