-- Tenants: an OpenScale service instance is the tenant and its data mart.
CREATE TABLE service_instances (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored as SHA-256 hashes, each bound to one service instance.
CREATE TABLE api_keys (
    key_hash             bytea PRIMARY KEY,
    service_instance_id  text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    name                 text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- Configuration resources of the v2 API (data_marts, service_providers, subscriptions,
-- data_sets, monitor_definitions, monitor_instances) as {metadata, entity} documents.
CREATE TABLE resources (
    service_instance_id  text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    kind                 text NOT NULL,
    id                   text NOT NULL,
    entity               jsonb NOT NULL,
    created_at           timestamptz NOT NULL,
    created_by           text NOT NULL,
    modified_at          timestamptz NOT NULL,
    modified_by          text NOT NULL,
    PRIMARY KEY (service_instance_id, kind, id)
);
CREATE INDEX resources_entity ON resources USING gin (entity jsonb_path_ops);

-- Records of data sets (payload, feedback, training): one row per scored or labelled row.
-- (data_set_id, record_id) is unique so a retried store never duplicates a record.
CREATE TABLE records (
    data_set_id          text NOT NULL,
    record_id            text NOT NULL,
    service_instance_id  text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    seq                  bigserial,
    ts                   timestamptz NOT NULL,
    row_values           jsonb NOT NULL,
    request_id           text NOT NULL,
    PRIMARY KEY (data_set_id, record_id)
);
CREATE INDEX records_by_time ON records (data_set_id, ts, seq);
CREATE INDEX records_by_seq ON records (data_set_id, seq);

-- Store requests: what POST records answered, readable at .../requests/{id}.
CREATE TABLE store_requests (
    id                   text PRIMARY KEY,
    service_instance_id  text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    data_set_id          text NOT NULL,
    state                text NOT NULL,
    records_received     integer NOT NULL,
    records_stored       integer NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
