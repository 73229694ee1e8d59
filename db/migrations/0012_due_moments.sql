-- Reminders and digests go out within seconds of their moment: each instance keeps a timer
-- armed for the earliest one (bot/lib/due-timer.ts). A change that can bring that moment
-- earlier, made anywhere, is announced so every timer looks again at once. A trigger
-- rather than a call in each query module: the tasks trigger of 0004 moves reminders too,
-- and a notification reaches the listeners only when its transaction commits (identical
-- ones in a transaction are folded into one).
create function announce_due_moment() returns trigger
language plpgsql as $$
begin
  -- tg_argv[0]: the channel, reminders_due or digests_due.
  perform pg_notify(tg_argv[0], '');
  return null;
end
$$;

-- Added, moved by a due date, snoozed, postponed by quiet hours. Settling one (its state)
-- brings nothing earlier.
create trigger reminders_announce_due
  after insert or update of remind_at on reminders
  for each statement execute function announce_due_moment('reminders_due');

-- Set or moved (the send date, last_sent_on, only moves a digest to its next day).
create trigger digests_announce_due
  after insert or update of at_minute, timezone on digests
  for each statement execute function announce_due_moment('digests_due');

-- The bot back in a group: its team's digest is due again.
create trigger teams_announce_digests_due
  after update of bot_removed_at on teams
  for each statement execute function announce_due_moment('digests_due');
