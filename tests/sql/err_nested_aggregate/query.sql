CREATE SOURCE s (k VARCHAR, v BIGINT) WITH (connector = 'file', path = 'input');
CREATE SINK out WITH (connector = 'console', output_mode = 'complete') AS
SELECT k, sum(max(v)) FROM s GROUP BY k;
