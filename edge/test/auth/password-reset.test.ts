import { forgotPasswordAcceptedSchema, hashToken, issuedPasswordResetSchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { passwordResetTokens } from "../../src/db/schema/index.ts";
import {
  call,
  callWithEnv,
  createKey,
  expectProblem,
  expectValidationPaths,
  login,
  newPassword,
  randomIp,
  registerAdmin,
  registerUser,
  type TestUser,
  testDb,
  uniqueEmail,
} from "../harness.ts";
import type { ReceivedMail } from "../mail-receiver.ts";

async function issue(admin: TestUser, userId: string): Promise<{ token: string; expiresAt: string }> {
  const res = await call(`/v1/admin/users/${userId}/password-reset`, {
    method: "POST",
    token: admin.accessToken,
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  const body = issuedPasswordResetSchema.parse(JSON.parse(text));
  expect(body.userId).toBe(userId);
  return body;
}

async function reset(token: string, password: string): Promise<Response> {
  return await call("/v1/auth/reset-password", { body: { token, newPassword: password } });
}

const mailReceiver = inject("mailReceiverUrl");
const MAIL_ENV = {
  MAIL_API_URL: `${mailReceiver}/send`,
  MAIL_API_KEY: `mk-${crypto.randomUUID()}`,
  MAIL_FROM: "inkwell@example.test",
};

async function mailsTo(email: string): Promise<ReceivedMail[]> {
  const res = await fetch(`${mailReceiver}/messages?to=${encodeURIComponent(email)}`);
  return (await res.json()) as ReceivedMail[];
}

describe.concurrent("password recovery", () => {
  it("an admin-issued token sets a new password once and ends every session and API key", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const key = await createKey(user, ["entries:read"]);
    const { token, expiresAt } = await issue(admin, user.id);
    const ttl = new Date(expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(29 * 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000);
    // Issuing changes nothing until the token is used.
    expect((await call("/v1/me", { token: user.accessToken })).status).toBe(200);

    const next = newPassword();
    const res = await reset(token, next);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ revokedApiKeys: 1 });

    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
    await expectProblem(
      await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      401,
      "UNAUTHENTICATED",
    );
    await expectProblem(await call("/v1/entries", { token: key.key }), 401, "UNAUTHENTICATED");
    await expectProblem(await login(user.email, user.password), 401, "UNAUTHENTICATED");
    expect((await login(user.email, next)).status).toBe(200);
    // Single use.
    await expectProblem(await reset(token, newPassword()), 401, "UNAUTHENTICATED");
    expect((await login(user.email, next)).status).toBe(200);
  });

  it("keeps only a hash of the token, and a newer token ends the older one", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const first = await issue(admin, user.id);
    const second = await issue(admin, user.id);
    const rows = await testDb()
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(await hashToken(second.token));
    expect(JSON.stringify(rows)).not.toContain(second.token);
    expect(rows[0]?.issuedBy).toBe(admin.id);
    await expectProblem(await reset(first.token, newPassword()), 401, "UNAUTHENTICATED");
    expect((await reset(second.token, newPassword())).status).toBe(200);
  });

  it("refuses an expired token, and an unknown one alike", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const { token } = await issue(admin, user.id);
    await testDb()
      .update(passwordResetTokens)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(passwordResetTokens.userId, user.id));
    const expired = await expectProblem(await reset(token, newPassword()), 401, "UNAUTHENTICATED");
    const unknown = await expectProblem(
      await reset(`pr_${crypto.randomUUID()}`, newPassword()),
      401,
      "UNAUTHENTICATED",
    );
    expect(expired.detail).toBe(unknown.detail);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it("clears a sign-in lockout", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const ip = randomIp();
    let locked = false;
    for (let i = 0; i < 10 && !locked; i++)
      locked = (await login(user.email, "wrong-password", ip)).status === 423;
    expect(locked).toBe(true);
    const { token } = await issue(admin, user.id);
    const next = newPassword();
    expect((await reset(token, next)).status).toBe(200);
    expect((await login(user.email, next)).status).toBe(200);
  });

  it("validates the bodies", async () => {
    expect(await expectValidationPaths(await reset("pr_whatever", "short"))).toEqual(["newPassword"]);
    expect(await expectValidationPaths(await call("/v1/auth/reset-password", { body: {} }))).toEqual([
      "token",
      "newPassword",
    ]);
    expect(await expectValidationPaths(await call("/v1/auth/forgot-password", { body: {} }))).toEqual([
      "email",
    ]);
  });

  it("issuing needs an administrator (403) and an account that exists (404)", async () => {
    const [admin, user, other] = await Promise.all([registerAdmin(), registerUser(), registerUser()]);
    await expectProblem(
      await call(`/v1/admin/users/${other.id}/password-reset`, { method: "POST", token: user.accessToken }),
      403,
      "FORBIDDEN",
    );
    await expectProblem(
      await call(`/v1/admin/users/${crypto.randomUUID()}/password-reset`, {
        method: "POST",
        token: admin.accessToken,
      }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call("/v1/admin/users/not-an-id/password-reset", { method: "POST", token: admin.accessToken }),
      404,
      "NOT_FOUND",
    );
  });
});

