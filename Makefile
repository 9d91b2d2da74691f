# The two set-up commands of the README:
#   make demo   installs what is needed and trains the quick-start model on the embedded digits
#   make test   installs what is needed, lints (ruff), type-checks (mypy) and runs the test suite
VENV ?= .venv

.PHONY: setup demo test
setup:
	@bash tools/setup_env.sh

demo: setup
	$(VENV)/bin/lava-eqprop train models/digits.toml --out runs/digits --resume

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest -q
