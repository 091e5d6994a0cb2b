-- Several boxes on one PostgreSQL (issue 22): the boxes, one lease per camera with a fencing
-- epoch, and the box and epoch that wrote each detections, events and segments row.
-- Why PostgreSQL is the coordination engine: docs/decisions/camera-leases.md.

-- A box: its stable id (the `box-id` file of its data dir), how the others and clients reach it,
-- how many cameras it takes, and its last heartbeat (the database's clock, never the box's).
create table boxes (
  id uuid primary key,
  base_url text not null,
  rtsp_url text not null,
  capacity integer not null check (capacity > 0),
  version text not null,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now()
);

-- At most one owner per camera. `epoch` grows by one each time the camera changes hands: it is
-- the fencing token every row the owner writes carries, so a box that wakes from a pause cannot
-- write over the new owner (vigil_fence below).
create table leases (
  camera_id uuid primary key references cameras (id) on delete cascade,
  box_id uuid not null,
  epoch bigint not null check (epoch > 0),
  expires_at timestamptz not null,
  taken_at timestamptz not null default now()
);
create index leases_box on leases (box_id);

-- An optional pin: placement gives the camera to this box whenever it is up.
alter table cameras add column pin_box uuid;

-- Who wrote each row: null on a box alone (the embedded database, or a test without leases).
alter table detections add column box_id uuid, add column lease_epoch bigint;
alter table events add column box_id uuid, add column lease_epoch bigint;
alter table segments add column box_id uuid, add column lease_epoch bigint;

-- The fence a batch insert calls once per statement (as an uncorrelated subquery, an InitPlan):
-- it refuses the whole statement unless the box still holds the camera at that epoch. `for share`
-- makes a steal (an update of the lease row) wait for an insert in flight and an insert wait for
-- a steal in flight, so every row of an old epoch commits before the new epoch exists.
create function vigil_fence(camera uuid, box uuid, fence_epoch bigint)
returns boolean language plpgsql as $$
begin
  perform 1 from leases
    where camera_id = camera and box_id = box and epoch = fence_epoch
    for share;
  if not found then
    raise exception 'lease lost: box % no longer holds camera % at epoch %', box, camera,
      fence_epoch using errcode = 'VL001';
  end if;
  return true;
end
$$;
