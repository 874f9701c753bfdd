-- The distributed shape's event store: the postgres-es schema (its crate's
-- db/init.sql; postgres-es creates no tables itself), plus a global
-- `position` (the store's own total order, for replay and audit) and the
-- `command_log` that makes commands exactly once.

-- A single table holds every aggregate's events. The columns and key are
-- postgres-es' own, so its `PostgresEventRepository` reads these rows.
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    -- Allocated in insert order; `read_all` pages by it.
    position       bigserial                    UNIQUE,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- postgres-es' snapshot table, kept so its repository works unchanged on
-- this schema; Cartcast's writers keep aggregates hot instead.
CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- One row per decided command, committed with its events: its recorded
-- answer and the keys of the events it produced, in order.
CREATE TABLE command_log
(
    command_id  uuid        PRIMARY KEY,
    outcome     jsonb       NOT NULL,
    events      jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
