#!/usr/bin/env bash
# ./herald as a newcomer meets it: a fresh clone (committed files only) on a machine
# whose PATH has only the system's Node (older than 24 here). Checks that the
# wrapper gets Node 24, installs, builds, that `./herald token` prints a token and
# nothing else, that help and usage errors exit 0 and 2, and that `./herald start`
# runs Herald as the process itself (no npm beside it), which answers /health.
#
#   bash test/herald-wrapper.sh
#
# The fetched Node is cached in HERALD_NODE_CACHE (default ~/.cache/herald, which
# .ci/run fills too), so only the first run downloads it (~30 MB); npm ci in the
# clone takes some seconds with npm's cache warm.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
herald_pid=
cleanup() {
  [ -n "$herald_pid" ] && kill "$herald_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { printf 'not ok - %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok - %s\n' "$*"; }

git clone -q "$repo" "$work/herald"
cd "$work/herald"
export PATH="/usr/local/bin:/usr/bin:/bin" # the machine's own Node and npm, nothing of ours
export HERALD_NODE_CACHE="${HERALD_NODE_CACHE:-$HOME/.cache/herald}"
echo "# the machine's node: $(node --version 2>/dev/null || echo none)"

# --- the CLI through the wrapper: stdout is the token, and only it ---------------------
token=$(./herald token --sub alice --role ADMIN 2>"$work/stderr") || fail "./herald token failed: $(cat "$work/stderr")"
[[ $token =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] || fail "./herald token printed more than a token: $token"
ok "./herald token --sub alice --role ADMIN prints only a token"

major=$(./herald node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 24 ] || fail "./herald runs Node $major"
ok "./herald runs Node $major"

[ -z "$(./herald token --sub bob 2>&1 >/dev/null)" ] || fail "a second ./herald token installs or builds again"
ok "a second run neither installs nor builds"

./herald --help | grep -q '^usage: ./herald <command>' || fail "./herald --help"
./herald token --help | grep -q '^usage: herald token --sub ID' || fail "./herald token --help"
ok "./herald --help and ./herald token --help print usage and exit 0"

./herald start --help | grep -q '^usage: ./herald start' || fail "./herald start --help"
./herald node dist/herald.cjs -h | grep -q '^usage: herald server' || fail "node dist/herald.cjs -h"
ok "./herald start --help and the server's -h print usage and exit 0, starting nothing"

set +e
./herald frobnicate >"$work/stdout" 2>"$work/stderr"
code=$?
set -e
[ "$code" = 2 ] || fail "an unknown command exits $code, not 2"
[ ! -s "$work/stdout" ] && grep -q "unknown command 'frobnicate'" "$work/stderr" || fail "an unknown command's message"
ok "an unknown command exits 2 with the usage on stderr"

# --- start: Herald itself, answering /health --------------------------------------------
port=$(./herald node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
PORT=$port HOST=127.0.0.1 ./herald start >"$work/herald.log" 2>&1 &
herald_pid=$!
for _ in $(seq 1 60); do
  health=$(./herald node -e "fetch('http://127.0.0.1:$port/health').then(r=>r.text()).then(console.log,()=>process.exit(1))" 2>/dev/null) && break
  kill -0 "$herald_pid" 2>/dev/null || fail "./herald start exited: $(tail -5 "$work/herald.log")"
  sleep 0.5
done
[[ $health == *'"status":"ok"'* ]] || fail "/health answered: ${health:-nothing}"
ok "./herald start serves /health: $health"

args=$(ps -o args= -p "$herald_pid")
[[ $args == node\ --max-semi-space-size=8\ dist/herald.cjs* ]] || fail "the started process is: $args"
ok "the started process is Herald itself: $args"

kill -TERM "$herald_pid"
set +e
wait "$herald_pid"
code=$?
set -e
herald_pid=
echo "# SIGTERM: Herald exited with $code"
