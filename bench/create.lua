-- wrk script: POST /api/invoices with the demo token (env TOKEN) and a valid body.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Wethod-Company"] = "demo"
wrk.headers["Wethod-Version"] = "2024-06-15"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"project_id": 1, "value": 1250.5, "issue_date": "2026-11-25", "vat_rate_id": 1, "payment_term_id": 1, "budget_area_uid": "area-1"}'

done = function(summary, latency, requests)
  -- errors: connection errors, timeouts, and every answer that was not 2xx/3xx.
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.status + summary.errors.timeout))
end
