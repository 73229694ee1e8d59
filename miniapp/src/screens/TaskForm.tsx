import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { REMINDER_OFFSETS, type ReminderOffset, TITLE_MAX } from "../../../bot/tasks/limits.ts";
import {
  ApiError,
  type Member,
  type RepeatRule,
  type StoredMessage,
  type Task,
  type TaskInput,
} from "../api.ts";
import { useApp } from "../context.ts";
import { formatDue, fromLocalInput, toLocalInput } from "../due.ts";
import { humanError } from "../errors.ts";
import { t } from "../strings-screens.ts";
import { ErrorView, Skeleton } from "../ui/states.tsx";

interface Draft {
  title: string;
  description: string;
  teamId: number | null;
  assigneeId: number | null;
  due: string;
  priority: Task["priority"];
  reminders: ReminderOffset[];
  repeat: RepeatRule | null;
}

/** The rules the Repeat select offers; any other rule shows as itself. */
type RepeatOption = "never" | "day" | "weekday" | "week" | "twoWeeks" | "month";
const REPEAT_OPTIONS: readonly RepeatOption[] = [
  "never",
  "day",
  "weekday",
  "week",
  "twoWeeks",
  "month",
];
const KEPT = "kept";

/** The day the weekly and monthly options follow: the due date's, or today's without one. */
function anchorOf(due: string, today: Date): Date {
  const date = due ? new Date(due) : today;
  return Number.isNaN(date.getTime()) ? today : date;
}

const isoWeekday = (date: Date) => ((date.getDay() + 6) % 7) + 1;

function ruleOf(option: RepeatOption, anchor: Date, from: "due" | "done"): RepeatRule | null {
  switch (option) {
    case "never":
      return null;
    case "day":
      return { every: "days", days: 1, from };
    case "weekday":
      return { every: "weekday" };
    case "week":
      return { every: "week", weekdays: [isoWeekday(anchor)] };
    case "twoWeeks":
      return { every: "days", days: 14, from };
    case "month":
      return { every: "month", day: anchor.getDate() };
  }
}

const fromOf = (rule: RepeatRule | null) => (rule?.every === "days" ? rule.from : "due");

/** One spelling per rule, whatever order the API sends keys and weekdays in. */
function ruleKey(rule: RepeatRule | null): string {
  if (rule === null) return "never";
  switch (rule.every) {
    case "days":
      return `days:${rule.days}:${rule.from}`;
    case "weekday":
      return "weekday";
    case "week":
      return `week:${[...new Set(rule.weekdays)].sort((a, b) => a - b).join(",")}`;
    case "month":
      return `month:${rule.day}`;
  }
}

/** Which offered option the rule is, on this anchor day; null when none is. */
function optionOf(rule: RepeatRule | null, anchor: Date): RepeatOption | null {
  const key = ruleKey(rule);
  return (
    REPEAT_OPTIONS.find((option) => ruleKey(ruleOf(option, anchor, fromOf(rule))) === key) ?? null
  );
}

const byNumber = (a: number, b: number) => a - b;

/** One spelling per set of reminders, whatever order they were ticked or sent in. */
const remindersKey = (offsets: readonly number[]) => [...new Set(offsets)].sort(byNumber).join(",");

/** The set with `offset` ticked or unticked, sorted as the server stores it. */
function withReminder(
  offsets: readonly ReminderOffset[],
  offset: ReminderOffset,
  on: boolean,
): ReminderOffset[] {
  const others = offsets.filter((other) => other !== offset);
  return (on ? [...others, offset] : others).sort(byNumber);
}

/** A new private task is the creator's own; a new team task starts unassigned. */
function draftOf(task: Task | null, teamId: number | null, myId: number): Draft {
  return {
    title: task?.title ?? "",
    description: task?.description ?? "",
    teamId: task ? task.teamId : teamId,
    assigneeId: task ? task.assigneeId : teamId === null ? myId : null,
    due: toLocalInput(task?.dueAt ?? null),
    priority: task?.priority ?? "normal",
    // The server's default for a new task with a due time, shown so it can be unticked.
    reminders: task ? task.reminders : [0],
    repeat: task?.repeat ?? null,
  };
}

export function validate(draft: Draft): string | null {
  const title = draft.title.trim();
  if (title === "") return t.form.titleRequired;
  if ([...title].length > TITLE_MAX) return t.form.titleTooLong;
  return null;
}

