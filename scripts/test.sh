#!/usr/bin/env bash
# Installs what the tests need (when missing) and runs them all: format check, build, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests start for real; each joins this list with the test that needs it.
apt_packages=(chromium pebble gss-ntlmssp openssl)
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
set +e
dotnet test Gateway.sln --no-build -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
set -e

# One plain summary line, whatever the runner printed above.
if [ -f "$results/results.trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$results/results.trx" | head -1)
  passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  total=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  executed=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, $(( ${total:-0} - ${executed:-0} )) skipped"
fi
exit $status
