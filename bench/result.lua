-- The summary line every wrk script of bench/ prints; loaded with dofile from the repository root.
done = function(summary, latency, requests)
  -- errors: connection errors, timeouts, and every answer that was not 2xx/3xx.
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d max_ms=%.1f\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.status + summary.errors.timeout, latency.max / 1000))
end
