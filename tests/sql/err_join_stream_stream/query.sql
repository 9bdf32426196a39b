CREATE SOURCE a (k VARCHAR) WITH (connector = 'file', path = 'x');
CREATE SOURCE b (k VARCHAR) WITH (connector = 'file', path = 'y');
CREATE SINK out WITH (connector = 'console') AS
SELECT a.k FROM a JOIN b ON a.k = b.k;
