import { describeRepeat } from "../../bot/tasks/recurring/describe.ts";
import type { RepeatRule } from "./api.ts";

/** The language of these strings, for the dates and weekday names Intl spells out. */
const LOCALE = "en";

/**
 * Every string of the first screen. The task form's and the privacy screen's are in
 * strings-screens.ts, loaded with those screens (the first screen's JS has a budget of
 * 20 kB): a translation is these two files.
 */
export const t = {
  locale: LOCALE,
  appName: "Task Tracker",
  openFromTelegram: "Open this app from Telegram",
  openFromTelegramHint:
    "It works inside Telegram, where it knows who you are. Open it from the bot:",
  tabs: { tasks: "Tasks", privacy: "Privacy" },
  filters: { assigned: "Assigned to me", created: "Created by me", team: "Team" },
  status: { open: "Open", done: "Done" },
  list: {
    label: "Tasks",
    empty: "No tasks yet — create one",
    emptyDone: "Nothing completed yet",
    create: "New task",
    refresh: "Refresh",
    loadingMore: "Loading more…",
    stale: "Your list from last time — updating…",
    unassigned: "Unassigned",
    me: "Me",
  },
  due: {
    today: "today",
    tomorrow: "tomorrow",
    yesterday: "yesterday",
    inDays: (n: number) => `in ${n} days`,
    daysAgo: (n: number) => `${n} days ago`,
    overdue: "overdue",
  },
  priority: { low: "Low", normal: "Normal", high: "High" },
  repeat: {
    mark: "Repeats",
    /** The bot's own wording, so a rule reads the same on the card and in the app. */
    describe: describeRepeat,
    /** The same words starting a sentence or an option: "Every Monday". */
    option: (rule: RepeatRule) => {
      const words = describeRepeat(rule);
      return words.charAt(0).toUpperCase() + words.slice(1);
    },
  },
  errors: {
    expired: "Session expired — reopen the app",
    tooMany: (s: number) => `Too many requests — try again in ${s} s`,
    offline: "You are offline. Changes will not be saved until you are back online.",
    generic: "Something went wrong. Please try again.",
    notFound: "This task no longer exists or is not yours to see.",
    dueTooOld: "That date is more than a year ago. Pick a later one.",
    retry: "Retry",
  },
  back: "Back",
  loading: "Loading",
};
