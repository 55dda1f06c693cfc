-- Records move to a table partitioned by day (their time, ts), so retention drops whole days. A
-- partitioned table's unique keys must hold its partition key, so the one key that says "this
-- record is already stored" — (data_set_id, record_id), which lets a retried store skip what it
-- stored before — moves to its own narrow table. Stores insert the key first and the record only
-- when the key was new; lookups by id find the record's time here, and with it its partition.
-- (ts, seq) is where the record is: its day, and its row in the day's (data_set_id, ts, seq) index
-- (a store's records without a time of their own all share one ts).
CREATE TABLE record_keys (
    data_set_id  text NOT NULL,
    record_id    text NOT NULL,
    ts           timestamptz NOT NULL,
    seq          bigint NOT NULL,
    PRIMARY KEY (data_set_id, record_id)
);
-- retention deletes the keys of the days it drops
CREATE INDEX record_keys_by_time ON record_keys (data_set_id, ts);

-- An empty records table (a new installation) becomes the partitioned table right here. A table
-- with rows is switched online instead, by any one instance (RecordsSwitch): keys backfilled in
-- batches, a bound checked without blocking writes, then a switch that holds its locks for
-- milliseconds. Until then, instances of the version before still store into records without
-- keys: a trigger keeps theirs, and the switch drops it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM records) THEN
        LOCK TABLE records IN ACCESS EXCLUSIVE MODE;
    END IF;
    IF EXISTS (SELECT 1 FROM records) THEN
        CREATE FUNCTION record_keys_of_legacy_rows() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            INSERT INTO record_keys (data_set_id, record_id, ts, seq)
            VALUES (NEW.data_set_id, NEW.record_id, NEW.ts, NEW.seq) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $f$;
        CREATE TRIGGER record_keys_of_legacy_rows AFTER INSERT ON records
            FOR EACH ROW EXECUTE FUNCTION record_keys_of_legacy_rows();
    ELSE
        ALTER SEQUENCE records_seq_seq OWNED BY NONE;
        DROP TABLE records;
        CREATE TABLE records (
            data_set_id          text NOT NULL,
            record_id            text NOT NULL,
            service_instance_id  text NOT NULL,
            seq                  bigint NOT NULL DEFAULT nextval('records_seq_seq'),
            ts                   timestamptz NOT NULL,
            row_values           jsonb NOT NULL,
            request_id           text NOT NULL
        ) PARTITION BY RANGE (ts);
        CREATE INDEX records_by_time ON records (data_set_id, ts, seq);
        CREATE INDEX records_by_seq ON records (data_set_id, seq);
        ALTER SEQUENCE records_seq_seq OWNED BY records.seq;
    END IF;
END
$$;

-- measurements are kept by their own retention, store requests for a week: both delete by time
CREATE INDEX measurements_by_time ON measurements (service_instance_id, ts);
CREATE INDEX store_requests_by_time ON store_requests (created_at);
