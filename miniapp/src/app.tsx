import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Api, Me } from "./api.ts";
import { AppContext, type AppState, type Screen } from "./context.ts";
import { humanError } from "./errors.ts";
import { type Opening, startOpening } from "./opening.ts";
import type { Platform } from "./platform.ts";
import { ListControls, type Prefetched, TaskList } from "./screens/TaskList.tsx";
import { assigneeLabel, TaskRows } from "./screens/TaskRows.tsx";
import { t } from "./strings.ts";
import { lazyScreen } from "./ui/lazy.tsx";
import { ErrorView, Skeleton } from "./ui/states.tsx";

// Only the task list is in the first screen's bundle; the others come when first needed.
const TaskForm = lazyScreen(() => import("./screens/TaskForm.tsx").then((m) => m.TaskForm));
const Privacy = lazyScreen(() => import("./screens/Privacy.tsx").then((m) => m.Privacy));

export interface AppProps {
  api: Api;
  platform: Platform;
  botUsername: string | null;
  now?: () => Date;
  /** The first requests, already sent by the entry module; started here when absent. */
  opening?: Opening;
}

function useOnline(): boolean {
  const [online, setOnline] = useState(typeof navigator === "undefined" || navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  return online;
}

export function App({ api, platform, botUsername, now = () => new Date(), opening }: AppProps) {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stack, setStack] = useState<Screen[]>([{ name: "tasks" }]);
  const online = useOnline();

  // The opening list is asked for alongside /api/me rather than after it, and used once.
  const [first] = useState(() => opening ?? startOpening(api, platform, null));
  const firstMe = useRef<Promise<Me> | undefined>(first.me);
  const firstPage = useRef<Prefetched | undefined>(first.page);
  const takePrefetched = useCallback(() => {
    const page = firstPage.current;
    firstPage.current = undefined;
    return page;
  }, []);
  // Until the person is known, the list kept on the device stands in for the first screen.
  const [kept] = useState(() => first.cache?.read(first.list) ?? null);

  const loadMe = useCallback(async () => {
    setError(null);
    const pending = firstMe.current ?? api.me();
    firstMe.current = undefined;
    try {
      setMe(await pending);
    } catch (failure) {
      setError(humanError(failure));
    }
  }, [api]);

  useEffect(() => {
    void loadMe();
  }, [loadMe]);

  // Once the app is up, so that a tap on a task or a tab does not wait for the network.
  const started = me !== null;
  useEffect(() => {
    if (!started) return;
    TaskForm.preload().catch(() => {});
    Privacy.preload().catch(() => {});
  }, [started]);

  const open = useCallback((screen: Screen) => {
    setStack((current) => [...current, screen]);
  }, []);
  const back = useCallback(() => {
    setStack((current) => (current.length > 1 ? current.slice(0, -1) : current));
  }, []);
  const current = stack[stack.length - 1] ?? { name: "tasks" };

  useEffect(() => {
    if (stack.length > 1) platform.backButton.show(back);
    else platform.backButton.hide();
  }, [platform, stack.length, back]);

  const state = useMemo<AppState | null>(
    () =>
      me ? { api, platform, me, reloadMe: loadMe, open, back, now, cache: first.cache } : null,
    [api, platform, me, loadMe, open, back, now, first.cache],
  );

  if (error) return <ErrorView message={error} onRetry={() => void loadMe()} />;
  if (!state) {
    const userId = first.cache ? first.cache.userId : null;
    if (!kept?.length || userId === null) return <Skeleton />;
    return (
      <main>
        <section class="screen" aria-label={t.list.label}>
          <ListControls
            filter={first.teamId !== null ? "team" : "assigned"}
            teamId={first.teamId}
            status="open"
          />
          <TaskRows
            tasks={kept}
            assigneeName={(task) => assigneeLabel(task, userId, [])}
            now={now()}
            stale
          />
        </section>
      </main>
    );
  }

  const team = platform.startTeamId;
  const teamId = team !== null && state.me.teams.some((t) => t.id === team) ? team : null;
  const tab = (screen: "tasks" | "privacy") => () => {
    platform.haptic("selection");
    setStack([{ name: screen }]);
  };

  return (
    <AppContext.Provider value={state}>
      {!online && (
        <p class="offline" role="status">
          {t.errors.offline}
        </p>
      )}
      <main>
        {current.name === "tasks" && (
          <TaskList
            key="tasks"
            teamId={teamId}
            {...(teamId === first.teamId ? { takePrefetched } : {})}
          />
        )}
        {current.name === "task" && (
          <TaskForm key={`task-${current.id}`} id={current.id} teamId={null} />
        )}
        {current.name === "new" && <TaskForm key="new" id={null} teamId={current.teamId} />}
        {current.name === "privacy" && <Privacy botUsername={botUsername} />}
      </main>
      {stack.length === 1 && (
        <nav class="tabs" aria-label={t.appName}>
          {(["tasks", "privacy"] as const).map((name) => (
            <button
              key={name}
              type="button"
              class={current.name === name ? "tab selected" : "tab"}
              aria-current={current.name === name ? "page" : undefined}
              onClick={tab(name)}
            >
              {t.tabs[name]}
            </button>
          ))}
        </nav>
      )}
    </AppContext.Provider>
  );
}
