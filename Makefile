.PHONY: setup demo test ci lint sandboxes
setup: ; scripts/setup dev
demo: ; scripts/demo
test: ; scripts/test
ci: ; bash .ci/run
lint: ; .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports
