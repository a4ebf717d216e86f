import { buildWeb } from "@inkwell/web/build";

/**
 * Builds the journal app into web/dist, which wrangler.toml's `[assets]` serves; wrangler refuses to
 * start without that folder, so everything that starts the Worker builds it first. A no-op (a digest
 * comparison) while the app's sources are unchanged.
 */
export async function ensureWebBuild(say: (message: string) => void): Promise<void> {
  const started = Date.now();
  const { built, bytes } = await buildWeb();
  if (built) {
    say(`built the web app into web/dist (${(bytes / 1024).toFixed(1)} KiB, ${Date.now() - started} ms)`);
  }
}
