-- list_operations with no argument: the whole catalog (names, summaries, classes).
-- env: TOKEN, PROTO, MAX_REQUESTS
local mcp = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "mcp.lua")
mcp.setup("tools/call", "list_operations", function()
  return '"name":"list_operations","arguments":{}'
end, mcp.has('"buckets"'))
