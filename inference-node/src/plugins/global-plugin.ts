import type { FastifyPluginAsync } from "fastify";

/**
 * What `fastify-plugin` does, without adding it as a dependency: the plugin's hooks, handlers and routes
 * land in the context that registers it instead of a private child context, so e.g. the error handler
 * registered from `app.ts` covers every route.
 */
export function globalPlugin<Options extends Record<string, unknown>>(
  name: string,
  plugin: FastifyPluginAsync<Options>,
): FastifyPluginAsync<Options> {
  return Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: name,
  });
}
