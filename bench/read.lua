-- wrk script: GET the URL given to wrk with a token (env TOKEN) of the demo company.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Wethod-Company"] = "demo"
wrk.headers["Wethod-Version"] = "2024-06-15"
dofile("bench/result.lua")
