import { emailSchema, InkwellError, newPasswordSchema, type ProblemFieldError } from "@inkwell/shared";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { users } from "../db/schema/index.ts";
import type { Peppers } from "../lib/password.ts";
import { createUser } from "./accounts.ts";

const createAdminSchema = z.object({
  email: emailSchema,
  password: newPasswordSchema,
  displayName: z.string().trim().min(1).max(100).optional(),
});
export type CreateAdminInput = z.input<typeof createAdminSchema>;

function invalid(error: z.ZodError): InkwellError {
  const errors: ProblemFieldError[] = error.issues.map((i) => ({
    path: i.path.join("."),
    message: i.message,
  }));
  return new InkwellError("VALIDATION_FAILED", errors.map((e) => `${e.path} ${e.message}`).join("; "), {
    errors,
  });
}

/**
 * Creates an administrator: how the first admin comes to exist (`npm run admin -- create-admin`).
 * There is no default account and no default password: the operator supplies both, under the same
 * rules as sign-up. Throws InkwellError VALIDATION_FAILED for a bad email or a short password and
 * CONFLICT when the email is taken (use `promoteToAdmin` for an existing account).
 * Runs in Node as well as workerd: it needs only WebCrypto, a drizzle client and the Worker's password
 * pepper (PASSWORD_PEPPER), without which the Worker could not verify the password.
 */
export async function createAdmin(
  db: Database,
  peppers: Peppers,
  input: CreateAdminInput,
): Promise<{ id: string; email: string; role: "admin" }> {
  const parsed = createAdminSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error);
  const user = await createUser(db, peppers, parsed.data, "admin");
  return { id: user.id, email: user.email, role: "admin" };
}

/** Makes an existing account an administrator. NOT_FOUND when no such account exists. */
export async function promoteToAdmin(db: Database, email: string): Promise<{ id: string; email: string }> {
  const [row] = await db
    .update(users)
    .set({ role: "admin", updatedAt: new Date() })
    .where(and(eq(sql`lower(${users.email})`, email.trim().toLowerCase()), isNull(users.deletedAt)))
    .returning({ id: users.id, email: users.email });
  if (!row) throw new InkwellError("NOT_FOUND", "No account has this email.");
  return row;
}
