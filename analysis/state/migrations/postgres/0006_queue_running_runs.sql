-- The claim queue holds running runs only.
--
-- A run's final verdict leaves through the notification outbox (0005),
-- written in the transaction that ends the run, so an ended run is never
-- claimed again: not even one that ended before this migration with its
-- verdict undelivered by the older per-run delivery. The columns of that
-- delivery (deliveries, delivered, delivery_attempts, delivery_abandoned)
-- stay for the rows that have them; new rows keep their defaults.
DROP INDEX runs_queue;
CREATE INDEX runs_queue ON runs (sched_at, id) WHERE status = 'running';
