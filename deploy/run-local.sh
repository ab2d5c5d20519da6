#!/usr/bin/env bash
# Runs the whole mailpipe chain (mda, mta, msa) on 127.0.0.1 with the demo
# settings of DESIGN.md:
#   submission 2587 (STARTTLS) and 2465 (implicit TLS); MX port 2525 reserved
#   user demo@example.test, password demo; Maildirs in var/mail/<domain>/<user>/
#
#   deploy/run-local.sh           install what is missing, build, run until Ctrl-C
#   deploy/run-local.sh --detach  same, in the background
#   deploy/run-local.sh stop      stop a detached chain
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=$ROOT/var
BUILD_DIR=${MAILPIPE_BUILD_DIR:-$ROOT/build}
PROCESSES=(mda mta msa)  # start order: each one's peer is up before it

say() { echo "run-local: $*"; }

alive() { [[ -f $VAR/run/$1.pid ]] && kill -0 "$(cat "$VAR/run/$1.pid")" 2>/dev/null; }

stop_all() {
  local proc pid
  for proc in msa mta mda; do  # reverse order: no new mail while stopping
    [[ -f $VAR/run/$proc.pid ]] || continue
    pid=$(cat "$VAR/run/$proc.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        say "$proc (pid $pid) did not stop in 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      say "stopped $proc (pid $pid)"
    else
      say "$proc (pid $pid) has exited"
    fi
    rm -f "$VAR/run/$proc.pid"
  done
}

if [[ ${1:-} == stop ]]; then
  stop_all
  exit 0
fi
detach=false
if [[ ${1:-} == --detach ]]; then
  detach=true
elif [[ -n ${1:-} ]]; then
  echo "usage: deploy/run-local.sh [--detach | stop]" >&2
  exit 2
fi

for proc in "${PROCESSES[@]}"; do
  if alive "$proc"; then
    say "$proc is already running (pid $(cat "$VAR/run/$proc.pid")); use 'deploy/run-local.sh stop' first"
    exit 1
  fi
done

MAILPIPE_BUILD_DIR=$BUILD_DIR "$ROOT/deploy/build.sh"

mkdir -p "$VAR"/{etc,tls,spool,mail,log,run}
chmod 700 "$VAR/etc" "$VAR/tls" "$VAR/spool"

if [[ ! -f $VAR/tls/cert.pem || ! -f $VAR/tls/key.pem ]]; then
  say "creating a self-signed certificate for localhost in var/tls/"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$VAR/tls/key.pem" -out "$VAR/tls/cert.pem" 2>/dev/null
  chmod 600 "$VAR/tls/key.pem"
fi

if [[ ! -f $VAR/etc/passwd ]]; then
  say "creating the demo user demo@example.test (password: demo) in var/etc/passwd"
  echo "demo@example.test:{SHA512-CRYPT}$(openssl passwd -6 demo)" >"$VAR/etc/passwd"
  chmod 600 "$VAR/etc/passwd"
fi

for proc in "${PROCESSES[@]}"; do
  sed "s|@VAR@|$VAR|g" "$ROOT/deploy/local/$proc.conf.in" >"$VAR/etc/$proc.conf"
done

start() {
  local proc=$1 pid
  : >"$VAR/log/$proc.log"
  "$BUILD_DIR/$proc/$proc" --config "$VAR/etc/$proc.conf" >>"$VAR/log/$proc.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$VAR/run/$proc.pid"
  for _ in $(seq 100); do
    if grep -q "event=ready" "$VAR/log/$proc.log"; then
      say "started $proc (pid $pid), log in var/log/$proc.log"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  say "$proc did not become ready; last lines of var/log/$proc.log:"
  tail -n 20 "$VAR/log/$proc.log" >&2
  stop_all
  exit 1
}

for proc in "${PROCESSES[@]}"; do start "$proc"; done

cat <<BANNER

mailpipe is running. Send a first mail:

  swaks --server 127.0.0.1:2587 --tls --auth PLAIN \\
        --auth-user demo@example.test --auth-password demo \\
        --from demo@example.test --to demo@example.test

It lands in var/mail/example.test/demo/new/. Logs: var/log/{msa,mta,mda}.log
BANNER

if $detach; then
  say "running in the background; stop with: deploy/run-local.sh stop"
  exit 0
fi

trap 'echo; stop_all; exit 0' INT TERM
say "press Ctrl-C to stop"
# Wait for Ctrl-C, or for one of the processes to die.
while true; do
  for proc in "${PROCESSES[@]}"; do
    if ! alive "$proc"; then
      say "$proc exited unexpectedly; last lines of var/log/$proc.log:"
      tail -n 20 "$VAR/log/$proc.log" >&2
      stop_all
      exit 1
    fi
  done
  sleep 1 &
  wait $! || true
done
