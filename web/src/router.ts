import { useEffect, useState } from "preact/hooks";

/** The app's pages live at real paths; the Worker answers every one of them with index.html. */
export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    addEventListener("popstate", update);
    return () => removeEventListener("popstate", update);
  }, []);
  return path;
}

/** A plain link that navigates inside the app (still a real link: open in a new tab works). */
export function linkHandler(event: MouseEvent): void {
  const anchor = (event.target as Element | null)?.closest("a");
  if (
    !anchor ||
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    anchor.target ||
    anchor.hasAttribute("download") ||
    anchor.origin !== location.origin ||
    anchor.pathname.startsWith("/v1/")
  ) {
    return;
  }
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
