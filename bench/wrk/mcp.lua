-- Shared by the per-operation wrk scripts: MCP headers for either protocol era, bearer token,
-- correct per-thread counting of bad responses, a per-thread request cap, and one result line.
-- env: TOKEN (bearer), PROTO (default 2026-07-28), MAX_REQUESTS (per thread, default 5000000)
local M = {}
M.token = os.getenv("TOKEN")
M.proto = os.getenv("PROTO") or "2026-07-28"
M.max = tonumber(os.getenv("MAX_REQUESTS") or "5000000")

-- method: "tools/call" or "tools/list"; tool: the tool name for tools/call;
-- make_params(): a JSON string of the params object without _meta, or without its closing brace
-- handled here; ok(body): whether a 200 body is a correct answer.
function M.setup(method, tool, make_params, ok)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.headers["MCP-Protocol-Version"] = M.proto
  if M.proto >= "2026-07-28" then
    wrk.headers["Mcp-Method"] = method
    if tool then wrk.headers["Mcp-Name"] = tool end
  end
  if M.token and #M.token > 0 then wrk.headers["Authorization"] = "Bearer " .. M.token end
  local meta = ""
  if M.proto >= "2026-07-28" then
    meta = '"_meta":{"io.modelcontextprotocol/protocolVersion":"' .. M.proto .. '","io.modelcontextprotocol/clientCapabilities":{}}'
  end
  local threads = {}
  setup = function(thread) table.insert(threads, thread) end
  id = 0
  request = function()
    id = id + 1
    local p = make_params()            -- e.g. '"name":"x","arguments":{...}' (no braces)
    local sep = (#p > 0 and #meta > 0) and "," or ""
    local body = '{"jsonrpc":"2.0","id":' .. id .. ',"method":"' .. method .. '","params":{' .. p .. sep .. meta .. '}}'
    return wrk.format(nil, nil, nil, body)
  end
  init = function(args)
    -- each wrk thread draws its own sequence
    math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003))
  end
  bad = 0
  seen = 0
  sample = ""
  response = function(status, headers, body)
    seen = seen + 1
    if status ~= 200 or not ok(body) or string.find(body, '"isError":true', 1, true) then
      bad = bad + 1
      if #sample == 0 then sample = tostring(status) .. " " .. string.sub(body, 1, 300) end
    end
    if seen >= M.max then wrk.thread:stop() end
  end
  done = function(summary, latency, requests)
    local nbad, first = 0, ""
    for _, t in ipairs(threads) do
      nbad = nbad + (t:get("bad") or 0)
      local s = t:get("sample")
      if s and #s > 0 and #first == 0 then first = s end
    end
    local errs = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("bad_responses %d socket_errors %d requests %d\n", nbad, errs, summary.requests))
    io.write(string.format("p50_ms %.3f p99_ms %.3f rps %.1f\n", latency:percentile(50)/1000, latency:percentile(99)/1000, summary.requests / (summary.duration / 1e6)))
    if #first > 0 then io.write("first_bad " .. first:gsub("\n", " ") .. "\n") end
  end
end

function M.has(s) return function(body) return string.find(body, s, 1, true) ~= nil end end

return M
