-- Update mode: every window whose count changed in the batch; late rows
-- dropped; final windows evicted silently (batch 3 drops dog 12:05 and
-- evicts [12:00, 12:10); batch 4, without data, evicts [12:10, 12:20)).
CREATE SOURCE words (word VARCHAR, ts TIMESTAMP,
                     WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK counts WITH (connector = 'console', format = 'jsonl',
                         output_mode = 'update') AS
SELECT window(ts, '10 minutes') AS window, word, count(*) AS count
FROM words
GROUP BY window(ts, '10 minutes'), word;

SET trigger = available_now;
