import type { ChatMessage, ChatSession, CreatedSession, SessionType } from "@inkwell/shared";
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { getJson, idempotencyKey, type Page, readEventStream, request } from "../api.ts";
import { CrisisPanel, ErrorNote, errorText } from "../components.tsx";
import { navigate } from "../router.ts";

const TYPES: { type: SessionType; label: string }[] = [
  { type: "reflection_buddy", label: "Reflection buddy" },
  { type: "free_chat", label: "Free chat" },
  { type: "inner_voice", label: "Inner voice" },
  { type: "growth_challenge", label: "Growth challenge" },
  { type: "pattern_detective", label: "Pattern detective" },
];

/** Citations: `[entry:ID]` becomes a link to the entry, `[kb:ID]` names the knowledge passage. */
function withCitations(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(/\[(entry|kb):([A-Za-z0-9_.:-]{1,80})\]/g)) {
    const index = match.index ?? 0;
    out.push(text.slice(last, index));
    const [, kind, id = ""] = match;
    out.push(
      kind === "entry" ? (
        <a key={index} href={`/entries/${id}`}>
          [entry]
        </a>
      ) : (
        <cite key={index} class="source" title={`Knowledge passage ${id}`}>
          [source: {id.replaceAll("-", " ")}]
        </cite>
      ),
    );
    last = index + match[0].length;
  }
  out.push(text.slice(last));
  return out;
}

interface Shown {
  id: string;
  role: "user" | "assistant";
  content: string;
  streaming?: boolean;
  message?: ChatMessage;
}

function Conversation({ session }: { session: ChatSession }) {
  const [messages, setMessages] = useState<Shown[]>([]);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    getJson<Page<ChatMessage>>(`/v1/sessions/${session.id}/messages?limit=100`)
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
      const res = await request(`/v1/sessions/${session.id}/messages`, {
        body: { content },
        headers: { Accept: "text/event-stream", "Idempotency-Key": idempotencyKey() },
      });
      if ((res.headers.get("Content-Type") ?? "").includes("text/event-stream")) {
        await readEventStream(res, (event, data) => {
          if (event === "token")
            patch((m) => ({ ...m, content: m.content + (data as { text: string }).text }));
          else if (event === "suggestions") setSuggestions((data as { suggestions: string[] }).suggestions);
          else if (event === "done") {
            const message = data as ChatMessage;
            patch(() => ({ id: message.id, role: "assistant", content: message.content, message }));
          }
        });
      } else {
        const message = (await res.json()) as ChatMessage;
        patch(() => ({ id: message.id, role: "assistant", content: message.content, message }));
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
        <p>This conversation is {session.status}.</p>
      )}
    </section>
  );
}

export function TalkPage({ sessionId }: { sessionId?: string | undefined }) {
  const [sessions, setSessions] = useState<ChatSession[]>([]);
  const [type, setType] = useState<SessionType>("reflection_buddy");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    getJson<Page<ChatSession>>("/v1/sessions?limit=50")
      .then((page) => setSessions(page.items))
      .catch((err) => setError(errorText(err)));
  }, [sessionId]);

  async function start() {
    try {
      const created = await getJson<CreatedSession>("/v1/sessions", {
        body: { type, greeting: true },
        headers: { "Idempotency-Key": idempotencyKey() },
      });
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
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {current ? <Conversation key={current.id} session={current} /> : <p>Start or open a conversation.</p>}
      </div>
      <ErrorNote error={error} />
    </section>
  );
}
