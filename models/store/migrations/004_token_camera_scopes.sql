-- A token may be limited to some cameras (null: every camera). Admins see everything: an admin
-- limited to cameras could still create an unlimited token, so the limit would be a pretence.
alter table tokens add column cameras uuid[];
alter table tokens add constraint tokens_cameras_scope
  check (cameras is null or (role <> 'admin' and cardinality(cameras) > 0));
