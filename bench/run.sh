#!/usr/bin/env bash
# bench/run.sh - side-by-side benchmark of Gateway against the setup it replaces, everything on loopback.
#
#   bench/run.sh            as root, from any folder; about 8 minutes on 2 cores (10 at most when other processes
#                           disturb it: see BENCH_RETRY_BUDGET)
#
# What runs (all at once, each on its own loopback port; configs in bench/conf/, @DIR@ = a temp work dir):
#   backend nginx  127.0.0.1:9443  TLS "Exchange" stand-in (body exchange-ok, /big = big.bin)  backend-nginx.conf
#                  127.0.0.1:9080  plain app (body app-ok)
#   HAProxy L4     127.0.0.1:8443  SNI exchange.dyb.test -> 9443, anything else -> 8444         haproxy-l4.cfg
#   nginx L7       127.0.0.1:8444  terminates TLS, proxies to 9080                                nginx-l7.conf
#   Gateway        127.0.0.1:7443  exchange.dyb.test tunnelled to 9443; app.dyb.test terminated, gateway.json
#                                  YARP to 9080 (7080: its redirect listener, unused here); its access log is off,
#                                  as nginx-l7.conf's is
#   Gateway, log   127.0.0.1:7444  the same with its access log on (Combined, to a file): L7 keep-alive only, for
#                                  what the log costs (gateway.json with ports, log and store changed by make_files)
# The first three files are the anchors from shared/reference, copied unchanged.
#
# Steps: install missing tools (apt-get) -> dotnet publish src/Gateway -c Release -> ECDSA P-256 cert for *.dyb.test and
# big.bin (random bytes) in the work dir -> start everything -> check every URL answers the right body -> idle tunnels ->
# warm-up -> keep-alive wrk -> Connection: close wrk -> large downloads -> bench/results/latest.md.
# Every measurement is taken BENCH_ROUNDS times with the contenders alternated (A B C A B C ...); the report gives medians.
# Raw outputs (every wrk/curl/python result) stay in bench/results/raw/. Everything started is stopped on exit, even on
# failure or Ctrl-C. docs/benchmarks.md explains each workload and the targets.
#
# Names: wrk takes the TLS SNI from the URL's host, so "127.0.0.1 exchange.dyb.test autodiscover.dyb.test app.dyb.test"
# is appended to /etc/hosts when those names do not resolve yet, and removed again on exit.
#
# Knobs (environment variables, defaults shown):
#   BENCH_ROUNDS=3  BENCH_KEEPALIVE=8s  BENCH_CLOSE=5s  BENCH_CONNECTIONS=50  BENCH_TUNNELS=5000  BENCH_BIG_MB=256
#   BENCH_JIT_WARMUP=12    (seconds of extra keep-alive load, and a third of that of new connections, for each Gateway
#                           path before anything is recorded: see the warm-up below)
#   BENCH_KEEP_WORKDIR=0   (1 keeps the temp work dir: configs, logs, the published Gateway)
#   BENCH_SOURCE=worktree  (head: build the last commit, from `git archive HEAD`, instead of the files in src/ as they are)
#   BENCH_RETRY_BUDGET=100 (seconds the run may spend waiting out other processes' load and measuring a disturbed wrk
#                           run again; the machine may be shared - each run's "other processes' CPU" is recorded)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
RESULTS=$BENCH/results
RAW=$RESULTS/raw
ROUNDS=${BENCH_ROUNDS:-3}
KEEPALIVE=${BENCH_KEEPALIVE:-8s}
CLOSE=${BENCH_CLOSE:-5s}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
TUNNELS=${BENCH_TUNNELS:-5000}
BIG_MB=${BENCH_BIG_MB:-256}
KEEP_WORKDIR=${BENCH_KEEP_WORKDIR:-0}
SOURCE=${BENCH_SOURCE:-worktree}
RETRY_BUDGET=${BENCH_RETRY_BUDGET:-100}
JIT_WARMUP=${BENCH_JIT_WARMUP:-12}
BUSY=15 # a wrk run during which other processes took this % of the machine's CPU or more is measured again
HOSTS_LINE="127.0.0.1 exchange.dyb.test autodiscover.dyb.test app.dyb.test"
LISTEN_PORTS=(9443 9080 8443 8444 7443 7080 7444 7081)

