-- DISTINCT ON (id): Spark's dropDuplicates("id"). The first row of each id
-- in input order wins, also inside one batch; without a watermark the state
-- keeps every id, so id 2 in batch 1 is a duplicate; NULL is one key.
CREATE SOURCE s (id BIGINT, v VARCHAR)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT DISTINCT ON (id) id, v FROM s;
SET trigger = available_now;
