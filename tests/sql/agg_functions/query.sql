-- Aggregate functions with NULLs (count(x), sum, avg, min, max ignore
-- NULLs; first/last keep them; sample variance of one value is NULL), a
-- NULL grouping key, HAVING, and a key that is not a window, in update
-- mode (no watermark needed).
CREATE SOURCE t (k VARCHAR, x BIGINT, d DOUBLE, t TIMESTAMP, b BOOLEAN)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK out WITH (connector = 'console', format = 'jsonl',
                      output_mode = 'update') AS
SELECT k, count(*) AS n, count(x) AS nx, sum(x) AS sx, avg(x) AS ax,
       min(d) AS mind, max(d) AS maxd, sum(d) AS sd, min(t) AS mint,
       max(b) AS anyb, first(x) AS fx, last(x) AS lx,
       var_samp(x) AS vx, stddev_pop(d) AS sdd,
       approx_count_distinct(x) AS dx, max(x) - min(x) AS spread
FROM t
GROUP BY k
HAVING count(*) < 4;

SET trigger = available_now;
