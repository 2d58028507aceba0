#!/usr/bin/env python3
"""idmcp benchmark driver (stdlib only). Run it through bench/run.sh; see bench/README.md.

Builds release, seeds a fresh store, starts idmcp, drives it over streamable HTTP with wrk (one
Lua script per operation, loopback only, bounded in time and count), does the same LoadUser on
the floor and the peers, and prints one table, also written to bench/RESULTS.md.
Every number printed comes from a measurement in this run; what was not measured says so.
"""
import argparse
import datetime
import http.client
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WRK = os.path.join(HERE, "wrk")
PROTO_IDMCP = "2026-07-28"
PROTO_PEERS = "2025-06-18"
DESCOPER = "bench@bench.example"

# Operation name in the table, wrk script, and the JSON-RPC request the sanity check sends.
OPS = [
    ("LoadUser (loginId)", "load_user.lua"),
    ("SearchUsers (tenant, page of 100)", "search_users.lua"),
    ("SearchAudit (failed logins, 24 h)", "audit_failed_logins.lua"),
    ("SearchAnalytics (day x method, 30 d)", "analytics_day_method.lua"),
    ("list_operations", "list_operations.lua"),
    ("tools/list", "tools_list.lua"),
    ("docs_search (30 queries, full corpus)", "docs_search.lua"),
    ("docs_ask_question (same, extractive)", "docs_ask_question.lua"),
]
# Rows whose scripts also print p95 (the docs target is on p95).
P95 = ("docs_search.lua", "docs_ask_question.lua")

STARTED = []  # (pid, pgid-or-None) of every process this run started


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def kill(proc, wait=10.0):
    """Ends a process this run started (its own process group when it has one)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        if getattr(proc, "_bench_group", False):
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(wait)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            if getattr(proc, "_bench_group", False):
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait(5)
        except Exception:
            pass


def kill_all():
    for p in reversed(STARTED):
        kill(p, 3.0)


def spawn(cmd, log_path, env=None, group=False):
    out = open(log_path, "ab")
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=group)
    p._bench_group = group
    STARTED.append(p)
    return p


def run(cmd, env=None, cwd=None, check=True, capture=True):
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None, text=True)
    if check and r.returncode != 0:
        sys.stderr.write((r.stdout or "") + (r.stderr or ""))
        raise SystemExit(f"bench: command failed ({r.returncode}): {' '.join(map(shlex.quote, cmd))}")
    return r


def timed(cmd, env=None, cwd=None):
    t = time.perf_counter()
    r = run(cmd, env=env, cwd=cwd)
    return time.perf_counter() - t, r


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_secs(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def settle(pid, limit):
    """Waits until the server is idle again (under 10% of a core over half a second): a wrk run
    ends with requests still in flight, and the next run must not pay for them. Returns the wait."""
    t0 = time.perf_counter()
    last = cpu_secs(pid)
    while last is not None and time.perf_counter() - t0 < limit:
        time.sleep(0.5)
        now = cpu_secs(pid)
        if now is None or now - last < 0.05:
            break
        last = now
    return time.perf_counter() - t0


def tree_rss_kb(pid):
    """VmRSS of a process and its descendants (peers that fork workers)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss_kb(p) or 0
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return total


# ---------------------------------------------------------------------------------------------
# MCP over HTTP from Python (sanity checks, start-up, tools/list size)
# ---------------------------------------------------------------------------------------------


