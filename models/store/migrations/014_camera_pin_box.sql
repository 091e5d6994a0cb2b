-- The pin API (issue 22): `cameras.pin_box` names a registered box or nothing. A pin to a box
-- that never registered would never be honoured, so the database refuses it (the camera service
-- answers `unknown_box`); a pin set by hand before this migration to no box is cleared.
update cameras set pin_box = null where pin_box not in (select id from boxes);
alter table cameras
  add constraint cameras_pin_box_fkey foreign key (pin_box) references boxes (id) on delete set null;
