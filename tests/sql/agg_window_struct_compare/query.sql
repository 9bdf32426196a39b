-- The window struct compares by value (start, then end), as Spark compares
-- structs: comparisons against the same window and between a window and
-- its own fields.
CREATE SOURCE s (ts TIMESTAMP) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', format = 'jsonl', output_mode = 'complete') AS
SELECT window, count(*) AS n,
       window = window AS same,
       window.start < window.end AS ordered,
       window <> window AS differs
FROM s GROUP BY window(ts, '10 seconds')
ORDER BY window;
SET trigger = once;
