#!/usr/bin/env bash
# The test command: bash scripts/test.sh [extra pytest args]
# Installs what the tests need on a fresh machine (Debian's chromium, the pinned Python
# packages, axe-core for accessibility checks), then runs the whole suite.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

AXE_CORE_VERSION=4.14.1

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "scripts/test.sh: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

# The browser for tests/e2e: Debian's chromium (`playwright install` has no network here).
if [ ! -x /usr/bin/chromium ]; then
    echo "Installing chromium with apt-get…" >&2
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

PYTHON="${PYTHON:-$(command -v python || command -v python3)}"
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check -r requirements-dev.txt

# axe-core for the accessibility tests, into this repository's node_modules only.
if [ ! -d node_modules/axe-core ]; then
    if command -v npm >/dev/null 2>&1; then
        npm install --prefix "$PWD" --no-audit --no-fund --no-save "axe-core@${AXE_CORE_VERSION}"
    else
        echo "scripts/test.sh: npm not found; accessibility tests need node_modules/axe-core" >&2
    fi
fi

status=0
"$PYTHON" -m pytest -q -p no:cacheprovider --timeout=120 "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests — treating that as a failure." >&2
    exit 1
fi
exit "$status"
