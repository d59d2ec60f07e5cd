# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv themselves.
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test fuzz bench vulkan-driver clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# Mesa's lavapipe: the real Vulkan driver on CPU-only machines (needs root or sudo; skipped if present).
vulkan-driver:
	@if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null; \
	fi

demo: $(STAMP)
	$(VPY) examples/demo.py

test: $(STAMP) vulkan-driver
	$(VPY) -m pytest -q -p no:cacheprovider -n auto --dist loadfile

fuzz: $(STAMP)
	IRAX_FUZZ_EXAMPLES=2000 $(VPY) -m pytest -q -p no:cacheprovider tests/fuzz

bench: $(STAMP)
	$(VPY) -m pip install -q -e '.[bench]'
	$(VPY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
