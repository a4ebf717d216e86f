import type { User } from "@inkwell/shared";
import { useState } from "preact/hooks";
import { api, dropSession, succeeded } from "../api.ts";
import { ErrorNote, errorText } from "../components.tsx";
import { navigate } from "../router.ts";
import { SecuritySection } from "./security.tsx";

export function DataPage({ user }: { user: User }) {
  const [format, setFormat] = useState<"json" | "markdown">("json");
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function download() {
    setExporting(true);
    setError(null);
    try {
      const res = await succeeded(api.v1.me.export.$get({ query: { format } }));
      const blob = await res.blob();
      const name = `inkwell-export-${new Date().toISOString().slice(0, 10)}.${format === "json" ? "json" : "md"}`;
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExported(`${name} (${Math.max(1, Math.round(blob.size / 1024))} KiB)`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setExporting(false);
    }
  }

  async function deleteAccount(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await succeeded(api.v1.me.$delete({ json: { password } }));
      dropSession();
      navigate("/signup");
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section class="data">
      <h1>Your data</h1>
      <p>
        Signed in as <strong>{user.email}</strong>
        {user.displayName && <> ({user.displayName})</>}.
      </p>
      <section aria-labelledby="export-title" class="card">
        <h2 id="export-title">Export everything</h2>
        <p>
          Your profile, entries with their analyses and history, conversations and reflections, in one file.
        </p>
        <div class="row">
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(e.currentTarget.value as "json" | "markdown")}>
              <option value="json">JSON</option>
              <option value="markdown">Markdown</option>
            </select>
          </label>
          <button type="button" disabled={exporting} onClick={() => void download()}>
            {exporting ? "Preparing…" : "Download export"}
          </button>
        </div>
        {exported && (
          <p role="status" class="status">
            Downloaded {exported}
          </p>
        )}
      </section>
      <SecuritySection />
      <section aria-labelledby="delete-title" class="card danger">
        <h2 id="delete-title">Delete your account</h2>
        <p>
          This removes your account and everything in it at once, and signs out every session and key. It
          cannot be undone.
        </p>
        <form onSubmit={deleteAccount}>
          <label>
            Your password
            <input
              type="password"
              required
              autoComplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <label class="check">
            <input type="checkbox" checked={confirm} onChange={(e) => setConfirm(e.currentTarget.checked)} />I
            understand this deletes my journal for good
          </label>
          <button type="submit" class="danger" disabled={!confirm || !password}>
            Delete my account
          </button>
        </form>
      </section>
      <ErrorNote error={error} />
    </section>
  );
}