# Contenders: the URL wrk fetches, and (filled in once started) the processes whose CPU is the proxy's.
CONTENDERS=(direct haproxy-l4 gateway-l4 nginx-l7 gateway-l7 haproxy-nginx)
declare -A URL=(
  [direct]=https://exchange.dyb.test:9443/
  [haproxy-l4]=https://exchange.dyb.test:8443/
  [gateway-l4]=https://exchange.dyb.test:7443/
  [nginx-l7]=https://app.dyb.test:8444/
  [gateway-l7]=https://app.dyb.test:7443/
  [haproxy-nginx]=https://app.dyb.test:8443/
  [gateway-l7-log]=https://app.dyb.test:7444/
)
declare -A BODY=([direct]=exchange-ok [haproxy-l4]=exchange-ok [gateway-l4]=exchange-ok
                 [nginx-l7]=app-ok [gateway-l7]=app-ok [haproxy-nginx]=app-ok [gateway-l7-log]=app-ok)
declare -A PIDS=()

START=$SECONDS
WORK=""
STARTED=()      # every daemon this script started, stopped on exit
ADDED_HOSTS=0

log() { printf '[%4ds] %s\n' $((SECONDS - START)) "$*" >&2; }
warn() { log "WARNING: $*"; echo "$*" >> "$RAW/warnings.txt"; }
die() { log "ERROR: $*"; exit 1; }

