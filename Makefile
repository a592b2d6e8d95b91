# twinstudio: `make demo` and `make test` work on a fresh machine.
# The virtual environment in .venv is reused when present; the stamp file is rebuilt only
# when pyproject.toml changes. torch (a local CPU wheel) is installed before anything that
# depends on it, once an extra that needs it is enabled (render/diffusion, later issues).

comma  := ,
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
NEEDS_TORCH := $(filter render diffusion,$(subst $(comma), ,$(EXTRAS)))
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: demo test lint unit setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
ifneq ($(NEEDS_TORCH),)
	$(BIN)/pip install --quiet torch==2.13.0
endif
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

test: setup lint
	TWINSTUDIO_TEST_POSTGRES_URL=$${TWINSTUDIO_TEST_POSTGRES_URL:-$(TEST_POSTGRES_URL)} \
	  $(BIN)/pytest -n 2 -q

unit: setup
	$(BIN)/pytest -q tests/unit

demo: setup
	$(BIN)/twinstudio demo --workspace demo-workspace --reset

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .ruff_cache .hypothesis
