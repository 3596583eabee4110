#!/usr/bin/env bash
# Installs what the tests need (when missing) and runs them all: format check, build, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests start for real; each joins this list with the test that needs it.
apt_packages=(chromium pebble gss-ntlmssp openssl sslscan prometheus haproxy bind9 bind9-dnsutils)
need_apt=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

dotnet restore Gateway.sln
dotnet format Gateway.sln --verify-no-changes --no-restore
dotnet build Gateway.sln --no-restore -c Release

results=$(mktemp -d)

# Every test; then the end-to-end tests whose traffic goes through the edge's own sockets again, on .NET's socket
# engine (the engine off Linux, or with GATEWAY_SOCKET_ENGINE=dotnet): tests/Gateway.Tests/Infrastructure/BothEngines.cs
# says which and why. A --filter given here narrows both passes.
engine_filter="Engines=both"
all=("$@")
rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) engine_filter="(${2-})&Engines=both"; shift; shift || true ;;
    --filter=*) engine_filter="(${1#--filter=})&Engines=both"; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done

set +e
dotnet test Gateway.sln --no-build -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "${all[@]}"
status=$?
GATEWAY_TEST_SOCKET_ENGINE=dotnet dotnet test Gateway.sln --no-build -c Release --filter "$engine_filter" \
  --logger "trx;LogFileName=dotnet-engine.trx" --results-directory "$results" "${rest[@]}"
engine_status=$?
set -e

# One plain summary line for both passes, whatever the runner printed above.
passed=0 failed=0 skipped=0 again=0
for trx in "$results/results.trx" "$results/dotnet-engine.trx"; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${t:-0} - ${e:-0}))
  [ "$trx" = "$results/dotnet-engine.trx" ] && again=${t:-0}
done
echo "tests: $passed passed, $failed failed, $skipped skipped ($again of them run a second time, on .NET's socket engine)"
if [ $status -ne 0 ]; then exit $status; fi
exit $engine_status
