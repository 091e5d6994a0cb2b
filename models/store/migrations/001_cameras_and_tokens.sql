-- Cameras: the source URL is stored WITHOUT its password; the password is AES-GCM encrypted with
-- the key in the data dir (models/secret_box.ts) so a database dump alone does not leak it.
create table cameras (
  id uuid primary key,
  name text not null unique,
  source_url text not null,
  username text,
  password_encrypted text,
  transport text not null default 'tcp' check (transport in ('tcp', 'udp')),
  -- What the operator asked for (capturing, analytics settings, recording settings), restored
  -- after a restart of the server.
  desired jsonb not null default '{}'::jsonb,
  onvif jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- API tokens: `vgl_<id>_<secret>`; only a SHA-256 of the secret is kept.
create table tokens (
  id text primary key,
  name text not null,
  role text not null check (role in ('admin', 'viewer', 'media')),
  secret_sha256 text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