def mcp_post(port, method, params, token=None, proto=PROTO_IDMCP, tool=None, timeout=30):
    """One JSON-RPC request; returns (status, raw body bytes, parsed JSON-RPC message or None)."""
    params = dict(params)
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": proto}
    if proto >= "2026-07-28":
        headers["Mcp-Method"] = method
        if tool:
            headers["Mcp-Name"] = tool
        params["_meta"] = {"io.modelcontextprotocol/protocolVersion": proto, "io.modelcontextprotocol/clientCapabilities": {}}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("POST", "/mcp", body, headers)
    r = c.getresponse()
    raw = r.read()
    c.close()
    msg = None
    text = raw.decode("utf-8", "replace")
    if r.getheader("Content-Type", "").startswith("text/event-stream"):
        for line in text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                try:
                    m = json.loads(line[5:])
                except ValueError:
                    continue
                if isinstance(m, dict) and ("result" in m or "error" in m):
                    msg = m
    else:
        try:
            msg = json.loads(text)
        except ValueError:
            pass
    return r.status, raw, msg


def healthz(port, timeout=0.5):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", "/healthz")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


def wait_healthy(port, proc, limit=60.0):
    t = time.perf_counter()
    while time.perf_counter() - t < limit:
        if proc.poll() is not None:
            raise SystemExit(f"bench: the server on port {port} exited with {proc.returncode} before answering /healthz")
        if healthz(port):
            return
        time.sleep(0.002)
    raise SystemExit(f"bench: no /healthz answer on port {port} within {limit:.0f}s")


def wait_port(port, proc, limit=60.0):
    """Waits until something accepts connections on the port (peers have no /healthz)."""
    t = time.perf_counter()
    while time.perf_counter() - t < limit:
        if proc.poll() is not None:
            raise SystemExit(f"bench: a server on port {port} exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"bench: nothing listens on port {port} after {limit:.0f}s")


# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------


def wrk(port, script, conns, duration, env_extra, max_requests):
    threads = 1 if conns == 1 else 2
    env = dict(os.environ, MAX_REQUESTS=str(max_requests), **env_extra)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "-s", os.path.join(WRK, script), f"http://127.0.0.1:{port}/mcp"]
    r = run(cmd, env=env, check=False)
    out = r.stdout + r.stderr
    m1 = re.search(r"bad_responses (\d+) socket_errors (\d+) requests (\d+)", out)
    m2 = re.search(r"p50_ms ([\d.]+) p99_ms ([\d.]+) rps ([\d.]+)", out)
    if r.returncode != 0 or not m1 or not m2:
        return {"error": f"wrk failed: {out.strip()[-400:]}"}
    res = {"bad": int(m1.group(1)), "socket_errors": int(m1.group(2)), "requests": int(m1.group(3)), "p50": float(m2.group(1)), "p99": float(m2.group(2)), "rps": float(m2.group(3)), "conns": conns}
    m95 = re.search(r"p95_ms ([\d.]+)", out)
    if m95:
        res["p95"] = float(m95.group(1))
    m3 = re.search(r"first_bad (.*)", out)
    if m3:
        res["first_bad"] = m3.group(1)[:200]
    return res


# ---------------------------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------------------------


def f_rps(r):
    if r is None:
        return "not run"
    if "error" in r:
        return "failed"
    if not r["requests"]:
        return "0 (none answered)"
    s = f"{r['rps']:,.0f}"
    if r["bad"] or r["socket_errors"]:
        s += f" ({r['bad'] + r['socket_errors']} bad)"
    return s


def f_ms(v):
    return "–" if v is None else (f"{v:.2f}" if v < 10 else f"{v:,.0f}")


def f_ratio(a, b):
    if not a or not b or "error" in a or "error" in b or not b["rps"]:
        return "–"
    return f"{a['rps'] / b['rps']:.2f}×"


def mb(kb):
    return "–" if kb is None else f"{kb / 1024:.1f} MB"