describe.concurrent("POST /v1/auth/forgot-password", () => {
  it("without a mail provider answers the same 202 for any address and makes no token", async () => {
    const user = await registerUser();
    const known = await call("/v1/auth/forgot-password", { body: { email: user.email } });
    const unknown = await call("/v1/auth/forgot-password", { body: { email: uniqueEmail() } });
    for (const res of [known, unknown]) {
      expect(res.status).toBe(202);
      expect(forgotPasswordAcceptedSchema.parse(await res.json())).toEqual({ accepted: true });
    }
    const rows = await testDb()
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, user.id));
    expect(rows).toEqual([]);
  });

  it("with a mail provider mails a working token to an existing account, and nothing for an unknown one", async () => {
    const user = await registerUser();
    const stranger = uniqueEmail();
    const [known, unknown] = await Promise.all([
      callWithEnv(MAIL_ENV, "/v1/auth/forgot-password", { body: { email: user.email.toUpperCase() } }),
      callWithEnv(MAIL_ENV, "/v1/auth/forgot-password", { body: { email: stranger } }),
    ]);
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.json()).toEqual(await unknown.json());

    expect(await mailsTo(stranger)).toEqual([]);
    const mails = await mailsTo(user.email);
    expect(mails).toHaveLength(1);
    const mail = mails[0] as ReceivedMail;
    expect(mail.authorization).toBe(`Bearer ${MAIL_ENV.MAIL_API_KEY}`);
    expect(mail.from).toBe(MAIL_ENV.MAIL_FROM);
    expect(mail.subject).toMatch(/password/i);
    const token = /pr_[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
    expect(token).toBeDefined();

    const next = newPassword();
    expect((await reset(token ?? "", next)).status).toBe(200);
    expect((await login(user.email, next)).status).toBe(200);
    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
  });

  it("links to the operator's reset page when one is configured", async () => {
    const user = await registerUser();
    const res = await callWithEnv(
      { ...MAIL_ENV, PASSWORD_RESET_URL: "https://app.example.test/reset" },
      "/v1/auth/forgot-password",
      { body: { email: user.email } },
    );
    expect(res.status).toBe(202);
    const [mail] = await mailsTo(user.email);
    const link = /https:\/\/app\.example\.test\/reset\?token=(pr_[A-Za-z0-9_-]{43})/.exec(mail?.text ?? "");
    expect(link?.[1]).toBeDefined();
    expect((await reset(link?.[1] ?? "", newPassword())).status).toBe(200);
  });

  it("limits mails per address asked for, whoever asks, and answers 429 alike for unknown addresses", async () => {
    const user = await registerUser();
    for (const email of [user.email, uniqueEmail()]) {
      for (let i = 0; i < 3; i++) {
        expect((await call("/v1/auth/forgot-password", { body: { email } })).status).toBe(202);
      }
      const limited = await call("/v1/auth/forgot-password", { body: { email } });
      await expectProblem(limited, 429, "RATE_LIMITED");
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
  });

  it("limits resets per address", async () => {
    const ip = randomIp();
    for (let i = 0; i < 10; i++) {
      const res = await call("/v1/auth/reset-password", {
        body: { token: `pr_${crypto.randomUUID()}`, newPassword: "x".repeat(12) },
        ip,
      });
      expect(res.status).toBe(401);
    }
    await expectProblem(
      await call("/v1/auth/reset-password", { body: { token: "pr_x", newPassword: "x".repeat(12) }, ip }),
      429,
      "RATE_LIMITED",
    );
  });
});
