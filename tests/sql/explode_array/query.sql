-- explode(array(...)) in the SELECT list: one row per element, the other
-- columns repeated; NULL elements stay; the column is named by its alias.
CREATE SOURCE t (id BIGINT, a BIGINT, b BIGINT) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT id, explode(array(a, b, a + b)) AS v FROM t WHERE id > 0;
SET trigger = once;
