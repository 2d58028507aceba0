-- docs_search over the whole corpus (documentation pages and the catalog's operation reference),
-- cycling through varied natural-language queries, short and long, so no one query's cost
-- dominates. Each thread starts at its own point of the cycle. Prints p95 as well (the docs
-- target is p95 < 20 ms). docs_ask_question.lua reuses it with DOCS_TOOL set.
-- env: TOKEN, PROTO, MAX_REQUESTS
local mcp = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "mcp.lua")
local tool = DOCS_TOOL or "docs_search"

-- plain text only (they go into JSON as they are: no quotes or backslashes)
local queries = {
  "enforce MFA for admins",
  "how do I validate a session JWT in Node.js",
  "SAML SSO setup for one tenant with Okta",
  "rotate an access key without downtime",
  "what is the difference between RBAC and fine-grained authorization",
  "magic link login in a React app",
  "passkeys",
  "import users from Auth0 with their password hashes",
  "SCIM provisioning from Azure AD",
  "how long is the write window after approval",
  "where does the one-time passcode go",
  "refresh token rotation and session expiry",
  "custom claims in the JWT with a template",
  "rate limits on the management API",
  "invite a user to a tenant by email",
  "block sign-ups from disposable email domains with an IP or text list",
  "configure password policy minimum length and lockout",
  "social login with Google and GitHub",
  "A/B test two versions of a sign-up flow",
  "export flows from staging and import them into production",
  "search audit logs for failed logins in the last day",
  "connect Cursor to idmcp over HTTP with a bearer token",
  "test users for end-to-end tests with OTP codes",
  "brand the login page with our colors and logo",
  "register an MCP server as an inbound app with OAuth",
  "outbound app tokens for calling Google Calendar on behalf of a user",
  "is the audit journal tamper-evident",
  "add a new operation with a YAML file",
  "custom user attributes for department and cost center",
  "step-up authentication before a sensitive action",
}

local i = 0
mcp.setup("tools/call", tool, function()
  if i == 0 then i = math.random(#queries) end
  i = i % #queries + 1
  if tool == "docs_search" then
    return '"name":"docs_search","arguments":{"query":"' .. queries[i] .. '","limit":5}'
  end
  return '"name":"' .. tool .. '","arguments":{"question":"' .. queries[i] .. '"}'
end, tool == "docs_search" and mcp.has('"results":[{') or mcp.has('"covered":true'))

-- the shared result lines, then p95 (mcp.lua prints p50 and p99)
local shared_done = done
done = function(summary, latency, requests)
  shared_done(summary, latency, requests)
  io.write(string.format("p95_ms %.3f\n", latency:percentile(95) / 1000))
end
