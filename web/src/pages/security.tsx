import type { AccountSecurity } from "@inkwell/shared";
import { useEffect, useState } from "preact/hooks";
import { getJson, request } from "../api.ts";
import { ErrorNote, errorText } from "../components.tsx";
import { formatDate } from "../format.ts";

function place(p: { city: string | null; country: string | null; userAgent: string | null }): string {
  const where = [p.city, p.country].filter(Boolean).join(", ") || "somewhere unknown";
  return p.userAgent ? `${where} · ${p.userAgent.slice(0, 60)}` : where;
}

/** Sessions and API keys of the account, each of which can be ended here (`GET /v1/me/security`). */
export function SecuritySection() {
  const [view, setView] = useState<AccountSecurity | null>(null);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    getJson<AccountSecurity>("/v1/me/security")
      .then(setView)
      .catch((err) => setError(errorText(err)));
  }, [tick]);

  async function remove(path: string) {
    try {
      await request(path, { method: "DELETE" });
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
                <button type="button" class="quiet" onClick={() => void remove(`/v1/me/sessions/${s.id}`)}>
                  Sign out this session
                </button>
              </li>
            ))}
          </ul>
          <h3>API keys</h3>
          {view.apiKeys.length === 0 ? (
            <p>None. Keys are for your own scripts and apps (see the API documentation at /docs).</p>
          ) : (
            <ul class="jobs">
              {view.apiKeys.map((k) => (
                <li key={k.id}>
                  <strong>{k.name}</strong> ({k.prefix}…, {k.scopes.join(", ")}) · last used{" "}
                  {k.lastUsedAt ? formatDate(k.lastUsedAt) : "never"}{" "}
                  <button type="button" class="quiet" onClick={() => void remove(`/v1/api-keys/${k.id}`)}>
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
