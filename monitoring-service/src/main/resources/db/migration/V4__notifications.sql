-- Notifications are an outbox: written in the transaction that stores the measurement, delivered by
-- any zone's instance (claimed with FOR UPDATE SKIP LOCKED and a lease, like runs), retried with
-- backoff until delivered or, past the configured time, failed. The id is the stable
-- Vigil-Notification-Id every attempt carries, so receivers drop a repeat.
CREATE TABLE notifications (
    id                    text PRIMARY KEY,
    service_instance_id   text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    integrated_system_id  text NOT NULL,
    monitor_instance_id   text NOT NULL,
    measurement_id        text NOT NULL,
    run_id                text,
    type                  text NOT NULL,
    body                  jsonb NOT NULL,
    state                 text NOT NULL DEFAULT 'pending',
    created_at            timestamptz NOT NULL DEFAULT now(),
    next_attempt_at       timestamptz NOT NULL DEFAULT now(),
    claimed_by            text,
    claimed_until         timestamptz,
    attempts              integer NOT NULL DEFAULT 0,
    last_attempt_at       timestamptz,
    last_status           integer,
    last_error            text,
    delivered_at          timestamptz
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_by_tenant ON notifications (service_instance_id, created_at);
