#!/usr/bin/env bash
# GET throughput side by side, in one run: the hyper ceiling (hyper 1 on tokio, one worker per
# core), the bare tiny_http baseline, phonebook on the embedded store (cache off), and phonebook
# with memcached in front (warm), reached over TCP and over a Unix socket; phonebook and
# tiny_http in production mode with the same thread count, measured with wrk in alternating
# rounds so that machine noise hits every row alike. Ratios are to the hyper ceiling and to
# tiny_http (the baseline the cache's goal is stated against). Also samples phonebook's
# resident memory under load.
#
# wrk runs WRK_THREADS threads (default 2: one per core here) over THREADS connections.
#
#   tools/bench-get.sh [ROUNDS] [SECONDS] [THREADS] [WRK_THREADS]      (needs wrk, memcached)
set -euo pipefail
rounds=${1:-3} secs=${2:-10} threads=${3:-16} wrk_threads=${4:-2}
cd "$(dirname "$0")/.."
bin=target/release
# Always build: a binary left from older sources would measure the old code.
cargo build --release -q -p phonebook -p phonebook-tools
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mc=$(port) hyper=$(port) base=$(port) off=$(port) on=$(port) unix=$(port)
# Run as root, memcached drops to nobody before it creates its socket: give it a folder it
# can reach and write.
chmod 711 "$work"
mkdir -m 777 "$work/mc"
sock=$work/mc/memcached.sock
memcached -u nobody -l 127.0.0.1 -p "$mc" -U 0 -t 2 & pids+=($!)
memcached -u nobody -s "$sock" -a 0700 -t 2 & pids+=($!)
"$bin/phonebook-tools" baseline-server --kind hyper --listen "127.0.0.1:$hyper" >/dev/null 2>&1 & pids+=($!)
"$bin/phonebook-tools" baseline-server --listen "127.0.0.1:$base" --threads "$threads" >/dev/null 2>&1 & pids+=($!)
for spec in "off:$off:off" "on:$on:memcache://127.0.0.1:$mc" "unix:$unix:memcache+unix://$sock"; do
    IFS=: read -r name p cache <<<"$spec"
    RUST_LOG=warn "$bin/phonebook" --mode production --threads "$threads" --listen "127.0.0.1:$p" \
        --store "embedded:$work/$name.redb" --cache "$cache" >/dev/null & pids+=($!)
    eval "pid_$name=$!"
done
sleep 1
for p in $off $on $unix; do
    curl -sf -d 'name=John Doe' --data-urlencode 'number=+358408053254' "http://127.0.0.1:$p/contacts" >/dev/null
done
url() { echo "http://127.0.0.1:$1/contacts/John%20Doe"; }
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
printf "%-28s %6s %12s %9s %9s %8s\n" row round "req/s" "p50" "p99" "rss MiB"
for r in $(seq "$rounds"); do
    for row in hyper tiny_http embedded memcached-tcp memcached-unix; do
        case $row in
            hyper) p=$hyper pid= ;;
            tiny_http) p=$base pid= ;;
            embedded) p=$off pid=$pid_off ;;
            memcached-tcp) p=$on pid=$pid_on ;;
            *) p=$unix pid=$pid_unix ;;
        esac
        (sleep "$((secs / 2))"; [[ -z $pid ]] || rss "$pid" >"$work/rss") &
        out=$(wrk -t"$wrk_threads" -c"$threads" -d"${secs}s" --latency "$(url "$p")")
        wait $!
        rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        mem=-; [[ -z $pid ]] || mem=$(cat "$work/rss")
        printf "%-28s %6s %12s %9s %9s %8s\n" "$row" "$r" "$rate" "$p50" "$p99" "$mem"
        echo "$row $rate" >>"$work/rates"
    done
done
echo
# The cached rows must have been served by the cache: a row of misses or errors (more than one
# in a hundred) would measure the store.
for row in memcached-tcp:$on memcached-unix:$unix; do
    curl -sf "http://127.0.0.1:${row#*:}/metrics" | awk -v row="${row%:*}" '
        /^phonebook_cache_(hits|misses|errors)_total/ { n[$1] = $2 }
        END {
            printf "%s: %d hits, %d misses, %d errors\n", row, n["phonebook_cache_hits_total"],
                n["phonebook_cache_misses_total"], n["phonebook_cache_errors_total"]
            hits = n["phonebook_cache_hits_total"]
            if (hits == 0 || 100 * (n["phonebook_cache_misses_total"] + n["phonebook_cache_errors_total"]) > hits) {
                print "the cache did not answer: these figures do not measure it"; exit 1
            }
        }'
done
python3 - "$work/rates" <<'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    row, rate = line.split()
    rates.setdefault(row, []).append(float(rate))
med = {row: statistics.median(v) for row, v in rates.items()}
print("median req/s: " + ", ".join(f"{row} {m:.0f}" for row, m in med.items()))
for base in ("hyper", "tiny_http"):
    print(f"ratio to {base}: " + ", ".join(
        f"{row} {m / med[base]:.2f}" for row, m in med.items() if row != base))
PY
