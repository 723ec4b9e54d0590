-- A batch that has started stays started: a task going back to queued for a retry must not
-- return its batch to 'queued' (nor announce batch.started a second time). The status now
-- also depends on the previous one, so the function takes it.
DROP FUNCTION IF EXISTS batch_status(integer, integer, integer, integer, integer, integer, timestamp);

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
