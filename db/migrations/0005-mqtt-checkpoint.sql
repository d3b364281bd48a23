-- SPDX-License-Identifier: MIT
-- The MQTT publisher's checkpoint position, next to the ledger cursor and
-- written in the same UPDATE: every signed checkpoint with seq <= this one has
-- been acknowledged by the broker on <prefix>/checkpoint. Always <= the
-- cursor (a checkpoint is published only once the entry it covers is). 0 on a
-- database that had no such column: its checkpoints are published once.
ALTER TABLE mqtt_cursor ADD COLUMN checkpoint_seq INTEGER NOT NULL DEFAULT 0;
