-- Privacy: personal fields sealed at rest (db/vault.ts), consent records, stored group
-- messages, an audit trail and one-time confirmations.

-- Names and usernames become sealed values. Plain values cannot be sealed in SQL, so they
-- are dropped; each user's profile is written again, sealed, on their next update.
drop index users_username_idx;
alter table users
  drop column first_name,
  drop column last_name,
  drop column username,
  add column first_name bytea,
  add column last_name bytea,
  add column username bytea,
  -- keyed hash of the lower-cased username: finds @username without decrypting every row
  add column username_hash bytea,
  -- keyed hash of the whole profile: an unchanged profile is not rewritten
  add column profile_hash bytea,
  -- the policy version of the user's standing consent; null: withdrawn or never given
  add column consent_version int,
  -- the latest policy version the user was asked about, so a new version asks only once
  add column consent_prompted_version int,
  -- the latest export, for the one-export-per-10-minutes limit
  add column exported_at timestamptz;
create index users_username_hash_idx on users (username_hash) where username_hash is not null;

-- Set when the creator or assignee erased their data: the task then names a "deleted
-- user" rather than nobody.
alter table tasks
  add column creator_erased boolean not null default false,
  add column assignee_erased boolean not null default false;

-- Every consent change is a new row; the latest one counts (users.consent_version mirrors it).
create table consents (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id) on delete cascade,
  granted boolean not null,
  policy_version int not null,
  source text not null check (source in ('bot', 'miniapp')),
  created_at timestamptz not null
);
create index consents_user_idx on consents (user_id, id desc);

-- Group messages of consenting members. chat_id and message_id are the row's sealed
-- identity and never change; team_id follows the team when a group becomes a supergroup.
create table messages (
  id bigint generated always as identity primary key,
  chat_id bigint not null,
  message_id bigint not null,
  team_id bigint not null references teams (id) on delete cascade,
  author_id bigint not null references users (id) on delete cascade,
  text bytea not null,
  date timestamptz not null,
  reply_to_message_id bigint,
  edited_at timestamptz,
  unique (chat_id, message_id)
);
create index messages_author_idx on messages (author_id, id);
create index messages_team_date_idx on messages (team_id, date desc, id desc);
create index messages_date_idx on messages (date);

-- What happened, without personal data: actor and target are keyed hashes or team ids.
create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  action text not null,
  actor text,
  target text,
  counts jsonb not null default '{}'
);
create index audit_log_actor_idx on audit_log (actor, id desc) where actor is not null;
create index audit_log_target_idx on audit_log (target, id desc) where target is not null;

-- A button that confirms a destructive action: one user, one use, a deadline.
create table confirmations (
  token text primary key,
  user_id bigint not null,
  action text not null,
  payload jsonb not null default '{}',
  expires_at timestamptz not null
);
create index confirmations_user_idx on confirmations (user_id);
create index confirmations_expires_idx on confirmations (expires_at);

-- Form state carries names and answers: it is sealed too. Forms in progress are let go.
truncate conversations;
alter table conversations drop column state, add column state bytea not null;
