/**
 * The credentials the official client uses in dev mode (`QSTASH_DEV=1` / `devMode: true`). A server started
 * with them on the dev port is recognised by the client as its dev server, so code relying on the client's
 * dev mode talks to the stand-in unchanged.
 */
export const DEV_MODE_CREDENTIALS = {
  token: "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=",
  currentSigningKey: "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
  nextSigningKey: "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
} as const;

/** The client's default dev-mode port (`QSTASH_DEV_PORT` overrides it on the client side). */
export const DEV_MODE_PORT = 8080;
