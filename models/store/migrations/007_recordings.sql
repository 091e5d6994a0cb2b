-- Recording (issue 13): what each segment holds, compile jobs with their result, and events an
-- operator keeps.

-- A segment row is written once ffmpeg has finished the file and it passed its checks (see
-- actors/recorder.ts); `path` is relative to `$VIGIL_DATA_DIR/recordings`, built from the camera
-- id and the start time, never from user input. `duration_ms` is what ffprobe measured (the
-- annotated compile maps detection times onto the concatenated timeline with it).
-- `audio`: `copy` (the camera's audio as is), `aac` (converted: the container cannot hold the
-- camera's codec), or `none` (no audio, or it could not be kept); `audio_codec` is the camera's.
alter table segments
  add column duration_ms integer not null default 0,
  add column codec text,
  add column width integer,
  add column height integer,
  add column audio text not null default 'none' check (audio in ('copy', 'aac', 'none')),
  add column audio_codec text;
-- The disk guard deletes the oldest segments of every camera first.
create index segments_started on segments (started_at);

-- compileRecord jobs: `progress` 0..1 while running; the result's size, duration, SHA-256 (tamper
-- evidence: stored at compile time, compared by /verify) and the gaps of the range that had no
-- recording.
alter table records
  add column annotated boolean not null default false,
  add column progress real not null default 0,
  add column duration_ms integer,
  add column bytes bigint,
  add column sha256 text,
  add column gaps jsonb not null default '[]'::jsonb,
  add column started_at timestamptz,
  add column finished_at timestamptz;
create index records_finished on records (finished_at) where status in ('done', 'failed');

-- A kept event's segments are never deleted by retention or the disk guard.
alter table events add column keep boolean not null default false;
create index events_kept on events (camera_id, started_at) where keep;

-- An optional stream to record instead of the camera's URL (a camera's main stream while its
-- `source_url` is a small sub-stream for analysis), without credentials: the camera's apply.
alter table cameras add column record_url text;
