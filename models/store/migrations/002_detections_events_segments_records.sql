-- Detections: per-frame metadata, millions of rows a day. Written only by the batch writer
-- (BatchWriter), which makes each row's id (UUIDv7) so a retried batch is idempotent through
-- `on conflict do nothing`.
--
-- Partitioned by UTC day so retention drops whole partitions instead of deleting rows (no bloat,
-- no vacuum debt). Partitions are made ahead by vigil_ensure_detection_partitions(), called here
-- and by the retention job; rows outside every day partition (clock skew, a server that slept
-- past midnight before the job ran) land in the default partition instead of failing the batch.
--
-- The box is normalized to 0..1 of the analysed frame (x1,y1 top-left, x2,y2 bottom-right), so
-- it stays right whatever resolution analytics ran at and whatever quality a viewer watches.
--
-- Ids are UUIDv7 rather than (camera_id, seq): both inserted at the same speed when measured,
-- and a UUID needs no per-camera counter that must survive restarts and database outages.
--
-- No foreign key to cameras: the per-row check cost ~16% of insert throughput when measured on
-- the hottest table, and a camera delete cascading over millions of rows would hold locks for minutes.
-- Deleting a camera deletes its detections explicitly (deleteCameraDetections() in
-- models/store/detections.ts); anything left ages out with retention.
create table detections (
  id uuid not null,
  camera_id uuid not null,
  ts timestamptz not null,
  frame bigint not null,
  -- The tracker's id (a UUIDv7, unique across restarts and cameras), null when untracked.
  track_id uuid,
  label text not null,
  score real not null,
  x1 real not null,
  y1 real not null,
  x2 real not null,
  y2 real not null,
  primary key (id, ts)
) partition by range (ts);

-- "camera 3 between 14:00 and 15:00, newest first". The paging cursor is (ts, id), but id is
-- left out of the keys: ties on ts are rare, and the narrower indexes measured ~10% faster inserts.
create index detections_camera_ts on detections (camera_id, ts);
-- "all cars between 14:00 and 15:00" across cameras.
create index detections_label_ts on detections (label, ts);

create table detections_default partition of detections default;

-- Creates the day partitions [from_day, from_day + days) that do not exist yet. Rows of such a
-- day already sitting in the default partition are moved into the new partition in the same
-- transaction (PostgreSQL refuses to create a partition whose rows are in the default one).
create function vigil_ensure_detection_partitions(from_day date, days integer)
returns integer language plpgsql as $$
declare
  day date;
  name text;
  made integer := 0;
  lower_bound timestamptz;
  upper_bound timestamptz;
begin
  for i in 0 .. days - 1 loop
    day := from_day + i;
    name := 'detections_p' || to_char(day, 'YYYYMMDD');
    continue when to_regclass(name) is not null;
    lower_bound := (to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;
    upper_bound := (to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;
    create temp table if not exists vigil_moving_detections
      (like detections) on commit drop;
    delete from vigil_moving_detections;
    with moved as (
      delete from detections_default where ts >= lower_bound and ts < upper_bound returning *
    )
    insert into vigil_moving_detections select * from moved;
    execute format(
      'create table %I partition of detections for values from (%L) to (%L)',
      name, lower_bound, upper_bound
    );
    insert into detections select * from vigil_moving_detections;
    made := made + 1;
  end loop;
  return made;
end
$$;

select vigil_ensure_detection_partitions((now() at time zone 'UTC')::date - 1, 4);

-- Events: something significant (an object entering a zone, a loitering track...), opened when
-- it starts and updated when it ends; few per hour, kept longer than detections.
create table events (
  id uuid primary key,
  camera_id uuid not null references cameras (id) on delete cascade,
  kind text not null,
  label text,
  track_id uuid,
  zone text,
  started_at timestamptz not null,
  ended_at timestamptz,
  best_score real,
  snapshot_path text,
  details jsonb not null default '{}'::jsonb
);
create index events_camera_started on events (camera_id, started_at, id);
create index events_label_started on events (label, started_at);
create index events_started on events (started_at);

-- Recorded files, one row per segment ffmpeg finished.
create table segments (
  id uuid primary key,
  camera_id uuid not null references cameras (id) on delete cascade,
  path text not null unique,
  started_at timestamptz not null,
  ended_at timestamptz not null,
  bytes bigint not null default 0
);
create index segments_camera_time on segments (camera_id, started_at, ended_at);

-- Compiled clips (compileRecord jobs): a time range of one camera, or one event.
create table records (
  id uuid primary key,
  camera_id uuid not null references cameras (id) on delete cascade,
  from_ts timestamptz not null,
  to_ts timestamptz not null,
  event_id uuid references events (id) on delete set null,
  status text not null default 'queued'
    check (status in ('queued', 'running', 'done', 'failed')),
  path text,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (to_ts > from_ts)
);
create index records_camera_created on records (camera_id, created_at);
create index records_status on records (status) where status in ('queued', 'running');
