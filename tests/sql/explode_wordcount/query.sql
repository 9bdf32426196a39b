-- Word count with explode(split(...)) in a subquery (Spark's classic
-- structured streaming example), complete mode. split keeps empty strings:
-- "" gives one empty word, "dog  cat" (two spaces) gives dog, "", cat; a
-- NULL line gives no rows.
CREATE SOURCE lines (line VARCHAR)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);
CREATE SINK counts WITH (connector = 'console', format = 'jsonl',
                         output_mode = 'complete') AS
SELECT word, count(*) AS n
FROM (SELECT explode(split(line, ' ')) AS word FROM lines) w
GROUP BY word;
SET trigger = available_now;
