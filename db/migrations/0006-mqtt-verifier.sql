-- SPDX-License-Identifier: MIT
-- The central verifier (docs/verifier.md), next to the MQTT cursor:
-- verified_seq: the highest entry a signed vault-verified text from the
--   pinned verifier key has acknowledged with this ledger's hash (the ledger
--   up to it is held off the box); verified_utc: when (unix µs).
-- command_id: the id of the last signed command accepted; a command whose id
--   is not above it is a replay and is refused.
ALTER TABLE mqtt_cursor ADD COLUMN verified_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mqtt_cursor ADD COLUMN verified_utc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mqtt_cursor ADD COLUMN command_id INTEGER NOT NULL DEFAULT 0;
