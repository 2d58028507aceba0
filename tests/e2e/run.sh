#!/usr/bin/env bash
# End-to-end checks of the real idmcp binary with clients nobody here wrote: the Python `mcp`
# SDK, the MCP Inspector CLI and the official MCP conformance suite.
#
# usage: tests/e2e/run.sh            (normally run by .ci/run)
# env:   BIN          the idmcp binary (default: target/debug/idmcp; build it first)
#        MCP_PY, INSPECTOR, CONFORMANCE
#                     from `eval "$(../shared/tools/mcp-clients.sh)"`
#        E2E_OUT      where logs and conformance results go (default: target/e2e; wiped first)
#        E2E_PRIOR_FAILURES  printed before the summary (set by .ci/run if `cargo test` failed)
#
# Every server started here listens on 127.0.0.1 on a free port, uses a temporary store, and is
# killed by its PID on exit. Each check prints one `PASS: name` or `FAIL: name` line (with the
# tail of its log on failure); the last line is `N passed, M failed`, and the exit status is
# non-zero if anything failed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SELF="$HERE/run.sh"
export HERE REPO

TOOLS_JSON='["list_operations","session","project_read","project_write","access_control_read",
"access_control_write","agentic_read","agentic_write","audits_read","auth_keys_read",
"auth_keys_write","flows_read","flows_write","tenants_read","tenants_write","connect_read",
"connect_write","tests_read","tests_write","users_read","users_write","docs_search",
"docs_ask_question"]'
export TOOLS_JSON

# ------------------------------------------------------------------------------------------
# Checks. Each runs in its own process (`run.sh __run <fn> ...`) so that `set -e` applies
# inside it: a failing step fails the check instead of being ignored.

# expect_tools FILE: the Inspector's tools/list output has exactly the 23 tools.
expect_tools() {
  python3 - "$1" <<'PY'
import json, os, sys
want = set(json.loads(os.environ["TOOLS_JSON"]))
out = json.load(open(sys.argv[1]))
names = [t["name"] for t in out["tools"]]
assert len(names) == 23, f"{len(names)} tools: {names}"
assert set(names) == want, f"missing {sorted(want - set(names))}, extra {sorted(set(names) - want)}"
for t in out["tools"]:
    a = t.get("annotations") or {}
    if t["name"].endswith("_read"):
        assert a.get("readOnlyHint") is True, f"{t['name']}: {a}"
    if t["name"].endswith("_write"):
        assert a.get("destructiveHint") is True, f"{t['name']}: {a}"
print(f"23 tools, annotations ok, {len(json.dumps(out))} bytes")
PY
}

# expect_whoami FILE: the Inspector's tools/call session whoami output.
expect_whoami() {
  python3 - "$1" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert out.get("isError") is not True, f"isError: {out}"
s = out["structuredContent"]
assert s["principal"]["email"] == "admin@acme.example", s
assert s["company"]["name"] == "Acme Holdings", s
assert s["mode"] == "read-only", s
text = "".join(c.get("text", "") for c in out["content"])
assert "admin@acme.example" in text, "text block does not carry the result"
print("admin@acme.example / Acme Holdings / read-only")
PY
}

check_python_sdk() { # transport mode
  if [ "$1" = stdio ]; then
    "$MCP_PY" "$HERE/client_test.py" stdio "$2" --bin "$BIN" --data-dir "$DATA_DIR" --token "$TOKEN"
  else
    "$MCP_PY" "$HERE/client_test.py" http "$2" --url "$HTTP_URL" --token "$TOKEN"
  fi
}

inspector_http() { # args... (token from $TOKEN)
  $INSPECTOR --cli "$HTTP_URL" --transport http --header "Authorization: Bearer $TOKEN" "$@" </dev/null
}

inspector_stdio() {
  $INSPECTOR --cli -e "IDMCP_TOKEN=$TOKEN" -e RUST_LOG=error "$BIN" serve --stdio --data-dir "$DATA_DIR" "$@" </dev/null
}

