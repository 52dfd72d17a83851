#!/usr/bin/env bash
# The cluster recipe of docs/cluster.md, proven on this machine: N `wtool features --shard I/N`
# processes run in parallel (as a Slurm job array or a Kubernetes Indexed Job runs them, each
# given its index the way those schedulers give it), then `wtool features merge` with the shards
# in scrambled order. The merged features, labels and sidecar must equal one unsharded run byte
# for byte; a shard missing and a shard repeated must each fail with an error naming it.
#
# Usage: scripts/shards_local.sh [--wtool PATH] [--model FILE] [--data DIR] [--shards N] [-- FEATURES OPTIONS...]
# Defaults: .build/debug/wtool; the mini model of samples/ on a two-class folder made from
# samples/photos (6 images), 3 shards, and `--size 32,32 --preprocess caffe --batch 2`.
# Runs in seconds (the CI stage "sharded features"); scripts/parity_safetensors.py runs it on the
# reference set's VGG16 and class folder too. Exit status 0 when every check passes.
set -euo pipefail
cd "$(dirname "$0")/.."
wtool=.build/debug/wtool model="" data="" shards=3
while [ $# -gt 0 ]; do
  case "$1" in
    --wtool) wtool=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--wtool PATH] [--model FILE] [--data DIR] [--shards N] [-- FEATURES OPTIONS...]" >&2; exit 2 ;;
  esac
done
options=("$@")
wtool=$(realpath "$wtool")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$data" ]; then
  data=$work/data
  mkdir -p "$data/cats" "$data/dogs"
  cp samples/photos/chelsea.jpg samples/photos/coffee.jpg samples/photos/rocket.jpg "$data/cats/"
  cp samples/photos/camera.png samples/photos/astronaut.png samples/photos/hubble.png "$data/dogs/"
fi
if [ -z "$model" ]; then
  model=$work/mini.swm
  "$wtool" convert samples/mini/mini.keras3.h5 "$model" --quiet
  [ ${#options[@]} -gt 0 ] || options=(--size 32,32 --preprocess caffe --batch 2)
fi
# One thread per process: N of them share the machine, and every shard and the reference run must
# use the same count (the last bits depend on it; merge refuses shards that differ).
options+=(--threads 1 --quiet --force)
failures=0
check() { if [ "$1" = ok ]; then echo "  PASS  $2"; else echo "  FAIL  $2"; failures=$((failures + 1)); fi; }

mkdir -p "$work/one" "$work/shards" "$work/merged" "$work/spare"
start=$(date +%s.%N)
"$wtool" features "$model" "$data" --out "$work/one/features.npy" --labels "$work/one/labels.npy" "${options[@]}"
one=$(date +%s.%N)

# The job's command, exactly as docs/cluster.md gives it: the index comes from the scheduler.
run_shard() {
  "$wtool" features "$model" "$data" --shard "$1/$shards" \
    --out "$work/shards/features-$1.npy" --labels "$work/shards/labels-$1.npy" "${options[@]}"
}
pids=()
for ((i = 0; i < shards; i++)); do
  if ((i % 2 == 0)); then
    (SLURM_ARRAY_TASK_ID=$i; run_shard "$SLURM_ARRAY_TASK_ID") &
  else
    (JOB_COMPLETION_INDEX=$i; run_shard "$JOB_COMPLETION_INDEX") &
  fi
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || { echo "a shard process failed" >&2; exit 1; }; done
sharded=$(date +%s.%N)

# Any order: newest index first.
mapfile -t files < <(for ((i = shards - 1; i >= 0; i--)); do echo "$work/shards/features-$i.npy"; done)
"$wtool" features merge "${files[@]}" --out "$work/merged/features.npy" --labels "$work/merged/labels.npy" --quiet
merged=$(date +%s.%N)
rows=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['features_shape'][0])" "$work/merged/features.json")
echo "sharded features: $rows images, $shards shards in parallel + merge ($(python3 -c "print(f'{$sharded-$one:.2f} s + {$merged-$sharded:.2f} s; one process: {$one-$start:.2f} s')"))"
for f in features.npy labels.npy features.json; do
  if cmp -s "$work/one/$f" "$work/merged/$f"; then check ok "merged $f equals the unsharded run's byte for byte"
  else check no "merged $f equals the unsharded run's byte for byte"; fi
done

# A shard missing, then a shard repeated (a copy of shard 0 under another name): refused, named.
missing=$((shards > 1 ? 1 : 0))
rest=(); for ((i = 0; i < shards; i++)); do [ "$i" -eq "$missing" ] || rest+=("$work/shards/features-$i.npy"); done
if err=$("$wtool" features merge "${rest[@]}" --out "$work/spare/m.npy" 2>&1); then check no "a missing shard is refused"
else case "$err" in *"shard $missing/$shards"*"is missing"*) check ok "a missing shard is refused: ${err#error: }" ;;
  *) check no "a missing shard is refused, naming it (got: $err)" ;; esac; fi
cp "$work/shards/features-0.npy" "$work/spare/copy.npy"; cp "$work/shards/features-0.json" "$work/spare/copy.json"
if err=$("$wtool" features merge "${files[@]}" "$work/spare/copy.npy" --out "$work/spare/m.npy" 2>&1); then check no "a repeated shard is refused"
else case "$err" in *"shard 0/$shards"*"repeated"*) check ok "a repeated shard is refused: ${err#error: }" ;;
  *) check no "a repeated shard is refused, naming it (got: $err)" ;; esac; fi
[ ! -e "$work/spare/m.npy" ] || check no "a refused merge writes nothing"

echo "sharded features: $failures failed"
[ "$failures" -eq 0 ]
