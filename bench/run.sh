#!/usr/bin/env bash
# bench/run.sh - side-by-side benchmark of Gateway against the setup it replaces, everything on loopback.
#
#   bench/run.sh            as root, from any folder; about 13 minutes on 2 cores (15 at most when other processes
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
#   nginx L7, h2   127.0.0.1:8445  nginx-l7.conf with `http2` on its listener (and its own pid and error log), for
#                                  the HTTP/2 workload: the anchor does not offer h2
#   HAProxy, h2    127.0.0.1:8446  haproxy-l4.cfg with its frontend on 8446 and its default backend on 8445: the
#                                  HAProxy -> nginx path for HTTP/2 (a second HAProxy process, nbthread 1 like the first)
# The first three files are the anchors from shared/reference. make_files adds one line to nginx-l7.conf's server,
# Nginx Proxy Manager's `ssl_protocols TLSv1.2 TLSv1.3` (BENCH_NGINX_TLS below), and changes nothing else in them; the
# two h2 configs are made from them with only the lines named above changed. Every L7 contender must then negotiate the
# same TLS version (check_tls_versions), so handshakes and records are compared like for like. The 10 KiB and 1 MiB bodies are files next to big.bin
# (big.bin.10k, big.bin.1m), which the anchor backend's `location /big { alias .../big.bin; }` serves as /big.10k and
# /big.1m, so every L7 contender reaches them through its unchanged route to 9080.
#
# Steps: install missing tools (apt-get) -> dotnet publish src/Gateway -c Release -> ECDSA P-256 cert for *.dyb.test,
# big.bin and the 10 KiB / 1 MiB bodies (random bytes) in the work dir, bench/lib/tls_session_shim.so (cc) -> start
# everything -> check every URL answers the right body -> idle tunnels -> warm-up -> keep-alive wrk -> Connection: close
# wrk -> large downloads -> L7 full and mixed handshakes (wrk with the shim) -> L7 10 KiB / 1 MiB bodies (wrk) -> L7
# HTTP/2 (h2load) -> bench/results/latest.md.
# wrk (and h2load) keep each connection's TLS session across reconnects, so the Connection: close runs resume wherever
# the server allows. The shim, preloaded into wrk, drops the session before a chosen share of the handshakes and counts
# the handshakes the server resumed: 1 for the full-handshake workload, BENCH_MIX_FULL for the mixed one.
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
#   BENCH_HANDSHAKES=3s    (each wrk run of the full and mixed handshake workloads)
#   BENCH_BODIES=3s        (each wrk run of the 10 KiB and 1 MiB body workloads)
#   BENCH_H2=3s  BENCH_H2_CLIENTS=10  BENCH_H2_STREAMS=10
#                          (each h2load run; its connections, and the streams each keeps in flight)
#   BENCH_MIX_FULL=0.5     (share of the mixed workload's handshakes made full; the rest resume)
#   BENCH_NGINX_TLS="TLSv1.2 TLSv1.3"
#                          (the nginx L7 anchors' ssl_protocols, Nginx Proxy Manager's: the anchor file names none, and
#                           nginx 1.22's default stops at TLS 1.2, so Gateway's TLS 1.3 would be compared with TLS 1.2;
#                           "anchor" leaves the file's line out, as runs before 2026-12-05 did)
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
HANDSHAKES=${BENCH_HANDSHAKES:-3s}
BODIES=${BENCH_BODIES:-3s}
H2=${BENCH_H2:-3s}
H2_CLIENTS=${BENCH_H2_CLIENTS:-10}
H2_STREAMS=${BENCH_H2_STREAMS:-10}
MIX_FULL=${BENCH_MIX_FULL:-0.5}
NGINX_TLS=${BENCH_NGINX_TLS:-TLSv1.2 TLSv1.3}
BUSY=15 # a wrk run during which other processes took this % of the machine's CPU or more is measured again
HOSTS_LINE="127.0.0.1 exchange.dyb.test autodiscover.dyb.test app.dyb.test"
LISTEN_PORTS=(9443 9080 8443 8444 7443 7080 7444 7081 8445 8446)
SHIM="" # the built tls_session_shim.so, once make_files has built it

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
  [nginx-l7-h2]=https://app.dyb.test:8445/
  [haproxy-nginx-h2]=https://app.dyb.test:8446/
)
L7_CONTENDERS=(nginx-l7 gateway-l7 haproxy-nginx)
H2_CONTENDERS=(nginx-l7-h2 gateway-l7 haproxy-nginx-h2)
declare -A BODY_BYTES=([10k]=10240 [1m]=1048576)
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
  # Only the workloads that need them go without these; the report marks their cells "failed".
  local optional=()
  for tool in h2load:nghttp2-client cc:gcc; do
    command -v "${tool%%:*}" > /dev/null || optional+=("${tool#*:}")
  done
  [[ -e /usr/include/dlfcn.h ]] || optional+=(libc6-dev)
  if ((${#missing[@]})); then apt_install 1 "${missing[@]}"; fi
  if ((${#optional[@]})); then apt_install 0 "${optional[@]}"; fi
}

apt_install() { # apt_install REQUIRED PACKAGE...: dies on failure when REQUIRED is 1, else warns
  local required=$1
  shift
  local missing=("$@")
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
  if ((!ok && required)); then die "apt-get install ${missing[*]} failed"; fi
  if ((!ok)); then warn "apt-get install ${missing[*]} failed: the workloads that need them will show as failed"; fi
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
  # A year: a certificate close to its expiry makes Gateway warn at every start, and the report lists that as a problem.
  log "generating cert (ECDSA P-256, *.dyb.test) and big.bin ($BIG_MB MiB of random bytes)"
  timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/CN=*.dyb.test" \
    -addext "subjectAltName=DNS:*.dyb.test,DNS:exchange.dyb.test,DNS:autodiscover.dyb.test,DNS:app.dyb.test" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2> "$WORK/openssl.log"
  timeout 60 head -c $((BIG_MB * 1024 * 1024)) /dev/urandom > "$WORK/big.bin"
  # The L7 body workloads' responses, served by the anchor backend's /big location as /big.10k and /big.1m.
  local b
  for b in "${!BODY_BYTES[@]}"; do head -c "${BODY_BYTES[$b]}" /dev/urandom > "$WORK/big.bin.$b"; done
  # nginx workers run as nobody: they read big.bin*; the key is read by the (root) master and Gateway only.
  chmod 755 "$WORK"
  chmod 644 "$WORK"/big.bin* "$WORK/cert.pem"
  local f
  for f in backend-nginx.conf nginx-l7.conf haproxy-l4.cfg gateway.json; do
    sed "s|@DIR@|$WORK|g" "$BENCH/conf/$f" > "$WORK/$f"
  done
  # What Nginx Proxy Manager configures (its ssl-ciphers.conf): without it nginx 1.22 offers no TLS 1.3.
  if [[ $NGINX_TLS != anchor ]]; then
    sed -i "s|listen 127.0.0.1:8444 ssl;|&\n        ssl_protocols $NGINX_TLS;|" "$WORK/nginx-l7.conf"
    grep -q "ssl_protocols $NGINX_TLS;" "$WORK/nginx-l7.conf" || die "nginx-l7.conf: ssl_protocols was not added"
  fi
  # HTTP/2: the anchor nginx L7 with http2 on its listener, on its own port, and an HAProxy L4 in front of it; every
  # other line as in the anchors.
  sed -e 's|listen 127.0.0.1:8444 ssl;|listen 127.0.0.1:8445 ssl http2;|' \
    -e 's|l7-nginx.pid|l7-h2-nginx.pid|' -e 's|l7-error.log|l7-h2-error.log|' "$WORK/nginx-l7.conf" > "$WORK/nginx-l7-h2.conf"
  sed -e 's|bind 127.0.0.1:8443$|bind 127.0.0.1:8446|' -e 's|server npm01 127.0.0.1:8444$|server npm01 127.0.0.1:8445|' \
    "$BENCH/conf/haproxy-l4.cfg" > "$WORK/haproxy-l4-h2.cfg"
  grep -q 'listen 127.0.0.1:8445 ssl http2;' "$WORK/nginx-l7-h2.conf" && grep -q 'l7-h2-error.log' "$WORK/nginx-l7-h2.conf" ||
    die "nginx-l7-h2.conf: the listener was not changed"
  grep -q 'bind 127.0.0.1:8446' "$WORK/haproxy-l4-h2.cfg" && grep -q 'server npm01 127.0.0.1:8445' "$WORK/haproxy-l4-h2.cfg" ||
    die "haproxy-l4-h2.cfg: the frontend or the backend was not changed"
  if timeout 60 cc -shared -fPIC -O2 -Wall -o "$WORK/tls_session_shim.so" "$BENCH/lib/tls_session_shim.c" > "$WORK/shim-build.log" 2>&1; then
    SHIM=$WORK/tls_session_shim.so
  else
    warn "bench/lib/tls_session_shim.c did not build ($(head -c 200 "$WORK/shim-build.log")): no full or mixed handshake figures"
  fi
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
  start nginx-l7-h2 nginx -e "$WORK/l7-h2-startup.log" -c "$WORK/nginx-l7-h2.conf" -g 'daemon off;'
  L7H2=$LAST_PID
  wait_port 8445 "$L7H2" nginx-l7-h2
  for i in $(seq 1 25); do [[ -n $(children "$L7H2") ]] && break; sleep 0.2; done
  [[ -n $(children "$L7H2") ]] || die "nginx L7 (h2) has no worker process"
  L7H2_ALL="$L7H2 $(children "$L7H2")"
}

start_haproxy() {
  start haproxy haproxy -db -f "$WORK/haproxy-l4.cfg"
  HAPROXY=$LAST_PID
  wait_port 8443 "$HAPROXY" haproxy
  set_pids
}

start_haproxy_h2() {
  start haproxy-h2 haproxy -db -f "$WORK/haproxy-l4-h2.cfg"
  HAPROXY_H2=$LAST_PID
  wait_port 8446 "$HAPROXY_H2" haproxy-h2
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
        [haproxy-nginx]="${HAPROXY:-} $L7_ALL" [gateway-l7-log]=${GATEWAY_LOG:-}
        [nginx-l7-h2]=$L7H2_ALL [haproxy-nginx-h2]="${HAPROXY_H2:-} $L7H2_ALL")
}

check_urls() {
  local c body
  for c in "${CONTENDERS[@]}" gateway-l7-log; do
    body=$(timeout 20 curl -sk --max-time 15 "${URL[$c]}") || die "$c: ${URL[$c]} did not answer"
    [[ $body == "${BODY[$c]}" ]] || die "$c: ${URL[$c]} answered '$body', expected '${BODY[$c]}'"
  done
  log "every URL answers with the expected body"
}

check_added_urls() { # the added workloads' URLs; a wrong answer is reported, and their cells will show it
  local c b got
  for c in "${L7_CONTENDERS[@]}"; do
    for b in "${!BODY_BYTES[@]}"; do
      got=$(timeout 20 curl -sk --max-time 15 -o /dev/null -w '%{http_code} %{size_download}' "${URL[$c]}big.$b") || true
      [[ $got == "200 ${BODY_BYTES[$b]}" ]] || warn "$c: ${URL[$c]}big.$b answered '$got', expected '200 ${BODY_BYTES[$b]}'"
    done
  done
  for c in "${H2_CONTENDERS[@]}"; do
    got=$(timeout 20 curl -sk --http2 --max-time 15 -o /dev/null -w '%{http_code} %{http_version} %{size_download}' "${URL[$c]}") || true
    [[ $got == "200 2 7" ]] || warn "$c: ${URL[$c]} over h2 answered '$got', expected '200 2 7' (status, HTTP version, bytes)"
  done
}

tls_of() { # the TLS version openssl s_client negotiates with contender $1
  local host=${URL[$1]#https://}
  host=${host%/}
  echo | timeout 10 openssl s_client -connect "127.0.0.1:${host#*:}" -servername "${host%:*}" 2>&1 |
    awk '/^New, /{sub(",", "", $2); print $2; exit}' || true
}

check_tls_versions() { # every L7 contender must negotiate what Gateway does, or its handshakes are another workload
  local c got want
  want=$(tls_of gateway-l7)
  TLS_VERSIONS="gateway-l7 $want"
  for c in nginx-l7 haproxy-nginx nginx-l7-h2 haproxy-nginx-h2; do
    got=$(tls_of "$c")
    TLS_VERSIONS+=", $c $got"
    [[ $got == "$want" ]] || warn "$c negotiates '$got' where Gateway L7 negotiates '$want': the figures are not like for like"
  done
  log "TLS versions negotiated: $TLS_VERSIONS"
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

flag_wrk() { # print wrk's (or h2load's) error lines as they happen (report.py lists them too)
  local file=$1 what=$2 line
  while IFS= read -r line; do log "WARNING: $what: ${line# *}"; done < <(grep -E 'Non-2xx|Socket errors' "$file" || true)
  while IFS= read -r line; do log "WARNING: $what: $line"; done < <(grep -E '^requests: ' "$file" | grep -vE ' 0 failed, 0 errored, 0 timeout' || true)
}

declare -A DUR=([keepalive]=$KEEPALIVE [close]=$CLOSE [full]=$HANDSHAKES [mixed]=$HANDSHAKES [body-10k]=$BODIES [body-1m]=$BODIES
                [h2]=$H2 [h2-10k]=$H2)

# command_for WORKLOAD CONTENDER OUT: the command that measures WORKLOAD against CONTENDER, in CMD (OUT: raw file stem).
command_for() {
  local w=$1 c=$2 out=$3 d=${DUR[$1]}
  local -a wrk=(wrk -t2 -c"$CONNECTIONS" -d"$d" --latency)
  case $w in
    keepalive) CMD=("${wrk[@]}" "${URL[$c]}") ;;
    close) CMD=("${wrk[@]}" -H 'Connection: close' "${URL[$c]}") ;;
    full) CMD=(env LD_PRELOAD="$SHIM" TLS_FULL_SHARE=1 "${wrk[@]}" -H 'Connection: close' "${URL[$c]}") ;;
    mixed) CMD=(env LD_PRELOAD="$SHIM" TLS_FULL_SHARE="$MIX_FULL" "${wrk[@]}" -H 'Connection: close' "${URL[$c]}") ;;
    body-*) CMD=("${wrk[@]}" "${URL[$c]}big.${w#body-}") ;;
    h2 | h2-*)
      local path=""
      [[ $w == h2-* ]] && path=big.${w#h2-}
      CMD=(h2load -t2 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D"${d%s}" --log-file="$out.h2log" "${URL[$c]}$path") ;;
    *) die "no command for workload $w" ;;
  esac
}

