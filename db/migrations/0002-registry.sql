-- SPDX-License-Identifier: MIT
-- The registry: a projection of the ledger. Every row is written only by
-- applying a ledger entry's "set" list (db/registry.c); `seq` is the ledger
-- entry that last changed the row. `vaultctl verify` rebuilds these tables from
-- the ledger and compares. Dates are site-local calendar dates, YYYY-MM-DD.
CREATE TABLE unit (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	name TEXT NOT NULL, first_time INTEGER NOT NULL, status TEXT NOT NULL,
	status_reason TEXT NOT NULL
);
CREATE TABLE person (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	name TEXT NOT NULL, role TEXT NOT NULL, unit TEXT REFERENCES unit(id),
	status TEXT NOT NULL, unix_user TEXT
);
CREATE UNIQUE INDEX person_unix_user ON person(unix_user) WHERE unix_user IS NOT NULL;
CREATE TABLE badge (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	person TEXT NOT NULL REFERENCES person(id), key_version INTEGER NOT NULL,
	status TEXT NOT NULL, enrolled_by TEXT NOT NULL
);
CREATE TABLE pin (
	id TEXT PRIMARY KEY REFERENCES person(id), seq INTEGER NOT NULL,
	hash TEXT NOT NULL, duress_hash TEXT NOT NULL
);
CREATE TABLE certificate (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	person TEXT NOT NULL REFERENCES person(id), issued TEXT NOT NULL,
	expires TEXT NOT NULL, revoked INTEGER NOT NULL
);
CREATE TABLE training (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	person TEXT NOT NULL REFERENCES person(id), date TEXT NOT NULL, kind TEXT NOT NULL
);
CREATE TABLE inspection (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	unit TEXT NOT NULL REFERENCES unit(id), date TEXT NOT NULL, result TEXT NOT NULL,
	notes TEXT NOT NULL
);
CREATE TABLE project (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	name TEXT NOT NULL, unit TEXT REFERENCES unit(id), start TEXT NOT NULL,
	"end" TEXT NOT NULL, closed INTEGER NOT NULL
);
CREATE TABLE approval (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	unit TEXT NOT NULL REFERENCES unit(id), person TEXT NOT NULL REFERENCES person(id),
	requester TEXT NOT NULL, approver TEXT NOT NULL, purpose TEXT NOT NULL,
	scope TEXT NOT NULL, project TEXT REFERENCES project(id), max_out INTEGER NOT NULL,
	valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, due_days INTEGER NOT NULL,
	quantity INTEGER NOT NULL, onsite_verified_by TEXT NOT NULL,
	authority_ref TEXT NOT NULL, state TEXT NOT NULL
);
CREATE TABLE medium (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	tag TEXT NOT NULL, title TEXT NOT NULL, dataset TEXT NOT NULL, category TEXT NOT NULL,
	classification TEXT NOT NULL, home_shelf TEXT NOT NULL, status TEXT NOT NULL,
	borrower TEXT NOT NULL, approval TEXT NOT NULL, due TEXT NOT NULL,
	deadline TEXT NOT NULL, project TEXT REFERENCES project(id)
);
CREATE UNIQUE INDEX medium_tag ON medium(tag);
CREATE TABLE lineage (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	child TEXT NOT NULL REFERENCES medium(id), parent TEXT NOT NULL REFERENCES medium(id),
	kind TEXT NOT NULL
);
CREATE TABLE schedule (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	role TEXT NOT NULL, days TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL
);
CREATE TABLE holiday (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	name TEXT NOT NULL, open INTEGER NOT NULL
);
CREATE TABLE destruction_order (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	medium TEXT NOT NULL REFERENCES medium(id), orderer TEXT NOT NULL,
	approver TEXT NOT NULL, state TEXT NOT NULL
);
CREATE TABLE device (
	id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
	kind TEXT NOT NULL, address TEXT NOT NULL, status TEXT NOT NULL
);
