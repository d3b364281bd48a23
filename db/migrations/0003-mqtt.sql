-- SPDX-License-Identifier: MIT
-- The MQTT publisher's outbox position: every ledger entry with seq <= this
-- one has been acknowledged by the broker. NOT a registry table: it is not a
-- projection of the ledger and is not ledgered (it changes on every broker
-- acknowledgement); `vaultctl verify` does not compare it. vaultd alone
-- writes it. One row, id 1.
CREATE TABLE mqtt_cursor (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
);
INSERT INTO mqtt_cursor(id, seq) VALUES (1, 0);
