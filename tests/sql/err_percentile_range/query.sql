CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', output_mode = 'update') AS
SELECT k, percentile(v, 1.5) FROM s GROUP BY k;
