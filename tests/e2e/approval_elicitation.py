"""The approval link delivered by URL elicitation, end to end with the official Python SDK.

A write through `tenants_write` while read-only: the client receives a URL elicitation (MRTR on
2026-07-28, an `elicitation/create` request on legacy sessions); the callback plays the human —
it opens the approval page, reads the passcode from the file channel and submits it — and
accepts; the same call then completes with the write done. Also: declining leaves nothing
written, and a client without URL elicitation gets an error result carrying the link.

usage: python approval_elicitation.py --url URL --token TOKEN --otp-file F --mode <legacy|2026-07-28>
Prints PASS/FAIL lines; exits 0 only if every step passed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import uuid

import httpx2
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client


def passcode(otp_file: str, approval_id: str) -> str:
    with open(otp_file) as f:
        for line in reversed(f.read().splitlines()):
            rec = json.loads(line)
            if rec["approvalId"] == approval_id:
                return rec["otp"]
    raise AssertionError(f"no passcode delivered for {approval_id}")


async def approve_in_browser(url: str, otp_file: str) -> str:
    """What the human does: open the page, type the passcode, submit."""
    approval_id = url.rstrip("/").rsplit("/", 1)[-1]
    async with httpx2.AsyncClient() as h:
        page = await h.get(url)
        assert page.status_code == 200, page.status_code
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = await h.post(url, data={"otp": passcode(otp_file, approval_id), "csrf": csrf})
        assert "Approved" in r.text, r.text[:500]
        return approval_id


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--otp-file", required=True)
    ap.add_argument("--mode", required=True)
    a = ap.parse_args()
    results: list[tuple[str, bool, str]] = []
    seen: list[str] = []

    async def on_elicit_accept(ctx, params):
        if getattr(params, "mode", None) != "url":
            return types.ElicitResult(action="decline")
        seen.append(await approve_in_browser(params.url, a.otp_file))
        return types.ElicitResult(action="accept")

    async def on_elicit_decline(ctx, params):
        seen.append("declined")
        return types.ElicitResult(action="decline")

    def client(callback):
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {a.token}"}, timeout=240)
        kw = {"mode": a.mode, "cache": None}
        if callback is not None:
            kw["elicitation_callback"] = callback
        return Client(streamable_http_client(a.url, http_client=http), **kw)

    async def exists(c, name: str) -> bool:
        r = await c.call_tool("tenants_read", {"operation": "SearchTenants", "args": {"tenantNames": [name]}})
        return bool((r.structured_content or {}).get("tenants"))

    name = f"Elicit {a.mode} {uuid.uuid4().hex[:6]}"
    try:
        async with client(on_elicit_accept) as c:
            r = await c.call_tool("tenants_write", {"operation": "CreateTenant", "args": {"name": name}})
            ok = not r.is_error and seen and await exists(c, name)
            results.append(("accepted elicitation → approved → write ran", bool(ok), f"isError={r.is_error} seen={seen}"))
    except Exception as e:  # noqa: BLE001
        results.append(("accepted elicitation → approved → write ran", False, f"{type(e).__name__}: {e}"))

    name2 = f"Declined {a.mode} {uuid.uuid4().hex[:6]}"
    try:
        async with client(on_elicit_decline) as c:
            r = await c.call_tool("tenants_write", {"operation": "CreateTenant", "args": {"name": name2}})
            ok = r.is_error and not await exists(c, name2)
            results.append(("declined elicitation → nothing written", bool(ok), f"isError={r.is_error}"))
    except Exception as e:  # noqa: BLE001
        results.append(("declined elicitation → nothing written", False, f"{type(e).__name__}: {e}"))

    name3 = f"NoElicit {a.mode} {uuid.uuid4().hex[:6]}"
    try:
        async with client(None) as c:
            r = await c.call_tool("tenants_write", {"operation": "CreateTenant", "args": {"name": name3}})
            text = "\n".join(getattr(x, "text", "") for x in (r.content or []))
            ok = r.is_error and "/approve/" in text and not await exists(c, name3)
            results.append(("no URL elicitation → error result with the link", bool(ok), text[:160]))
    except Exception as e:  # noqa: BLE001
        results.append(("no URL elicitation → error result with the link", False, f"{type(e).__name__}: {e}"))

    # Leave the session read-only again, as a careful agent would.
    try:
        async with client(None) as c:
            r = await c.call_tool("session", {"operation": "endElevation"})
            results.append(("endElevation returns the session to read-only", not r.is_error, ""))
    except Exception as e:  # noqa: BLE001
        results.append(("endElevation returns the session to read-only", False, f"{type(e).__name__}: {e}"))

    for step, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}: approval elicitation [{a.mode}] {step}" + ("" if ok else f" — {detail}"))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
