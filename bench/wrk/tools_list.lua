-- tools/list. env: TOKEN, PROTO, MAX_REQUESTS
local mcp = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "mcp.lua")
mcp.setup("tools/list", nil, function() return "" end, mcp.has('"tools"'))
