-- Every instance keeps the task lists it answered in memory (bot/lib/list-cache.ts), so a
-- list that did not change costs the API no statement. Any committed change to what a list
-- shows is announced on the channel lists_changed, payload the keys of the lists it touches
-- (comma-separated): a team's id (negative, a Telegram group id) for the team's list and a
-- person's id (positive) for the lists of their own tasks; '*' for a change that may touch
-- any list. Triggers, as for people_changed (0009): no writer can forget to announce, and a
-- notification is delivered only if its transaction commits. Statement-level, so a purge or
-- an erasure of many rows sends one notification per statement, not one per row.

create function announce_lists(keys bigint[]) returns void
language sql as $$
  -- A notification's payload is at most 8000 bytes: past 400 keys, every list.
  select pg_notify('lists_changed',
    case when count(*) > 400 then '*' else string_agg(k::text, ',') end)
  from (select distinct k from unnest(keys) k where k is not null) d
  having count(*) > 0
$$;

-- A task shows in its team's list and in the lists of its creator and its assignee.
create function announce_task_lists() returns trigger
language plpgsql as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    perform announce_lists(array(
      select unnest(array[team_id, creator_id, assignee_id]) from new_rows));
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    perform announce_lists(array(
      select unnest(array[team_id, creator_id, assignee_id]) from old_rows));
  end if;
  return null;
end
$$;

create trigger tasks_announce_lists_insert after insert on tasks
  referencing new table as new_rows
  for each statement execute function announce_task_lists();
create trigger tasks_announce_lists_update after update on tasks
  referencing old table as old_rows new table as new_rows
  for each statement execute function announce_task_lists();
create trigger tasks_announce_lists_delete after delete on tasks
  referencing old table as old_rows
  for each statement execute function announce_task_lists();

-- A task's reminders are part of it in the list.
create function announce_reminder_lists() returns trigger
language plpgsql as $$
begin
  perform announce_lists(array(
    select unnest(array[t.team_id, t.creator_id, t.assignee_id])
    from tasks t
    where t.id in (
      select task_id from changed_rows
    )));
  return null;
end
$$;

create trigger reminders_announce_lists_insert after insert on reminders
  referencing new table as changed_rows
  for each statement execute function announce_reminder_lists();
-- A reminder's delivery changes only its state, which no list shows.
create function announce_moved_reminder_lists() returns trigger
language plpgsql as $$
begin
  perform announce_lists(array(
    select unnest(array[t.team_id, t.creator_id, t.assignee_id])
    from tasks t
    where t.id in (
      select unnest(array[n.task_id, o.task_id])
      from new_rows n join old_rows o on o.id = n.id
      where (n.task_id, n.offset_minutes) is distinct from (o.task_id, o.offset_minutes)
    )));
  return null;
end
$$;

create trigger reminders_announce_lists_update after update on reminders
  referencing old table as old_rows new table as new_rows
  for each statement execute function announce_moved_reminder_lists();
create trigger reminders_announce_lists_delete after delete on reminders
  referencing old table as changed_rows
  for each statement execute function announce_reminder_lists();

-- A stored message shows in the lists of the tasks made from it (their source message).
create index tasks_source_message_idx on tasks (source_chat_id, source_message_id)
  where source_message_id is not null;

create function announce_message_lists() returns trigger
language plpgsql as $$
begin
  perform announce_lists(array(
    select unnest(array[t.team_id, t.creator_id, t.assignee_id])
    from changed_rows m
    join tasks t on t.source_chat_id = m.chat_id and t.source_message_id = m.message_id
      and t.source_message_id is not null));
  return null;
end
$$;

create trigger messages_announce_lists_insert after insert on messages
  referencing new table as changed_rows
  for each statement execute function announce_message_lists();
create trigger messages_announce_lists_update after update on messages
  referencing new table as changed_rows
  for each statement execute function announce_message_lists();
create trigger messages_announce_lists_delete after delete on messages
  referencing old table as changed_rows
  for each statement execute function announce_message_lists();

-- Who belongs to a team decides who sees its list and the team tasks in their own.
create function announce_member_lists() returns trigger
language plpgsql as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    perform announce_lists(array(select unnest(array[team_id, user_id]) from new_rows));
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    perform announce_lists(array(select unnest(array[team_id, user_id]) from old_rows));
  end if;
  return null;
end
$$;

create trigger team_members_announce_lists_insert after insert on team_members
  referencing new table as new_rows
  for each statement execute function announce_member_lists();
create trigger team_members_announce_lists_update after update on team_members
  referencing old table as old_rows new table as new_rows
  for each statement execute function announce_member_lists();
create trigger team_members_announce_lists_delete after delete on team_members
  referencing old table as old_rows
  for each statement execute function announce_member_lists();

-- A team's retention period decides which source messages its lists show.
create function announce_team_lists() returns trigger
language plpgsql as $$
begin
  perform announce_lists(array[old.id, new.id]);
  return null;
end
$$;

create trigger teams_announce_lists after update on teams
  for each row when (old is distinct from new)
  execute function announce_team_lists();

-- Rare changes that may touch any list: a person's consent (whether their messages show as
-- sources, in every team) and the global retention period.
create function announce_every_list() returns trigger
language plpgsql as $$
begin
  perform pg_notify('lists_changed', '*');
  return null;
end
$$;

create trigger users_announce_lists after update of consent_version on users
  for each row when (old.consent_version is distinct from new.consent_version)
  execute function announce_every_list();
create trigger settings_announce_lists_set after insert or update on settings
  for each row when (new.name = 'retention.days')
  execute function announce_every_list();
create trigger settings_announce_lists_unset after delete on settings
  for each row when (old.name = 'retention.days')
  execute function announce_every_list();
