-- docs_ask_question (extractive: the bench server has no --llm-url) over the queries of
-- docs_search.lua, each of which the docs cover.
-- env: TOKEN, PROTO, MAX_REQUESTS
DOCS_TOOL = "docs_ask_question"
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "docs_search.lua")
