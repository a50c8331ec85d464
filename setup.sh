#!/usr/bin/env bash
# The hotline's two set-up commands (README), for a fresh Debian 12 machine, as root:
#   ./setup.sh demo   install everything, then run the lab, the bridge, the console
#                     (http://127.0.0.1:5000) with demo data and demo calls
#   ./setup.sh test   install everything, then run the whole test suite
# Both are idempotent: a second run reuses what the first installed.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"
REPO=$(pwd)
VENV="$REPO/.venv"

# Debian packages: the lab's chroot builder, Redis, PostgreSQL (tests and production),
# SIPp (calls without phones), chromium and a CJK font (browser tests and their
# screenshots), espeak-ng + sox (Mandarin
# IVR prompts), python3-venv; nginx, openssl and systemd's systemd-analyze for the
# production files' tests (deploy/, tests/integration/test_production_lab.py); Kamailio
# in front of several Asterisk hosts (tests/integration/test_two_hosts_lab.py; apt does
# not start its service).
APT_PACKAGES="python3 python3-venv python3-dev ca-certificates debootstrap redis-server postgresql sip-tester chromium fonts-wqy-microhei espeak-ng sox git nginx openssl systemd kamailio"

log() { printf '\n== %s\n' "$*"; }

require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "setup.sh: run as root (it installs Debian packages and runs Asterisk in a chroot)" >&2
        exit 2
    fi
}

install_debian_packages() {
    log "Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $APT_PACKAGES
    if ! command -v npm >/dev/null; then
        apt-get install -y -q nodejs npm
    fi
}

install_python() {
    log "Python packages (venv at $VENV)"
    if [ ! -x "$VENV/bin/python" ]; then
        /usr/bin/python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e ".[test]"
}

install_frontend() {
    log "Front-end libraries (npm, from the lock file)"
    if [ -f agent_console/static/package-lock.json ]; then
        (cd agent_console/static && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

prepare_runtime() {
    log "Lab (Asterisk 22 + Redis), prompts, database"
    "$VENV/bin/hotline" lab up
    if "$VENV/bin/hotline" prompts --help >/dev/null 2>&1; then
        "$VENV/bin/hotline" prompts build
    fi
    "$VENV/bin/hotline" db upgrade
    "$VENV/bin/hotline" console compile-translations
}

install_all() {
    require_root
    install_debian_packages
    install_python
    install_frontend
}

run_tests() {
    install_all
    log "PostgreSQL for the data-layer tests"
    HOTLINE_TEST_POSTGRES_URL=$("$REPO/scripts/start-postgres.sh")
    export HOTLINE_TEST_POSTGRES_URL
    prepare_runtime
    log "Test suite"
    mkdir -p "$REPO/test-artifacts"
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$REPO/test-artifacts/junit.xml" tests
}

run_demo() {
    install_all
    prepare_runtime
    log "Demo: bridge, console and demo calls (Ctrl-C stops them; 'hotline lab down' stops the lab)"
    exec "$VENV/bin/hotline" demo run
}

case "${1:-}" in
    demo) run_demo ;;
    test) run_tests ;;
    *) echo "usage: ./setup.sh demo | test" >&2; exit 2 ;;
esac
