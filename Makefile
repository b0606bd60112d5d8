# bptrace — set-up and everyday targets. `make demo` and `make test` work on a fresh machine
# that has only Python 3.11+, pip and make.
PYTHON ?= python3
VENV ?= .venv
# Torch is installed from this pin before the package, so `pip install -e .` never pulls a
# multi-GB CUDA build. Override with e.g. `make test TORCH=torch==2.14.1`.
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.bptrace-installed

.PHONY: demo test lint screenshots bench install clean catalogs

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# the serve tests' real parts: the OpenSSH client and headless Chromium (Debian packages)
	command -v ssh >/dev/null || ! command -v apt-get >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq openssh-client; }
	command -v chromium >/dev/null || ! command -v apt-get >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	@# pdflatex and CJKutf8 (gbsn font) for the worksheet's compile test in English and Chinese
	@# (about a minute from Debian's packages); without them (no root, no apt) that test is
	@# skipped and says why
	{ command -v pdflatex >/dev/null && kpsewhich CJKutf8.sty >/dev/null; } || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends \
		texlive-latex-base texlive-latex-recommended latex-cjk-chinese \
		latex-cjk-chinese-arphic-gbsn00lp; } \
		|| echo "pdflatex or CJKutf8 not installed: the LaTeX compile test will be skipped"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bptrace

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory lint

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

# The message catalog (bptrace.i18n): extract every marked text from the source, merge it into
# the Chinese catalog (new texts arrive untranslated: translate them in the .po), compile the
# .mo that is committed beside it. tests/unit/test_catalog.py fails while any text is missing.
LOCALE := src/bptrace/locale
catalogs: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --omit-header --sort-output \
		--project bptrace -o $(LOCALE)/bptrace.pot .
	$(BIN)/pybabel -q update -i $(LOCALE)/bptrace.pot -d $(LOCALE) -D bptrace -l zh_CN \
		--ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date --no-wrap
	$(BIN)/pybabel compile -d $(LOCALE) -D bptrace -l zh_CN --statistics

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_trace.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
