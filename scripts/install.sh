#!/usr/bin/env bash
# Install everything into .venv/ at the repository root (idempotent).
#   scripts/install.sh          the library, CLI, UI, HTTP API (with the MCP server) and LLM clients
#   scripts/install.sh --test   also the test tools: pytest, Playwright's Python package, Debian's Chromium
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)
# CPU torch first: anything that depends on torch would otherwise pull a multi-GB CUDA build.
.venv/bin/python -c "import torch" 2>/dev/null || "${PIP[@]}" torch==2.13.0
if [ "${1:-}" = "--test" ]; then
  "${PIP[@]}" -e ".[dev,local]"
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
    else
      echo "install.sh: browser tests need Debian's chromium and chromium-driver (run as root or install them)" >&2
    fi
  fi
else
  "${PIP[@]}" -e ".[llm,ui,api]"
fi
