-- Exact percentiles over 10-minute windows in append mode (watermark
-- delay 5 minutes, two files per batch, so partial lists are concatenated
-- across splits and with the stored list across batches). Spark's
-- percentile: position (n - 1) * p over the sorted non-NULL values,
-- linear interpolation between floor and ceil of it. percentile_approx /
-- approx_percentile: the value at rank ceil(p * n), of the input's type.
--   batch 0 (1.json, 2.json), wm none; after it wm = 12:22 - 5m = 12:17
--   batch 1 (3.json, 4.json), wm 12:17: the 12:05 row is late (its window
--           ends 12:10 <= 12:17) and dropped; [12:00, 12:10) is final
--           and emitted; after it wm = 12:25 - 5m = 12:20
--   batch 2 (5.json), wm 12:20: emits [12:10, 12:20); after it wm 12:35
--   batch 3 (no data), wm 12:35: emits [12:20, 12:30)
-- [12:00, 12:10): x [7], d none -- one value: every percentile is 7;
--   percentiles of d are NULL (left out of the JSON)
-- [12:10, 12:20): x [4, 6, 10], d [1.0, 2.0] (one NULL)
--   median pos 1 -> 6; p0 4; p100 10; p25 pos 0.5 -> 0.5*4 + 0.5*6 = 5;
--   p90 of d (two values) pos 0.9 -> 0.1*1.0 + 0.9*2.0 = 1.9;
--   approx 0.5: rank ceil(1.5) = 2 -> 6; approx 0.25 of d: rank 1 -> 1.0
-- [12:20, 12:30): x [10, 20, 30, 50] (one NULL), d [-2, 0.5, 3.5, 8]
--   median pos 1.5 -> 0.5*20 + 0.5*30 = 25; p0 10; p100 50;
--   p25 pos 0.75 -> 0.25*10 + 0.75*20 = 17.5;
--   p90 of d pos 2.7 -> 0.3*3.5 + 0.7*8 = 6.65;
--   approx 0.5: rank ceil(2) = 2 -> 20; approx 0.25 of d: rank 1 -> -2.0
CREATE SOURCE t (ts TIMESTAMP, x BIGINT, d DOUBLE,
                 WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 2);

CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT window(ts, '10 minutes') AS w, count(*) AS n, median(x) AS med,
       percentile(x, 0) AS p0, percentile(x, 1.0) AS p100,
       percentile(x, 0.25) AS p25, percentile(d, 0.9) AS p90d,
       percentile_approx(x, 0.5) AS pa50,
       approx_percentile(d, 0.25, 100) AS pa25d
FROM t
GROUP BY window(ts, '10 minutes');

SET trigger = available_now;
