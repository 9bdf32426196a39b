-- ORDER BY and LIMIT on an aggregation in complete mode (Spark allows
-- sorting only there): the whole result sorted every batch, ties broken
-- by the second key; NULL sorts first in ascending order, as in Spark.
--   batch 0: /a 2, /b 1, /c 1, null 1 -> top 3 by views desc, url asc:
--            /a 2, null 1, /b 1
--   batch 1: /c 3, /a 2, /b 2, /d 1, null 1 -> /c 3, /a 2, /b 2
CREATE SOURCE v (url VARCHAR)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);
CREATE SINK top WITH (connector = 'console', format = 'jsonl',
                      output_mode = 'complete') AS
SELECT url, count(*) AS views FROM v GROUP BY url
ORDER BY views DESC, url LIMIT 3;
SET trigger = available_now;