check_approval_elicitation() { # mode: the approval link by URL elicitation (accept, decline, none)
  # Its own token, so its session's write window never leaks into the other checks.
  local token
  token="$("$BIN" token create --email admin@acme.example --name "e2e-elicitation" --data-dir "$DATA_DIR")" || return 1
  "$MCP_PY" "$HERE/approval_elicitation.py" --url "$HTTP_URL" --token "$token" --otp-file "$OTP_FILE" --mode "$1"
}

check_inspector_http_list() {
  inspector_http --method tools/list >"$WORK/insp-http-list.json"
  expect_tools "$WORK/insp-http-list.json"
}

check_inspector_http_whoami() {
  inspector_http --method tools/call --tool-name session --tool-arg operation=whoami >"$WORK/insp-http-whoami.json"
  cat "$WORK/insp-http-whoami.json"
  expect_whoami "$WORK/insp-http-whoami.json"
}

check_inspector_http_list_operations() {
  inspector_http --method tools/call --tool-name list_operations >"$WORK/insp-lo.json"
  inspector_http --method tools/call --tool-name list_operations --tool-arg operation=whoami >"$WORK/insp-lo-whoami.json"
  python3 - "$WORK/insp-lo.json" "$WORK/insp-lo-whoami.json" <<'PY'
import json, os, sys
want = set(json.loads(os.environ["TOOLS_JSON"]))
listing = json.load(open(sys.argv[1]))
assert listing.get("isError") is not True, listing
buckets = listing["structuredContent"]["buckets"]
expected = {t for t in want if t.endswith(("_read", "_write")) or t == "session"}
assert set(buckets) == expected, f"buckets {sorted(buckets)} != {sorted(expected)}"
assert any(o["name"] == "whoami" for o in buckets["session"]), buckets["session"]
detail = json.load(open(sys.argv[2]))["structuredContent"]
assert isinstance(detail["inputSchema"], dict) and isinstance(detail["outputSchema"], dict), detail
print(f"{len(buckets)} buckets, {sum(len(v) for v in buckets.values())} operations; whoami has input and output schemas")
PY
}

check_inspector_http_invalid() {
  inspector_http --method tools/call --tool-name session --tool-arg operation=noSuchOperation >"$WORK/insp-bad.json" || true
  cat "$WORK/insp-bad.json"
  python3 - "$WORK/insp-bad.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert out.get("isError") is True, f"expected isError: {out}"
text = "".join(c.get("text", "") for c in out["content"])
assert "noSuchOperation" in text and "whoami" in text, text
PY
  # ... and the server still answers.
  inspector_http --method tools/call --tool-name session --tool-arg operation=whoami >"$WORK/insp-after.json"
  expect_whoami "$WORK/insp-after.json"
}

check_inspector_no_token() {
  local rc=0
  $INSPECTOR --cli "$HTTP_URL" --transport http --method tools/list </dev/null >"$WORK/insp-anon.out" 2>&1 || rc=$?
  cat "$WORK/insp-anon.out"
  [ "$rc" -ne 0 ] || { echo "the Inspector listed tools without a token"; return 1; }
  if grep -q '"tools"' "$WORK/insp-anon.out"; then echo "tools listed without a token"; return 1; fi
  rc=0
  $INSPECTOR --cli "$HTTP_URL" --transport http --header "Authorization: Bearer idmcp_notAToken" --method tools/list \
    </dev/null >"$WORK/insp-wrong.out" 2>&1 || rc=$?
  cat "$WORK/insp-wrong.out"
  [ "$rc" -ne 0 ] || { echo "the Inspector listed tools with a wrong token"; return 1; }
  if grep -q '"tools"' "$WORK/insp-wrong.out"; then echo "tools listed with a wrong token"; return 1; fi
}

check_inspector_stdio_list() {
  inspector_stdio --method tools/list >"$WORK/insp-stdio-list.json"
  expect_tools "$WORK/insp-stdio-list.json"
}

check_inspector_stdio_whoami() {
  inspector_stdio --method tools/call --tool-name session --tool-arg operation=whoami >"$WORK/insp-stdio-whoami.json"
  cat "$WORK/insp-stdio-whoami.json"
  expect_whoami "$WORK/insp-stdio-whoami.json"
}

