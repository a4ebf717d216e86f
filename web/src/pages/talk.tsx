import { readServerSentEvents } from "@inkwell/edge/client";
import type { ChatMessage, ChatSession, SessionType } from "@inkwell/shared";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, idempotencyKey, ok, succeeded } from "../api.ts";
import { CrisisPanel, ErrorNote, errorText, withCitations } from "../components.tsx";
import { navigate } from "../router.ts";

const TYPES: { type: SessionType; label: string }[] = [
  { type: "reflection_buddy", label: "Reflection buddy" },
  { type: "free_chat", label: "Free chat" },
  { type: "inner_voice", label: "Inner voice" },
  { type: "growth_challenge", label: "Growth challenge" },
  { type: "pattern_detective", label: "Pattern detective" },
];

interface Shown {
  id: string;
  role: "user" | "assistant";
  content: string;
  streaming?: boolean;
  message?: ChatMessage;
}

/** Pause, resume and end (`POST /v1/sessions/{id}/pause|resume|end`); each answers the session as it now is. */
function Lifecycle({
  session,
  busy,
  onChange,
}: {
  session: ChatSession;
  busy: boolean;
  onChange: (session: ChatSession) => void;
}) {
  const [working, setWorking] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function act(action: "pause" | "resume" | "end") {
    setWorking(action);
    setError(null);
    try {
      const one = api.v1.sessions[":id"];
      const param = { id: session.id };
      onChange(
        await ok(
          action === "pause"
            ? one.pause.$post({ param })
            : action === "resume"
              ? one.resume.$post({ param })
              : one.end.$post({ param }),
        ),
      );
    } catch (err) {
      setError(errorText(err));
    } finally {
      setWorking(null);
    }
  }
  if (session.status === "ended") return null;
  return (
    <>
      <div class="row">
        {session.status === "active" ? (
          <button
            type="button"
            class="quiet"
            disabled={busy || working !== null}
            onClick={() => void act("pause")}
          >
            Pause conversation
          </button>
        ) : (
          <button type="button" class="quiet" disabled={working !== null} onClick={() => void act("resume")}>
            Resume conversation
          </button>
        )}
        <button
          type="button"
          class="quiet"
          disabled={busy || working !== null}
          onClick={() => void act("end")}
        >
          {working === "end" ? "Ending and summarising…" : "End conversation"}
        </button>
      </div>
      <ErrorNote error={error} />
    </>
  );
}

function Summary({ session }: { session: ChatSession }) {
  const summary = session.summary;
  return (
    <section class="card summary" aria-labelledby="summary-title">
      <h3 id="summary-title">Summary of this conversation</h3>
      {summary ? (
        <>
          <p>{summary.text}</p>
          {summary.topics.length > 0 && <p class="meta">Topics: {summary.topics.join(", ")}</p>}
          <p class="hint">
            {summary.generated
              ? `Written by ${summary.model ?? "a language model"}.`
              : "Made from the subjects of your own messages."}
          </p>
        </>
      ) : (
        <p>This conversation ended without a summary.</p>
      )}
    </section>
  );
}

