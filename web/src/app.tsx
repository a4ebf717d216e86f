import type { User } from "@inkwell/shared";
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { onSessionChange, resumeSession, signOut } from "./api.ts";
import { AuthPage } from "./pages/auth.tsx";
import { ConsolePage } from "./pages/console.tsx";
import { DataPage } from "./pages/data.tsx";
import { EntryPage } from "./pages/entry.tsx";
import { CalendarPage } from "./pages/insights/calendar.tsx";
import { InsightsPage } from "./pages/insights/charts.tsx";
import { ReflectionsPage } from "./pages/insights/reflections.tsx";
import { TopicsPage } from "./pages/insights/topics.tsx";
import { SearchPage } from "./pages/search.tsx";
import { TalkPage } from "./pages/talk.tsx";
import { TimelinePage } from "./pages/timeline.tsx";
import { WritePage } from "./pages/write.tsx";
import { linkHandler, navigate, usePath } from "./router.ts";

const NAV: { path: string; label: string; admin?: boolean }[] = [
  { path: "/write", label: "Write" },
  { path: "/entries", label: "Read" },
  { path: "/search", label: "Find" },
  { path: "/insights", label: "Insights" },
  { path: "/talk", label: "Talk" },
  { path: "/data", label: "Your data" },
  { path: "/console", label: "Console", admin: true },
];

function Page({ user, path }: { user: User; path: string }) {
  if (path === "/" || path === "/write") return <WritePage />;
  if (path === "/entries") return <TimelinePage />;
  const entry = /^\/entries\/([\w-]+)$/.exec(path);
  if (entry?.[1]) return <EntryPage id={entry[1]} />;
  if (path === "/search") return <SearchPage />;
  if (path === "/insights") return <InsightsPage />;
  if (path === "/insights/calendar") return <CalendarPage />;
  if (path === "/insights/topics") return <TopicsPage />;
  if (path === "/insights/reflections") return <ReflectionsPage />;
  if (path === "/talk" || path.startsWith("/talk/")) return <TalkPage sessionId={path.split("/")[2]} />;
  if (path === "/data") return <DataPage user={user} />;
  if (path === "/console" && user.role === "admin") return <ConsolePage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <a href="/write">Write an entry</a>.
      </p>
    </section>
  );
}

function Shell({ user, path, children }: { user: User; path: string; children: ComponentChildren }) {
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/write">
          Inkwell
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.admin || user.role === "admin").map((item) => (
              <li key={item.path}>
                <a href={item.path} aria-current={path.startsWith(item.path) ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="quiet" onClick={() => void signOut().then(() => navigate("/signin"))}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

export function App() {
  const path = usePath();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const main = useRef(path);

  useEffect(() => {
    const stop = onSessionChange(setUser);
    // A reload keeps the session through the refresh cookie; the access token itself is never stored.
    void resumeSession();
    return stop;
  }, []);

  useEffect(() => {
    // Move focus to the new page's content for keyboard and screen-reader users.
    if (main.current !== path) {
      main.current = path;
      document.getElementById("main")?.focus();
    }
  }, [path]);

  useEffect(() => {
    document.addEventListener("click", linkHandler);
    return () => document.removeEventListener("click", linkHandler);
  }, []);

  if (user === undefined) {
    return (
      <main id="main" class="center">
        <p aria-live="polite">Opening your journal…</p>
      </main>
    );
  }
  if (user === null) {
    return (
      <main id="main" class="center">
        <AuthPage mode={path === "/signup" ? "signup" : "signin"} />
      </main>
    );
  }
  if (path === "/signin" || path === "/signup") {
    queueMicrotask(() => navigate("/write"));
  }
  return (
    <Shell user={user} path={path}>
      <Page user={user} path={path} />
    </Shell>
  );
}
