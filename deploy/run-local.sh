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
# The configs come from deploy/templates/, filled in, started and stopped by
# deploy/chain/launcher.py (the same as the tests and benchmarks use).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=$ROOT/var
BUILD_DIR=${MAILPIPE_BUILD_DIR:-$ROOT/build}
PROCESSES=(mda mta msa)  # start order: each one's peer is up before it
READY_TIMEOUT_S=10       # per process, from exec to event=ready
STOP_TIMEOUT_S=10        # per process, from SIGTERM to SIGKILL

say() { echo "run-local: $*"; }

LAUNCHER=(/usr/bin/python3 "$ROOT/deploy/chain/launcher.py" --prefix "run-local: " --root "$ROOT")

# A pid file names a live process of ours: not a pid the kernel has since
# given to something else (the command line names our config file).
ours() { echo "--config $VAR/etc/$1.conf"; }
alive() { "${LAUNCHER[@]}" running --pid-file "$VAR/run/$1.pid" --match "$(ours "$1")"; }
pid_of() { cat "$VAR/run/$1.pid" 2>/dev/null || true; }

stop_one() {
  "${LAUNCHER[@]}" stop --name "$1" --pid-file "$VAR/run/$1.pid" --match "$(ours "$1")" --timeout "$STOP_TIMEOUT_S"
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
  "${LAUNCHER[@]}" certificate "$VAR/tls/cert.pem" "$VAR/tls/key.pem" --days 3650
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

# Configs are remade from the templates on every run: edit deploy/templates/*.conf.in.
# The demo's values (DESIGN.md's demo defaults) are these:
render() { "${LAUNCHER[@]}" render "$1" "$VAR/etc/$1.conf" "${@:2}"; }
render mda endpoint=tcp://127.0.0.1:2601 mail_root="$VAR/mail" hostname=localhost \
  metrics_listen=127.0.0.1:9303
render mta hostname=localhost intake_endpoint=tcp://127.0.0.1:2600 mda_endpoint=tcp://127.0.0.1:2601 \
  spool_dir="$VAR/spool" local_domain=example.test \
  passwd_file="$VAR/etc/passwd" aliases_file="$VAR/etc/aliases" \
  mx_listen=127.0.0.1:2525 cert_file="$VAR/tls/cert.pem" key_file="$VAR/tls/key.pem" \
  admin_endpoint="ipc://$VAR/run/mta-admin.sock" metrics_listen=127.0.0.1:9302
render msa hostname=localhost starttls_listen=127.0.0.1:2587 implicit_listen=127.0.0.1:2465 \
  cert_file="$VAR/tls/cert.pem" key_file="$VAR/tls/key.pem" passwd_file="$VAR/etc/passwd" \
  mta_endpoint=tcp://127.0.0.1:2600 submit_timeout_ms=30000 metrics_listen=127.0.0.1:9301
for proc in "${PROCESSES[@]}"; do
  if ! "$BUILD_DIR/$proc/$proc" --config "$VAR/etc/$proc.conf" --check >"$VAR/log/$proc.check" 2>&1; then
    say "var/etc/$proc.conf (from deploy/templates/$proc.conf.in) is not valid:" >&2
    cat "$VAR/log/$proc.check" >&2
    exit 1
  fi
  rm -f "$VAR/log/$proc.check"
done
# mailpipectl --config var/etc/mailpipectl.conf queue list | user add ...
render mailpipectl mta_admin_endpoint="ipc://$VAR/run/mta-admin.sock" passwd_file="$VAR/etc/passwd"

if ! $detach; then
  # From here on Ctrl-C stops whatever has been started, in order.
  trap 'echo; [[ -n ${watcher:-} ]] && kill "$watcher" 2>/dev/null; stop_all; exit 0' INT TERM
fi

# Each process in its own session (the launcher's setsid): it gets no
# terminal signals; Ctrl-C reaches this script alone, which stops them in
# order (msa first). Ready once its log says event=ready, within the bound.
start() {
  local proc=$1 log=$VAR/log/$1.log
  [[ -f $log ]] && mv -f "$log" "$log.1"  # keep the previous run's log
  : >"$log"
  if ! "${LAUNCHER[@]}" start --name "$proc" --log "$log" --pid-file "$VAR/run/$proc.pid" \
       --timeout "$READY_TIMEOUT_S" -- "$BUILD_DIR/$proc/$proc" --config "$VAR/etc/$proc.conf"; then
    stop_all
    exit 1
  fi
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
# Wait for Ctrl-C, or for one of the processes to die. (The watcher in the
# background and wait: bash runs the trap at once, not after it returns.)
watched=()
for proc in "${PROCESSES[@]}"; do
  watched+=(--process "$proc" "$VAR/run/$proc.pid" "$VAR/log/$proc.log" "$(ours "$proc")")
done
"${LAUNCHER[@]}" watch "${watched[@]}" &
watcher=$!
wait "$watcher" || true
watcher=
stop_all
exit 1
