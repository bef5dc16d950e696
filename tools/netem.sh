#!/usr/bin/env bash
# Delay the database links only, with tc netem, on a real Linux host; and remove it again.
#
#   tools/netem.sh add --delay MS [--jitter MS] PORT...   e.g. add --delay 5 8087 8098 11211
#   tools/netem.sh del
#   tools/netem.sh show
#
# DEV selects the interface [default: lo, which carries all traffic to local nodes]; use the
# outgoing interface (e.g. DEV=eth0) when the nodes are on other hosts. Needs root (or
# CAP_NET_ADMIN) and a kernel with sch_netem; where there is none, use `phonebook-tools slowlink`.
#
# Why not `tc qdisc add dev lo root netem delay 5ms`: that delays every packet on loopback,
# also the load generator's requests and the cache, which confounds the result. Instead the root
# is a three-band prio qdisc whose priomap sends all traffic to band 1; u32 filters send packets
# to or from the given ports to band 3, and only band 3 has netem. On lo both directions pass the
# same qdisc, so a request (dport) and its answer (sport) are each delayed: a round trip gains
# twice the delay, as with `slowlink --delay`.
set -euo pipefail

dev=${DEV:-lo}

die() {
    echo "netem.sh: $*" >&2
    exit 2
}

usage() {
    sed -n '4,6p' "$0" | sed 's/^# *//' >&2
    exit 2
}

is_number() {
    [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]
}

add() {
    local delay="" jitter=0 ports=()
    while (($#)); do
        case $1 in
        --delay) delay=${2:-}; shift 2 || usage ;;
        --jitter) jitter=${2:-}; shift 2 || usage ;;
        -*) usage ;;
        *) ports+=("$1"); shift ;;
        esac
    done
    is_number "$delay" || die "--delay MS is required (a number)"
    is_number "$jitter" || die "--jitter must be a number of milliseconds"
    ((${#ports[@]})) || die "name at least one port"
    for port in "${ports[@]}"; do
        if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
            die "bad port: $port"
        fi
    done
    spread=()
    if [[ $jitter != 0 ]]; then
        spread=("${jitter}ms" distribution normal)
    fi
    tc qdisc add dev "$dev" root handle 1: prio bands 3 priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ||
        die "cannot add a prio root qdisc on $dev: one is there already ('netem.sh del'), or the kernel lacks sch_prio"
    # From here on, a failure removes what was added, so no half-configured link stays behind.
    if ! shape_ports "$delay" "${ports[@]}"; then
        tc qdisc del dev "$dev" root
        die "could not add netem or the filters (does the kernel have sch_netem and cls_u32?)"
    fi
    echo "netem.sh: ${delay}ms (±${jitter}ms) on $dev for ports ${ports[*]}"
}

# Adds netem to band 3 and the port filters that lead to it; uses $spread from add.
shape_ports() {
    local delay=$1
    shift
    tc qdisc add dev "$dev" parent 1:3 handle 30: netem delay "${delay}ms" "${spread[@]}" || return 1
    for port in "$@"; do
        for dir in dport sport; do
            tc filter add dev "$dev" parent 1:0 protocol ip prio 1 u32 \
                match ip "$dir" "$port" 0xffff flowid 1:3 || return 1
            tc filter add dev "$dev" parent 1:0 protocol ipv6 prio 2 u32 \
                match ip6 "$dir" "$port" 0xffff flowid 1:3 || return 1
        done
    done
}

del() {
    if tc qdisc show dev "$dev" | grep -q '^qdisc prio 1: root'; then
        tc qdisc del dev "$dev" root
        echo "netem.sh: removed the delay from $dev"
    else
        echo "netem.sh: no delay of ours on $dev"
    fi
}

show() {
    tc qdisc show dev "$dev"
    tc filter show dev "$dev" parent 1: 2>/dev/null || true
}

(($#)) || usage
command=$1
shift
case $command in
add | del) [[ $EUID -eq 0 ]] || die "$command needs root" ;;
esac
case $command in
add) add "$@" ;;
del) del ;;
show) show ;;
*) usage ;;
esac
