-- UUIDv7 (time-ordered) ids for rows that SQL inserts itself (outbox deliveries), matching the
-- ids Prisma and the service generate, so ordering by id is ordering by creation everywhere.
-- PostgreSQL 18 has uuidv7(); this works on 13+.
CREATE OR REPLACE FUNCTION uuid_generate_v7() RETURNS uuid AS $$
  SELECT encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
          PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
          FROM 1 FOR 6),
        52, 1),
      53, 1),
    'hex')::uuid;
$$ LANGUAGE sql VOLATILE;