check_token_create() {
  "$BIN" token create --email admin@acme.example --data-dir "$DATA_DIR" >"$WORK/token.out"
  local lines
  lines="$(wc -l <"$WORK/token.out")"
  [ "$lines" -eq 1 ] || { echo "token create printed $lines lines:"; cat "$WORK/token.out"; return 1; }
  local t
  t="$(cat "$WORK/token.out")"
  [[ "$t" =~ ^idmcp_[A-Za-z0-9_-]+$ ]] || { echo "not a token: $t"; return 1; }
  echo "token create printed one line: idmcp_…"
  # The new token works while the server runs on the same store.
  TOKEN="$t" inspector_http --method tools/call --tool-name session --tool-arg operation=whoami >"$WORK/token-whoami.json"
  expect_whoami "$WORK/token-whoami.json"
}

check_conformance() { # revision
  local out="$OUT/conformance-$1"
  rm -rf "$out"
  $CONFORMANCE server --url "$CONF_URL" --requirements "$1" -o "$out" \
    --expected-failures "$HERE/conformance-baseline.yaml" </dev/null
}

check_conformance_applicable() { # revision scenarios...
  local rev="$1"; shift
  python3 "$HERE/conformance_check.py" "$OUT/conformance-$rev" "$HERE/conformance-baseline.yaml" "$@"
}

if [ "${1:-}" = "__run" ]; then
  shift
  "$@"
  exit 0
fi

# ------------------------------------------------------------------------------------------
# Main

