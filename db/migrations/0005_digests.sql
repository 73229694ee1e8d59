-- Daily digests: a team's in its group chat, or a person's own in private chat.
create table digests (
  chat_id bigint not null,
  kind text not null check (kind in ('team', 'personal')),
  -- Minutes after midnight in `timezone`.
  at_minute smallint not null check (at_minute between 0 and 1439),
  timezone text not null,
  -- Mention people (they get notified) rather than only naming them.
  mention boolean not null default false,
  -- The local date of the last digest sent: one a day, and a restart sends none twice.
  last_sent_on date,
  primary key (chat_id, kind)
);
