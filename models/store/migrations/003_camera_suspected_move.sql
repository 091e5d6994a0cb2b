-- A move of an ONVIF camera that Vigil did not follow on its own (see models/onvif/move_checks.ts):
-- the claimed new address and why it was refused, until an admin accepts or dismisses it.
alter table cameras add column suspected_move jsonb;
