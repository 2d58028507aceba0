-- users_read LoadUser on a random user{i}@bench.example: the same request as
-- shared/bench/peers/loaduser.lua (which drives the peers and the floor too), with bad responses
-- counted across wrk threads. env: N_USERS (default 100000), TOKEN, PROTO, MAX_REQUESTS
local mcp = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "mcp.lua")
local n = tonumber(os.getenv("N_USERS") or "100000")
mcp.setup("tools/call", "users_read", function()
  return '"name":"users_read","arguments":{"operation":"LoadUser","args":{"loginId":"user' .. math.random(0, n - 1) .. '@bench.example"}}'
end, mcp.has('"loginIds"'))
