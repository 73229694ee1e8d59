-- Telegram ids (users and chats) need 64 bits; db/client.ts maps int8 to JS numbers,
-- which is exact for every id Telegram issues (they stay below 2^53).

create table users (
  id bigint primary key,
  first_name text not null default '',
  last_name text,
  username text,
  language_code text,
  timezone text not null default 'UTC',
  -- set once the user has talked to the bot in private: only then may we message them
  started_at timestamptz,
  -- set on a 403 "blocked by the user"; cleared when they write to the bot again
  blocked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index users_username_idx on users (lower(username)) where username is not null;

create table teams (
  id bigint primary key,
  title text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table team_members (
  team_id bigint not null references teams (id) on delete cascade on update cascade,
  user_id bigint not null references users (id) on delete cascade,
  joined_at timestamptz not null default now(),
  primary key (team_id, user_id)
);
create index team_members_user_idx on team_members (user_id);

create table tasks (
  id bigint generated always as identity primary key,
  -- null: a private task, visible only to its creator and assignee
  team_id bigint references teams (id) on delete cascade on update cascade,
  title text not null check (char_length(title) between 1 and 200),
  description text check (char_length(description) <= 4000),
  status text not null default 'open' check (status in ('open', 'done')),
  priority text not null default 'normal' check (priority in ('low', 'normal', 'high')),
  creator_id bigint references users (id) on delete set null,
  assignee_id bigint references users (id) on delete set null,
  due_at timestamptz,
  -- false: due on a day ("friday"), shown and compared as a whole day in the viewer's zone
  due_has_time boolean not null default false,
  done_at timestamptz,
  source_chat_id bigint,
  source_message_id bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((status = 'done') = (done_at is not null))
);
create index tasks_team_status_idx on tasks (team_id, status, id desc) where team_id is not null;
create index tasks_team_done_idx on tasks (team_id, done_at desc) where status = 'done';
create index tasks_assignee_status_idx on tasks (assignee_id, status, id desc);
create index tasks_creator_status_idx on tasks (creator_id, status, id desc);

-- Telegram may deliver an update twice; each id is processed at most once.
create table processed_updates (
  update_id bigint primary key,
  processed_at timestamptz not null default now()
);
create index processed_updates_at_idx on processed_updates (processed_at);

-- @grammyjs/conversations state, one per member per chat so group members run their own.
create table conversations (
  chat_id bigint not null,
  user_id bigint not null,
  state jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (chat_id, user_id)
);
create index conversations_updated_idx on conversations (updated_at);
