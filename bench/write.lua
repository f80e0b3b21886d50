-- wrk script: a write of one existing invoice per request, with the demo token (env TOKEN).
-- METHOD and SUFFIX choose the write (PATCH "", POST ":send"); BODY is its JSON body (may be
-- empty). Requests walk the ids FIRST, FIRST+1, … (threads interleave, each id once while
-- fewer than COUNT requests are sent); HOT=1 sends every request to FIRST instead. With env
-- ACCEPT_ENCODING, that Accept-Encoding too.
local method = os.getenv("METHOD") or "PATCH"
local suffix = os.getenv("SUFFIX") or ""
local body = os.getenv("BODY") or ""
local first = tonumber(os.getenv("FIRST") or "1")
local count = tonumber(os.getenv("COUNT") or "1")
local hot = os.getenv("HOT") == "1"
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
  ["Wethod-Company"] = "demo",
  ["Wethod-Version"] = "2024-06-15",
  ["Content-Type"] = "application/json",
}
local accept = os.getenv("ACCEPT_ENCODING")
if accept and accept ~= "" then
  headers["Accept-Encoding"] = accept
end

local threads = {}
setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

init = function(args)
  n = 0
  stride = tonumber(os.getenv("THREADS") or "1")
end

request = function()
  local id = first
  if not hot then
    id = first + (tid + n * stride) % count
  end
  n = n + 1
  return wrk.format(method, "/api/invoices/" .. id .. suffix, headers, body ~= "" and body or nil)
end

dofile("bench/result.lua")
