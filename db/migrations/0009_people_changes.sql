-- Every instance keeps per-process caches of facts about people (standing, memberships).
-- Any committed change to a person is announced on the channel people_changed, payload
-- the person's id, so each instance forgets that person. A trigger rather than a call in
-- each query module: no writer (a new query, a script, psql) can forget to announce, and
-- a notification is delivered only if its transaction commits.
create function announce_person_changed() returns trigger
language plpgsql as $$
begin
  -- tg_argv[0]: the column holding the person's id in this table.
  perform pg_notify('people_changed', to_jsonb(old) ->> tg_argv[0]);
  return null;
end
$$;

create trigger users_announce_change
  after update or delete on users
  for each row execute function announce_person_changed('id');

create trigger team_members_announce_change
  after update or delete on team_members
  for each row execute function announce_person_changed('user_id');
