# Two commands that work on a fresh machine with nothing but Python 3.11:
#   make run    the dashboard on the demo account (built on first run), for you alone on 127.0.0.1
#   make test   the whole test suite (installs Debian's chromium + fonts-noto-cjk when missing)
# On a server: make install   the venv with the runtime requirements only (no test tools, no
# browser; docs/deployment.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= $(or $(DASHBOARD_DB),data/dashboard.duckdb)
PORT   ?= 8501

.PHONY: install run test demo bench browser-deps clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-cache-dir -r requirements.txt

run: $(STAMP)
	test -f "$(DB)" || $(BIN)/python -m dashboard demo --db "$(DB)"
	DASHBOARD_SINGLE_USER=true DASHBOARD_DB="$(DB)" $(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q -n 2

demo: $(STAMP)
	$(BIN)/python -m dashboard demo --db "$(DB)" --replace

bench: $(STAMP)
	$(BIN)/python -m dashboard bench --friends 1000000

# The browser test drives Debian's chromium through Playwright (no browser downloads are possible
# here); without fonts-noto-cjk every Japanese character renders as a box in screenshots.
browser-deps:
	@if dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	else echo "chromium/fonts-noto-cjk missing and not root: the browser test will skip (fails under CI=true)"; exit 0; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
