import { z } from "zod";
import { roleSchema } from "./auth.ts";
import { pageQuerySchema } from "./pagination.ts";

/** `GET /v1/admin/users`: an email substring, and whether to list only disabled or only enabled accounts. */
export const adminUserListQuerySchema = z
  .object({
    q: z.string().trim().min(1, { error: "must not be empty" }).max(254, { error: "is too long" }).optional(),
    disabled: z.enum(["true", "false"], { error: "must be true or false" }).optional(),
    role: roleSchema.optional(),
  })
  .extend(pageQuerySchema.shape);

/** An account as an administrator sees it: never its password, tokens or anything it wrote. */
export const adminUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string().nullable(),
  role: roleSchema,
  timezone: z.string(),
  disabled: z.boolean(),
  disabledAt: z.string().nullable(),
  /** Until when repeated failed sign-ins lock the account, while they do. */
  lockedUntil: z.string().nullable(),
  createdAt: z.string(),
});
export type AdminUser = z.infer<typeof adminUserSchema>;

/** `GET /v1/admin/users/{id}`: the account with counts, never contents. */
export const adminUserDetailSchema = adminUserSchema.extend({
  entryCount: z.number().int().nonnegative(),
  sessionCount: z.number().int().nonnegative(),
  /** Signed-in sessions (refresh-token families) still live. */
  activeSignIns: z.number().int().nonnegative(),
  apiKeyCount: z.number().int().nonnegative(),
  lastSignInAt: z.string().nullable(),
});
export type AdminUserDetail = z.infer<typeof adminUserDetailSchema>;

export const deletedUserSchema = z.object({ deleted: z.literal(true), purgeJobId: z.string() });

/** Every kind of administrator action the audit log records. */
export const adminAuditActions = [
  "user.disable",
  "user.enable",
  "user.sign-out",
  "user.delete",
  "user.password-reset",
  "node.create",
  "node.update",
  "node.drain",
  "node.resume",
  "node.delete",
  "join-secret.create",
  "join-secret.revoke",
  "job.retry",
  "reindex",
] as const;
export const adminAuditActionSchema = z.enum(adminAuditActions);
export type AdminAuditAction = z.infer<typeof adminAuditActionSchema>;

export const adminAuditTargetTypes = ["user", "node", "join-secret", "job", "index"] as const;
export type AdminAuditTargetType = (typeof adminAuditTargetTypes)[number];

/** Small facts about an action (a node's name, a job's kind); never entry text, tokens or secrets. */
export type AdminAuditDetail = Record<string, string | number | boolean | null | string[]>;

export const adminAuditEntrySchema = z.object({
  id: z.string(),
  /** The administrator; null once their account is deleted. */
  actorId: z.string().nullable(),
  action: adminAuditActionSchema,
  targetType: z.enum(adminAuditTargetTypes),
  targetId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type AdminAuditEntry = z.infer<typeof adminAuditEntrySchema>;

export const adminAuditQuerySchema = z
  .object({
    action: adminAuditActionSchema.optional(),
    targetId: z.string().max(64).optional(),
    actorId: z.string().max(64).optional(),
  })
  .extend(pageQuerySchema.shape);
