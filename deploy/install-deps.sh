#!/usr/bin/env bash
# Installs the Debian 12 packages mailpipe needs to build, run and test,
# and only those that are missing (one apt-get update, only if needed).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler
  libc-ares-dev libasio-dev libssl-dev libcrypt-dev libgtest-dev
  # run: certificates and password hashes for the demo
  openssl ca-certificates
  # test: real clients and peers
  swaks dnsmasq-base python3 python3-zmq python3-protobuf
  postfix  # for smtp-sink/smtp-source as remote peers; never configured or started
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix is only wanted for its test tools: no mail system configuration,
# so it never starts or takes port 25.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
