/**
 * Telegram's side of the Mini Apps bridge, for the app in the sandbox's frame. The SDK in
 * the frame talks to its parent as to Telegram's web client: window.parent.postMessage(
 * JSON {eventType, eventData}, "https://web.telegram.org"). That origin is not ours, so the
 * browser would drop every call; the frame is same-origin, though, so its window.parent is
 * this very window object, and the sandbox takes the calls by standing in for its own
 * postMessage while the app is open. Answers go back as Telegram sends them: a message
 * from the parent window, which is the one source the SDK listens to.
 */

export interface MiniAppCall {
  method: string;
  params: Record<string, unknown> | null;
}

/** The MainButton as the app last set it up. */
export interface MainButtonState {
  text: string;
  visible: boolean;
  active: boolean;
  progress: boolean;
}

/** A Mini Apps method call, or null for any other message. */
export function parseCall(message: unknown): MiniAppCall | null {
  if (typeof message !== "string") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object") return null;
  const { eventType, eventData } = parsed as { eventType?: unknown; eventData?: unknown };
  if (typeof eventType !== "string" || !eventType.startsWith("web_app_")) {
    // iframe_ready and iframe_will_reload are the bridge's other two methods.
    if (eventType !== "iframe_ready" && eventType !== "iframe_will_reload") return null;
  }
  const params =
    eventData && typeof eventData === "object" ? (eventData as Record<string, unknown>) : null;
  return { method: eventType as string, params };
}

/** The MainButton after a web_app_setup_main_button call. */
export function mainButtonFrom(params: Record<string, unknown> | null): MainButtonState | null {
  if (!params || typeof params.text !== "string" || params.text === "") return null;
  return {
    text: params.text,
    visible: params.is_visible === true,
    active: params.is_active !== false,
    progress: params.is_progress_visible === true,
  };
}

/** Takes the frame's calls until the returned function is called. */
export function takeMiniAppCalls(win: Window, onCall: (call: MiniAppCall) => void): () => void {
  const original = win.postMessage;
  const standIn = (message: unknown, ...rest: unknown[]) => {
    const call = parseCall(message);
    if (call) {
      onCall(call);
      return;
    }
    (original as (...args: unknown[]) => void).call(win, message, ...rest);
  };
  win.postMessage = standIn as Window["postMessage"];
  return () => {
    if (win.postMessage === (standIn as Window["postMessage"])) win.postMessage = original;
  };
}

/** Sends an event to the app in the frame, as Telegram does. */
export function sendToMiniApp(
  frame: HTMLIFrameElement | null,
  eventType: string,
  eventData?: unknown,
): void {
  frame?.contentWindow?.postMessage(
    JSON.stringify(eventData === undefined ? { eventType } : { eventType, eventData }),
    window.location.origin,
  );
}
