#!/usr/bin/env bash
# Provides pdfplumber, the baseline of the table-structure benchmark (bench/tables.ts): installs
# the PyPI package into .tools/python (project-local, not system-wide). Nothing in Folio itself
# uses it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.tools/python"
version="${PDFPLUMBER_VERSION:-0.11.10}"

if [ -f "$target/pdfplumber/__init__.py" ]; then exit 0; fi
echo "Installing pdfplumber $version from PyPI into $target" >&2
python3 -m pip install --quiet --disable-pip-version-check --target "$target" "pdfplumber==$version"