def secs(s):
    return "not measured" if s is None else f"{s:.2f} s"


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="idmcp benchmark: one command, one table")
    ap.add_argument("--quick", action="store_true", help="10,000 users, 100,000 events, 3 s runs at 1 and 50 connections, no clean build")
    ap.add_argument("--users", type=int)
    ap.add_argument("--tenants", type=int)
    ap.add_argument("--events", type=int)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 10, quick 3)")
    ap.add_argument("--connections", help="comma-separated (default 1,10,50; quick 1,50)")
    ap.add_argument("--max-requests", type=int, default=2_000_000, help="cap on requests per wrk thread per run")
    ap.add_argument("--clean-build", dest="clean_build", action="store_true", default=None, help="time a clean release build and a rebuild after touching one YAML file (default on, off with --quick)")
    ap.add_argument("--no-clean-build", dest="clean_build", action="store_false")
    ap.add_argument("--no-peers", action="store_true", help="skip FastMCP and the TS SDK")
    ap.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    ap.add_argument("--out", default=os.path.join(HERE, "out"), help="scratch folder (default bench/out)")
    a = ap.parse_args()
    quick = a.quick
    users = a.users or (10_000 if quick else 100_000)
    tenants = a.tenants or (100 if quick else 200)
    events = a.events if a.events is not None else (100_000 if quick else 1_000_000)
    # --quick is a smoke run that must finish in under 2 minutes once the build is up to date.
    duration = a.duration or (3 if quick else 10)
    conns = [int(c) for c in (a.connections or ("1,50" if quick else "1,10,50")).split(",")]
    clean_build = (not quick) if a.clean_build is None else a.clean_build
    shared = os.environ.get("IDMCP_SHARED") or os.path.join(os.path.dirname(REPO), "shared")
    if not os.path.isdir(os.path.join(shared, "bench")):
        raise SystemExit(f"bench: no {shared}/bench (set IDMCP_SHARED to the shared folder)")
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    t_run = time.perf_counter()
    command = "bench/run.sh " + " ".join(map(shlex.quote, sys.argv[1:]))
    load_before = open("/proc/loadavg").read().split()[:3]
    facts = {}  # name -> printed value
    log(f"{users:,} users / {tenants} tenants / {events:,} events over {a.days} days; {duration}s runs at {conns} connections; out {out}")

    # -- tools -----------------------------------------------------------------------------------
    log("peers: installing what they need (shared/bench/peers/setup.sh)")
    peers_env = {}
    r = run(["bash", os.path.join(shared, "bench", "peers", "setup.sh")])  # also installs wrk
    for m in re.finditer(r"export (\w+)='([^']*)'", r.stdout):
        peers_env[m.group(1)] = m.group(2)
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode != 0:
        raise SystemExit("bench: wrk is missing (setup.sh should have installed it)")

    # -- builds ----------------------------------------------------------------------------------
    cargo_env = dict(os.environ)
    if clean_build:
        tdir = os.path.join(REPO, "target", "bench-clean")
        log(f"clean release build into {tdir} (timed)")
        run(["rm", "-rf", tdir])
        cargo_env["CARGO_TARGET_DIR"] = tdir
        s, _ = timed(["cargo", "build", "--release", "--bins"], env=cargo_env, cwd=REPO)
        facts["clean release build"] = f"{s:.1f} s"
        yaml = os.path.join(REPO, "operations", "users", "LoadUser.yaml")
        os.utime(yaml, None)
        log("rebuild after touching operations/users/LoadUser.yaml (timed)")
        s, _ = timed(["cargo", "build", "--release", "--bins"], env=cargo_env, cwd=REPO)
        facts["rebuild after touching one YAML"] = f"{s:.1f} s"
        bindir = os.path.join(tdir, "release")
    else:
        log("release build (incremental; timed, not a clean build)")
        s, _ = timed(["cargo", "build", "--release", "--bins"], env=cargo_env, cwd=REPO)
        facts["clean release build"] = "not measured (--quick or --no-clean-build)"
        facts["rebuild after touching one YAML"] = "not measured (--quick or --no-clean-build)"
        facts["release build as found (incremental)"] = f"{s:.1f} s"
        bindir = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release")
    idmcp = os.path.join(bindir, "idmcp")
    seed = os.path.join(bindir, "idmcp-bench-seed")
    log("floor build")
    floor_env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(REPO, "target", "bench-floor"))
    run(["cargo", "build", "--release", "--manifest-path", os.path.join(shared, "bench", "floor", "Cargo.toml")], env=floor_env)
    floor_bin = os.path.join(REPO, "target", "bench-floor", "release", "bench-floor")
    if not os.access(floor_bin, os.X_OK):
        cands = [f for f in os.listdir(os.path.dirname(floor_bin)) if os.access(os.path.join(os.path.dirname(floor_bin), f), os.X_OK) and os.path.isfile(os.path.join(os.path.dirname(floor_bin), f))]
        floor_bin = os.path.join(os.path.dirname(floor_bin), cands[0]) if cands else floor_bin

    # -- data ------------------------------------------------------------------------------------
    data = os.path.join(out, "data")
    run(["rm", "-rf", data])
    log("seeding the idmcp store")
    s, r = timed([seed, "--data-dir", data, "--users", str(users), "--tenants", str(tenants), "--events", str(events), "--days", str(a.days)])
    seed_line = r.stdout.strip()
    facts["dataset seeding (idmcp-bench-seed)"] = f"{s:.1f} s"
    log(seed_line)
    peers_db = os.path.join(out, f"peers-{users}.db")
    if not os.path.exists(peers_db):
        log("making the peers' users database")
        run([peers_env.get("PEER_PY", "python3"), os.path.join(shared, "bench", "peers", "make_users_db.py"), peers_db + ".tmp", str(users)])
        os.replace(peers_db + ".tmp", peers_db)
    token = run([idmcp, "token", "create", "--email", DESCOPER, "--name", "bench", "--data-dir", data]).stdout.strip()
    now_ms = int(time.time() * 1000)
    wenv_idmcp = {"TOKEN": token, "PROTO": PROTO_IDMCP, "N_USERS": str(users), "N_TENANTS": str(tenants), "PAGES": str(max(1, min(3, users // max(1, tenants) // 100))), "NOW_MS": str(now_ms)}

    # -- start-up --------------------------------------------------------------------------------
    port = free_port()
    serve = [idmcp, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data]
    # docs_ask_question is measured extractive: no language model, whatever this shell sets
    serve_env = {k: v for k, v in os.environ.items() if not k.startswith("IDMCP_LLM_")}
    server_log = os.path.join(out, "idmcp.log")
    open(server_log, "w").close()
    to_health, to_list = [], []
    tools_bytes = tools_msg_bytes = None
    for i in range(5):
        t0 = time.perf_counter()
        p = spawn(serve, server_log, env=serve_env)
        wait_healthy(port, p)
        t1 = time.perf_counter()
        st, raw, msg = mcp_post(port, "tools/list", {}, token=token)
        t2 = time.perf_counter()
        if st != 200 or not msg or "result" not in msg:
            kill(p)
            raise SystemExit(f"bench: tools/list failed at start-up: {st} {raw[:300]!r}")
        to_health.append(t1 - t0)
        to_list.append(t2 - t0)
        tools_bytes = len(raw)
        tools_msg_bytes = len(json.dumps(msg, separators=(",", ":")).encode())
        n_tools = len(msg["result"].get("tools", []))
        if i < 4:
            kill(p)
    server = p
    time.sleep(1.0)
    idle_rss = rss_kb(server.pid)
    facts["start-up to /healthz (median of 5)"] = f"{statistics.median(to_health) * 1000:.0f} ms (min {min(to_health) * 1000:.0f}, max {max(to_health) * 1000:.0f})"
    facts["start-up to first tools/list answer (median of 5)"] = f"{statistics.median(to_list) * 1000:.0f} ms (min {min(to_list) * 1000:.0f}, max {max(to_list) * 1000:.0f})"
    facts["tools/list size"] = f"{tools_msg_bytes:,} bytes JSON-RPC message ({tools_bytes:,} bytes HTTP body), {n_tools} tools"
    facts["idle RSS (after first tools/list)"] = mb(idle_rss)

    # -- sanity: every operation answers correctly once, and its single-call latency ----------------
    probes = {
        "load_user.lua": ("tools/call", {"name": "users_read", "arguments": {"operation": "LoadUser", "args": {"loginId": "user1@bench.example"}}}, "users_read"),
        "search_users.lua": ("tools/call", {"name": "users_read", "arguments": {"operation": "SearchUsers", "args": {"tenantIds": ["T0001"], "page": 0, "limit": 100}}}, "users_read"),
        "audit_failed_logins.lua": ("tools/call", {"name": "audits_read", "arguments": {"operation": "SearchAudit", "args": {"actions": ["LoginFailed"], "from": now_ms - 86_400_000}}}, "audits_read"),
        "analytics_day_method.lua": ("tools/call", {"name": "audits_read", "arguments": {"operation": "SearchAnalytics", "args": {"groupByCreated": "day", "groupByMethod": True, "from": now_ms - 30 * 86_400_000}}}, "audits_read"),
        "list_operations.lua": ("tools/call", {"name": "list_operations", "arguments": {}}, "list_operations"),
        "tools_list.lua": ("tools/list", {}, None),
        "docs_search.lua": ("tools/call", {"name": "docs_search", "arguments": {"query": "enforce MFA for admins", "limit": 5}}, "docs_search"),
        "docs_ask_question.lua": ("tools/call", {"name": "docs_ask_question", "arguments": {"question": "enforce MFA for admins"}}, "docs_ask_question"),
    }
    broken, single = {}, {}
    for name, script in OPS:
        method, params, tool = probes[script]
        t0 = time.perf_counter()
        st, raw, msg = mcp_post(port, method, params, token=token, tool=tool)
        single[script] = (time.perf_counter() - t0) * 1000
        res = (msg or {}).get("result") or {}
        if st != 200 or not res or res.get("isError"):
            broken[script] = f"HTTP {st}: {raw[:300].decode('utf-8', 'replace')}"
            log(f"{name}: does not answer correctly, not driven: {broken[script]}")
        elif script == "search_users.lua":
            sc = res.get("structuredContent") or {}
            facts["SearchUsers sample"] = f"T0001 has {sc.get('total')} members; page returned {len(sc.get('users', []))}"
        elif script == "audit_failed_logins.lua":
            sc = res.get("structuredContent") or {}
            facts["SearchAudit sample"] = f"{sc.get('total')} failed logins in the last 24 h"
        elif script == "analytics_day_method.lua":
            sc = res.get("structuredContent") or {}
            rows = sc.get("analytics", [])
            facts["SearchAnalytics sample"] = f"{len(rows)} rows, {sum(int(r.get('cnt', 0)) for r in rows):,} events counted"

    # -- idmcp under load ------------------------------------------------------------------------
    results = {}
    warm = 1 if quick else 3
    log(f"warm-up ({warm} s LoadUser, 10 connections)")
    wrk(port, "load_user.lua", 10, warm, wenv_idmcp, a.max_requests)
    drains = {}
    for name, script in OPS:
        for c in conns:
            if script in broken:
                results[(script, c)] = {"error": broken[script]}
                continue
            log(f"idmcp {name} c={c}")
            results[(script, c)] = wrk(port, script, c, duration, wenv_idmcp, a.max_requests)
            r = results[(script, c)]
            waited = settle(server.pid, 30 if quick else 180)
            if waited > 1.0:
                drains[f"{name} @{c}"] = waited
            log(f"  -> {f_rps(r)} rps p50 {f_ms(r.get('p50'))}" + (f" p95 {f_ms(r['p95'])}" if "p95" in r else "") + f" p99 {f_ms(r.get('p99'))}; idle again after {waited:.1f} s" + (f" first bad: {r['first_bad']}" if r.get("first_bad") else ""))
    if drains:
        facts["busy after wrk stopped (requests left in flight)"] = "; ".join(f"{k}: {v:.1f} s" for k, v in drains.items())
    after_rss, peak_rss = rss_kb(server.pid), rss_kb(server.pid, "VmHWM")
    facts["RSS after the run"] = f"{mb(after_rss)} (peak VmHWM {mb(peak_rss)})"
    # a clean shutdown, timed (the journal queue is flushed on exit)
    t0 = time.perf_counter()
    kill(server, 30)
    facts["shutdown (SIGTERM to exit, journal flushed)"] = f"{(time.perf_counter() - t0) * 1000:.0f} ms"
    journal_rows = None
    try:
        import sqlite3
        db = sqlite3.connect(f"file:{os.path.join(data, 'idmcp.db')}?mode=ro", uri=True)
        journal_rows = db.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
        db.close()
    except Exception as e:  # noqa: BLE001
        log(f"journal count failed: {e}")
    bucket_calls = sum(r.get("requests", 0) for (sc, _), r in results.items() if r and "error" not in r and sc not in ("list_operations.lua", "tools_list.lua") + P95)
    if journal_rows is not None:
        facts["audit journal records after the run"] = f"{journal_rows:,} (bucket-tool calls answered in the measured runs: {bucket_calls:,}; plus warm-up and probes)"

    # -- floor and peers: the same LoadUser --------------------------------------------------------
    wenv_peer = {"PROTO": PROTO_PEERS, "N_USERS": str(users)}
    cmp = {}  # label -> {c: result}
    fport = free_port()
    log("floor")
    fp = spawn([floor_bin, peers_db, str(fport)], os.path.join(out, "floor.log"))
    wait_port(fport, fp)
    wrk(fport, "load_user.lua", 10, warm, wenv_peer, a.max_requests)
    cmp["floor (axum, in-memory)"] = {c: wrk(fport, "load_user.lua", c, duration, wenv_peer, a.max_requests) for c in conns}
    kill(fp)
    peer_notes = []
    if not a.no_peers:
        peer_defs = [
            ("FastMCP 4.1.6", lambda port, w: [peers_env["PEER_PY"], os.path.join(shared, "bench", "peers", "fastmcp_peer.py"), peers_db, str(port), str(w)]),
            ("TS SDK 1.32.2", lambda port, w: ["node", peers_env["PEER_NODE_SCRIPT"], peers_db, str(port), str(w)]),
        ]
        cmax = max(conns)
        for label, mk in peer_defs:
            best = None
            by_w = {}
            for w in (1, 2):
                pport = free_port()
                log(f"{label}, {w} worker(s), c={cmax}")
                pp = spawn(mk(pport, w), os.path.join(out, f"peer-{label.split()[0]}-{w}.log"), group=True)
                try:
                    wait_port(pport, pp)
                    time.sleep(1.0 if w == 1 else 2.0)  # let every worker come up
                    wrk(pport, "load_user.lua", 10, warm, wenv_peer, a.max_requests)
                    res = {cmax: wrk(pport, "load_user.lua", cmax, duration, wenv_peer, a.max_requests)}
                    res_rss = tree_rss_kb(pp.pid)
                finally:
                    kill(pp)
                by_w[w] = (res, pport, res_rss)
                ok = "error" not in res[cmax] and not res[cmax]["bad"]
                if ok and (best is None or res[cmax]["rps"] > by_w[best][0][cmax]["rps"]):
                    best = w
                log(f"  -> {f_rps(res[cmax])} rps p50 {f_ms(res[cmax].get('p50'))} p99 {f_ms(res[cmax].get('p99'))}")
            if best is None:
                cmp[f"{label} (failed)"] = by_w[1][0]
                continue
            res, _, res_rss = by_w[best]
            other = 2 if best == 1 else 1
            o = by_w[other][0][cmax]
            peer_notes.append(f"{label}: {best} worker(s) chosen at c={cmax} ({f_rps(res[cmax])} rps vs {f_rps(o)} rps with {other}); RSS after its run {mb(res_rss)}")
            rest = [] if quick else [c for c in conns if c != cmax]  # --quick: peers at the largest count only
            if rest:
                pport = free_port()
                pp = spawn(mk(pport, best), os.path.join(out, f"peer-{label.split()[0]}-{best}b.log"), group=True)
                try:
                    wait_port(pport, pp)
                    time.sleep(1.0 if best == 1 else 2.0)
                    wrk(pport, "load_user.lua", 10, warm, wenv_peer, a.max_requests)
                    for c in rest:
                        log(f"{label}, {best} worker(s), c={c}")
                        res[c] = wrk(pport, "load_user.lua", c, duration, wenv_peer, a.max_requests)
                finally:
                    kill(pp)
            cmp[f"{label}, {best} worker{'s' if best > 1 else ''}"] = res

    elapsed = time.perf_counter() - t_run
    load_after = open("/proc/loadavg").read().split()[:3]

    # -- the table -------------------------------------------------------------------------------
    L = []
    L.append(f"Dataset: {users:,} users in {tenants} tenants, {events:,} audit events over {a.days} days. "
             f"wrk on the same machine, loopback, {duration} s per run (after a warm-up), 1 wrk thread at 1 connection, 2 otherwise. "
             f"idmcp as shipped: API token, {PROTO_IDMCP} stateless requests, schema validation, audit journal on.")
    L.append("")
    hdr = "| operation | " + " | ".join(f"rps @{c}" for c in conns) + " | " + " | ".join(f"p50 / p99 ms @{c}" for c in conns) + " | single call ms |"
    L.append(hdr)
    L.append("|---" * (2 + 2 * len(conns)) + "|")
    for name, script in OPS:
        row = [name] + [f_rps(results.get((script, c))) for c in conns]
        for c in conns:
            r = results.get((script, c))
            cell = "–" if not r or "error" in r else f"{f_ms(r['p50'])} / {f_ms(r['p99'])}"
            if r and "p95" in r:
                cell += f" (p95 {f_ms(r['p95'])})"
            row.append(cell)
        row.append(f"{single.get(script, 0):.1f}")
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("LoadUser side by side (the same wrk script `bench/wrk/load_user.lua`; peers and floor on the peers' SQLite file of the same users):")
    L.append("")
    L.append("| server | " + " | ".join(f"rps @{c}" for c in conns) + " | " + " | ".join(f"p50 / p99 ms @{c}" for c in conns) + " | " + " | ".join(f"idmcp / this @{c}" for c in conns) + " |")
    L.append("|---" * (1 + 3 * len(conns)) + "|")
    rows = [("idmcp", {c: results.get(("load_user.lua", c)) for c in conns})] + list(cmp.items())
    for label, res in rows:
        row = [label] + [f_rps(res.get(c)) for c in conns]
        row += ["–" if not res.get(c) or "error" in res[c] else f"{f_ms(res[c]['p50'])} / {f_ms(res[c]['p99'])}" for c in conns]
        row += ["" if label == "idmcp" else f_ratio(results.get(("load_user.lua", c)), res.get(c)) for c in conns]
        L.append("| " + " | ".join(row) + " |")
    for n in peer_notes:
        L.append(f"\n- {n}")
    L.append("")
    L.append("| process and build | measured |")
    L.append("|---|---|")
    for k, v in facts.items():
        L.append(f"| {k} | {v} |")
    L.append("")
    # targets
    cmax = max(conns)
    lu = results.get(("load_user.lua", cmax))
    an = results.get(("analytics_day_method.lua", 1))
    T = ["| target | measured | met |", "|---|---|---|"]

    def tgt(name, val, ok):
        T.append(f"| {name} | {val} | {'yes' if ok else ('no' if ok is not None else '–')} |")

    peers_best = {k: v.get(cmax) for k, v in cmp.items() if not k.startswith("floor") and v.get(cmax) and "error" not in v.get(cmax)}
    floor_r = cmp.get("floor (axum, in-memory)", {}).get(cmax)
    ok_lu = lu and "error" not in lu
    for k, v in peers_best.items():
        ratio = lu["rps"] / v["rps"] if ok_lu and v["rps"] else None
        tgt(f"LoadUser @{cmax} ≥ 5× {k}", f"{ratio:.1f}×" if ratio else "–", ratio >= 5 if ratio else None)
    if floor_r and "error" not in floor_r and ok_lu:
        ratio = lu["rps"] / floor_r["rps"]
        tgt(f"LoadUser @{cmax} ≥ 0.5× floor", f"{ratio:.2f}×", ratio >= 0.5)
    if ok_lu:
        tgt(f"LoadUser p99 @{cmax} ≤ 5 ms", f"{lu['p99']:.2f} ms", lu["p99"] <= 5)
    if an and "error" not in an:
        tgt(f"analytics over {events:,} events ≤ 200 ms (p50 @1)", f"{an['p50']:.0f} ms (p99 {an['p99']:.0f})", an["p50"] <= 200)
    ds = {c: results.get(("docs_search.lua", c)) for c in conns}
    if ds.get(conns[0]) and "p95" in ds[conns[0]]:
        others = ", ".join(f"@{c} {ds[c]['p95']:.2f} ms" for c in conns[1:] if ds.get(c) and "p95" in ds[c])
        tgt(f"docs_search p95 < 20 ms (@{conns[0]})", f"{ds[conns[0]]['p95']:.2f} ms" + (f" ({others})" if others else ""), ds[conns[0]]["p95"] < 20)
    tgt(f"start-up ≤ 200 ms on a {events:,}-event store (to first tools/list, median)", f"{statistics.median(to_list) * 1000:.0f} ms", statistics.median(to_list) <= 0.2)
    tgt("RSS ≤ 150 MB after the run", mb(after_rss), after_rss is not None and after_rss <= 150 * 1024)
    L += T
    table = "\n".join(L)
    print(table)
    print(f"\n(whole run {elapsed / 60:.1f} min; load average before {' '.join(load_before)}, after {' '.join(load_after)})")

    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"idmcp": {f"{s}@{c}": r for (s, c), r in results.items()}, "compare": {k: {str(c): r for c, r in v.items()} for k, v in cmp.items()}, "facts": facts}, f, indent=1)

    if not a.no_results:
        cores = run(["nproc"]).stdout.strip()
        mem = run(["free", "-m"]).stdout.rstrip()
        cpu = ""
        try:
            cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        except StopIteration:
            pass
        head = [
            "# idmcp benchmark results",
            "",
            f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- machine: {cores} cores ({cpu}), memory (free -m):",
            "",
            "```",
            mem,
            "```",
            "",
            f"- command: `{command}`" + (" (quick size)" if quick else ""),
            f"- commit: {run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, check=False).stdout.strip()} (working tree may hold uncommitted work of others)",
            f"- load average before the run {' '.join(load_before)}, after {' '.join(load_after)}; whole run {elapsed / 60:.1f} min",
            f"- dataset: {seed_line}",
            "",
        ]
        if quick:
            head.append("**This is a `--quick` run (small dataset, short runs), not the default-size benchmark.**\n")
        if float(load_before[0]) > 1.5:
            head.append(f"**The machine was busy when this run started (1-minute load average {load_before[0]} on {cores} cores): "
                        "other work competed for the CPU, so every figure here is lower and noisier than on a quiet machine.**\n")
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write("\n".join(head) + "\n" + table + "\n")
        log("written bench/RESULTS.md")


if __name__ == "__main__":
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda *_: (kill_all(), sys.exit(130)))
    try:
        main()
    finally:
        kill_all()
