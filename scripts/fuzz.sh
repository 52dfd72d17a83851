#!/usr/bin/env bash
# libFuzzer targets for wtool's readers (issue #7), built with `swiftc -sanitize=fuzzer,address`
# straight from the module sources (no SwiftPM product, so normal builds never see these flags),
# and run for a bounded time over the committed seed corpus.
#
#   scripts/fuzz.sh                          build, then run every target for 60 s (what CI does)
#   scripts/fuzz.sh --time 3600 swm-reader   one target for an hour
#   scripts/fuzz.sh --time 0 …               until stopped (Ctrl-C), e.g. overnight
#   scripts/fuzz.sh --jobs 2 …               libFuzzer -fork=2: two fuzzing processes
#   scripts/fuzz.sh --build-only             build only ($WTOOL_FUZZ_BUILD, default .build-fuzz)
#   scripts/fuzz.sh --replay FILE… TARGET    run inputs once (a crash found elsewhere)
#
# Targets:
#   swm-reader   Fuzz/SWMReader: SWMHeader.parse on the fuzzer's exact-size heap buffer (ASan sees any
#                out-of-bounds read), inputs also tried with their CRCs recomputed, then SWMFile
#                open/graph/verifyChecksums/views/shape inference as wtool does.
#   onnx-reader  Fuzz/ONNXReader: ONNXReader.read(bytes:) — SwiftProtobuf decoding, proto checks,
#                import into the IR — then parameter count, shape inference, every weight read.
#                Seeds include the smallest ONNX backend node test of each op type
#                (scripts/fuzz_seeds.py), so every op family's import path is reached.
#   safetensors-reader  Fuzz/SafetensorsReader: SafetensorsHeader.parse on the exact-size buffer (the
#                strict JSON parser and the format's rules), inputs also tried with their length
#                fixed up, then SafetensorsFile weights (permutations undone) and the embedded graph.
#   npy-reader   Fuzz/NPYReader: NPYHeader.parse and NPYArray(npyBytes:) (`run --input`, `verify`).
#   image-decoder  Fuzz/ImageDecoder: JPEG/PNG decoding through libjpeg-turbo and libpng with
#                wtool's limits, colour conversion, a resize.
#   keras-config Fuzz/KerasConfig: the config's JSON parse (swift-protobuf's parser, JSONDecoder
#                where it refuses) and the Keras config → IR translation
#                (KerasReader.graph(configJSON:)); the HDF5 side is libhdf5's, parsed in the
#                isolated child and covered by the CVE corpus (scripts/hostile_files.py).
#
# Seeds are Fuzz/corpus/<target>/ (committed, small). What the fuzzer finds interesting goes to
# $BUILD/corpus/<target>/ (kept between runs, never committed). A crash, sanitizer report, leak,
# timeout (10 s per input) or out-of-memory (4 GB) stops the run, leaves the input in
# $BUILD/artifacts/ and exits non-zero; turn it into a regression test under
# Tests/SWMFormatTests/Fixtures/fuzz or Tests/ONNXFormatTests/Fixtures/fuzz (see FuzzRegressionTests).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${WTOOL_FUZZ_BUILD:-.build-fuzz}
TIME=60
JOBS=0
BUILD_ONLY=0
REPLAY=()
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) TIME=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --replay) shift; while [ $# -gt 1 ] && [ -f "$1" ]; do REPLAY+=("$1"); shift; done ;;
    swm-reader|onnx-reader|safetensors-reader|npy-reader|image-decoder|keras-config) TARGETS+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument $1 (targets: swm-reader onnx-reader safetensors-reader npy-reader image-decoder keras-config)" >&2; exit 2 ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(swm-reader onnx-reader safetensors-reader npy-reader image-decoder keras-config)

# SwiftProtobuf's sources at the version Package.resolved pins: any SwiftPM checkout of this package.
protobuf_sources() {
  local dir
  for dir in "${SWIFTPM_CHECKOUTS:-}" .build/checkouts .build-*/checkouts; do
    if [ -n "$dir" ] && [ -d "$dir/swift-protobuf/Sources/SwiftProtobuf" ]; then echo "$dir/swift-protobuf/Sources/SwiftProtobuf"; return; fi
  done
  swift package resolve >/dev/null
  echo .build/checkouts/swift-protobuf/Sources/SwiftProtobuf
}

