import { createRouter } from "../lib/openapi.ts";
import { postJoinSecret } from "./admin/create-join-secret.ts";
import { postNode } from "./admin/create-node.ts";
import { deleteNode } from "./admin/delete-node.ts";
import { deleteUser } from "./admin/delete-user.ts";
import { disableUser } from "./admin/disable-user.ts";
import { drainNode } from "./admin/drain-node.ts";
import { getPool } from "./admin/get-pool.ts";
import { getAdminUserRoute } from "./admin/get-user.ts";
import { postPasswordReset } from "./admin/issue-password-reset.ts";
import { getAudit } from "./admin/list-audit.ts";
import { getAdminJobs } from "./admin/list-jobs.ts";
import { getJoinSecrets } from "./admin/list-join-secrets.ts";
import { getNodes } from "./admin/list-nodes.ts";
import { getAdminUsers } from "./admin/list-users.ts";
import { postReindex } from "./admin/reindex.ts";
import { retryJob } from "./admin/retry-job.ts";
import { deleteJoinSecret } from "./admin/revoke-join-secret.ts";
import { signOutUser } from "./admin/sign-out-user.ts";
import { patchNode } from "./admin/update-node.ts";

/**
 * Operator routes (admin role or `admin` scope): the node pool, its enrollment and autoscaling signal,
 * the job pipeline, accounts, and the audit log every change among them writes to.
 */
export const adminRoutes = createRouter()
  .route("/", postNode)
  .route("/", getNodes)
  .route("/", drainNode)
  .route("/", patchNode)
  .route("/", deleteNode)
  .route("/", getAdminJobs)
  .route("/", retryJob)
  .route("/", postReindex)
  .route("/", postJoinSecret)
  .route("/", getJoinSecrets)
  .route("/", deleteJoinSecret)
  .route("/", getPool)
  .route("/", postPasswordReset)
  .route("/", getAdminUsers)
  .route("/", getAdminUserRoute)
  .route("/", disableUser)
  .route("/", signOutUser)
  .route("/", deleteUser)
  .route("/", getAudit);
