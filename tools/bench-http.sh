#!/usr/bin/env bash
# The HTTP front under real clients and hostile ones, phonebook in production mode (THREADS
# workers) on the embedded store, GET of one contact:
#   1. ApacheBench with keep-alive (`ab -k`, HTTP/1.0 keep-alive), without it (a connection per
#      request), and wrk, each N requests or SECONDS, 16 connections;
#   2. `GET /healthz` latency (phonebook-tools hog-probe, a new connection per probe every
#      10 ms for 4 s) while 16, then 900 connections pipeline requests for the stylesheet and
#      never read a byte.
# COMPARE=/path/to/another/phonebook runs the same against that binary too (e.g. an older
# build), on its own port, in the same run.
#
#   tools/bench-http.sh [REQUESTS] [SECONDS] [THREADS]   (needs ab, wrk, a release build)
set -euo pipefail
requests=${1:-20000} secs=${2:-10} threads=${3:-16}
cd "$(dirname "$0")/.."
bin=target/release
[[ -x $bin/phonebook && -x $bin/phonebook-tools ]] || cargo build --release --workspace
for tool in ab wrk; do
    command -v $tool >/dev/null || { echo "needs $tool (apt-get install apache2-utils wrk)" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rows=("phonebook:$bin/phonebook")
[[ -z ${COMPARE:-} ]] || rows+=("compare:$COMPARE")
# The built-in defaults, not this checkout's phonebook.toml (which another build may not know).
touch "$work/defaults.toml"
for row in "${rows[@]}"; do
    name=${row%%:*} exe=${row#*:} p=$(port)
    RUST_LOG=warn "$exe" --config "$work/defaults.toml" --mode production --threads "$threads" \
        --listen "127.0.0.1:$p" --store "embedded:$work/$name.redb" >/dev/null 2>&1 & pids+=($!)
    eval "port_$name=$p"
done
sleep 1
for row in "${rows[@]}"; do
    name=${row%%:*}; p=$(eval echo "\$port_$name")
    for _ in $(seq 50); do # a loaded machine may take a while to start the service
        curl -sf -d 'name=John Doe' --data-urlencode 'number=+358408053254' \
            "http://127.0.0.1:$p/contacts" >/dev/null && break
        sleep 0.2
    done
done
ab_line() { awk '/Complete requests/ {c=$3} /Requests per second/ {r=$4} /Failed requests/ {f=$3}
                 /Keep-Alive requests/ {k=$3}
                 END {printf "%10s req/s  complete %s  failed %s  kept-alive %s\n", r, c, f, (k == "" ? 0 : k)}'; }
for row in "${rows[@]}"; do
    name=${row%%:*}; p=$(eval echo "\$port_$name")
    url="http://127.0.0.1:$p/contacts/John%20Doe"
    # -t bounds each ab run (it then reports what it completed); -n after it sets the count.
    limit=$((secs * 3))
    echo "$name ab -k:    $(ab -k -q -s 10 -t "$limit" -n "$requests" -c 16 "$url" 2>&1 | ab_line)"
    echo "$name ab:       $(ab -q -s 10 -t "$limit" -n "$requests" -c 16 "$url" 2>&1 | ab_line)"
    echo "$name wrk:      $(wrk -t2 -c16 -d"${secs}s" "$url" | awk '/Requests\/sec/ {print $2 " req/s"}')"
done
for row in "${rows[@]}"; do
    name=${row%%:*}; p=$(eval echo "\$port_$name")
    for hogs in 16 900; do
        # 4 s: the service drops a hog 5 s (its write timeout) after its answers back up.
        echo "$name $(timeout 60 "$bin/phonebook-tools" hog-probe --target "127.0.0.1:$p" \
            --hogs "$hogs" --duration 4s || echo "hogs $hogs: no answer")"
        sleep 6 # the hogs' connections close and their write deadlines pass
    done
done
