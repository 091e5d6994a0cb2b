-- Clips across a handover (issue 22): the key boxes sign segment fetches with, which box compiled
-- each clip (its file lives there), and the parts a clip had to leave out because the box that
-- recorded them could not be reached. Why: docs/decisions/cluster-segment-fetch.md.

-- One random key, made by the first box that starts on this database and read by every box at
-- start. Whoever can read this table can read the whole database anyway.
create table cluster_key (
  only_row boolean primary key default true check (only_row),
  key bytea not null check (octet_length(key) = 32),
  created_at timestamptz not null default now()
);

-- Null: compiled before this migration, or by a box alone.
alter table records add column box_id uuid;
-- `[{ from, to, box, reason }]` (ms since the epoch): recorded, but unreachable at compile time.
alter table records add column missing jsonb;
