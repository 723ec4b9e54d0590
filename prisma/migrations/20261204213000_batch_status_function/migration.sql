-- A batch's status from its previous status and its counters (DESIGN.md "Semantics"),
-- mirrored by deriveBatchStatus() in src/processing/batch-ledger.ts (a test holds the two
-- equal). Lets a single UPDATE move counters by deltas and set the status from the values it
-- just wrote, holding the batch row's lock for one statement instead of a read-modify-write
-- round trip. A batch that has started stays started: a task going back to queued for a retry
-- must not return its batch to 'queued' (nor announce batch.started a second time).
CREATE FUNCTION batch_status(
  previous "JobStatus", total integer, queued integer, processing integer, completed integer,
  failed integer, cancelled integer, cancelled_at timestamp
) RETURNS "JobStatus" AS $$
  SELECT CASE
    WHEN queued + processing > 0 THEN
      CASE WHEN previous = 'queued' AND processing + completed + failed = 0 THEN 'queued' ELSE 'processing' END
    WHEN cancelled_at IS NOT NULL OR cancelled = total THEN 'cancelled'
    WHEN completed = total THEN 'completed'
    WHEN completed > 0 THEN 'completed_with_errors'
    ELSE 'failed'
  END::"JobStatus";
$$ LANGUAGE sql IMMUTABLE;
