#!/usr/bin/env bash
# Installs the system libraries SeoulWorld builds against, if they are missing:
# libuv (the network loop), pkg-config (which tells SwiftPM where libuv is), and SQLite's
# development files (the store, through GRDB; docs/DATA.md).
# Debian/Ubuntu only; elsewhere it says what to install and stops.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists libuv 2>/dev/null; then missing+=(libuv1-dev); fi
if ! pkg-config --exists sqlite3 2>/dev/null && [ ! -f /usr/include/sqlite3.h ]; then missing+=(libsqlite3-dev); fi

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
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
pkg-config --exists libuv || { echo "install-deps: libuv still not found by pkg-config after installing" >&2; exit 1; }
[ -f /usr/include/sqlite3.h ] || { echo "install-deps: sqlite3.h still missing after installing libsqlite3-dev" >&2; exit 1; }
