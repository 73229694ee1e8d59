import type { FakeTelegram, UploadedFile } from "./fake-telegram.ts";

/** Files the bot delivered (failed uploads excluded), in order. */
export function deliveredFiles(
  telegram: FakeTelegram,
): Array<{ chatId: unknown; file: UploadedFile }> {
  return telegram
    .callsOf("sendDocument")
    .filter((call) => call.response?.ok)
    .map((call) => ({ chatId: call.payload.chat_id, file: call.payload.document as UploadedFile }));
}

/** The latest data export the bot delivered, parsed. Throws when there is none. */
export function lastExport(telegram: FakeTelegram): Record<string, unknown> & {
  messages: Array<Record<string, unknown>>;
} {
  const upload = deliveredFiles(telegram).at(-1);
  if (!upload) throw new Error("no export was delivered");
  return JSON.parse(upload.file.text);
}

/** The export's sections, in the order the document promises (docs/privacy.md). */
export const EXPORT_SECTIONS = [
  "format_version",
  "exported_at",
  "user",
  "consents",
  "teams",
  "digest",
  "tasks_created",
  "tasks_assigned",
  "tasks_from_my_messages",
  "forms_in_progress",
  "confirmations",
  "messages",
  "audit",
];
