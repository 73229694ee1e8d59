import { t } from "../strings.ts";

export function Skeleton({ rows = 5 }: { rows?: number }) {
  return (
    <div class="skeleton" role="status" aria-label={t.loading} aria-busy="true">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} class="skeleton-row" />
      ))}
    </div>
  );
}

export function ErrorView({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div class="state" role="alert">
      <p>{message}</p>
      {onRetry && (
        <button type="button" class="button" onClick={onRetry}>
          {t.errors.retry}
        </button>
      )}
    </div>
  );
}

export function Empty({
  text,
  action,
}: {
  text: string;
  action?: { label: string; run: () => void };
}) {
  return (
    <div class="state">
      <p>{text}</p>
      {action && (
        <button type="button" class="button" onClick={action.run}>
          {action.label}
        </button>
      )}
    </div>
  );
}
