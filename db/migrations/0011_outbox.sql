-- The transactional outbox: one row per Bot API call to make, written in the transaction
-- of the change that causes it and delivered by the sender (bot/outbox/) once committed.
-- A row is deleted only after Telegram accepted the call, so nothing committed is lost.
create table outbox (
  id bigint generated always as identity primary key,
  -- Where the call goes: the sender keeps each chat's calls in id order.
  chat_id bigint not null,
  method text not null,
  -- The call's parameters without its text (chat_id included, as Telegram takes them).
  params jsonb not null,
  -- The text or caption, sealed with the vault (it holds personal data), bound to the chat.
  sealed_text bytea,
  -- What to store from Telegram's answer, e.g. {"groupCardOf": 12}: the sent message_id
  -- becomes task 12's group card. Applied in the transaction that deletes the row.
  write_back jsonb,
  created_at timestamptz not null
);

create index outbox_chat_order on outbox (chat_id, id);

-- Wakes every sender once per committing transaction that queued something (identical
-- notifications within a transaction are folded into one by PostgreSQL).
create function announce_outbox() returns trigger
language plpgsql as $$
begin
  perform pg_notify('outbox', '');
  return null;
end
$$;

create trigger outbox_announce
  after insert on outbox
  for each statement execute function announce_outbox();
