#!/usr/bin/env python3
"""The approval page in a real browser (headless Debian Chromium driven by Selenium), end to end:

  idmcp serve --demo --otp-channel file:F  on a free 127.0.0.1 port
  an MCP write over HTTP (raw JSON-RPC, 2026-07-28 headers, bearer token from the demo output)
  -> approval_required with the approval URL (never the passcode)
  the page shows the exact bucket, operation, target and arguments
  a wrong code -> "Wrong passcode ... 4 attempt(s) left"; the code from F -> "Approved"
  the MCP retry runs; reloading the page says "approved and carried out"
  a cross-site form POST (from http://localhost:OTHER, with and without the CSRF token) is refused,
  and the request stays pending.

Installs nothing: it needs `chromium` and `chromium-driver` (Debian) and a Python with `selenium`
(.ci/run sets that up). Prints one PASS/FAIL line per check and `browser: N passed, M failed`;
exits non-zero on any failure. Screenshots go to the test's temp dir (and to $BROWSER_OUT if set).

env: BIN (default target/debug/idmcp), CHROMIUM (/usr/bin/chromium), CHROMEDRIVER
(/usr/bin/chromedriver), BROWSER_OUT (a folder to keep the screenshots and the server log),
SEED_TIMEOUT seconds for `--demo` seeding (default 600).
"""

import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BIN") or os.path.join(REPO, "target", "debug", "idmcp")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SEED_TIMEOUT = float(os.environ.get("SEED_TIMEOUT", "600"))

passed = 0
failed = 0


def check(name, ok, detail=""):
    """Records one check; a failure prints what was seen."""
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL: {name}" + (f"\n    | {detail}" if detail else ""), flush=True)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`idmcp serve --demo` on a free loopback port, stopped by its own PID."""

    def __init__(self, tmp):
        self.port = free_port()
        self.otp_file = os.path.join(tmp, "otp.jsonl")
        self.log_path = os.path.join(tmp, "server.stderr")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--demo", "--data-dir", os.path.join(tmp, "data"), "--listen", f"127.0.0.1:{self.port}",
             "--otp-channel", f"file:{self.otp_file}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self):
        deadline = time.time() + SEED_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    def token(self):
        prefix = "demo token for admin@acme.example: "
        with open(self.log_path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line[len(prefix):].strip()
        return None

    def passcode(self, approval_id):
        """The code the file channel delivered for this approval (what the human reads)."""
        code = None
        with open(self.otp_file) as f:
            for line in f:
                rec = json.loads(line)
                if rec["approvalId"] == approval_id:
                    code = rec["otp"]
        return code

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def mcp_call(server, token, tool, arguments, rid=[0]):
    """tools/call in the stateless 2026-07-28 era: one POST, the headers the spec requires."""
    rid[0] += 1
    body = {"jsonrpc": "2.0", "id": rid[0], "method": "tools/call",
            "params": {"name": tool, "arguments": arguments,
                       "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                 "io.modelcontextprotocol/clientCapabilities": {}}}}
    req = urllib.request.Request(server.base + "/mcp", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": tool,
        "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        raw = r.read().decode()
        ctype = r.headers.get("Content-Type", "")
    if "text/event-stream" in ctype:
        # One JSON-RPC message per `data:` line; the answer is the one with our id.
        msgs = [json.loads(l[5:]) for l in raw.splitlines() if l.startswith("data:") and l[5:].strip()]
        msg = next(m for m in msgs if m.get("id") == rid[0])
    else:
        msg = json.loads(raw)
    if "error" in msg:
        raise RuntimeError(f"JSON-RPC error: {msg['error']}")
    return msg["result"]


def text_of(result):
    return "".join(c.get("text", "") for c in result.get("content", []))


def browser(tmp):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    # As root on a machine without network: no sandbox, and none of Chromium's own connections.
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1000,1300", f"--user-data-dir={os.path.join(tmp, 'chromium-profile')}"]:
        opts.add_argument(flag)
    return webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER, log_output=os.path.join(tmp, "chromedriver.log")))


def text(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else None


def submit_code(driver, code):
    """Types `code` into the page's form and waits for the answer page."""
    box = driver.find_element(By.ID, "otp")
    box.clear()
    box.send_keys(code)
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "approve").click()
    WebDriverWait(driver, 20).until(EC.staleness_of(old))
    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "result")))
    return text(driver, "#result")


class Attacker(http.server.BaseHTTPRequestHandler):
    """Serves a page on another site that auto-submits a form to the approval URL."""
    page = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(Attacker.page)

    def log_message(self, *args):
        pass


def attacker_page(action, code, csrf):
    field = f'<input type="hidden" name="csrf" value="{csrf}">' if csrf else ""
    return (f'<!doctype html><title>win a prize</title><form id="f" method="post" action="{action}">'
            f'<input type="hidden" name="otp" value="{code}">{field}</form>'
            '<script>document.getElementById("f").submit()</script>').encode()


