import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  type MainButtonState,
  type MiniAppCall,
  mainButtonFrom,
  sendToMiniApp,
  takeMiniAppCalls,
} from "./bridge.ts";
import { Composer } from "./Composer.tsx";
import { applyEvent, type OpenEvents, parseEvent, type SandboxClient } from "./client.ts";
import {
  type Chat,
  EVENT_KINDS,
  type SandboxEvent,
  type SandboxMessage,
  type SandboxState,
} from "./contract.ts";
import { appLinkStart, miniAppSrc, PALETTES, type ThemeName } from "./launch.ts";
import { Message, type MessageActions } from "./Message.tsx";
import { safeHref } from "./telegram-html.ts";

export interface SandboxProps {
  client: SandboxClient;
  openEvents: OpenEvents;
  initialTheme: ThemeName;
  /** Applies the theme to the page around the component (the document's data-theme). */
  applyTheme?: (theme: ThemeName) => void;
}

/** The chats a person sees: the group, and their own private chat with the bot. */
export function visibleChats(state: SandboxState, personId: number): Chat[] {
  return state.chats.filter((chat) => chat.type === "supergroup" || chat.id === personId);
}

interface OpenedApp {
  src: string;
  /** A new frame per opening, so opening again starts the app again. */
  key: number;
}

/**
 * The sandbox: a Telegram-like window over the emulated Bot API. Everything it shows comes
 * from /sandbox/api; messages change live through its server-sent events.
 */
