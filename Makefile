# The two commands a new machine needs: `make run` and `make test`. Both install first.
PYTHON ?= python3.11
UV_VERSION := 0.13.8
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format bench clean

install: $(VENV)/.installed

# Bytecode is compiled once here, as in the Dockerfile: where PYTHONDONTWRITEBYTECODE is set,
# every process (each one preparing an import, say) would otherwise compile every module again.
$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --compile-bytecode --python $(BIN)/python
	touch $@

run: install
	$(BIN)/catalog db upgrade
	$(BIN)/catalog db seed sample_records
	$(BIN)/catalog serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/ruff format --check app tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

format: install
	$(BIN)/ruff format app tests bench migrations
	$(BIN)/ruff check --fix app tests bench migrations

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis var
