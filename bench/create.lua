-- wrk script: POST /api/invoices with the demo token (env TOKEN) and a valid body; with env
-- ACCEPT_ENCODING, that Accept-Encoding too.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Wethod-Company"] = "demo"
wrk.headers["Wethod-Version"] = "2024-06-15"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"project_id": 1, "value": 1250.5, "issue_date": "2026-11-25", "vat_rate_id": 1, "payment_term_id": 1, "budget_area_uid": "area-1"}'

local accept = os.getenv("ACCEPT_ENCODING")
if accept and accept ~= "" then
  wrk.headers["Accept-Encoding"] = accept
end

dofile("bench/result.lua")
