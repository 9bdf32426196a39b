-- The Structured Streaming guide's word count over 10-minute windows
-- sliding every 5 minutes, update mode, 10-minute watermark. Each event is
-- in two windows; dog at 12:04 arriving in batch 2 is not late (its
-- earliest window ends at 12:05 > watermark 11:57). Spark's WATERMARK
-- clause in FROM declares the watermark here.
CREATE SOURCE words (word VARCHAR, ts TIMESTAMP)
WITH (connector = 'file', path = 'input', max_files_per_trigger = 1);

CREATE SINK counts WITH (connector = 'console', format = 'jsonl',
                         output_mode = 'update') AS
SELECT window(ts, '10 minutes', '5 minutes') AS window, word, count(*) AS count
FROM words WATERMARK ts DELAY OF INTERVAL 10 MINUTES
GROUP BY window(ts, '10 minutes', '5 minutes'), word;

SET trigger = available_now;
