-- Credentials a tenant configured (service providers, database configurations, scoring endpoints,
-- training data connections), sealed with AES-256-GCM: the API answers only {"secret_id": ...}.
CREATE TABLE secrets (
    service_instance_id  text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    id                   text NOT NULL,
    key_id               text NOT NULL,
    nonce                bytea NOT NULL,
    ciphertext           bytea NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_instance_id, id)
);
