import { useEffect, useState } from "preact/hooks";
import type { Retention } from "../api.ts";
import { useApp } from "../context.ts";
import { humanError } from "../errors.ts";
import { t } from "../strings-screens.ts";
import { ErrorView } from "../ui/states.tsx";

/** The zone's canonical id, so Europe/Kyiv and Europe/Kiev count as one; null if unknown here. */
function canonicalZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function deviceTimeZone(): string | null {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
}

/** Every zone this device knows, with `current` spelled as stored (and first if it is not known). */
function zoneChoices(current: string): string[] {
  // Intl.supportedValuesOf is missing in older Telegram WebViews (Safari before 15.4).
  const known =
    typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const currentId = canonicalZone(current);
  const choices = known.map((zone) => (zone === currentId ? current : zone));
  return choices.includes(current) ? choices : [current, ...choices];
}

export function Privacy({ botUsername }: { botUsername: string | null }) {
  const { api, platform, me, reloadMe, cache } = useApp();
  const [consent, setConsent] = useState(me.consent.granted);
  // The service stores UTC until a person picks a zone.
  const [zone, setZone] = useState(me.user.timezone);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [typed, setTyped] = useState("");
  const [erased, setErased] = useState(false);
  const [retention, setRetention] = useState<Retention | null>(null);
  const [days, setDays] = useState("");

  useEffect(() => {
    if (!me.isAdmin) return;
    api
      .retention()
      .then((policy) => {
        setRetention(policy);
        setDays(String(policy.days));
      })
      .catch((failure: unknown) => setError(humanError(failure)));
  }, [api, me.isAdmin]);

  const run = async (work: () => Promise<void>) => {
    setError(null);
    setNote(null);
    try {
      await work();
      platform.haptic("success");
    } catch (failure) {
      setError(humanError(failure));
      platform.haptic("error");
    }
  };

  const toggleConsent = () =>
    run(async () => {
      const next = await api.setConsent(!consent);
      setConsent(next.granted);
      await reloadMe();
    });

  const saveTimeZone = (next: string) =>
    run(async () => {
      const updated = await api.setTimeZone(next);
      setZone(updated.user.timezone);
      await reloadMe();
    });

  const device = deviceTimeZone();
  const deviceDiffers = device !== null && canonicalZone(device) !== canonicalZone(zone);

  const download = () =>
    run(async () => {
      if (!platform.canDownloadFiles && botUsername) {
        platform.openTelegramLink(`https://t.me/${botUsername}?start=export`);
        setNote(t.privacy.downloadSent);
        return;
      }
      const file = await api.exportData();
      const url = URL.createObjectURL(file);
      const link = document.createElement("a");
      link.href = url;
      link.download = `task-tracker-export-${me.user.id}.json`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });

  const erase = () =>
    run(async () => {
      await api.eraseMe();
      // The lists kept on this device hold task titles: they go with the rest.
      cache?.forget();
      setErased(true);
    });

  const saveRetention = () =>
    run(async () => {
      setRetention(await api.setRetention(Number(days)));
    });

  if (erased) {
    return (
      <section class="screen" aria-label={t.privacy.title}>
        <p class="state" role="status">
          {t.privacy.erased}
        </p>
      </section>
    );
  }

  return (
    <section class="screen" aria-label={t.privacy.title}>
      <h1>{t.privacy.title}</h1>
      <div class="section">
        <div class="switch-row">
          <span id="consent-label">{t.privacy.consent}</span>
          <button
            type="button"
            role="switch"
            aria-checked={consent}
            aria-labelledby="consent-label"
            class={consent ? "switch on" : "switch"}
            onClick={() => void toggleConsent()}
          />
        </div>
        <p class="hint">{t.privacy.consentHint}</p>
      </div>
      <div class="section">
        <p class="setting">{t.privacy.timeZone(zone)}</p>
        {deviceDiffers && (
          <button type="button" class="button" onClick={() => void saveTimeZone(device)}>
            {t.privacy.useDeviceZone(device)}
          </button>
        )}
        <label class="field">
          <span>{t.privacy.pickZone}</span>
          <select value={zone} onChange={(event) => void saveTimeZone(event.currentTarget.value)}>
            {zoneChoices(zone).map((choice) => (
              <option key={choice} value={choice}>
                {choice}
              </option>
            ))}
          </select>
        </label>
        <p class="hint">{t.privacy.timeZoneHint}</p>
      </div>
      <div class="section">
        <button type="button" class="button" onClick={() => void download()}>
          {t.privacy.download}
        </button>
        {note && (
          <p class="hint" role="status">
            {note}
          </p>
        )}
      </div>
      <div class="section">
        <label class="field">
          <span>{t.privacy.eraseConfirm}</span>
          <input
            value={typed}
            autoComplete="off"
            onInput={(event) => setTyped(event.currentTarget.value)}
          />
        </label>
        <button
          type="button"
          class="button destructive"
          disabled={typed !== "DELETE"}
          onClick={() => void erase()}
        >
          {t.privacy.eraseButton}
        </button>
      </div>
      {me.isAdmin && retention && (
        <div class="section">
          <h2>{t.privacy.retention}</h2>
          <label class="field">
            <span>{t.privacy.globalDays}</span>
            <input
              type="number"
              min={retention.minDays}
              max={retention.maxDays}
              value={days}
              onInput={(event) => setDays(event.currentTarget.value)}
            />
          </label>
          <button type="button" class="button" onClick={() => void saveRetention()}>
            {t.privacy.saveRetention}
          </button>
        </div>
      )}
      {error && <ErrorView message={error} />}
      <p class="section-link">
        <a href="/privacy">{t.privacy.notice}</a>
      </p>
    </section>
  );
}
