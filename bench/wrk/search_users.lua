-- users_read SearchUsers: one page of 100 members of a random tenant T0000…
-- env: N_TENANTS (default 200), PAGES (pages drawn from, default 3), TOKEN, PROTO, MAX_REQUESTS
local mcp = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "mcp.lua")
local t = tonumber(os.getenv("N_TENANTS") or "200")
local pages = tonumber(os.getenv("PAGES") or "3")
mcp.setup("tools/call", "users_read", function()
  return string.format('"name":"users_read","arguments":{"operation":"SearchUsers","args":{"tenantIds":["T%04d"],"page":%d,"limit":100}}',
    math.random(0, t - 1), math.random(0, pages - 1))
end, mcp.has('"total"'))
