import type { AppConfig } from "../env.ts";
import { withTimeout } from "./timeout.ts";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** The mail provider's settings when the operator configured one (env.ts refuses a partial set). */
export function mailSettings(config: AppConfig): { url: string; key: string; from: string } | null {
  if (!config.MAIL_API_URL || !config.MAIL_API_KEY || !config.MAIL_FROM) return null;
  return { url: config.MAIL_API_URL, key: config.MAIL_API_KEY, from: config.MAIL_FROM };
}

/**
 * Sends one message through the provider's HTTP API: a JSON POST of `{from, to, subject, text}` with the
 * key as a bearer token, the shape Resend, Postmark-style relays and most transactional APIs accept.
 * Throws when the provider does not accept it; the message text is never logged (it carries a token).
 */
export async function sendMail(
  settings: { url: string; key: string; from: string },
  message: MailMessage,
): Promise<void> {
  const res = await withTimeout(
    fetch(settings.url, {
      method: "POST",
      headers: { Authorization: `Bearer ${settings.key}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        from: settings.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
      }),
    }),
    10_000,
    "mail provider",
  );
  // The body is drained so the connection can be reused; its content may echo the message.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`the mail provider answered ${res.status}`);
}
