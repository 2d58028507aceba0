"""End-to-end check of idmcp with the official Python MCP SDK (PyPI `mcp==2.3.0`).

usage:
  python client_test.py stdio <auto|legacy|2026-07-28> --bin PATH --data-dir DIR --token TOKEN
  python client_test.py http  <auto|legacy|2026-07-28> --url URL --token TOKEN

One run is one case (one transport, one protocol era). It prints a `PASS` or `FAIL` line for
each step and a final `PASS:`/`FAIL:` line for the case, and exits 0 only if every step passed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import traceback

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

TOOLS = {
    "list_operations", "session", "project_read", "project_write", "access_control_read",
    "access_control_write", "agentic_read", "agentic_write", "audits_read", "auth_keys_read",
    "auth_keys_write", "flows_read", "flows_write", "tenants_read", "tenants_write",
    "connect_read", "connect_write", "tests_read", "tests_write", "users_read", "users_write",
    "docs_search", "docs_ask_question",
}
ADMIN = "admin@acme.example"
COMPANY = "Acme Holdings"


class StepFailed(Exception):
    pass


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise StepFailed(msg)


def text_of(result) -> str:
    return "\n".join(getattr(c, "text", "") for c in (result.content or []))


async def run_case(args: argparse.Namespace) -> list[tuple[str, bool, str]]:
    steps: list[tuple[str, bool, str]] = []

    async def step(name, fn):
        try:
            detail = await fn()
            steps.append((name, True, detail or ""))
        except Exception as e:  # noqa: BLE001 - a failed step is reported, not raised
            msg = str(e) if isinstance(e, StepFailed) else f"{type(e).__name__}: {e}"
            steps.append((name, False, msg))

    if args.transport == "stdio":
        server = StdioServerParameters(
            command=args.bin,
            args=["serve", "--stdio", "--data-dir", args.data_dir],
            env={"IDMCP_TOKEN": args.token, "RUST_LOG": "error"},
        )
    else:
        headers = {"Authorization": f"Bearer {args.token}"}
        server = streamable_http_client(args.url, http_client=httpx2.AsyncClient(headers=headers, timeout=30))

    async with Client(server, mode=args.mode, cache=None) as c:
        async def negotiated():
            v = c.protocol_version
            if args.mode == "2026-07-28":
                check(v == "2026-07-28", f"negotiated {v}, wanted 2026-07-28")
            elif args.mode == "legacy":
                check(v != "2026-07-28", f"legacy mode negotiated {v}")
            info = c.server_info
            if args.mode == "2026-07-28":
                # This mode skips server/discover (the SDK synthesizes it), so there is no server info.
                return f"protocol {v}"
            check(info is not None and info.name == "idmcp", f"server info {info!r}")
            return f"protocol {v}, server {info.name} {info.version}"

        async def list_tools():
            r = await c.list_tools()
            names = {t.name for t in r.tools}
            check(len(r.tools) == 23, f"{len(r.tools)} tools: {sorted(names)}")
            check(names == TOOLS, f"missing {sorted(TOOLS - names)}, extra {sorted(names - TOOLS)}")
            for t in r.tools:
                a = t.annotations
                check(a is not None, f"{t.name} has no annotations")
                if t.name.endswith("_read") or t.name in ("list_operations", "docs_search", "docs_ask_question"):
                    check(a.read_only_hint is True, f"{t.name}: readOnlyHint {a.read_only_hint}")
                if t.name.endswith("_write"):
                    check(a.destructive_hint is True, f"{t.name}: destructiveHint {a.destructive_hint}")
            size = len(json.dumps(r.model_dump(by_alias=True, exclude_none=True)))
            check(size <= 24 * 1024, f"tools/list is {size} bytes")
            return f"{len(r.tools)} tools, {size} bytes"

        async def whoami():
            r = await c.call_tool("session", {"operation": "whoami"})
            check(not r.is_error, f"isError: {text_of(r)}")
            s = r.structured_content or {}
            check(s.get("principal", {}).get("email") == ADMIN, f"principal {s.get('principal')}")
            check(s.get("company", {}).get("name") == COMPANY, f"company {s.get('company')}")
            check(s.get("mode") == "read-only", f"mode {s.get('mode')}")
            return f"{ADMIN} / {COMPANY} / read-only"

        async def list_operations():
            r = await c.call_tool("list_operations", {})
            check(not r.is_error, f"isError: {text_of(r)}")
            buckets = (r.structured_content or {}).get("buckets", {})
            check("session" in buckets and "users_read" in buckets, f"buckets {sorted(buckets)}")
            check(any(o.get("name") == "whoami" for o in buckets["session"]), "session lacks whoami")
            r = await c.call_tool("list_operations", {"operation": "whoami"})
            check(not r.is_error, f"isError: {text_of(r)}")
            d = r.structured_content or {}
            check(isinstance(d.get("inputSchema"), dict) and isinstance(d.get("outputSchema"), dict), f"no schemas in {d}")
            return f"{len(buckets)} buckets, {sum(len(v) for v in buckets.values())} operations"

        async def invalid_call():
            r = await c.call_tool("session", {"operation": "selectProject", "args": {"project": 42}})
            check(r.is_error is True, f"expected isError, got {r}")
            check("project" in text_of(r), f"error does not name the field: {text_of(r)}")
            r = await c.call_tool("session", {"operation": "noSuchOperation"})
            check(r.is_error is True, f"unknown operation: expected isError, got {r}")
            check("whoami" in text_of(r), f"unknown operation: valid ones not listed: {text_of(r)}")
            r = await c.call_tool("session", {"operation": "whoami"})
            check(not r.is_error, "server stopped answering after errors")
            return "isError results name the field / list the operations"

        await step("negotiate", negotiated)
        await step("tools/list", list_tools)
        await step("session whoami", whoami)
        await step("list_operations", list_operations)
        await step("invalid calls", invalid_call)
    return steps


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("transport", choices=["stdio", "http"])
    p.add_argument("mode", choices=["auto", "legacy", "2026-07-28"])
    p.add_argument("--bin")
    p.add_argument("--data-dir")
    p.add_argument("--url")
    p.add_argument("--token", required=True)
    args = p.parse_args()
    label = f"python-sdk {args.transport} {args.mode}"
    try:
        steps = asyncio.run(run_case(args))
    except BaseException as e:  # noqa: BLE001 - connection failures are a FAIL, with the cause
        traceback.print_exc()
        print(f"FAIL: {label}: could not run: {type(e).__name__}: {e}")
        return 1
    for name, ok, detail in steps:
        print(f"  {'PASS' if ok else 'FAIL'} {name}: {detail}")
    failed = [n for n, ok, _ in steps if not ok]
    if failed:
        print(f"FAIL: {label}: {', '.join(failed)}")
        return 1
    print(f"PASS: {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
