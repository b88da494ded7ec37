-- Schema version 3: runs.batch_seq is the sequence number of the last
-- write batch of the run's live handle that was stored (tracker.Batch.Seq).
-- A batch of a number not above it is stored already: its write was
-- retried after the reply to its commit was lost (the connection broke
-- during COMMIT), and it is not stored twice.
ALTER TABLE runs ADD COLUMN batch_seq bigint NOT NULL DEFAULT 0;
