-- audits_read SearchAudit: failed logins of the last 24 hours (first page of 100).
-- env: NOW_MS (default: now), TOKEN, PROTO, MAX_REQUESTS
local mcp = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "mcp.lua")
local now = tonumber(os.getenv("NOW_MS") or tostring(os.time() * 1000))
local from = string.format("%d", now - 86400000)
mcp.setup("tools/call", "audits_read", function()
  return '"name":"audits_read","arguments":{"operation":"SearchAudit","args":{"actions":["LoginFailed"],"from":' .. from .. '}}'
end, mcp.has('"audits"'))
