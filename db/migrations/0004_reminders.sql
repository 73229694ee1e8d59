-- Reminders: a task with a due time reminds its assignee (or creator) at that time.

-- Quiet hours in the user's timezone, as minutes after midnight; null: none.
alter table users add column quiet_start smallint check (quiet_start between 0 and 1439);
alter table users add column quiet_end smallint check (quiet_end between 0 and 1439);

create table reminders (
  id bigint generated always as identity primary key,
  task_id bigint not null references tasks (id) on delete cascade,
  -- Minutes before the due time: 0 is at the due time.
  offset_minutes integer not null check (offset_minutes >= 0),
  remind_at timestamptz not null,
  -- pending → sent, or dropped (too late: the service was down), or skipped (nobody to tell).
  state text not null default 'pending' check (state in ('pending', 'sent', 'dropped', 'skipped')),
  done_at timestamptz,
  unique (task_id, offset_minutes)
);
create index reminders_due_idx on reminders (remind_at, id) where state = 'pending';

-- Every way a task gets or changes its due time (the bot's forms, one-line commands, the
-- API) keeps its reminders in step, so none of them can forget to.
create function tasks_sync_reminders() returns trigger language plpgsql as $$
begin
  if new.due_at is null or not new.due_has_time then
    delete from reminders where task_id = new.id and state = 'pending';
    return null;
  end if;
  -- A due time that is new brings the reminder at that time; one removed on purpose stays
  -- removed while the due time merely moves.
  if tg_op = 'INSERT' or old.due_at is null or not old.due_has_time then
    insert into reminders (task_id, offset_minutes, remind_at)
    values (new.id, 0, new.due_at)
    on conflict (task_id, offset_minutes) do nothing;
  end if;
  if tg_op = 'UPDATE' and old.due_at is distinct from new.due_at then
    update reminders
    set remind_at = new.due_at - make_interval(mins => offset_minutes), state = 'pending',
        done_at = null
    where task_id = new.id;
  end if;
  return null;
end
$$;

create trigger tasks_sync_reminders
after insert or update of due_at, due_has_time on tasks
for each row execute function tasks_sync_reminders();
