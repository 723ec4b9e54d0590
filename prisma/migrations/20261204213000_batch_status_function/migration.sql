-- A batch's status as a function of its counters (DESIGN.md "Semantics"), mirrored by
-- deriveBatchStatus() in src/processing/batch-ledger.ts (a test holds the two equal). Lets a
-- single UPDATE move counters by deltas and set the status from the values it just wrote,
-- holding the batch row's lock for one statement instead of a read-modify-write round trip.
CREATE OR REPLACE FUNCTION batch_status(
  total integer, queued integer, processing integer, completed integer, failed integer,
  cancelled integer, cancelled_at timestamp
) RETURNS "JobStatus" AS $$
  SELECT CASE
    WHEN queued + processing > 0 THEN
      CASE WHEN processing + completed + failed > 0 THEN 'processing' ELSE 'queued' END
    WHEN cancelled_at IS NOT NULL OR cancelled = total THEN 'cancelled'
    WHEN completed = total THEN 'completed'
    WHEN completed > 0 THEN 'completed_with_errors'
    ELSE 'failed'
  END::"JobStatus";
$$ LANGUAGE sql IMMUTABLE;
