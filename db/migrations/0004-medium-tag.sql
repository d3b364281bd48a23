-- SPDX-License-Identifier: MIT
-- Tags are read as upper-case hex; a medium registered with lower-case hex is
-- the same tag. Lookups by tag compare upper(tag), through this index.
CREATE INDEX medium_tag_upper ON medium(upper(tag));
