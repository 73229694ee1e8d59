-- When the bot was removed from the group (my_chat_member: left or kicked); null while it
-- is in it. Jobs skip such a group instead of calling Telegram for it every day; the
-- group's tasks, members and settings stay, so adding the bot back resumes all of it.
alter table teams add column bot_removed_at timestamptz;
