#!/usr/bin/env bash
# Provides schemathesis, the property-based API tester behind `npm run test:schemathesis`:
# installs the pinned PyPI package into .tools/python-schemathesis (project-local, not
# system-wide). Folio itself does not use it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.tools/python-schemathesis"
version="${SCHEMATHESIS_VERSION:-4.32.5}"

if [ -x "$target/bin/schemathesis" ] && grep -q "^Version: $version$" "$target"/schemathesis-*.dist-info/METADATA 2>/dev/null; then exit 0; fi
echo "Installing schemathesis $version from PyPI into $target" >&2
python3 -m pip install --quiet --disable-pip-version-check --upgrade --target "$target" "schemathesis==$version"