export function Sandbox({ client, openEvents, initialTheme, applyTheme }: SandboxProps) {
  const [state, setState] = useState<SandboxState | null>(null);
  const [personId, setPersonId] = useState<number | null>(null);
  const [chatId, setChatId] = useState<number | null>(null);
  const [messages, setMessages] = useState<SandboxMessage[]>([]);
  /** Whose view of which chat the messages shown are (personId:chatId:generation). */
  const [loadedKey, setLoadedKey] = useState<string | null>(null);
  const [unread, setUnread] = useState<Record<number, number>>({});
  const [replyTo, setReplyTo] = useState<SandboxMessage | null>(null);
  const [pressing, setPressing] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [theme, setTheme] = useState<ThemeName>(initialTheme);
  const [app, setApp] = useState<OpenedApp | null>(null);
  const [confirmingReset, setConfirmingReset] = useState(false);
  /** Bumped by a reset: everything is loaded again. */
  const [generation, setGeneration] = useState(0);
  const frame = useRef<HTMLIFrameElement>(null);
  /** Telegram's own buttons for the app in the frame, as the app set them up. */
  const [mainButton, setMainButton] = useState<MainButtonState | null>(null);
  const [backVisible, setBackVisible] = useState(false);

  const fail = (cause: unknown) => setError(cause instanceof Error ? cause.message : String(cause));

  // The state, once per person (and after a reset): the people, chats and commands.
  const stateLoadedFor = useRef<string | null>(null);
  useEffect(() => {
    const key = `${personId}:${generation}`;
    if (stateLoadedFor.current === key) return;
    stateLoadedFor.current = key;
    let live = true;
    client
      .state()
      .then((loaded) => {
        if (!live) return;
        setState(loaded);
        if (personId !== null) return;
        const first = loaded.people[0];
        if (!first) return;
        // The first load picks who we are: that load is already this person's state.
        stateLoadedFor.current = `${first.id}:${generation}`;
        setPersonId(first.id);
        setChatId(visibleChats(loaded, first.id)[0]?.id ?? null);
      })
      .catch(fail);
    return () => {
      live = false;
    };
  }, [client, personId, generation]);

  // The open chat's messages; events that arrive while they load are applied after.
  const view = useRef<{ chatId: number | null; queued: SandboxEvent[] | null }>({
    chatId: null,
    queued: null,
  });
  useEffect(() => {
    view.current = { chatId, queued: [] };
    setMessages([]);
    if (personId === null || chatId === null) return;
    const opened = view.current;
    client
      .messages(chatId, personId)
      .then((loaded) => {
        if (view.current !== opened) return;
        const queued = opened.queued ?? [];
        opened.queued = null;
        setMessages(queued.reduce(applyEvent, loaded));
        setLoadedKey(`${personId}:${chatId}:${generation}`);
      })
      .catch(fail);
  }, [client, personId, chatId, generation]);

  // Live changes for everything this person can see.
  useEffect(() => {
    if (personId === null) return;
    const stream = openEvents(client.eventsUrl(personId));
    const onEvent = (event: SandboxEvent) => {
      const current = view.current;
      if (event.chatId !== current.chatId) {
        if (event.kind === "message" && event.message.from.id !== personId) {
          setUnread((counts) => ({ ...counts, [event.chatId]: (counts[event.chatId] ?? 0) + 1 }));
        }
        return;
      }
      if (current.queued) current.queued.push(event);
      else setMessages((list) => applyEvent(list, event));
    };
    for (const kind of EVENT_KINDS) {
      stream.addEventListener(kind, (message) => {
        const event = parseEvent(kind, message.data);
        if (event) onEvent(event);
      });
    }
    return () => stream.close();
  }, [client, openEvents, personId, generation]);

  useEffect(() => applyTheme?.(theme), [theme, applyTheme]);

  const people = state?.people ?? [];
  const person = people.find((p) => p.id === personId) ?? null;
  const chats = state && personId !== null ? visibleChats(state, personId) : [];
  const chat = chats.find((c) => c.id === chatId) ?? null;
  const loadingMessages = loadedKey !== `${personId}:${chatId}:${generation}`;
  // The newest message in view, as a chat opens and as messages arrive.
  const log = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const list = log.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [messages]);
  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);

  const switchPerson = (id: number) => {
    if (id === personId) return;
    setPersonId(id);
    // A private chat is its person's own: the next person sees theirs instead.
    if (chat?.type === "private") setChatId(id);
    setUnread({});
    setReplyTo(null);
    setApp(null);
  };
  const openChat = (id: number) => {
    setChatId(id);
    setReplyTo(null);
    setUnread((counts) => ({ ...counts, [id]: 0 }));
  };

  const openApp = async (startParam: string | null) => {
    if (personId === null) return;
    try {
      const initData = await client.initData(personId);
      setApp((opened) => ({
        src: miniAppSrc(initData, theme, startParam),
        key: (opened?.key ?? 0) + 1,
      }));
      setError(null);
    } catch (cause) {
      fail(cause);
    }
  };

  const switchTheme = () => {
    const next: ThemeName = theme === "dark" ? "light" : "dark";
    setTheme(next);
    // Telegram tells an open Mini App of a theme change with this event.
    sendToMiniApp(frame.current, "theme_changed", { theme_params: PALETTES[next] });
  };

  // What the app in the frame asks of Telegram, while it is open.
  const onMiniAppCall = useRef<(call: MiniAppCall) => void>(() => {});
  onMiniAppCall.current = ({ method, params }) => {
    if (method === "web_app_setup_main_button") setMainButton(mainButtonFrom(params));
    else if (method === "web_app_setup_back_button") setBackVisible(params?.is_visible === true);
    else if (method === "web_app_request_theme") {
      sendToMiniApp(frame.current, "theme_changed", { theme_params: PALETTES[theme] });
    } else if (method === "web_app_close") setApp(null);
    else if (method === "web_app_open_tg_link" && typeof params?.path_full === "string") {
      const href = `https://t.me${params.path_full}`;
      const start = state ? appLinkStart(href, state.botUsername) : null;
      if (start !== null) void openApp(start || null);
      else window.open(href, "_blank", "noopener,noreferrer");
    } else if (method === "web_app_open_link" && typeof params?.url === "string") {
      const href = safeHref(params.url);
      if (href) window.open(href, "_blank", "noopener,noreferrer");
    }
  };
  const appKey = app?.key ?? null;
  // Before the frame can load: its first calls come as soon as its script runs.
  useLayoutEffect(() => {
    setMainButton(null);
    setBackVisible(false);
    if (appKey === null) return;
    return takeMiniAppCalls(window, (call) => onMiniAppCall.current(call));
  }, [appKey]);

  const send = async (text: string): Promise<boolean> => {
    if (personId === null || chatId === null) return false;
    try {
      await client.send(chatId, {
        as: personId,
        text,
        ...(replyTo ? { replyTo: replyTo.id } : {}),
      });
      setReplyTo(null);
      setError(null);
      return true;
    } catch (cause) {
      fail(cause);
      return false;
    }
  };

  const actions: MessageActions = {
    press: (message, data) => {
      if (personId === null) return;
      setPressing(message.id);
      client
        .press(message.chatId, { as: personId, messageId: message.id, data })
        .then(() => setError(null))
        .catch(fail)
        .finally(() => setPressing(null));
    },
    openApp: (startParam) => void openApp(startParam),
    reply: (message) => {
      setReplyTo(message);
      document.querySelector<HTMLInputElement>(".message-input")?.focus();
    },
  };

  const reset = async () => {
    setConfirmingReset(false);
    try {
      await client.reset();
      setError(null);
      setReplyTo(null);
      setUnread({});
      setApp(null);
      setGeneration((g) => g + 1);
    } catch (cause) {
      fail(cause);
    }
  };

  // A week of tasks, reminders and messages in the group (an empty one: else the server says
  // why not, and that is shown).
  const fillWithDemo = async () => {
    try {
      await client.demo();
      setError(null);
      setGeneration((g) => g + 1);
    } catch (cause) {
      fail(cause);
    }
  };

  // Links to the bot's Mini App inside a message's text open it here, as in Telegram.
  const onMessagesClick = (event: MouseEvent) => {
    const link = (event.target as Element | null)?.closest?.("a[href]");
    if (!link || !state) return;
    const start = appLinkStart(link.getAttribute("href") ?? "", state.botUsername);
    if (start === null) return;
    event.preventDefault();
    void openApp(start || null);
  };

  return (
    <div class="sandbox">
      <aside class="sidebar" aria-label="Sandbox">
        <div class="sidebar-head">
          <fieldset class="people">
            <legend class="people-label">You are</legend>
            {people.map((p) => (
              <button
                type="button"
                key={p.id}
                class={p.id === personId ? "person selected" : "person"}
                aria-pressed={p.id === personId}
                onClick={() => switchPerson(p.id)}
              >
                {p.firstName}
              </button>
            ))}
          </fieldset>
          <div class="tools">
            <button
              type="button"
              role="switch"
              class="tool"
              aria-checked={theme === "dark"}
              onClick={switchTheme}
            >
              Dark theme
            </button>
            <button type="button" class="tool" onClick={() => void fillWithDemo()}>
              Demo data
            </button>
            <button type="button" class="tool" onClick={() => setConfirmingReset(true)}>
              Reset
            </button>
          </div>
        </div>
        <nav aria-label="Chats">
          <ul class="chats">
            {chats.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  class={c.id === chatId ? "chat-item selected" : "chat-item"}
                  aria-current={c.id === chatId ? "true" : undefined}
                  onClick={() => openChat(c.id)}
                >
                  <span class="avatar" aria-hidden="true">
                    {chatName(c, state).slice(0, 1).toUpperCase()}
                  </span>
                  <span class="chat-text">
                    <span class="chat-name">{chatName(c, state)}</span>
                    <span class="chat-sub">
                      {c.type === "private" ? "bot" : `${people.length} members and the bot`}
                    </span>
                  </span>
                  {(unread[c.id] ?? 0) > 0 && (
                    <span class="badge" role="status" aria-label={`${unread[c.id]} new`}>
                      {unread[c.id]}
                    </span>
                  )}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <p class="note">Everything here runs on this machine; nothing is sent to Telegram.</p>
      </aside>

      <main class="chat" aria-label={chat ? chatName(chat, state) : "Chat"}>
        <header class="chat-head">
          <h1>{chat ? chatName(chat, state) : "Task Tracker sandbox"}</h1>
          {person && <span class="chat-sub">as {person.firstName}</span>}
        </header>
        {error && (
          <div class="error" role="alert">
            {error}
            <button
              type="button"
              class="icon-button"
              aria-label="Dismiss"
              onClick={() => setError(null)}
            >
              ✕
            </button>
          </div>
        )}
        {/* biome-ignore lint/a11y/useKeyWithClickEvents: only catches clicks on links inside */}
        <ol
          ref={log}
          class="messages"
          role="log"
          aria-label="Messages"
          aria-busy={loadingMessages || !chat}
          onClick={onMessagesClick}
        >
          {messages.map((m) => (
            <Message
              key={m.id}
              message={m}
              mine={m.from.id === personId}
              showAuthor={chat?.type === "supergroup" && m.from.id !== personId}
              replied={m.replyTo === null ? null : (byId.get(m.replyTo) ?? null)}
              botUsername={state?.botUsername ?? ""}
              pressing={pressing === m.id}
              actions={actions}
            />
          ))}
        </ol>
        {!loadingMessages && chat && messages.length === 0 && (
          <p class="empty">
            {chat.type === "private" ? "Send /start to begin." : "No messages yet."}
          </p>
        )}
        <Composer
          key={`${personId}:${chatId}`}
          commands={state?.commands ?? []}
          replyTo={replyTo}
          onCancelReply={() => setReplyTo(null)}
          onSend={send}
          appButton={chat?.appButton ?? null}
          onOpenApp={() => void openApp(null)}
          disabled={!chat}
        />
      </main>

      {app && (
        <aside class="phone" aria-label="Mini App">
          <div class="phone-head">
            {backVisible && (
              <button
                type="button"
                class="icon-button"
                aria-label="Back"
                onClick={() => sendToMiniApp(frame.current, "back_button_pressed")}
              >
                ←
              </button>
            )}
            <span class="phone-title">Task Tracker</span>
            <button
              type="button"
              class="icon-button"
              aria-label="Close the Mini App"
              onClick={() => setApp(null)}
            >
              ✕
            </button>
          </div>
          <iframe key={app.key} ref={frame} src={app.src} title="Task Tracker Mini App" />
          {mainButton?.visible && (
            <button
              type="button"
              class="main-button"
              disabled={!mainButton.active || mainButton.progress}
              aria-busy={mainButton.progress}
              onClick={() => sendToMiniApp(frame.current, "main_button_pressed")}
            >
              {mainButton.text}
            </button>
          )}
        </aside>
      )}

      {confirmingReset && (
        <ResetDialog
          names={people.map((p) => p.firstName)}
          onCancel={() => setConfirmingReset(false)}
          onConfirm={() => void reset()}
        />
      )}
    </div>
  );
}

function chatName(chat: Chat, state: SandboxState | null): string {
  if (chat.type === "supergroup") return chat.title;
  return state ? `@${state.botUsername}` : chat.title;
}

function ResetDialog(props: { names: string[]; onCancel(): void; onConfirm(): void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div class="backdrop">
      <div
        class="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="reset-title"
        aria-describedby="reset-text"
        onKeyDown={(event) => {
          if (event.key === "Escape") props.onCancel();
        }}
      >
        <h2 id="reset-title">Start over?</h2>
        <p id="reset-text">
          Every task, message and setting is deleted. {props.names.join(", ")} and their group come
          back, with nothing in it.
        </p>
        <div class="dialog-buttons">
          <button type="button" class="tool" ref={cancel} onClick={props.onCancel}>
            Cancel
          </button>
          <button type="button" class="tool danger" onClick={props.onConfirm}>
            Reset
          </button>
        </div>
      </div>
    </div>
  );
}