# measure WORKLOAD CONTENDER ROUND: one wrk or h2load run; its output, the proxy's CPU ticks and the other processes'
# CPU ticks go to raw/. A tool that fails leaves its output (or none) there, and the report marks the cell failed.
measure() {
  local workload=$1 c=$2 n=$3
  local out="$RAW/$workload.$c.$n" dur=${DUR[$1]} before=0 foreign_before ext=wrk rc=0 rate
  [[ $workload == h2* ]] && ext=h2load
  local -a pids
  read -r -a pids <<< "${PIDS[$c]}"
  command_for "$workload" "$c" "$out"
  if [[ ($workload == full || $workload == mixed) && -z $SHIM ]]; then
    echo "not run: bench/lib/tls_session_shim.c did not build" > "$out.$ext"
    warn "$workload $c round $n: not run, the session shim did not build"
    return 0
  fi
  if ((${#pids[@]})); then before=$(cpu_ticks "${pids[@]}"); fi
  foreign_before=$(foreign_ticks)
  timeout $((${dur%s} + 60)) "${CMD[@]}" > "$out.$ext" 2>&1 || rc=$?
  if ((${#pids[@]})); then echo $(($(cpu_ticks "${pids[@]}") - before)) > "$out.cpu"; fi
  echo $(($(foreign_ticks) - foreign_before)) > "$out.foreign"
  ((rc == 0)) || warn "$workload $c round $n: ${ext} exited with $rc (raw/${out##*/}.$ext)"
  if [[ $ext == h2load ]]; then # h2load prints no percentiles: they come from its per-request log, then dropped
    python3 "$BENCH/lib/h2load_latency.py" "$out.h2log" > "$out.lat" 2>> "$out.$ext" ||
      warn "$workload $c round $n: no latencies from h2load's log"
    rm -f "$out.h2log"
    rate=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$out.$ext")
  else
    rate=$(awk '/Requests\/sec/{print $2}' "$out.$ext")
  fi
  flag_wrk "$out.$ext" "$workload $c round $n"
  log "$workload $c round $n: ${rate:-no} req/s"
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

# run_load WORKLOAD CONTENDER ROUND: measure, and once more after waiting for quiet when other processes disturbed it
# (within the budget).
run_load() {
  local workload=$1 c=$2 n=$3 dur=${DUR[$1]} share t0
  measure "$@"
  [[ -e $RAW/$workload.$c.$n.foreign ]] || return 0
  share=$(foreign_share 0 "$(< "$RAW/$workload.$c.$n.foreign")" "${dur%s}")
  if ((share >= BUSY && RETRY_BUDGET > 0)); then
    log "$workload $c round $n: other processes took ${share}% of the CPU meanwhile; measuring again when quiet"
    echo "$workload $c round $n: other processes took ${share}% of the CPU; measured again" >> "$RAW/retries.txt"
    wait_quiet
    t0=$SECONDS
    measure "$@"
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
  for f in gateway.log gateway-log.log haproxy.log backend.log nginx-l7.log backend-error.log l7-error.log \
    haproxy-h2.log nginx-l7-h2.log l7-h2-error.log; do
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
CERT=self-signed ECDSA P-256 for *.dyb.test (negotiated by openssl s_client: $TLS_VERSIONS; the nginx L7 anchors with ssl_protocols $NGINX_TLS added; resumption on, as by default, which keeps one OpenSSL context per certificate; wrk and h2load keep each connection's session across reconnects, so their new connections resume wherever the server allows, except where bench/lib/tls_session_shim.so drops the session)
GATEWAY=commit $commit$dirty, dotnet publish -c Release, Server GC
ANCHORS=shared/reference configs, nginx-l7.conf with ssl_protocols $NGINX_TLS added ("anchor": none added): HAProxy nbthread 1, nginx worker_processes 1
HANDSHAKES=$HANDSHAKES
BODIES=$BODIES
BODY_10K_BYTES=${BODY_BYTES[10k]}
BODY_1M_BYTES=${BODY_BYTES[1m]}
H2=$H2
H2_CLIENTS=$H2_CLIENTS
H2_STREAMS=$H2_STREAMS
H2_THREADS=2
MIX_FULL=$MIX_FULL
H2_ANCHORS=nginx-l7.conf with http2 on its listener (port 8445) and haproxy-l4.cfg with its frontend on 8446 and its backend on 8445, made by run.sh; Gateway offers h2 by ALPN on 7443 as it is
RETRY=a wrk run during which other processes took >= $BUSY% of the CPU is measured again when quiet, within $RETRY_BUDGET s
EOF
}

# ------------------------------------------------------------------ main

[[ $(id -u) == 0 ]] || { echo "run as root (installs packages, edits /etc/hosts)" >&2; exit 1; }
[[ $KEEPALIVE =~ ^[0-9]+s$ && $CLOSE =~ ^[0-9]+s$ && $HANDSHAKES =~ ^[0-9]+s$ && $BODIES =~ ^[0-9]+s$ && $H2 =~ ^[1-9][0-9]*s$ ]] ||
  { echo "BENCH_KEEPALIVE, BENCH_CLOSE, BENCH_HANDSHAKES, BENCH_BODIES and BENCH_H2 are seconds, like 8s" >&2; exit 1; }
[[ $H2_CLIENTS =~ ^[1-9][0-9]*$ && $H2_STREAMS =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_H2_CLIENTS and BENCH_H2_STREAMS are counts" >&2; exit 1; }
[[ $NGINX_TLS == anchor || $NGINX_TLS =~ ^TLSv1\.[0-3]( TLSv1\.[0-3])*$ ]] ||
  { echo "BENCH_NGINX_TLS is nginx's ssl_protocols, like \"TLSv1.2 TLSv1.3\", or anchor" >&2; exit 1; }
[[ $MIX_FULL =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]] || { echo "BENCH_MIX_FULL is a share between 0 and 1, like 0.5" >&2; exit 1; }
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
log "starting backend nginx, nginx L7 (and its h2 copy), HAProxy L4 (and its h2 copy), Gateway"
start_backends
start_haproxy
start_haproxy_h2
start_gateway
start_gateway_log
check_urls
check_added_urls
check_tls_versions
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
  for c in "${CONTENDERS[@]}" gateway-l7-log; do run_load keepalive "$c" "$n"; done
done

log "new connections (Connection: close): $ROUNDS rounds x ${#CONTENDERS[@]} contenders x $CLOSE"
for n in $(seq 1 "$ROUNDS"); do
  for c in "${CONTENDERS[@]}"; do run_load close "$c" "$n"; done
done

log "large download ($BIG_MB MiB) through direct, HAProxy L4, Gateway L4"
for n in $(seq 1 "$ROUNDS"); do
  for c in direct haproxy-l4 gateway-l4; do run_download "$c" "$n"; done
done

# The added L7 workloads. wrk's Connection: close runs above resume wherever the server allows (their L7 table is the
# "resumed" column); these make the same runs with every handshake full, and with BENCH_MIX_FULL of them full.
log "L7 new TLS connections, full and mixed handshakes: $ROUNDS rounds x 2 x ${#L7_CONTENDERS[@]} contenders x $HANDSHAKES"
for c in "${L7_CONTENDERS[@]}"; do # warm-up, and a count of what plain wrk resumes against each
  if [[ -n $SHIM ]]; then
    timeout 30 env LD_PRELOAD="$SHIM" TLS_FULL_SHARE=0 wrk -t2 -c"$CONNECTIONS" -d1s -H 'Connection: close' "${URL[$c]}" > "$RAW/resumption.$c.txt" 2>&1 || true
    timeout 30 env LD_PRELOAD="$SHIM" TLS_FULL_SHARE=1 wrk -t2 -c"$CONNECTIONS" -d1s -H 'Connection: close' "${URL[$c]}" > /dev/null 2>&1 || true
  fi
done
for w in full mixed; do
  for n in $(seq 1 "$ROUNDS"); do
    for c in "${L7_CONTENDERS[@]}"; do run_load "$w" "$c" "$n"; done
  done
done

log "L7 response bodies of 10 KiB and 1 MiB, keep-alive: $ROUNDS rounds x 2 x ${#L7_CONTENDERS[@]} contenders x $BODIES"
for b in 10k 1m; do # warm-up: the larger bodies take Gateway's proxy through more of its copy path
  for c in "${L7_CONTENDERS[@]}"; do timeout 30 wrk -t2 -c"$CONNECTIONS" -d1s "${URL[$c]}big.$b" > /dev/null 2>&1 || true; done
  timeout 60 wrk -t2 -c"$CONNECTIONS" -d"$(( (JIT_WARMUP + 3) / 4 ))s" "${URL[gateway-l7]}big.$b" > /dev/null 2>&1 || true
done
for w in body-10k body-1m; do
  for n in $(seq 1 "$ROUNDS"); do
    for c in "${L7_CONTENDERS[@]}"; do run_load "$w" "$c" "$n"; done
  done
done

log "L7 HTTP/2 (h2load, $H2_CLIENTS connections x $H2_STREAMS streams): $ROUNDS rounds x 2 x ${#H2_CONTENDERS[@]} contenders x $H2"
for c in "${H2_CONTENDERS[@]}"; do # warm-up; Gateway's HTTP/2 path is Kestrel code the HTTP/1.1 runs did not compile
  timeout 30 h2load -t2 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D1 "${URL[$c]}" > /dev/null 2>&1 || true
done
timeout 60 h2load -t2 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D$(( (JIT_WARMUP + 1) / 2 )) "${URL[gateway-l7]}" > /dev/null 2>&1 || true
for w in h2 h2-10k; do
  for n in $(seq 1 "$ROUNDS"); do
    for c in "${H2_CONTENDERS[@]}"; do run_load "$w" "$c" "$n"; done
  done
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
