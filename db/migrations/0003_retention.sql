-- Retention: admins bound how long stored group messages live (db/retention.ts).

-- Service-wide settings an admin changes at run time. A missing row means the value from
-- the environment (RETENTION_DAYS), so the environment stays the default until someone
-- decides otherwise.
create table settings (
  name text primary key,
  value jsonb not null,
  updated_at timestamptz not null
);

-- A team's own period; null follows the global one.
alter table teams add column retention_days integer check (retention_days > 0);
create index teams_retention_idx on teams (id) where retention_days is not null;

-- When the message a task was made from was sent: the link expires with the message.
alter table tasks add column source_date timestamptz;
update tasks t
set source_date = coalesce(
  (select m.date from messages m
   where m.chat_id = t.source_chat_id and m.message_id = t.source_message_id),
  t.created_at)
where t.source_message_id is not null;
create index tasks_source_date_idx on tasks (source_date) where source_message_id is not null;

create index audit_log_at_idx on audit_log (at);

-- The purge walks messages by date and checks each one's team: with the team in the index,
-- finding a batch's boundary reads no table pages.
drop index messages_date_idx;
create index messages_date_idx on messages (date) include (team_id);