/** What changed between the saved task and the draft, as the API's PATCH body. */
function changesOf(saved: Draft, draft: Draft): TaskInput {
  const changes: TaskInput = {};
  if (draft.title.trim() !== saved.title) changes.title = draft.title.trim();
  if (draft.description !== saved.description) changes.description = draft.description || null;
  if (draft.teamId !== saved.teamId) changes.teamId = draft.teamId;
  if (draft.assigneeId !== saved.assigneeId) changes.assigneeId = draft.assigneeId;
  if (draft.due !== saved.due) changes.dueAt = fromLocalInput(draft.due);
  if (draft.priority !== saved.priority) changes.priority = draft.priority;
  // Without a due date the toggles are hidden, and the server refuses reminders anyway.
  if (draft.due !== "" && remindersKey(draft.reminders) !== remindersKey(saved.reminders)) {
    changes.reminders = draft.reminders;
  }
  if (ruleKey(draft.repeat) !== ruleKey(saved.repeat)) changes.repeat = draft.repeat;
  return changes;
}

/** A task, editable in place; without `id`, the form for a new one. */
export function TaskForm({ id, teamId }: { id: number | null; teamId: number | null }) {
  const { api, platform, me, back, now } = useApp();
  const [task, setTask] = useState<Task | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saved, setSaved] = useState<Draft>(draftOf(null, teamId, me.user.id));
  const [draft, setDraft] = useState<Draft>(draftOf(null, teamId, me.user.id));
  const [members, setMembers] = useState<Member[]>([]);
  const [messages, setMessages] = useState<StoredMessage[] | null>(null);
  // The message picked under "From a message", in the team it was picked in.
  const [picked, setPicked] = useState<{
    chatId: number;
    messageId: number;
    teamId: number;
  } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  // A weekly or monthly rule picked here follows the due date; a saved one stays as it is.
  const [repeatPicked, setRepeatPicked] = useState(false);
  const [skippedTo, setSkippedTo] = useState<string | null>(null);

  const myId = me.user.id;
  const load = useCallback(async () => {
    if (id === null) return;
    setLoadError(null);
    try {
      const loaded = await api.task(id);
      setTask(loaded);
      setSaved(draftOf(loaded, null, myId));
      setDraft(draftOf(loaded, null, myId));
      setRepeatPicked(false);
    } catch (failure) {
      setLoadError(humanError(failure));
    }
  }, [api, id, myId]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (draft.teamId === null) {
      setMembers([]);
      return;
    }
    api
      .members(draft.teamId)
      .then((result) => setMembers(result.members))
      .catch(() => setMembers([]));
  }, [api, draft.teamId]);

  const changes = useMemo(() => changesOf(saved, draft), [saved, draft]);
  const dirty = id === null ? draft.title.trim() !== "" : Object.keys(changes).length > 0;
  const invalid = validate(draft);

  useEffect(() => {
    platform.confirmClosing(dirty);
    return () => platform.confirmClosing(false);
  }, [platform, dirty]);

  const fail = useCallback(
    (failure: unknown) => {
      setError(humanError(failure));
      platform.haptic("error");
    },
    [platform],
  );

  const submit = useCallback(async () => {
    setTouched(true);
    if (invalid && (id === null || dirty)) {
      platform.haptic("error");
      return;
    }
    setBusy(true);
    platform.mainButton.setLoading(true);
    setError(null);
    try {
      if (id === null) {
        await api.createTask({
          title: draft.title.trim(),
          description: draft.description || null,
          teamId: draft.teamId,
          assigneeId: draft.assigneeId,
          dueAt: fromLocalInput(draft.due),
          priority: draft.priority,
          ...(draft.due ? { reminders: draft.reminders } : {}),
          ...(draft.repeat ? { repeat: draft.repeat } : {}),
          // The server keeps the message's author with the task (see the privacy notice).
          ...(picked && picked.teamId === draft.teamId
            ? { sourceMessage: { chatId: picked.chatId, messageId: picked.messageId } }
            : {}),
        });
        platform.haptic("success");
        back();
        return;
      }
      const updated = dirty
        ? await api.updateTask(id, changes)
        : await api.updateTask(id, { status: task?.status === "open" ? "done" : "open" });
      setTask(updated);
      setSaved(draftOf(updated, null, me.user.id));
      setDraft(draftOf(updated, null, me.user.id));
      setRepeatPicked(false);
      platform.haptic("success");
    } catch (failure) {
      fail(failure);
    } finally {
      setBusy(false);
      platform.mainButton.setLoading(false);
    }
  }, [api, platform, id, draft, dirty, changes, task, invalid, back, fail, picked]);

  // The native button calls whatever submit is current: its handler is not replaced on
  // every keystroke, so a press right after a change saves that change.
  const submitNow = useRef(submit);
  submitNow.current = submit;
  useEffect(() => {
    if (id !== null && !task) return platform.mainButton.hide();
    const text =
      id === null
        ? t.form.create
        : dirty
          ? t.form.save
          : task?.status === "open"
            ? t.form.markDone
            : t.form.reopen;
    platform.mainButton.show(text, () => void submitNow.current());
    return () => platform.mainButton.hide();
  }, [platform, id, task, dirty]);

  const remove = async () => {
    if (id === null) return;
    try {
      await api.deleteTask(id);
      platform.haptic("success");
      back();
    } catch (failure) {
      fail(failure);
    }
  };

  const skip = async () => {
    if (id === null) return;
    setBusy(true);
    setError(null);
    setSkippedTo(null);
    try {
      const moved = await api.skipOccurrence(id);
      const next = draftOf(moved, null, myId);
      setTask(moved);
      setSaved(next);
      // Edits not saved yet stay; only the date is the server's.
      setDraft((current) => ({ ...current, due: next.due }));
      setSkippedTo(moved.dueAt);
      platform.haptic("success");
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === "not_repeating") {
        setError(t.form.notRepeating);
        platform.haptic("error");
      } else {
        fail(failure);
      }
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <ErrorView message={loadError} onRetry={() => void load()} />;
  if (id !== null && !task) return <Skeleton rows={4} />;

  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));
  const mayDelete = task !== null && (task.creatorId === me.user.id || me.isAdmin);
  const anchor = anchorOf(draft.due, now());
  const repeatOption = optionOf(draft.repeat, anchor);
  // A rule none of the options is (set in the chat, say) stays on offer as it is.
  const kept =
    repeatOption === null
      ? draft.repeat
      : saved.repeat !== null && optionOf(saved.repeat, anchor) === null
        ? saved.repeat
        : null;
  const optionLabel: Record<RepeatOption, string> = {
    never: t.form.repeatNever,
    day: t.form.repeatDay,
    weekday: t.form.repeatWeekday,
    week: t.form.repeatWeek(isoWeekday(anchor)),
    twoWeeks: t.form.repeatTwoWeeks,
    month: t.form.repeatMonth(anchor.getDate()),
  };
  const setDue = (due: string) => {
    const follows = repeatPicked && (repeatOption === "week" || repeatOption === "month");
    // A task's first due time brings the reminder at that time, as the server gives it.
    const firstDue = saved.due === "" && draft.due === "" && due !== "";
    set({
      due,
      ...(firstDue && draft.reminders.length === 0 ? { reminders: [0] } : {}),
      ...(follows && repeatOption
        ? { repeat: ruleOf(repeatOption, anchorOf(due, now()), "due") }
        : {}),
    });
  };
  const pickRepeat = (value: string) => {
    platform.haptic("selection");
    setRepeatPicked(true);
    const option = REPEAT_OPTIONS.find((offered) => offered === value);
    set({ repeat: option ? ruleOf(option, anchor, fromOf(draft.repeat)) : kept });
  };
  const reminderLabel: Record<ReminderOffset, string> = {
    0: t.form.remindAtDue,
    15: t.form.remindQuarter,
    60: t.form.remindHour,
    1440: t.form.remindDay,
  };
  const pickReminder = (offset: ReminderOffset, on: boolean) => {
    platform.haptic("selection");
    set({ reminders: withReminder(draft.reminders, offset, on) });
  };
  // A whole-day due from the chat has no time until the form gives it one.
  const remindable = task === null || task.dueHasTime || draft.due !== saved.due;
  const repeatingNow = task !== null && task.status === "open" && task.repeat !== null;

  return (
    <form
      class="screen form"
      aria-label={id === null ? t.form.newLabel : t.form.label}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {id === null && draft.teamId !== null && (
        <div class="field">
          <button
            type="button"
            class="link-button"
            onClick={() =>
              api
                .messages(draft.teamId ?? 0)
                .then((result) => setMessages(result.messages))
                .catch(fail)
            }
          >
            {t.form.fromMessage}
          </button>
          {messages && messages.length === 0 && <p class="hint">{t.form.noMessages}</p>}
          {messages && messages.length > 0 && (
            <ul class="list" aria-label={t.form.pickMessage}>
              {messages.map((message) => (
                <li key={`${message.chatId}:${message.messageId}`}>
                  <button
                    type="button"
                    class="row"
                    onClick={() => {
                      const [first = "", ...rest] = message.text.split("\n");
                      set({
                        title: first.slice(0, TITLE_MAX),
                        description: rest.join("\n") || message.text,
                      });
                      if (draft.teamId !== null) {
                        setPicked({
                          chatId: message.chatId,
                          messageId: message.messageId,
                          teamId: draft.teamId,
                        });
                      }
                      setMessages(null);
                    }}
                  >
                    {message.text}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <label class="field">
        <span>{t.form.title}</span>
        <input
          value={draft.title}
          maxLength={TITLE_MAX + 50}
          required
          aria-invalid={touched && invalid !== null}
          onInput={(event) => set({ title: event.currentTarget.value })}
        />
      </label>
      {touched && invalid && (
        <p class="field-error" role="alert">
          {invalid}
        </p>
      )}
      <label class="field">
        <span>{t.form.description}</span>
        <textarea
          value={draft.description}
          rows={4}
          onInput={(event) => set({ description: event.currentTarget.value })}
        />
      </label>
      {id === null && (
        <label class="field">
          <span>{t.form.team}</span>
          <select
            value={draft.teamId === null ? "" : String(draft.teamId)}
            onChange={(event) => {
              const value = event.currentTarget.value;
              const team = value === "" ? null : Number(value);
              set({ teamId: team, assigneeId: team === null ? me.user.id : null });
            }}
          >
            <option value="">{t.form.privateTask}</option>
            {me.teams.map((team) => (
              <option key={team.id} value={String(team.id)}>
                {team.title}
              </option>
            ))}
          </select>
        </label>
      )}
      <label class="field">
        <span>{t.form.assignee}</span>
        <select
          value={draft.assigneeId === null ? "" : String(draft.assigneeId)}
          onChange={(event) => {
            platform.haptic("selection");
            const value = event.currentTarget.value;
            set({ assigneeId: value === "" ? null : Number(value) });
          }}
        >
          <option value="">{t.form.nobody}</option>
          {draft.teamId === null ? (
            <option value={String(me.user.id)}>{t.form.me}</option>
          ) : (
            members.map((member) => (
              <option key={member.id} value={String(member.id)}>
                {member.id === me.user.id ? t.form.me : member.firstName}
              </option>
            ))
          )}
        </select>
      </label>
      <label class="field">
        <span>{t.form.due}</span>
        <input
          type="datetime-local"
          value={draft.due}
          onInput={(event) => setDue(event.currentTarget.value)}
        />
      </label>
      {draft.due !== "" && !remindable && <p class="hint">{t.form.remindNeedsTime}</p>}
      {draft.due !== "" && remindable && (
        <fieldset class="field">
          <legend>{t.form.remind}</legend>
          <div class="chips">
            {REMINDER_OFFSETS.map((offset) => {
              const on = draft.reminders.includes(offset);
              return (
                <label key={offset} class={on ? "chip on" : "chip"}>
                  <input
                    type="checkbox"
                    checked={on}
                    onChange={(event) => pickReminder(offset, event.currentTarget.checked)}
                  />
                  {reminderLabel[offset]}
                </label>
              );
            })}
          </div>
        </fieldset>
      )}
      <label class="field">
        <span>{t.form.repeat}</span>
        <select
          value={repeatOption ?? KEPT}
          onChange={(event) => pickRepeat(event.currentTarget.value)}
        >
          {REPEAT_OPTIONS.map((option) => (
            <option key={option} value={option}>
              {optionLabel[option]}
            </option>
          ))}
          {kept && <option value={KEPT}>{t.repeat.option(kept)}</option>}
        </select>
      </label>
      {draft.repeat?.every === "days" &&
        (repeatOption === "day" || repeatOption === "twoWeeks") && (
          <label class="toggle">
            <input
              type="checkbox"
              checked={draft.repeat.from === "done"}
              onChange={(event) => {
                platform.haptic("selection");
                setRepeatPicked(true);
                const from = event.currentTarget.checked ? "done" : "due";
                set({ repeat: ruleOf(repeatOption, anchor, from) });
              }}
            />
            {t.form.fromDone}
          </label>
        )}
      {repeatingNow && (
        <div class="field">
          <button
            type="button"
            class="button secondary"
            disabled={busy}
            onClick={() => void skip()}
          >
            {t.form.skip}
          </button>
          {skippedTo && (
            <p class="hint" role="status">
              {t.form.skipped(formatDue(skippedTo))}
            </p>
          )}
        </div>
      )}
      <label class="field">
        <span>{t.form.priority}</span>
        <select
          value={draft.priority}
          onChange={(event) => set({ priority: event.currentTarget.value as Task["priority"] })}
        >
          {(["low", "normal", "high"] as const).map((level) => (
            <option key={level} value={level}>
              {t.priority[level]}
            </option>
          ))}
        </select>
      </label>
      {task?.sourceMessage && (
        <figure class="field">
          <figcaption>{t.form.source}</figcaption>
          <blockquote>{task.sourceMessage.text}</blockquote>
        </figure>
      )}
      {error && <ErrorView message={error} />}
      {mayDelete && (
        <button
          type="button"
          class="button destructive"
          disabled={busy}
          onClick={() => void remove()}
        >
          {t.form.delete}
        </button>
      )}
    </form>
  );
}
