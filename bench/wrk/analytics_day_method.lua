-- audits_read SearchAnalytics: event counts by day and method over the last 30 days.
-- env: NOW_MS (default: now), TOKEN, PROTO, MAX_REQUESTS
local mcp = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "mcp.lua")
local now = tonumber(os.getenv("NOW_MS") or tostring(os.time() * 1000))
local from = string.format("%d", now - 30 * 86400000)
mcp.setup("tools/call", "audits_read", function()
  return '"name":"audits_read","arguments":{"operation":"SearchAnalytics","args":{"groupByCreated":"day","groupByMethod":true,"from":' .. from .. '}}'
end, mcp.has('"analytics"'))
