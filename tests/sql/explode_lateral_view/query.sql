-- Hive/Spark's LATERAL VIEW: each row joined with the elements of its
-- exploded array; a NULL string contributes no rows.
CREATE SOURCE t (id BIGINT, tags VARCHAR) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', format = 'jsonl') AS
SELECT id, tag
FROM t LATERAL VIEW explode(split(tags, ',')) x AS tag
WHERE tag <> 'b';
SET trigger = once;
