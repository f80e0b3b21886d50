-- wrk script: the creates of bench/create.lua, each connection waiting DELAY_MS (env) before
-- each request, so that c connections send about c * 1000 / (DELAY_MS + latency) per second:
-- a steady load below the server's capacity.
dofile("bench/create.lua")
local wait = tonumber(os.getenv("DELAY_MS") or "0")
delay = function()
  return wait
end
