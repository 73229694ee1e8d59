import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Member, type Task, type TaskPage } from "../api.ts";
import { useApp } from "../context.ts";
import type { CachedList } from "../device-cache.ts";
import { humanError } from "../errors.ts";
import { t } from "../strings.ts";
import { Empty, ErrorView, Skeleton } from "../ui/states.tsx";
import { assigneeLabel, TaskRows } from "./TaskRows.tsx";

export type Filter = "assigned" | "created" | "team";

const PULL_TO_REFRESH_PX = 70;

/** A first page asked for while /api/me was still loading, for the list's opening view. */
export type Prefetched = Promise<TaskPage>;

/** The lists kept on the device: the first page of the open ones a person opens on. */
function cachedListOf(filter: Filter, status: "open" | "done", teamId: number | null) {
  if (status !== "open") return null;
  if (filter === "assigned") return "assigned" satisfies CachedList;
  if (filter === "team" && teamId !== null) return `team:${teamId}` satisfies CachedList;
  return null;
}

export function TaskList({
  teamId,
  takePrefetched,
}: {
  teamId: number | null;
  /** The opening page (the first filter, open) if it was asked for early; once. */
  takePrefetched?: () => Prefetched | undefined;
}) {
  const { api, platform, me, open, now, cache } = useApp();
  const firstFilter: Filter = teamId !== null ? "team" : "assigned";
  const [filter, setFilter] = useState<Filter>(firstFilter);
  const [status, setStatus] = useState<"open" | "done">("open");
  // What the device kept is shown from the first render, marked, until the fresh list is in.
  const [tasks, setTasks] = useState<Task[] | null>(() => {
    const list = cachedListOf(firstFilter, "open", teamId);
    return list ? (cache?.read(list) ?? null) : null;
  });
  const [stale, setStale] = useState(tasks !== null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const sentinel = useRef<HTMLDivElement>(null);
  const pullStart = useRef<number | null>(null);

  const fetchPage = useCallback(
    async (after?: string) => {
      const page =
        filter === "team" && teamId !== null
          ? await api.tasks({ teamId, status, ...(after ? { cursor: after } : {}) })
          : await api.tasks({
              status,
              ...(filter === "assigned" ? { assignee: "me" as const } : {}),
              ...(after ? { cursor: after } : {}),
            });
      const shown =
        filter === "created"
          ? page.tasks.filter((task) => task.creatorId === me.user.id)
          : page.tasks;
      return { tasks: shown, nextCursor: page.nextCursor };
    },
    [api, filter, status, teamId, me.user.id],
  );

  const load = useCallback(async () => {
    setError(null);
    const list = cachedListOf(filter, status, teamId);
    const shown = list ? (cache?.read(list) ?? null) : null;
    setTasks(shown);
    setStale(shown !== null);
    // The prefetched page serves the first load only; a failure there is asked again.
    const early = filter === firstFilter && status === "open" ? takePrefetched?.() : undefined;
    try {
      const page = (early && (await early.catch(() => undefined))) || (await fetchPage());
      setTasks(page.tasks);
      setStale(false);
      setCursor(page.nextCursor);
      if (list) cache?.write(list, page.tasks);
    } catch (failure) {
      // A refused session has just forgotten the kept lists; they leave the screen too.
      if (failure instanceof ApiError && failure.status === 401) setTasks(null);
      setError(humanError(failure));
      platform.haptic("error");
    }
  }, [fetchPage, platform, filter, firstFilter, status, teamId, cache, takePrefetched]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (teamId === null) return;
    api
      .members(teamId)
      .then((result) => setMembers(result.members))
      .catch(() => setMembers([]));
  }, [api, teamId]);

  const loadMore = useCallback(async () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await fetchPage(cursor);
      setTasks((current) => [...(current ?? []), ...page.tasks]);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(humanError(failure));
    } finally {
      setLoadingMore(false);
    }
  }, [cursor, loadingMore, fetchPage]);

  useEffect(() => {
    const target = sentinel.current;
    if (!target || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) void loadMore();
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadMore]);

  useEffect(() => {
    platform.mainButton.show(t.list.create, () => open({ name: "new", teamId }));
    return () => platform.mainButton.hide();
  }, [platform, open, teamId]);

  const choose = (next: Filter) => {
    platform.haptic("selection");
    setFilter(next);
  };

  return (
    <section
      class="screen"
      aria-label={t.list.label}
      onTouchStart={(event) => {
        pullStart.current = window.scrollY === 0 ? (event.touches[0]?.clientY ?? null) : null;
      }}
      onTouchEnd={(event) => {
        const start = pullStart.current;
        const end = event.changedTouches[0]?.clientY;
        pullStart.current = null;
        if (start !== null && end !== undefined && end - start > PULL_TO_REFRESH_PX) void load();
      }}
    >
      <ListControls
        filter={filter}
        teamId={teamId}
        status={status}
        onChoose={choose}
        onStatus={(next) => {
          platform.haptic("selection");
          setStatus(next);
        }}
        onRefresh={() => void load()}
      />
      {error && <ErrorView message={error} onRetry={() => void load()} />}
      {!error && tasks === null && <Skeleton />}
      {!error && tasks !== null && tasks.length === 0 && (
        <Empty
          text={status === "open" ? t.list.empty : t.list.emptyDone}
          {...(status === "open"
            ? { action: { label: t.list.create, run: () => open({ name: "new", teamId }) } }
            : {})}
        />
      )}
      {tasks !== null && tasks.length > 0 && (
        <TaskRows
          tasks={tasks}
          assigneeName={(task) => assigneeLabel(task, me.user.id, members)}
          now={now()}
          stale={stale}
          onOpen={(id) => open({ name: "task", id })}
        />
      )}
      <div ref={sentinel} class="sentinel">
        {loadingMore && t.list.loadingMore}
      </div>
    </section>
  );
}

/**
 * The filter tabs and the toolbar above the rows. Before the person is known they are shown
 * inert over the kept rows, so those rows are painted where they stay when the list takes over.
 */
export function ListControls({
  filter,
  teamId,
  status,
  onChoose,
  onStatus,
  onRefresh,
}: {
  filter: Filter;
  teamId: number | null;
  status: "open" | "done";
  onChoose?: (filter: Filter) => void;
  onStatus?: (status: "open" | "done") => void;
  onRefresh?: () => void;
}) {
  const inert = !onChoose;
  return (
    <>
      <div class="segmented" role="tablist" aria-label={t.list.label}>
        {(teamId !== null
          ? (["team", "assigned", "created"] as const)
          : (["assigned", "created"] as const)
        ).map((option) => (
          <button
            key={option}
            type="button"
            role="tab"
            aria-selected={filter === option}
            class={filter === option ? "segment selected" : "segment"}
            disabled={inert}
            onClick={() => onChoose?.(option)}
          >
            {t.filters[option]}
          </button>
        ))}
      </div>
      <div class="toolbar">
        <label class="toggle">
          <input
            type="checkbox"
            checked={status === "done"}
            disabled={inert}
            onChange={(event) => onStatus?.(event.currentTarget.checked ? "done" : "open")}
          />
          {t.status.done}
        </label>
        <button type="button" class="link-button" disabled={inert} onClick={onRefresh}>
          {t.list.refresh}
        </button>
      </div>
    </>
  );
}
