-- The text format: one `value` column per line (empty lines included).
CREATE SOURCE logs WITH (connector = 'file', path = 'input', format = 'text');

CREATE SINK out WITH (connector = 'console', truncate = false) AS
SELECT split_part(value, ' ', 1) AS level,
       regexp_extract(value, 'user=([a-z]+)', 1) AS user_name,
       length(value) AS len
FROM logs
WHERE value <> '';

SET trigger = available_now;
