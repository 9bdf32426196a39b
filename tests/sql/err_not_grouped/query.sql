CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', output_mode = 'update') AS
SELECT k, v, count(*) FROM s GROUP BY k;
