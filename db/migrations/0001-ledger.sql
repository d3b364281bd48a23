-- SPDX-License-Identifier: MIT
-- The append-only, hash-chained ledger (docs/ledger-format.md), its signed
-- checkpoints, and sensor events (evidence the ledger cites).
CREATE TABLE ledger (
	seq       INTEGER PRIMARY KEY,      -- 1, 2, 3 ... contiguous
	ts_utc    INTEGER NOT NULL,         -- microseconds since the epoch, UTC
	ts_mono   INTEGER NOT NULL,         -- CLOCK_MONOTONIC microseconds (clock-jump evidence)
	kind      TEXT    NOT NULL,         -- e.g. registry.person, entry.confirmed
	actors    TEXT    NOT NULL DEFAULT '', -- person ids, comma-separated
	medium    TEXT    NOT NULL DEFAULT '',
	approval  TEXT    NOT NULL DEFAULT '',
	cites     TEXT    NOT NULL DEFAULT '', -- sensor_event ids, comma-separated
	payload   BLOB    NOT NULL,         -- JSON bytes, hashed as stored
	prev_hash BLOB    NOT NULL,
	hash      BLOB    NOT NULL
);
CREATE INDEX ledger_kind ON ledger(kind);
CREATE INDEX ledger_medium ON ledger(medium) WHERE medium <> '';
CREATE INDEX ledger_ts ON ledger(ts_utc);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

CREATE TABLE checkpoint (
	seq     INTEGER PRIMARY KEY,        -- ledger seq covered
	hash    BLOB    NOT NULL,           -- ledger hash at seq
	ts_utc  INTEGER NOT NULL,
	sig     BLOB    NOT NULL            -- Ed25519 over docs/ledger-format.md "checkpoint"
);
CREATE TRIGGER checkpoint_no_update BEFORE UPDATE ON checkpoint
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoint_no_delete BEFORE DELETE ON checkpoint
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

CREATE TABLE sensor_event (
	id      INTEGER PRIMARY KEY,
	ts_utc  INTEGER NOT NULL,
	ts_mono INTEGER NOT NULL,
	source  TEXT    NOT NULL,           -- device id
	kind    TEXT    NOT NULL,           -- e.g. tag.arrive, door_a.open
	data    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sensor_event_ts ON sensor_event(ts_utc);
