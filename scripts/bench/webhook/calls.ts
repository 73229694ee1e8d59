import type { FakeTelegram } from "#test/helpers/fake-telegram";

/** Method → answered ok / failed, and button answers by kind. */
export interface Calls {
  methods: Map<string, { ok: number; failed: number }>;
  answers: Map<string, number>;
}

export interface CallTally {
  /** Counts since the last reset. */
  read(): Calls;
  reset(): void;
  stop(): void;
}

/** Counts the fake's calls and forgets them every second, so its call log stays small. */
export function tallyCalls(fake: FakeTelegram): CallTally {
  let methods = new Map<string, { ok: number; failed: number }>();
  let answers = new Map<string, number>();
  const drain = () => {
    for (const call of fake.calls) {
      if (call.response === undefined) continue;
      const counts = methods.get(call.method) ?? { ok: 0, failed: 0 };
      if (call.response.ok) counts.ok++;
      else counts.failed++;
      methods.set(call.method, counts);
      if (call.method === "answerCallbackQuery") {
        const kind = answerKind(call.payload);
        answers.set(kind, (answers.get(kind) ?? 0) + 1);
      }
    }
    // The cards stay: the buttons the traffic presses are on them.
    fake.forgetCalls();
  };
  const timer = setInterval(drain, 1000);
  return {
    read: () => {
      drain();
      return { methods, answers };
    },
    reset: () => {
      drain();
      methods = new Map();
      answers = new Map();
    },
    stop: () => clearInterval(timer),
  };
}

function answerKind(payload: Record<string, unknown>): string {
  const text = typeof payload.text === "string" ? payload.text : "";
  if (/^#\d+ (done|reopened)$/.test(text)) return "changed";
  if (/^#\d+ was already /.test(text)) return "already";
  if (text === "") return "no text";
  return payload.show_alert === true ? `error alert: ${text}` : `other: ${text}`;
}