mkdir -p "$BUILD/modules" "$BUILD/artifacts"
HDF5_CFLAGS=$(pkg-config --cflags-only-I hdf5 2>/dev/null || echo -I/usr/include/hdf5/serial)
FLAGS=(-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 6 -I "$BUILD/modules" -I Sources/CZlibShim
       -I Sources/CSystemShim -I Sources/CHDF5 -I Sources/CHDF5Loader/include -I Sources/CJPEG -I Sources/CPNG)
for flag in $HDF5_CFLAGS; do FLAGS+=(-Xcc "$flag"); done

# build_module NAME PACKAGE_NAME EXTRA_FLAGS SOURCE_DIR: one object and one .swiftmodule per
# module, rebuilt only when its sources (or this script) change.
build_module() {
  local name=$1 package=$2 extra=$3 dir=$4
  local sources
  mapfile -t sources < <(find "$dir" -name '*.swift' | sort)
  local stamp
  stamp=$( (cat "${sources[@]}" "$0"; swiftc --version 2>&1) | sha256sum | cut -c1-16)
  if [ -f "$BUILD/modules/$name.o" ] && [ "$(cat "$BUILD/modules/$name.stamp" 2>/dev/null)" = "$stamp" ]; then return; fi
  echo "fuzz: compiling $name (${#sources[@]} files)" >&2
  # shellcheck disable=SC2086
  swiftc "${FLAGS[@]}" $extra -package-name "$package" -module-name "$name" -wmo -c "${sources[@]}" \
    -o "$BUILD/modules/$name.o" -emit-module -emit-module-path "$BUILD/modules/$name.swiftmodule" 2>&1 \
    | grep -v "ld.gold: warning: Cannot export local symbol" >&2 || true
  [ -f "$BUILD/modules/$name.o" ] || { echo "fuzz: $name did not build" >&2; exit 1; }
  echo "$stamp" >"$BUILD/modules/$name.stamp"
}

link_target() {
  local target=$1 main=$2; shift 2
  local objects=()
  for m in "$@"; do objects+=("$BUILD/modules/$m.o"); done
  echo "fuzz: linking $target" >&2
  # shellcheck disable=SC2086
  swiftc "${FLAGS[@]}" -package-name wtool -module-name "FuzzTarget" "$main" "${objects[@]}" -lz $LINK_EXTRA -o "$BUILD/$target" 2>&1 \
    | grep -v "ld.gold: warning: Cannot export local symbol" >&2 || true
  [ -x "$BUILD/$target" ] || { echo "fuzz: $target did not link" >&2; exit 1; }
}

# ZIPFoundation's sources at the pinned version (NPY and KerasFormat use it).
zip_sources() {
  local dir
  for dir in "${SWIFTPM_CHECKOUTS:-}" .build/checkouts .build-*/checkouts; do
    if [ -n "$dir" ] && [ -d "$dir/ZIPFoundation/Sources/ZIPFoundation" ]; then echo "$dir/ZIPFoundation/Sources"; return; fi
  done
  swift package resolve >/dev/null
  echo .build/checkouts/ZIPFoundation/Sources
}

