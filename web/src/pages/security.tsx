import type { AccountSecurity, CreatedApiKey } from "@inkwell/shared";
import { useEffect, useState } from "preact/hooks";
import { api, ok, succeeded, type TypedResponse } from "../api.ts";
import { ErrorNote, errorText } from "../components.tsx";
import { formatDate } from "../format.ts";

function place(p: { city: string | null; country: string | null; userAgent: string | null }): string {
  const where = [p.city, p.country].filter(Boolean).join(", ") || "somewhere unknown";
  return p.userAgent ? `${where} · ${p.userAgent.slice(0, 60)}` : where;
}

const SCOPES = [
  { scope: "entries:read", label: "Read entries and insights" },
  { scope: "entries:write", label: "Write entries" },
  { scope: "ai", label: "Search, conversations and reflections" },
] as const;
type Scope = (typeof SCOPES)[number]["scope"];

/**
 * A new API key for the writer's own scripts (`POST /v1/api-keys`). The key itself is in this one
 * answer only: it is shown once, here, and never again.
 */
function NewApiKey({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["entries:read"]);
  const [expires, setExpires] = useState("");
  const [password, setPassword] = useState("");
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [copied, setCopied] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const key = await ok(
        api.v1["api-keys"].$post({
          json: {
            name: name.trim(),
            scopes,
            password,
            ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
          },
        }),
      );
      setCreated(key);
      setCopied(false);
      setName("");
      setPassword("");
      onCreated();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  }

  function toggle(scope: Scope, on: boolean) {
    setScopes((prev) => (on ? [...prev, scope] : prev.filter((s) => s !== scope)));
  }

  return (
    <>
      {created && (
        <div class="card secret" role="status">
          <p>
            Your new key <strong>{created.name}</strong>. Copy it now: it is shown this once and cannot be
            read again.
          </p>
          <p>
            <code data-testid="new-api-key">{created.key}</code>
          </p>
          <div class="row">
            <button
              type="button"
              class="quiet"
              onClick={() =>
                void navigator.clipboard.writeText(created.key).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? "Copied" : "Copy key"}
            </button>
            <button type="button" class="quiet" onClick={() => setCreated(null)}>
              I have saved it
            </button>
          </div>
        </div>
      )}
      <details class="new-key">
        <summary>Create an API key</summary>
        <form onSubmit={create}>
          <label>
            Key name
            <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <fieldset>
            <legend>What it may do</legend>
            {SCOPES.map((s) => (
              <label class="check" key={s.scope}>
                <input
                  type="checkbox"
                  checked={scopes.includes(s.scope)}
                  onChange={(e) => toggle(s.scope, e.currentTarget.checked)}
                />
                {s.label} ({s.scope})
              </label>
            ))}
          </fieldset>
          <label>
            Expires on (optional)
            <input type="date" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
          </label>
          <label>
            Account password (to confirm)
            <input
              type="password"
              required
              autoComplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <ErrorNote error={error} />
          <button type="submit" disabled={saving || !name.trim() || scopes.length === 0 || !password}>
            {saving ? "Creating…" : "Create key"}
          </button>
        </form>
      </details>
    </>
  );
}

/** Sessions and API keys of the account, each of which can be ended here (`GET /v1/me/security`). */
export function SecuritySection() {
  const [view, setView] = useState<AccountSecurity | null>(null);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    ok(api.v1.me.security.$get())
      .then(setView)
      .catch((err) => setError(errorText(err)));
  }, [tick]);

  async function remove(send: () => Promise<TypedResponse>) {
    try {
      await succeeded(send());
      setTick((t) => t + 1);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section aria-labelledby="security-title" class="card">
      <h2 id="security-title">Sessions and API keys</h2>
      <ErrorNote error={error} />
      {view && (
        <>
          <h3>Signed-in sessions</h3>
          <ul class="jobs">
            {view.sessions.map((s) => (
              <li key={s.id}>
                Since {formatDate(s.createdAt)}, last active {formatDate(s.lastActiveAt)} · {place(s)}{" "}
                <button
                  type="button"
                  class="quiet"
                  onClick={() =>
                    void remove(() => api.v1.me.sessions[":id"].$delete({ param: { id: s.id } }))
                  }
                >
                  Sign out this session
                </button>
              </li>
            ))}
          </ul>
          <h3>API keys</h3>
          <NewApiKey onCreated={() => setTick((t) => t + 1)} />
          {view.apiKeys.length === 0 ? (
            <p>None. Keys are for your own scripts and apps (see the API documentation at /docs).</p>
          ) : (
            <ul class="jobs">
              {view.apiKeys.map((k) => (
                <li key={k.id}>
                  <strong>{k.name}</strong> ({k.prefix}…, {k.scopes.join(", ")}) · last used{" "}
                  {k.lastUsedAt ? formatDate(k.lastUsedAt) : "never"}{" "}
                  <button
                    type="button"
                    class="quiet"
                    onClick={() =>
                      void remove(() => api.v1["api-keys"][":id"].$delete({ param: { id: k.id } }))
                    }
                  >
                    Revoke {k.name}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <h3>Recent sign-ins</h3>
          <ul class="jobs">
            {view.signIns.slice(0, 5).map((s) => (
              <li key={s.at}>
                {formatDate(s.at)} · {s.succeeded ? "signed in" : "refused"} · {place(s)}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
