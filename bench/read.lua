-- wrk script: GET the URL given to wrk with a token (env TOKEN) of the demo company; with env
-- ACCEPT_ENCODING, that Accept-Encoding too.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Wethod-Company"] = "demo"
wrk.headers["Wethod-Version"] = "2024-06-15"
local accept = os.getenv("ACCEPT_ENCODING")
if accept and accept ~= "" then
  wrk.headers["Accept-Encoding"] = accept
end
dofile("bench/result.lua")
