#!/usr/bin/env bash
# Coverage-guided fuzzing of one Gateway parser with AFL++ and SharpFuzz (see tests/fuzz/README.md).
#
# Usage: tests/fuzz/run.sh [target] [seconds]        defaults: clienthello 600
#
# Installs afl++ (Debian) and the sharpfuzz tool (tests/fuzz/dotnet-tools.json) when missing, publishes
# tests/Gateway.Fuzz in Release to a work directory, instruments its copy of Gateway.dll for the target's namespaces,
# and runs afl-fuzz on tests/fuzz/corpus/<target> for the given time. Exits 1 if any crash or hang was found.
#
# Environment:
#   FUZZ_SAVE_CORPUS=1     copy new small queue entries (by content hash) into tests/fuzz/corpus/<target>
#   FUZZ_SAVE_MAX=50       at most this many of them, each at most FUZZ_SAVE_MAX_BYTES (4096): first those that
#                          found new edges (+cov), smallest first, then the rest, smallest first
#   FUZZ_WORK=dir          work directory (default: a new one under /tmp, kept when something was found)
#   FUZZ_OUT_OF_PROCESS=1  run the target in a child process (slower; survives stack overflows and hangs)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

target=${1:-clienthello}
seconds=${2:-600}
corpus="$repo/tests/fuzz/corpus/$target"
if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
  echo "No seed corpus at $corpus (is '$target' a fuzz target?)" >&2
  exit 2
fi

if ! command -v afl-fuzz >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends afl++
fi
(cd tests/fuzz && dotnet tool restore >/dev/null)

work=${FUZZ_WORK:-$(mktemp -d /tmp/gateway-fuzz.XXXXXX)}
mkdir -p "$work"
publish="$work/publish"
findings="$work/findings"
rm -rf "$publish" "$findings"

dotnet publish tests/Gateway.Fuzz/Gateway.Fuzz.csproj -c Release -o "$publish" --nologo -v quiet
harness=("dotnet" "$publish/Gateway.Fuzz.dll" "$target")
# Also rejects an unknown target before anything is instrumented.
read -r -a prefixes <<<"$("${harness[@]}" --instrument-prefixes)"
(cd tests/fuzz && dotnet tool run sharpfuzz "$publish/Gateway.dll" "${prefixes[@]}")
if [ "${FUZZ_OUT_OF_PROCESS:-0}" = 1 ]; then
  harness+=("--out-of-process")
fi

# dotnet carries no AFL instrumentation of its own (SharpFuzz reports coverage from the instrumented Gateway.dll);
# the machine is shared (no core pinning, no CPU frequency control); a core_pattern pipe must not stop the run.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1 AFL_FAST_CAL=1
# An unhandled exception aborts the harness: no core files in the repository.
ulimit -c 0
set +e
# The full log goes to the work directory; the console skips the line afl-fuzz prints per queue entry.
timeout --kill-after=30 $((seconds + 300)) \
  afl-fuzz -i "$corpus" -o "$findings" -t 10000 -m none -V "$seconds" -- "${harness[@]}" 2>&1 |
  tee "$work/afl-fuzz.log" | grep --line-buffered -v 'Fuzzing test case'
afl_status=${PIPESTATUS[0]}
set -e

stats="$findings/default/fuzzer_stats"
if [ ! -f "$stats" ]; then
  echo "afl-fuzz did not start (exit $afl_status); work directory: $work" >&2
  exit 2
fi

field() { sed -n "s/^$1 *: *//p" "$stats"; }
count() { find "$findings/default/$1" -maxdepth 1 -type f -name 'id:*' 2>/dev/null | wc -l; }
crashes=$(count crashes)
hangs=$(count hangs)
echo
echo "fuzz $target: ran $(field run_time)s, $(field execs_done) execs ($(field execs_per_sec)/s)," \
  "corpus $(field corpus_count) (+$(field corpus_found) found), coverage $(field bitmap_cvg), stability $(field stability)," \
  "crashes $crashes, hangs $hangs; afl-fuzz exit $afl_status"

if [ "${FUZZ_SAVE_CORPUS:-0}" = 1 ]; then
  declare -A known=()
  for file in "$corpus"/*; do
    known[$(sha256sum "$file" | cut -c1-64)]=1
  done
  saved=0
  while IFS= read -r entry && [ "$saved" -lt "${FUZZ_SAVE_MAX:-50}" ]; do
    hash=$(sha256sum "$entry" | cut -c1-64)
    if [ -z "${known[$hash]:-}" ]; then
      known[$hash]=1
      install -m 0644 "$entry" "$corpus/queue-${hash:0:16}.bin"
      saved=$((saved + 1))
    fi
  done < <(find "$findings/default/queue" -maxdepth 1 -type f -name 'id:*' ! -name '*orig:*' \
    -size -"$((${FUZZ_SAVE_MAX_BYTES:-4096} + 1))"c -printf '%f %s %p\n' |
    awk '{ print ($1 ~ /\+cov/ ? 0 : 1), $2, $3 }' | sort -k1,1n -k2,2n | cut -d' ' -f3-)
  echo "saved $saved new queue entries into $corpus"
fi

if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
  for file in $(find "$findings/default/crashes" -maxdepth 1 -type f -name 'id:*' | sort | head -3); do
    echo "--- $file"
    ("${harness[@]::3}" <"$file") 2>&1 | head -20 || true
  done
  echo "Findings kept in $findings (replay one: dotnet $publish/Gateway.Fuzz.dll $target < FILE)" >&2
  exit 1
fi

if [ -z "${FUZZ_WORK:-}" ]; then
  rm -rf "$work"
fi
if [ "$afl_status" -ne 0 ]; then
  echo "afl-fuzz exited with $afl_status" >&2
  exit 2
fi
