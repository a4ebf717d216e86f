import { useState } from "preact/hooks";
import { ApiError, signIn, signUp } from "../api.ts";
import { navigate } from "../router.ts";

export function AuthPage({ mode }: { mode: "signin" | "signup" }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === "signup";

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (signup) await signUp(email, password, name.trim() || undefined);
      else await signIn(email, password);
      navigate("/write");
    } catch (err) {
      setError(
        err instanceof ApiError
          ? [err.message, ...err.fields.map((f) => `${f.path}: ${f.message}`)].join(" ")
          : "The server could not be reached.",
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card auth">
      <h1>{signup ? "Create your journal" : "Sign in to Inkwell"}</h1>
      <form onSubmit={submit}>
        {signup && (
          <label>
            Name (optional)
            <input value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="name" />
          </label>
        )}
        <label>
          Email
          <input
            type="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
            autoComplete="email"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            required
            minLength={signup ? 10 : 1}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            autoComplete={signup ? "new-password" : "current-password"}
          />
        </label>
        {signup && <p class="hint">At least 10 characters.</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {signup ? "Create account" : "Sign in"}
        </button>
      </form>
      <p>
        {signup ? (
          <>
            Have an account? <a href="/signin">Sign in</a>
          </>
        ) : (
          <>
            New here? <a href="/signup">Create an account</a>
          </>
        )}
      </p>
    </section>
  );
}
