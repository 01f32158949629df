#!/usr/bin/env bash
# Installs the system libraries SeoulWorld builds against, if they are missing:
# libuv (the network loop), pkg-config (which tells SwiftPM where libuv is), and SQLite's
# development files (the store, through GRDB; docs/DATA.md).
# Debian/Ubuntu only; elsewhere it says what to install and stops.
#
#   scripts/install-deps.sh          # to build and run the server
#   scripts/install-deps.sh --test   # also Prometheus' promtool, which the tests run on /metrics,
#                                    # and PostgreSQL, which the store's tests run (scripts/pg-scratch.sh)
#   scripts/install-deps.sh --e2e    # also headless Chromium and a Korean font (make e2e)
set -euo pipefail

test_tools=false ; browser=false
for argument in "$@"; do
    case "$argument" in
        --test) test_tools=true ;;
        --e2e) test_tools=true ; browser=true ;;
        *) echo "install-deps: unknown option $argument (use --test or --e2e)" >&2 ; exit 2 ;;
    esac
done

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists libuv 2>/dev/null; then missing+=(libuv1-dev); fi
if ! pkg-config --exists sqlite3 2>/dev/null && [ ! -f /usr/include/sqlite3.h ]; then missing+=(libsqlite3-dev); fi

if $test_tools && ! command -v promtool >/dev/null 2>&1; then missing+=(prometheus); fi
postgres_present() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
if $test_tools && ! postgres_present; then missing+=(postgresql); fi
if $browser && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
if $browser && ! fc-list 2>/dev/null | grep -qi nanum; then missing+=(fonts-nanum); fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]}, and this is not a Debian-like system (no apt-get)." >&2
    echo "install-deps: install the development files of libuv and SQLite, and pkg-config, with your package manager, then retry." >&2
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "install-deps: need root (or sudo) to apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# No recommends: prometheus would bring its whole web console, chromium a desktop's worth.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
pkg-config --exists libuv || { echo "install-deps: libuv still not found by pkg-config after installing" >&2; exit 1; }
[ -f /usr/include/sqlite3.h ] || { echo "install-deps: sqlite3.h still missing after installing libsqlite3-dev" >&2; exit 1; }
if $test_tools; then command -v promtool >/dev/null || { echo "install-deps: promtool still missing after installing prometheus" >&2; exit 1; }; fi
if $test_tools; then postgres_present || { echo "install-deps: PostgreSQL's initdb still missing after installing postgresql" >&2; exit 1; }; fi
if $browser; then command -v chromium >/dev/null || { echo "install-deps: chromium still missing after installing it" >&2; exit 1; }; fi
