import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../strings.ts";
import { ErrorView, Skeleton } from "./states.tsx";

export interface LazyScreen<P> {
  (props: P): JSX.Element;
  /** Fetches the screen's code ahead of its first showing. */
  preload(): Promise<unknown>;
}

/**
 * A screen whose code leaves the first screen's bundle: fetched on its first showing, or
 * earlier by `preload`, which the app calls once the first screen is up, so a tap rarely
 * waits for it. Keeps the initial JS within its 20 kB gzip budget (docs/benchmarks.md).
 */
export function lazyScreen<P extends object>(load: () => Promise<ComponentType<P>>): LazyScreen<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  const preload = () => {
    loading ??= load().then(
      (component) => {
        loaded = component;
        return component;
      },
      (error: unknown) => {
        // The next showing tries again (the network may be back).
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };

  function Lazy(props: P) {
    const [failed, setFailed] = useState(false);
    // A flag, not the component: useState would call a component given to it as an initializer.
    const [, setReady] = useState(loaded !== undefined);
    useEffect(() => {
      if (loaded || failed) return;
      let current = true;
      preload().then(
        () => current && setReady(true),
        () => current && setFailed(true),
      );
      return () => {
        current = false;
      };
    }, [failed]);
    if (failed) return <ErrorView message={t.errors.generic} onRetry={() => setFailed(false)} />;
    if (!loaded) return <Skeleton />;
    const Screen = loaded;
    return <Screen {...props} />;
  }
  return Object.assign(Lazy, { preload });
}
