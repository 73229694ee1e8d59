-- Recurring tasks: every occurrence is a task of its own, so a completed one stays in the
-- history as it was; completing an occurrence creates the next.

-- The rule (its shape is db/repeat.ts); null: the task does not repeat.
alter table tasks add column repeat jsonb check (repeat is null or jsonb_typeof(repeat) = 'object');
-- The timezone the rule's days and times of day are meant in: its author's, when set.
alter table tasks add column repeat_zone text;
-- The first occurrence of the series, on every later occurrence and on the first itself.
alter table tasks add column series_id bigint references tasks (id) on delete set null;
-- The occurrence completing this one created: completing it again creates no second one.
alter table tasks add column next_id bigint references tasks (id) on delete set null;
-- The team chat's message showing this task, edited when it changes from somewhere else.
alter table tasks add column card_message_id bigint;

-- A rule counts from a due date, and its days are meant somewhere.
alter table tasks add constraint tasks_repeat_has_due
  check (repeat is null or (due_at is not null and repeat_zone is not null));

create index tasks_series_idx on tasks (series_id, id) where series_id is not null;
