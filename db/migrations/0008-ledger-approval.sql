-- SPDX-License-Identifier: MIT
-- An approval's media are counted at every checkout (the distinct media ever
-- checked out under it may not exceed its quantity): entries by approval.
CREATE INDEX IF NOT EXISTS ledger_approval ON ledger(approval) WHERE approval <> '';