def main():
    for path, what in [(BIN, "the idmcp binary (cargo build --bin idmcp)"), (CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")]:
        if not os.access(path, os.X_OK):
            print(f"FAIL: {what} is missing at {path}")
            print("browser: 0 passed, 1 failed")
            return 1
    tmp = tempfile.mkdtemp(prefix="idmcp-browser-")
    print(f"== approval page in Chromium; temp dir {tmp}", flush=True)
    server = Server(tmp)
    driver = None
    httpd = None
    try:
        if not check("idmcp serve --demo --otp-channel file:F answers /healthz", server.wait_ready(),
                     f"see {server.log_path}"):
            return 1
        token = server.token()
        if not check("the demo token is printed", bool(token), f"see {server.log_path}"):
            return 1

        # --- 1. a write over MCP needs approval, and the agent gets the link, not the code ---
        name = f"Browser E2E {random.randrange(10**6):06d}"
        args = {"name": name, "selfProvisioningDomains": ["browser-e2e.example"], "customAttributes": {}}
        r = mcp_call(server, token, "tenants_write", {"operation": "CreateTenant", "args": args})
        sc = r.get("structuredContent") or {}
        url = sc.get("approvalUrl", "")
        approval_id = sc.get("approvalId", "")
        check("an MCP write answers approval_required with the approval URL",
              r.get("isError") is True and sc.get("status") == "approval_required" and url == f"{server.base}/approve/{approval_id}",
              json.dumps(r)[:600])
        code = server.passcode(approval_id)
        check("the passcode went to the file channel and not to the agent",
              bool(code) and code not in json.dumps(r), f"code={code!r}")

        # --- 2. the page shows exactly what was asked ---
        driver = browser(tmp)
        driver.get(url)
        shown_args = json.loads(text(driver, ".args") or "null")
        check("the page shows the bucket, operation, target and arguments",
              text(driver, ".bucket") == "tenants_write" and text(driver, ".operation") == "CreateTenant"
              and text(driver, ".target") == f"name {name}" and shown_args == args,
              f"{text(driver, '.bucket')!r} {text(driver, '.operation')!r} {text(driver, '.target')!r} {shown_args!r}")
        check("the page says who asked and that it waits for approval",
              "admin@acme.example" in driver.page_source and text(driver, "#status") == "waiting for your approval",
              text(driver, "#status") or "")
        driver.save_screenshot(os.path.join(tmp, "approval-pending.png"))

        # --- 3. a wrong code, then the right one ---
        wrong = "00000000" if code != "00000000" else "11111111"
        said = submit_code(driver, wrong) or ""
        check("a wrong code: the page says so, with the attempts left",
              "Wrong passcode" in said and "4 attempt(s) left" in said, said)
        said = submit_code(driver, code) or ""
        check("the code from the channel: the page says Approved", said.startswith("Approved"), said)
        shot = os.path.join(tmp, "approval-approved.png")
        driver.save_screenshot(shot)
        check("a screenshot of the approved page is saved", os.path.getsize(shot) > 10_000, shot)

        # --- 4. the agent's retry runs; the page then says it was carried out ---
        r = mcp_call(server, token, "tenants_write", {"operation": "CreateTenant", "args": args})
        check("the MCP retry of the same write runs", r.get("isError") is not True and "id" in (r.get("structuredContent") or {}),
              json.dumps(r)[:600])
        driver.get(url)
        check("reloading the page says approved and carried out, with no form",
              text(driver, "#status") == "approved and carried out" and not driver.find_elements(By.ID, "otp"),
              text(driver, "#status") or "")

        # --- 5. cross-site POSTs are refused (without the token, and even with it) ---
        args2 = {"name": name + " csrf"}
        r = mcp_call(server, token, "tenants_write", {"operation": "CreateTenant", "args": args2})
        sc2 = r.get("structuredContent") or {}
        url2, id2 = sc2.get("approvalUrl", ""), sc2.get("approvalId", "")
        code2 = server.passcode(id2)
        driver.get(url2)  # the victim has the page open: its CSRF cookie is in the browser
        csrf = driver.find_element(By.NAME, "csrf").get_attribute("value")
        attack_port = free_port()
        httpd = http.server.HTTPServer(("127.0.0.1", attack_port), Attacker)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        for label, token_field in [("without the CSRF token", None), ("with a leaked CSRF token", csrf)]:
            Attacker.page = attacker_page(url2, code2, token_field)
            # localhost is another site than 127.0.0.1: the SameSite=Strict cookie stays home.
            driver.get(f"http://localhost:{attack_port}/prize")
            WebDriverWait(driver, 20).until(lambda d: d.current_url.startswith(url2))
            WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "result")))
            said = text(driver, "#result") or ""
            check(f"a cross-site POST {label} is refused", "not submitted from the approval page" in said, said)
        r = mcp_call(server, token, "tenants_write", {"operation": "CreateTenant", "args": args2})
        driver.get(url2)
        check("after the cross-site POSTs the request is still pending and the write does not run",
              (r.get("structuredContent") or {}).get("status") == "approval_required"
              and text(driver, "#status") == "waiting for your approval",
              f"{json.dumps(r)[:300]} / {text(driver, '#status')}")
        return 0 if failed == 0 else 1
    except Exception as e:  # any unexpected step failure is a FAIL line, not a traceback only
        check("the browser run completed", False, f"{type(e).__name__}: {e}")
        return 1
    finally:
        if driver is not None:
            driver.quit()
        if httpd is not None:
            httpd.shutdown()
        server.stop()
        # The demo store (~200 MB) and the browser profile go; screenshots and logs stay.
        for d in ["data", "chromium-profile"]:
            shutil.rmtree(os.path.join(tmp, d), ignore_errors=True)
        keep = os.environ.get("BROWSER_OUT")
        if keep:
            os.makedirs(keep, exist_ok=True)
            for f in ["approval-pending.png", "approval-approved.png", "server.stderr", "chromedriver.log"]:
                if os.path.exists(os.path.join(tmp, f)):
                    shutil.copy(os.path.join(tmp, f), keep)
        print(f"screenshots: {tmp}/approval-pending.png {tmp}/approval-approved.png")
        print(f"browser: {passed} passed, {failed} failed")


if __name__ == "__main__":
    sys.exit(main())