function Conversation({
  session,
  onChange,
}: {
  session: ChatSession;
  onChange: (session: ChatSession) => void;
}) {
  const [messages, setMessages] = useState<Shown[]>([]);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    ok(api.v1.sessions[":id"].messages.$get({ param: { id: session.id }, query: { limit: "100" } }))
      .then((page) =>
        setMessages(page.items.map((m) => ({ id: m.id, role: m.role, content: m.content, message: m }))),
      )
      .catch((err) => setError(errorText(err)));
  }, [session.id]);

  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [messages]);

  async function send(content: string) {
    if (!content.trim() || busy) return;
    setBusy(true);
    setSuggestions([]);
    setError(null);
    setText("");
    const replyId = `reply-${Date.now()}`;
    setMessages((prev) => [
      ...prev,
      { id: `mine-${Date.now()}`, role: "user", content },
      { id: replyId, role: "assistant", content: "", streaming: true },
    ]);
    const patch = (change: (m: Shown) => Shown) =>
      setMessages((prev) => prev.map((m) => (m.id === replyId ? change(m) : m)));
    try {
      // The typed client answers the fetch Response itself, so its body streams as it arrives.
      const res = await succeeded(
        api.v1.sessions[":id"].messages.$post(
          { param: { id: session.id }, json: { content } },
          { headers: { Accept: "text/event-stream", "Idempotency-Key": idempotencyKey() } },
        ),
      );
      if ((res.headers.get("Content-Type") ?? "").includes("text/event-stream")) {
        if (res.body) {
          await readServerSentEvents(res.body, ({ event, data }) => {
            if (event === "token") {
              const { text } = JSON.parse(data) as { text: string };
              patch((m) => ({ ...m, content: m.content + text }));
            } else if (event === "suggestions") {
              setSuggestions((JSON.parse(data) as { suggestions: string[] }).suggestions);
            } else if (event === "done") {
              const message = JSON.parse(data) as ChatMessage;
              patch(() => ({ id: message.id, role: "assistant", content: message.content, message }));
            }
          });
        }
      } else {
        // The route declares one 200 in two types: the stored message as JSON, or the stream as text.
        const message = await res.json();
        if (typeof message !== "string") {
          patch(() => ({ id: message.id, role: "assistant", content: message.content, message }));
        }
      }
    } catch (err) {
      setError(errorText(err));
      patch((m) => ({ ...m, streaming: false }));
    } finally {
      setBusy(false);
    }
  }

  const crisis = messages.findLast((m) => m.message && ["high", "critical"].includes(m.message.safety.level));
  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <h2 id="conversation-title">{session.title ?? TYPES.find((t) => t.type === session.type)?.label}</h2>
      <p class="meta" data-testid="session-status">
        {session.status === "active" ? "Active" : session.status === "paused" ? "Paused" : "Ended"}
      </p>
      <Lifecycle session={session} busy={busy} onChange={onChange} />
      {session.status === "ended" && <Summary session={session} />}
      {crisis?.message && <CrisisPanel resources={crisis.message.safety.resources} />}
      <ol class="messages" aria-live="polite" aria-busy={busy}>
        {messages.map((m) => (
          <li key={m.id} class={m.role} data-streaming={m.streaming ? "true" : undefined}>
            <span class="who">{m.role === "user" ? "You" : "Inkwell"}</span>
            <p>{m.streaming && !m.content ? "…" : withCitations(m.content)}</p>
          </li>
        ))}
      </ol>
      <div ref={end} />
      {suggestions.length > 0 && (
        <ul class="suggestions" aria-label="You could ask">
          {suggestions.map((s) => (
            <li key={s}>
              <button type="button" class="quiet" onClick={() => void send(s)}>
                {s}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={error} />
      {session.status === "active" ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void send(text);
          }}
        >
          <label class="grow">
            Your message
            <textarea rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy || !text.trim()}>
            Send
          </button>
        </form>
      ) : (
        <p>
          {session.status === "paused"
            ? "This conversation is paused: resume it to write again."
            : "This conversation has ended. Start a new one to talk again."}
        </p>
      )}
    </section>
  );
}

export function TalkPage({ sessionId }: { sessionId?: string | undefined }) {
  const [sessions, setSessions] = useState<ChatSession[]>([]);
  const [type, setType] = useState<SessionType>("reflection_buddy");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    ok(api.v1.sessions.$get({ query: { limit: "50" } }))
      .then((page) => setSessions(page.items))
      .catch((err) => setError(errorText(err)));
  }, [sessionId]);

  async function start() {
    try {
      const created = await ok(
        api.v1.sessions.$post(
          { json: { type, greeting: true } },
          { headers: { "Idempotency-Key": idempotencyKey() } },
        ),
      );
      setSessions((prev) => [created, ...prev]);
      navigate(`/talk/${created.id}`);
    } catch (err) {
      setError(errorText(err));
    }
  }

  const current = sessions.find((s) => s.id === sessionId);
  return (
    <section class="talk">
      <h1>Talk</h1>
      <div class="talk-layout">
        <nav aria-label="Conversations">
          <div class="row">
            <label>
              Kind
              <select value={type} onChange={(e) => setType(e.currentTarget.value as SessionType)}>
                {TYPES.map((t) => (
                  <option key={t.type} value={t.type}>
                    {t.label}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" onClick={() => void start()}>
              New conversation
            </button>
          </div>
          <ul class="sessions">
            {sessions.map((s) => (
              <li key={s.id}>
                <a href={`/talk/${s.id}`} aria-current={s.id === sessionId ? "page" : undefined}>
                  {s.title ?? TYPES.find((t) => t.type === s.type)?.label} · {s.messageCount} messages
                  {s.status !== "active" && ` · ${s.status}`}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {current ? (
          <Conversation
            key={current.id}
            session={current}
            onChange={(next) => setSessions((prev) => prev.map((s) => (s.id === next.id ? next : s)))}
          />
        ) : (
          <p>Start or open a conversation.</p>
        )}
      </div>
      <ErrorNote error={error} />
    </section>
  );
}