BIN="${BIN:-$REPO/target/debug/idmcp}"
OUT="${E2E_OUT:-$REPO/target/e2e}"
: "${MCP_PY:?set MCP_PY, INSPECTOR and CONFORMANCE: eval \"\$(../shared/tools/mcp-clients.sh)\"}"
: "${INSPECTOR:?}" "${CONFORMANCE:?}"
[ -x "$BIN" ] || { echo "no idmcp binary at $BIN: run cargo build --bin idmcp"; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/idmcp-e2e.XXXXXX")"
export BIN OUT WORK MCP_PY INSPECTOR CONFORMANCE

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSED=0
FAILED=0
FAILURES=()

record() { # PASS|FAIL name [log]
  if [ "$1" = PASS ]; then
    PASSED=$((PASSED + 1))
    echo "PASS: $2"
  else
    FAILED=$((FAILED + 1))
    FAILURES+=("$2")
    echo "FAIL: $2${3:+ (log: $3)}"
    if [ -n "${3:-}" ] && [ -f "$3" ]; then tail -n 40 "$3" | sed 's/^/    | /'; fi
  fi
}

N=0
check() { # name timeout-seconds fn args...
  local name="$1" secs="$2"
  shift 2
  N=$((N + 1))
  local log
  log="$OUT/$(printf '%02d' "$N")-$(echo "$name" | tr -cs 'A-Za-z0-9._-' '-' | sed 's/-*$//').log"
  if timeout --kill-after=10 "$secs" bash "$SELF" __run "$@" >"$log" 2>&1; then
    record PASS "$name"
  else
    local rc=$?
    [ "$rc" -eq 124 ] && echo "(timed out after ${secs}s)" >>"$log"
    record FAIL "$name" "$log"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME LOG ARGS...: starts `idmcp serve ARGS` on a free port, waits for /healthz;
# sets PORT. Fails if it does not come up within 10 minutes (seeding the demo company in a
# debug build on a busy 2-core machine takes a while).
start_server() {
  local name="$1" log="$2"
  shift 2
  PORT="$(free_port)"
  "$BIN" serve --listen "127.0.0.1:$PORT" "$@" </dev/null >/dev/null 2>"$log" &
  local pid=$!
  PIDS+=("$pid")
  local i
  for i in $(seq 1 1200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited early; its stderr:" >>"$log"
      return 1
    fi
    if python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2).status == 200 else 1)" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "$name did not answer /healthz within 10 minutes" >>"$log"
  return 1
}

echo "== e2e: $("$BIN" --version 2>/dev/null || echo idmcp) at $BIN; logs in $OUT"

# --- 1. a server with the demo company and a bearer token ---------------------------------
DATA_DIR="$WORK/demo"
mkdir -p "$DATA_DIR"
SERVER_LOG="$OUT/server-demo.stderr"
TOKEN=""
OTP_FILE="$WORK/passcodes.jsonl"
if start_server "idmcp serve --demo" "$SERVER_LOG" --demo --data-dir "$DATA_DIR" --otp-channel "file:$OTP_FILE"; then
  TOKEN="$(sed -n 's/^demo token for admin@acme\.example: \(idmcp_[A-Za-z0-9_-]*\)$/\1/p' "$SERVER_LOG" | head -n 1)"
fi
HTTP_URL="http://127.0.0.1:${PORT:-0}/mcp"
export DATA_DIR TOKEN HTTP_URL OTP_FILE
if [ -n "$TOKEN" ]; then
  record PASS "idmcp serve --demo starts on 127.0.0.1:$PORT and prints the demo token"

  # --- 2. Python mcp SDK: stdio and HTTP, both protocol eras --------------------------------
  for transport in http stdio; do
    for mode in legacy 2026-07-28 auto; do
      check "python mcp SDK: $transport, mode $mode (tools/list, whoami, list_operations, invalid calls)" 180 \
        check_python_sdk "$transport" "$mode"
    done
  done

  # --- 2b. approvals delivered by URL elicitation, in both protocol eras ----------------------
  for mode in 2026-07-28 legacy; do
    check "python mcp SDK: approval link by URL elicitation, mode $mode (accept → write runs, decline, no elicitation)" 600 \
      check_approval_elicitation "$mode"
  done

  # --- 3. MCP Inspector CLI ---------------------------------------------------------------
  check "inspector http: tools/list has the 23 tools" 120 check_inspector_http_list
  check "inspector http: session whoami" 120 check_inspector_http_whoami
  check "inspector http: list_operations (buckets, whoami schemas)" 120 check_inspector_http_list_operations
  check "inspector http: unknown operation is an isError result, server keeps serving" 120 check_inspector_http_invalid
  check "inspector http: no token / wrong token are refused" 120 check_inspector_no_token
  check "inspector stdio: tools/list has the 23 tools" 120 check_inspector_stdio_list
  check "inspector stdio: session whoami" 120 check_inspector_stdio_whoami
  check "idmcp token create prints one line; the token works while the server runs" 120 check_token_create
else
  record FAIL "idmcp serve --demo starts and prints the demo token" "$SERVER_LOG"
fi

# --- 4. conformance suite, against a local-principal server (it cannot send credentials) ---
# It shares the first server's store (seeding the demo company is the slow part); `--demo`
# leaves a seeded store unchanged and seeds it if the first server did not get that far.
CONF_LOG="$OUT/server-conformance.stderr"
if start_server "idmcp serve --local-principal" "$CONF_LOG" --demo --data-dir "$DATA_DIR" --local-principal admin@acme.example; then
  CONF_URL="http://127.0.0.1:$PORT/mcp"
  export CONF_URL
  record PASS "idmcp serve --local-principal admin@acme.example starts on 127.0.0.1:$PORT"
  check "conformance --requirements 2026-07-28 (with baseline)" 1200 check_conformance 2026-07-28
  check "conformance 2026-07-28: applicable scenarios pass" 60 check_conformance_applicable 2026-07-28 \
    tools-list server-stateless caching dns-rebinding-protection http-header-validation \
    server-sse-multiple-streams sep-2164-resource-not-found \
    input-required-result-validate-input input-required-result-unsupported-methods
  check "conformance --requirements 2025-11-25 (with baseline)" 1200 check_conformance 2025-11-25
  check "conformance 2025-11-25: applicable scenarios pass" 60 check_conformance_applicable 2025-11-25 \
    server-initialize ping tools-list server-session-lifecycle dns-rebinding-protection \
    server-sse-multiple-streams server-sse-polling
else
  record FAIL "idmcp serve --local-principal starts" "$CONF_LOG"
fi

echo
if [ "$FAILED" -gt 0 ]; then
  echo "e2e failures:"
  for f in "${FAILURES[@]}"; do echo "  - $f"; done
fi
# Set by .ci/run when something before the e2e checks failed, so it shows next to the summary.
if [ -n "${E2E_PRIOR_FAILURES:-}" ]; then
  echo "also failed before the e2e checks: $E2E_PRIOR_FAILURES"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
