#!/usr/bin/env bash
# Quick start on a fresh machine: installs what is missing (Debian packages; the Python reference
# tools unless --no-python), builds wtool in release mode, and runs the main job on a shipped
# sample: convert a Keras model to .swm, print its summary, check it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--no-python" ]; then bash scripts/setup.sh; else bash scripts/setup.sh --python; fi
# A static Swift standard library and Foundation: no ~20 Swift libraries to find and relocate at
# every start (wtool --version 12 -> 7 ms, 21 -> 15 MiB; scripts/bench_startup.py).
swift build -c release --product wtool --static-swift-stdlib
wtool=.build/release/wtool
out=$(mktemp -d)/mini_classifier.swm
set -x
$wtool convert samples/mini_classifier/mini_classifier.keras3.h5 "$out"
$wtool summary "$out"
$wtool check "$out"
