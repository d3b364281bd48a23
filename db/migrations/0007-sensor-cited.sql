-- SPDX-License-Identifier: MIT
-- Sensor events a ledger entry cites are evidence, kept for good; the others
-- are kept [storage] sensor_retention_days (controller/retention.c). Which
-- ones are cited is kept here by a trigger on the ledger (same transaction as
-- the entry), back-filled from the ledger as it is. A cited event cannot be
-- deleted, and no event can be changed.
CREATE TABLE sensor_cited (id INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO sensor_cited(id)
	SELECT CAST(j.value AS INTEGER) FROM ledger, json_each('[' || ledger.cites || ']') AS j
	WHERE ledger.cites <> '' AND json_valid('[' || ledger.cites || ']');
CREATE TRIGGER ledger_cites AFTER INSERT ON ledger
	WHEN NEW.cites <> '' AND json_valid('[' || NEW.cites || ']')
BEGIN
	INSERT OR IGNORE INTO sensor_cited(id)
		SELECT CAST(value AS INTEGER) FROM json_each('[' || NEW.cites || ']');
END;
CREATE TRIGGER sensor_cited_no_delete BEFORE DELETE ON sensor_cited
BEGIN SELECT RAISE(ABORT, 'the cited sensor events are evidence'); END;
CREATE TRIGGER sensor_event_no_update BEFORE UPDATE ON sensor_event
BEGIN SELECT RAISE(ABORT, 'sensor events are not changed'); END;
CREATE TRIGGER sensor_event_cited_no_delete BEFORE DELETE ON sensor_event
	WHEN EXISTS (SELECT 1 FROM sensor_cited WHERE id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'a cited sensor event is evidence'); END;