build_module ModelIR wtool "" Sources/ModelIR
build_module FileSupport wtool "" Sources/FileSupport
LINK_EXTRA=""
for target in "${TARGETS[@]}"; do
  case "$target" in
    swm-reader)
      build_module SWMFormat wtool "" Sources/SWMFormat
      rm -f "$BUILD/swm-reader"
      link_target swm-reader Fuzz/SWMReader/main.swift ModelIR FileSupport SWMFormat ;;
    onnx-reader)
      build_module SwiftProtobuf swift_protobuf "-enable-upcoming-feature ExistentialAny" "$(protobuf_sources)"
      build_module ONNXProto wtool "" Sources/ONNXProto
      build_module ONNXFormat wtool "" Sources/ONNXFormat
      rm -f "$BUILD/onnx-reader"
      link_target onnx-reader Fuzz/ONNXReader/main.swift ModelIR FileSupport SwiftProtobuf ONNXProto ONNXFormat ;;
    safetensors-reader)
      build_module SafetensorsFormat wtool "" Sources/SafetensorsFormat
      rm -f "$BUILD/safetensors-reader"
      link_target safetensors-reader Fuzz/SafetensorsReader/main.swift ModelIR FileSupport SafetensorsFormat ;;
    npy-reader)
      zip=$(zip_sources)
      FLAGS+=(-I "$zip/CZLib")  # ZIPFoundation's zlib module, needed wherever NPY is imported
      build_module ZIPFoundation ZIPFoundation "-swift-version 5 -I $zip/CZLib -Xcc -D_GNU_SOURCE=1" "$zip/ZIPFoundation"
      build_module NPY wtool "-I $zip/CZLib" Sources/NPY
      rm -f "$BUILD/npy-reader"
      LINK_EXTRA="" link_target npy-reader Fuzz/NPYReader/main.swift FileSupport ZIPFoundation NPY ;;
    image-decoder)
      build_module ImageIO wtool "" Sources/ImageIO
      rm -f "$BUILD/image-decoder"
      LINK_EXTRA="-ljpeg -lpng" link_target image-decoder Fuzz/ImageDecoder/main.swift FileSupport ImageIO ;;
    keras-config)
      zip=$(zip_sources)
      FLAGS+=(-I "$zip/CZLib")
      build_module ZIPFoundation ZIPFoundation "-swift-version 5 -I $zip/CZLib -Xcc -D_GNU_SOURCE=1" "$zip/ZIPFoundation"
      build_module HDF5 wtool "" Sources/HDF5
      # Keras configs are parsed with swift-protobuf's JSON parser (JSONValue.parse).
      build_module SwiftProtobuf swift_protobuf "-enable-upcoming-feature ExistentialAny" "$(protobuf_sources)"
      build_module KerasFormat wtool "-I $zip/CZLib" Sources/KerasFormat
      rm -f "$BUILD/keras-config"
      # libhdf5 is dlopen'ed through CHDF5Loader's trampolines (never called by this target).
      clang -O1 -g -fsanitize=address $HDF5_CFLAGS -I Sources/CHDF5Loader/include -c Sources/CHDF5Loader/chdf5_loader.c \
        -o "$BUILD/modules/chdf5_loader.o"
      LINK_EXTRA="$BUILD/modules/chdf5_loader.o -ldl" link_target keras-config Fuzz/KerasConfig/main.swift ModelIR FileSupport ZIPFoundation HDF5 SwiftProtobuf KerasFormat ;;
  esac
done
[ "$BUILD_ONLY" -eq 1 ] && exit 0

# Swift's own crash reporter would take over a crash (slowly) before libFuzzer saves the input.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1}
status=0
for target in "${TARGETS[@]}"; do
  if [ ${#REPLAY[@]} -gt 0 ]; then
    "$BUILD/$target" "${REPLAY[@]}" || status=$?
    continue
  fi
  mkdir -p "$BUILD/corpus/$target"
  echo "== fuzz $target for ${TIME} s (seeds: Fuzz/corpus/$target, $(ls Fuzz/corpus/$target | wc -l) files)" >&2
  log="$BUILD/$target.log"
  args=(-max_total_time="$TIME" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
        -artifact_prefix="$BUILD/artifacts/$target-")
  [ "$JOBS" -gt 0 ] && args+=(-fork="$JOBS")
  rc=0
  "$BUILD/$target" "${args[@]}" "$BUILD/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1 || rc=$?
  grep -aE "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|stat::new_units_added)|INFO: (seed corpus|Loaded)|ERROR|SUMMARY" "$log" >&2 || true
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $target FAILED (exit $rc); the log is $log, the input in $BUILD/artifacts/" >&2
    tail -60 "$log" >&2
    status=1
  else
    echo "fuzz: $target ran clean for ${TIME} s" >&2
  fi
done
exit "$status"
