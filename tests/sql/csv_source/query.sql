-- CSV with a header line, quoted fields and empty (NULL) fields.
CREATE SOURCE people (name VARCHAR, age BIGINT, city VARCHAR, score DOUBLE)
WITH (connector = 'file', path = 'input', format = 'csv', header = true);

CREATE SINK out WITH (connector = 'console') AS
SELECT name, age, coalesce(city, '?') AS city, score * 2 AS double_score
FROM people
WHERE age IS NULL OR age >= 18;

SET trigger = once;
