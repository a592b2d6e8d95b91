# twinstudio: `make demo` and `make test` work on a fresh machine.
# The virtual environment in .venv is reused when present; the stamp file is rebuilt only
# when pyproject.toml changes. torch (a local CPU wheel) is installed before anything that
# depends on it, once an extra that needs it is enabled (render/diffusion, later issues).

comma  := ,
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev,body,render,perception,web
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
NEEDS_TORCH := $(filter body render diffusion,$(subst $(comma), ,$(EXTRAS)))
TORCH_PIN   := $(if $(NEEDS_TORCH),torch==2.13.0,)
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

# Debian packages: EGL + Mesa's software OpenGL for the raster renderer (and libGL for
# OpenCV). Installed once, only when missing (needs root, as on these machines and CI).
DEB_PACKAGES := libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libopengl0 libxrender1
# The web portal's browser tests drive Debian's chromium through Playwright (issue 8).
DEB_PACKAGES += chromium fonts-dejavu-core
DEB_STAMP    := $(VENV)/.debian-packages

.PHONY: demo test lint unit setup clean warm system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
ifneq ($(NEEDS_TORCH),)
	$(BIN)/pip install --quiet torch==2.13.0
endif
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]' $(TORCH_PIN)
	touch $@

$(DEB_STAMP): | $(BIN)/python
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	  | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi
	touch $@

system-deps: $(DEB_STAMP)

setup: $(STAMP) $(DEB_STAMP)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

warm: setup
	# Build anny's model cache once (about a minute the first time, under .cache/) so that
	# test workers never build it concurrently.
	$(BIN)/python -c "from twinstudio.body3d.model import body_model; body_model()"

test: setup system-deps lint warm
	TWINSTUDIO_TEST_POSTGRES_URL=$${TWINSTUDIO_TEST_POSTGRES_URL:-$(TEST_POSTGRES_URL)} \
	  $(BIN)/pytest -n 2 --dist loadgroup -q

unit: setup
	$(BIN)/pytest -q tests/unit

demo: setup
	$(BIN)/twinstudio demo --workspace demo-workspace --reset

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .ruff_cache .hypothesis .cache
