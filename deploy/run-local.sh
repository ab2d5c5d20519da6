#!/usr/bin/env bash
# Runs the whole mailpipe chain (mda, mta, msa) on 127.0.0.1 with the demo
# settings of DESIGN.md:
#   submission 2587 (STARTTLS) and 2465 (implicit TLS); inbound MX 2525
#   user demo@example.test, password demo; Maildirs in var/mail/<domain>/<user>/
#
#   deploy/run-local.sh           install what is missing, build, run until Ctrl-C
#   deploy/run-local.sh --detach  same, in the background
#   deploy/run-local.sh stop      stop a detached chain
#
# Everything it makes lives in var/ (gitignored): delete var/ to start over.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=$ROOT/var
BUILD_DIR=${MAILPIPE_BUILD_DIR:-$ROOT/build}
PROCESSES=(mda mta msa)  # start order: each one's peer is up before it
READY_TIMEOUT_S=10       # per process, from exec to event=ready
STOP_TIMEOUT_S=10        # per process, from SIGTERM to SIGKILL

say() { echo "run-local: $*"; }

pid_of() { cat "$VAR/run/$1.pid" 2>/dev/null || true; }

# A pid file names a live process of ours: not a pid the kernel has since
# given to something else (the command line names our config file).
alive() {
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--config $VAR/etc/$1.conf"
}

stop_one() {
  local proc=$1 pid
  [[ -f $VAR/run/$proc.pid ]] || return 0
  pid=$(pid_of "$proc")
  if alive "$proc"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((STOP_TIMEOUT_S * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$proc (pid $pid) did not stop in $STOP_TIMEOUT_S s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $proc (pid $pid)"
  else
    say "$proc (pid $pid) had already exited"
  fi
  rm -f "$VAR/run/$proc.pid"
}

stop_all() {
  local proc
  for proc in msa mta mda; do stop_one "$proc"; done  # reverse order: no new mail while stopping
}

case ${1:-} in
  stop)
    if ! compgen -G "$VAR/run/*.pid" >/dev/null; then
      say "not running (no pid files in var/run/)"
      exit 0
    fi
    stop_all
    exit 0 ;;
  --detach) detach=true ;;
  "") detach=false ;;
  *) echo "usage: deploy/run-local.sh [--detach | stop]" >&2; exit 2 ;;
esac

for proc in "${PROCESSES[@]}"; do
  if alive "$proc"; then
    say "already running: $proc (pid $(pid_of "$proc")); stop it with: deploy/run-local.sh stop" >&2
    exit 1
  fi
done

MAILPIPE_BUILD_DIR=$BUILD_DIR "$ROOT/deploy/build.sh"

mkdir -p "$VAR"/{etc,tls,spool,mail,log,run}
chmod 700 "$VAR/etc" "$VAR/tls" "$VAR/spool"

if [[ ! -f $VAR/tls/cert.pem || ! -f $VAR/tls/key.pem ]]; then
  say "creating a self-signed certificate for localhost in var/tls/"
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
     -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
     -keyout "$VAR/tls/key.pem" -out "$VAR/tls/cert.pem" 2>/dev/null)
fi

if [[ ! -f $VAR/etc/passwd ]]; then
  say "creating the demo user demo@example.test (password: demo) in var/etc/passwd"
  hash=$(openssl passwd -6 demo)
  (umask 077 && echo "demo@example.test:{SHA512-CRYPT}$hash" >"$VAR/etc/passwd")
fi

if [[ ! -f $VAR/etc/aliases ]]; then
  say "creating var/etc/aliases (postmaster and abuse go to demo@example.test)"
  cat >"$VAR/etc/aliases" <<'ALIASES'
# Aliases and virtual domains of the local demo (aliases_file in mta.conf).
#   address: target, target      exact alias (targets local or remote)
#   @domain: target              catch-all for a domain
#   @old.domain: @new.domain     same local part, other domain
# Precedence: exact alias, then a user of var/etc/passwd, then the catch-all;
# "user+tag@" is user's mail. Read when the MTA starts.
postmaster@example.test: demo@example.test
abuse@example.test: demo@example.test
ALIASES
fi

# Configs are remade from the templates on every run: edit deploy/local/*.conf.in.
# (@VAR@ escaped for sed: a path may hold & or |.)
var_for_sed=$(printf '%s' "$VAR" | sed 's/[&|\\]/\\&/g')
for proc in "${PROCESSES[@]}"; do
  sed "s|@VAR@|$var_for_sed|g" "$ROOT/deploy/local/$proc.conf.in" >"$VAR/etc/$proc.conf"
  if ! "$BUILD_DIR/$proc/$proc" --config "$VAR/etc/$proc.conf" --check >"$VAR/log/$proc.check" 2>&1; then
    say "var/etc/$proc.conf (from deploy/local/$proc.conf.in) is not valid:" >&2
    cat "$VAR/log/$proc.check" >&2
    exit 1
  fi
  rm -f "$VAR/log/$proc.check"
done
# mailpipectl --config var/etc/mailpipectl.conf queue list | user add ...
cat >"$VAR/etc/mailpipectl.conf" <<CTL
# Made by deploy/run-local.sh for the demo's mailpipectl (CtlConfig in proto/config.proto).
mta_admin_endpoint: "ipc://$VAR/run/mta-admin.sock"
passwd_file: "$VAR/etc/passwd"
CTL

if ! $detach; then
  # From here on Ctrl-C stops whatever has been started, in order.
  trap 'echo; stop_all; exit 0' INT TERM
fi

start() {
  local proc=$1 log=$VAR/log/$1.log pid
  [[ -f $log ]] && mv -f "$log" "$log.1"  # keep the previous run's log
  : >"$log"
  # setsid: the processes get no terminal signals; Ctrl-C reaches this
  # script alone, which stops them in order (msa first).
  setsid "$BUILD_DIR/$proc/$proc" --config "$VAR/etc/$proc.conf" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$VAR/run/$proc.pid"
  for _ in $(seq $((READY_TIMEOUT_S * 10))); do
    if grep -q "event=ready" "$log"; then
      say "started $proc (pid $pid), log in var/log/$proc.log"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$proc did not log event=ready within $READY_TIMEOUT_S s; last lines of var/log/$proc.log:" >&2
  else
    say "$proc exited during start-up; last lines of var/log/$proc.log:" >&2
  fi
  tail -n 20 "$log" >&2
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
The queue: $BUILD_DIR/ctl/mailpipectl --config var/etc/mailpipectl.conf queue list
Metrics: curl http://127.0.0.1:9301/metrics (msa), :9302 (mta), :9303 (mda)

Or be another server delivering to our MX (no AUTH; unknown users get 550):

  swaks --server 127.0.0.1:2525 --tls --from someone@remote.example --to demo@example.test

BANNER

if $detach; then
  say "running in the background; stop it with: deploy/run-local.sh stop"
  exit 0
fi

say "press Ctrl-C to stop"
# Wait for Ctrl-C, or for one of the processes to die. (sleep in the
# background and wait: bash runs the trap at once, not after the sleep.)
while true; do
  for proc in "${PROCESSES[@]}"; do
    if ! alive "$proc"; then
      say "$proc exited unexpectedly; last lines of var/log/$proc.log:" >&2
      tail -n 20 "$VAR/log/$proc.log" >&2
      stop_all
      exit 1
    fi
  done
  sleep 1 &
  wait $! || true
done
