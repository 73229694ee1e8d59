import { describeRepeat } from "../../bot/tasks/recurring/describe.ts";
import type { RepeatRule } from "./api.ts";

/** The language of these strings, for the dates and weekday names Intl spells out. */
const LOCALE = "en";

// 1 January 2024 was a Monday, so day `iso` of that month is ISO weekday `iso`.
const weekdayName = (iso: number, width: "long" | "short") =>
  new Intl.DateTimeFormat(LOCALE, { weekday: width, timeZone: "UTC" }).format(
    Date.UTC(2024, 0, iso),
  );

function ordinal(day: number): string {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  return `${day}${({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[day % 10] ?? "th"}`;
}

/** Every string the app shows, in one place so a translation is one file. */
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
  form: {
    label: "Task",
    newLabel: "New task",
    title: "Title",
    description: "Description",
    assignee: "Assignee",
    nobody: "Nobody",
    me: "Me",
    due: "Due",
    priority: "Priority",
    team: "Team",
    privateTask: "Private (only me)",
    remind: "Remind",
    remindAtDue: "At due time",
    remindQuarter: "15 min before",
    remindHour: "1 h before",
    remindDay: "1 day before",
    remindNeedsTime: "This due date has no time of day: set one to get reminders.",
    repeat: "Repeat",
    repeatNever: "Never",
    repeatDay: "Every day",
    repeatWeekday: "Every weekday",
    repeatWeek: (weekday: number) => `Every week on ${weekdayName(weekday, "long")}`,
    repeatTwoWeeks: "Every 2 weeks",
    repeatMonth: (day: number) => `Every month on the ${ordinal(day)}`,
    fromDone: "Count from completion",
    skip: "Skip this date",
    skipped: (when: string) => `Moved to ${when}`,
    notRepeating: "This task is done or no longer repeats, so there is no date to skip.",
    source: "From the message",
    fromMessage: "From a message",
    pickMessage: "Pick a recent message",
    noMessages: "No stored messages in this team yet",
    titleRequired: "Give the task a title",
    titleTooLong: "The title is at most 200 characters",
    save: "Save",
    create: "Create",
    markDone: "Mark done",
    reopen: "Reopen",
    delete: "Delete task",
    saved: "Saved",
  },
  privacy: {
    title: "Your privacy",
    consent: "Record my group messages",
    consentHint:
      "Only while this is on, your messages in groups are stored, so your team can make tasks from them.",
    timeZone: (zone: string) => `Time zone: ${zone}`,
    useDeviceZone: (zone: string) => `Use this device's time zone (${zone})`,
    pickZone: "Choose a time zone",
    timeZoneHint: "The bot reads and shows due dates, reminders and quiet hours in it.",
    download: "Download my data",
    downloadSent: "The bot is sending you the file in our chat.",
    erase: "Delete my data",
    eraseConfirm:
      "This deletes your data for good. Team tasks stay with the team without your name, as the privacy notice says. Type DELETE to confirm.",
    eraseButton: "Delete everything",
    erased: "Your data is deleted.",
    notice: "Privacy notice",
    retention: "Message retention (admins)",
    globalDays: "Global period, days",
    saveRetention: "Save period",
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
