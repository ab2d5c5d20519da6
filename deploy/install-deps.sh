#!/usr/bin/env bash
# Installs the Debian 12 packages mailpipe needs to build, run and test,
# and only those that are missing (one apt-get update, only if needed).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler
  libc-ares-dev libasio-dev libssl-dev libcrypt-dev libgtest-dev
  # fuzz targets (tests/fuzz): clang with libFuzzer and its sanitizer
  # runtimes; libclang-rt is only recommended by clang-14, so named here.
  # (gcc's own ASan/UBSan runtimes come with build-essential.)
  clang-14 libclang-rt-14-dev
  # run: certificates and password hashes for the demo
  openssl ca-certificates
  # test: real clients and peers
  swaks libnet-ssleay-perl  # swaks needs Net::SSLeay for --tls/--tlsc
  dnsmasq-base python3 python3-zmq python3-protobuf
  postfix        # smtp-sink/smtp-source and throwaway Postfix instances started by tests
  dovecot-imapd  # tests read our Maildirs over IMAP with a throwaway Dovecot
  dovecot-lmtpd  # and the mda delivers to its LMTP server (test_mda_routes)
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
# Servers installed for tests (Postfix, Dovecot) must not start system-wide
# instances: tests start their own on loopback. policy-rc.d (as in Debian's
# container images) tells the packages' scripts not to start services.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
  trap '[[ $made_policy == 1 ]] && rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