cleanup() {
  local rc=$? pid i
  trap - EXIT INT TERM
  for pid in "${STARTED[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${STARTED[@]}"; do
    for i in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null || true
  done
  if ((ADDED_HOSTS)); then
    grep -vxF "$HOSTS_LINE" /etc/hosts > /etc/hosts.bench-tmp || true
    cat /etc/hosts.bench-tmp > /etc/hosts && rm -f /etc/hosts.bench-tmp
  fi
  if [[ -n $WORK ]]; then
    if [[ $KEEP_WORKDIR == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  ((rc == 0)) || log "failed (exit $rc); logs of the daemons were in the work dir (BENCH_KEEP_WORKDIR=1 keeps it)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ setup

install_missing() {
  local missing=() tool
  for tool in haproxy:haproxy nginx:nginx wrk:wrk openssl:openssl curl:curl python3:python3; do
    command -v "${tool%%:*}" > /dev/null || missing+=("${tool#*:}")
  done
  command -v dotnet > /dev/null || die "dotnet (the .NET 10 SDK) is required"
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  # Keep the packages' own services (nginx on :80) from starting: this benchmark starts its own daemons.
  local policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy=1
  fi
  timeout 300 apt-get update -qq || log "apt-get update failed; trying the install anyway"
  local ok=1
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" > /dev/null || ok=0
  if ((policy)); then rm -f /usr/sbin/policy-rc.d; fi
  ((ok)) || die "apt-get install ${missing[*]} failed"
}

check_ports_free() {
  local port
  for port in "${LISTEN_PORTS[@]}"; do
    if [[ -n $(ss -Hltn "sport = :$port") ]]; then
      ss -ltnp "sport = :$port" >&2 || true
      die "127.0.0.1:$port is already in use (a previous run still going?)"
    fi
  done
}

add_hosts_entry() {
  local name
  for name in exchange.dyb.test autodiscover.dyb.test app.dyb.test; do
    if [[ $(getent ahostsv4 "$name" | awk 'NR==1{print $1}') != 127.0.0.1 ]]; then
      echo "$HOSTS_LINE" >> /etc/hosts
      ADDED_HOSTS=1
      log "added '$HOSTS_LINE' to /etc/hosts for this run"
      return
    fi
  done
}

make_files() {
  log "generating cert (ECDSA P-256, *.dyb.test) and big.bin ($BIG_MB MiB of random bytes)"
  timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
    -subj "/CN=*.dyb.test" \
    -addext "subjectAltName=DNS:*.dyb.test,DNS:exchange.dyb.test,DNS:autodiscover.dyb.test,DNS:app.dyb.test" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2> "$WORK/openssl.log"
  timeout 60 head -c $((BIG_MB * 1024 * 1024)) /dev/urandom > "$WORK/big.bin"
  # nginx workers run as nobody: they read big.bin; the key is read by the (root) master and Gateway only.
  chmod 755 "$WORK"
  chmod 644 "$WORK/big.bin" "$WORK/cert.pem"
  local f
  for f in backend-nginx.conf nginx-l7.conf haproxy-l4.cfg gateway.json; do
    sed "s|@DIR@|$WORK|g" "$BENCH/conf/$f" > "$WORK/$f"
  done
  # The second Gateway: its own ports, store and no admin listener, and its access log on.
  sed -e "s|@DIR@|$WORK|g" -e 's|127.0.0.1:7443|127.0.0.1:7444|' -e 's|"Http": "127.0.0.1:7080"|"Http": "127.0.0.1:7081", "Admin": "off"|' \
    -e 's|gateway-certs|gateway-log-certs|' -e "s|\"AccessLog\": { \"Enabled\": false }|\"AccessLog\": { \"Enabled\": true, \"Path\": \"$WORK/access.log\" }|" \
    "$BENCH/conf/gateway.json" > "$WORK/gateway-log.json"
  grep -q '"Enabled": true' "$WORK/gateway-log.json" || die "gateway-log.json: the access log was not switched on"
}

publish_gateway() {
  local src=$ROOT
  if [[ $SOURCE == head ]]; then # the last commit, untouched by edits in progress in the work tree
    src=$WORK/src
    mkdir -p "$src"
    git -C "$ROOT" archive HEAD -- src Directory.Build.props global.json .editorconfig | tar -x -C "$src"
  fi
  log "dotnet publish src/Gateway -c Release (source: $SOURCE)"
  if ! (cd "$src" && timeout 600 dotnet publish src/Gateway -c Release -o "$WORK/gateway" -nologo) > "$WORK/publish.log" 2>&1; then
    grep -E 'error|Error' "$WORK/publish.log" | head -20 >&2
    die "dotnet publish failed (BENCH_SOURCE=head builds the last commit instead of the work tree)"
  fi
  grep -q '"System.GC.Server": true' "$WORK/gateway/Gateway.runtimeconfig.json" || warn "Gateway is not running with Server GC"
}

# start NAME COMMAND... : run a daemon in the foreground of a background job; its pid is left in LAST_PID.
start() {
  local name=$1
  shift
  "$@" >> "$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  STARTED+=("$LAST_PID")
}

stop() { # stop one daemon this script started
  local pid=$1 i kept=() p
  kill "$pid" 2> /dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  for p in "${STARTED[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  STARTED=("${kept[@]}")
}

wait_port() {
  local port=$1 pid=$2 name=$3 i
  for i in $(seq 1 150); do
    kill -0 "$pid" 2> /dev/null || { cat "$WORK/$name.log" >&2; die "$name exited before listening on $port"; }
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then return 0; fi
    sleep 0.2
  done
  die "$name is not listening on 127.0.0.1:$port after 30 s"
}

children() { pgrep -P "$1" | tr '\n' ' '; }

start_backends() {
  start backend nginx -e "$WORK/backend-startup.log" -c "$WORK/backend-nginx.conf" -g 'daemon off;'
  BACKEND=$LAST_PID
  start nginx-l7 nginx -e "$WORK/l7-startup.log" -c "$WORK/nginx-l7.conf" -g 'daemon off;'
  L7=$LAST_PID
  wait_port 9443 "$BACKEND" backend
  wait_port 9080 "$BACKEND" backend
  wait_port 8444 "$L7" nginx-l7
  local i
  for i in $(seq 1 25); do [[ -n $(children "$L7") ]] && break; sleep 0.2; done
  [[ -n $(children "$L7") ]] || die "nginx L7 has no worker process"
  L7_ALL="$L7 $(children "$L7")"
}

start_haproxy() {
  start haproxy haproxy -db -f "$WORK/haproxy-l4.cfg"
  HAPROXY=$LAST_PID
  wait_port 8443 "$HAPROXY" haproxy
  set_pids
}

start_gateway() {
  start gateway dotnet "$WORK/gateway/Gateway.dll" --config "$WORK/gateway.json"
  GATEWAY=$LAST_PID
  wait_port 7443 "$GATEWAY" gateway
  set_pids
}

start_gateway_log() {
  start gateway-log dotnet "$WORK/gateway/Gateway.dll" --config "$WORK/gateway-log.json"
  GATEWAY_LOG=$LAST_PID
  wait_port 7444 "$GATEWAY_LOG" gateway-log
  set_pids
}

set_pids() { # the processes whose CPU counts as each contender's proxy CPU
  PIDS=([direct]="" [haproxy-l4]=${HAPROXY:-} [gateway-l4]=${GATEWAY:-} [nginx-l7]=$L7_ALL [gateway-l7]=${GATEWAY:-}
        [haproxy-nginx]="${HAPROXY:-} $L7_ALL" [gateway-l7-log]=${GATEWAY_LOG:-})
}

check_urls() {
  local c body
  for c in "${CONTENDERS[@]}" gateway-l7-log; do
    body=$(timeout 20 curl -sk --max-time 15 "${URL[$c]}") || die "$c: ${URL[$c]} did not answer"
    [[ $body == "${BODY[$c]}" ]] || die "$c: ${URL[$c]} answered '$body', expected '${BODY[$c]}'"
  done
  log "every URL answers with the expected body"
}

# ------------------------------------------------------------------ measurements

cpu_ticks() { # utime+stime of the given processes (all their threads), in clock ticks
  local pid total=0 stat f
  for pid in "$@"; do
    stat=$(< "/proc/$pid/stat")
    read -r -a f <<< "${stat##*) }" # f[0] is field 3 (state): utime is field 14, stime 15
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

foreign_ticks() { python3 "$BENCH/lib/foreign_cpu.py" $$; }

# Percent of the machine's CPU that other processes took between two foreign_ticks readings SECONDS apart.
foreign_share() { awk -v t=$(($2 - $1)) -v s="$3" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" 'BEGIN{printf "%.0f", 100*t/hz/(s>0?s:1)/n}'; }

quiet_check() { # warn when something else is using the machine: its figures would be noisy
  local share
  share=$(python3 "$BENCH/lib/foreign_cpu.py" $$ --share 3)
  ((share < 10)) || warn "other processes are using ${share}% of the CPU right now: figures will be noisy (see ps)"
}

flag_wrk() { # print wrk's error lines as they happen (report.py lists them too)
  local file=$1 what=$2 line
  while IFS= read -r line; do log "WARNING: $what: ${line# *}"; done < <(grep -E 'Non-2xx|Socket errors' "$file" || true)
}

# measure_wrk WORKLOAD CONTENDER ROUND [wrk args...]: one wrk run; its output, the proxy's CPU ticks and the other
# processes' CPU ticks go to raw/.
measure_wrk() {
  local workload=$1 c=$2 n=$3
  shift 3
  local out="$RAW/$workload.$c.$n" dur=$KEEPALIVE before=0 foreign_before
  [[ $workload == close ]] && dur=$CLOSE
  local -a pids
  read -r -a pids <<< "${PIDS[$c]}"
  if ((${#pids[@]})); then before=$(cpu_ticks "${pids[@]}"); fi
  foreign_before=$(foreign_ticks)
  timeout $((${dur%s} + 60)) wrk -t2 -c"$CONNECTIONS" -d"$dur" --latency "$@" "${URL[$c]}" > "$out.wrk" 2>&1 ||
    warn "wrk exited with $? for $workload $c round $n"
  if ((${#pids[@]})); then echo $(($(cpu_ticks "${pids[@]}") - before)) > "$out.cpu"; fi
  echo $(($(foreign_ticks) - foreign_before)) > "$out.foreign"
  flag_wrk "$out.wrk" "$workload $c round $n"
  log "$workload $c round $n: $(awk '/Requests\/sec/{print $2}' "$out.wrk") req/s"
}

wait_quiet() { # until other processes use less than BUSY% of the CPU for a second, within the retry budget
  local t0 share
  while ((RETRY_BUDGET > 0)); do
    t0=$SECONDS
    share=$(python3 "$BENCH/lib/foreign_cpu.py" $$ --share 1)
    RETRY_BUDGET=$((RETRY_BUDGET - (SECONDS - t0 > 1 ? SECONDS - t0 : 1)))
    if ((share < BUSY)); then return 0; fi
  done
}

# run_wrk: measure_wrk, and once more after waiting for quiet when other processes disturbed it (within the budget).
run_wrk() {
  local workload=$1 c=$2 n=$3 dur=$KEEPALIVE share t0
  [[ $workload == close ]] && dur=$CLOSE
  measure_wrk "$@"
  share=$(foreign_share 0 "$(< "$RAW/$workload.$c.$n.foreign")" "${dur%s}")
  if ((share >= BUSY && RETRY_BUDGET > 0)); then
    log "$workload $c round $n: other processes took ${share}% of the CPU meanwhile; measuring again when quiet"
    echo "$workload $c round $n: other processes took ${share}% of the CPU; measured again" >> "$RAW/retries.txt"
    wait_quiet
    t0=$SECONDS
    measure_wrk "$@"
    RETRY_BUDGET=$((RETRY_BUDGET - (SECONDS - t0)))
  fi
}

run_idle() {
  local c=$1 n=$2 port
  port=${URL[$c]##*:}
  port=${port%/}
  timeout 240 python3 "$BENCH/lib/idle_tunnels.py" --port "$port" --sni exchange.dyb.test --pid "${PIDS[$c]}" \
    --count "$TUNNELS" > "$RAW/idle.$c.$n.json" 2> "$RAW/idle.$c.$n.err" ||
    warn "idle tunnels $c round $n did not complete (raw/idle.$c.$n.*)"
  log "idle $c round $n: $(cat "$RAW/idle.$c.$n.json")"
  sleep 1 # let the proxy close the tunnels before the next reading
}

run_download() {
  local c=$1 n=$2 port
  port=${URL[$c]##*:}
  port=${port%/}
  timeout 150 curl -sk --max-time 120 --resolve "exchange.dyb.test:$port:127.0.0.1" -o /dev/null \
    -w '%{http_code} %{size_download} %{speed_download}\n' "${URL[$c]}big" > "$RAW/download.$c.$n.txt" ||
    warn "download $c round $n: curl exited with $?"
  log "download $c round $n: $(cat "$RAW/download.$c.$n.txt")"
}

collect_logs() { # copy the daemons' logs to raw/ and flag any that are not empty
  local f
  for f in gateway.log gateway-log.log haproxy.log backend.log nginx-l7.log backend-error.log l7-error.log; do
    [[ -s $WORK/$f ]] || continue
    cp "$WORK/$f" "$RAW/$f"
    warn "$f has $(wc -l < "$WORK/$f") lines (raw/$f), first: $(head -c 200 "$WORK/$f" | head -1)"
  done
}

write_params() {
  local commit dirty=""
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo unknown)
  if [[ $SOURCE == head ]]; then
    dirty=" (built from git archive HEAD)"
  elif [[ -n $(git --no-optional-locks -C "$ROOT" status --porcelain -- src 2> /dev/null) ]]; then
    dirty=" plus uncommitted changes in src/"
  fi
  cat > "$RAW/params.env" << EOF
DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
ROUNDS=$ROUNDS
KEEPALIVE=$KEEPALIVE
CLOSE=$CLOSE
CONNECTIONS=$CONNECTIONS
WRK_THREADS=2
TUNNELS=$TUNNELS
BIG_BYTES=$((BIG_MB * 1024 * 1024))
BIG_KIND=random bytes from /dev/urandom
CERT=self-signed ECDSA P-256 for *.dyb.test (TLS 1.2 with the nginx anchors, whose default stops there; TLS 1.3 with Gateway L7; resumption on, as by default, which keeps one OpenSSL context per certificate; wrk itself never resumes, so every connection is a full handshake)
GATEWAY=commit $commit$dirty, dotnet publish -c Release, Server GC
ANCHORS=shared/reference configs unchanged: HAProxy nbthread 1, nginx worker_processes 1
RETRY=a wrk run during which other processes took >= $BUSY% of the CPU is measured again when quiet, within $RETRY_BUDGET s
EOF
}

# ------------------------------------------------------------------ main

[[ $(id -u) == 0 ]] || { echo "run as root (installs packages, edits /etc/hosts)" >&2; exit 1; }
[[ $KEEPALIVE =~ ^[0-9]+s$ && $CLOSE =~ ^[0-9]+s$ ]] || { echo "BENCH_KEEPALIVE and BENCH_CLOSE are seconds, like 8s" >&2; exit 1; }
rm -rf "$RAW"
mkdir -p "$RAW"
: > "$RAW/warnings.txt"
install_missing
check_ports_free
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= 2 * TUNNELS + 1000)) || die "ulimit -n is $(ulimit -n): $TUNNELS tunnels need $((2 * TUNNELS + 1000))"
WORK=$(mktemp -d /tmp/gateway-bench.XXXXXX)
make_files
publish_gateway
add_hosts_entry
log "starting backend nginx, nginx L7, HAProxy L4, Gateway"
start_backends
start_haproxy
start_gateway
start_gateway_log
check_urls
write_params
quiet_check
FOREIGN_START=$(foreign_ticks)
MEASURE_START=$SECONDS

log "idle tunnels: $TUNNELS TLS connections held through HAProxy L4 and Gateway L4 (a fresh proxy process each round)"
for n in $(seq 1 "$ROUNDS"); do
  stop "$HAPROXY" && start_haproxy && run_idle haproxy-l4 "$n"
  stop "$GATEWAY" && start_gateway && run_idle gateway-l4 "$n"
done

log "warm-up (not recorded)"
for c in "${CONTENDERS[@]}"; do
  timeout 30 wrk -t2 -c"$CONNECTIONS" -d2s "${URL[$c]}" > /dev/null 2>&1 || true
  timeout 30 wrk -t2 -c"$CONNECTIONS" -d1s -H 'Connection: close' "${URL[$c]}" > /dev/null 2>&1 || true
done

# Gateway runs on .NET: for about its first half minute under load, tiered compilation recompiles the hot paths with
# the profile it gathered (measured: L4 keep-alive CPU per request falls by about 10 % between 5 s and 35 s). HAProxy
# and nginx are native and have nothing to settle, so only Gateway's two paths get this; what is compared is a gateway
# that has been running, as in production, not one that has just started.
for c in gateway-l4 gateway-l7 gateway-l7-log; do
  timeout 60 wrk -t2 -c"$CONNECTIONS" -d"${JIT_WARMUP}s" "${URL[$c]}" > /dev/null 2>&1 || true
  timeout 60 wrk -t2 -c"$CONNECTIONS" -d"$(( (JIT_WARMUP + 2) / 3 ))s" -H 'Connection: close' "${URL[$c]}" > /dev/null 2>&1 || true
done

log "keep-alive: $ROUNDS rounds x $((${#CONTENDERS[@]} + 1)) contenders x $KEEPALIVE"
for n in $(seq 1 "$ROUNDS"); do
  for c in "${CONTENDERS[@]}" gateway-l7-log; do run_wrk keepalive "$c" "$n"; done
done

log "new connections (Connection: close): $ROUNDS rounds x ${#CONTENDERS[@]} contenders x $CLOSE"
for n in $(seq 1 "$ROUNDS"); do
  for c in "${CONTENDERS[@]}"; do run_wrk close "$c" "$n" -H 'Connection: close'; done
done

log "large download ($BIG_MB MiB) through direct, HAProxy L4, Gateway L4"
for n in $(seq 1 "$ROUNDS"); do
  for c in direct haproxy-l4 gateway-l4; do run_download "$c" "$n"; done
done

# The log-on contender must have written what it was measured for (lines may be dropped, and are counted, when the
# file cannot keep up: then it did less than its share of the work).
lines=$(wc -l < "$WORK/access.log" 2> /dev/null || echo 0)
((lines > 0)) || warn "Gateway L7 with its access log on wrote no line to $WORK/access.log"
echo "ACCESS_LOG_LINES=$lines" >> "$RAW/params.env"
collect_logs
echo "OTHER_CPU=$(foreign_share "$FOREIGN_START" "$(foreign_ticks)" $((SECONDS - MEASURE_START)))% of the machine's CPU went to other processes while measuring" >> "$RAW/params.env"
echo "RUNTIME=$((SECONDS - START))" >> "$RAW/params.env"
python3 "$BENCH/lib/report.py" "$RAW" "$RESULTS/latest.md" || log "the report lists problems: see its 'Problems' section"
cat "$RESULTS/latest.md"
log "done in $((SECONDS - START)) s: $RESULTS/latest.md"
