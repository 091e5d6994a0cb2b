-- The metrics role: a token for a Prometheus scraper, allowed GET /metrics and nothing else.
alter table tokens drop constraint if exists tokens_role_check;
alter table tokens add constraint tokens_role_check
  check (role in ('admin', 'viewer', 'media', 'metrics'));
