import type { AdminNode, AdminUser, PoolSignal } from "@inkwell/shared";
import { useEffect, useState } from "preact/hooks";
import { type Answer, api, idempotencyKey, ok, succeeded, type TypedResponse } from "../api.ts";
import { ErrorNote, errorText } from "../components.tsx";
import { formatDate } from "../format.ts";

const REFRESH_MS = 3000;

type AdminJob = Answer<typeof api.v1.admin.jobs.$get>["items"][number];

/** The console's POSTs, each made once however often it is sent. */
const idempotent = () => ({ headers: { "Idempotency-Key": idempotencyKey() } });

function ago(iso: string | null): string {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 90 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

/** The operator console: the node pool, the queue, users and failed jobs, refreshed every few seconds. */
export function ConsolePage() {
  const [nodes, setNodes] = useState<AdminNode[] | null>(null);
  const [pool, setPool] = useState<PoolSignal | null>(null);
  const [failed, setFailed] = useState<AdminJob[]>([]);
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [userQuery, setUserQuery] = useState("");
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    Promise.all([
      ok(api.v1.admin.nodes.$get({ query: { limit: "100" } })),
      ok(api.v1.admin.pool.$get()),
      ok(api.v1.admin.jobs.$get({ query: { status: "failed", limit: "20" } })),
      ok(
        api.v1.admin.users.$get({
          query: { limit: "20", ...(userQuery.trim() ? { q: userQuery.trim() } : {}) },
        }),
      ),
    ])
      .then(([n, p, j, u]) => {
        if (stopped) return;
        setNodes(n.items);
        setPool(p);
        setFailed(j.items);
        setUsers(u.items);
        setUpdatedAt(new Date());
        setError(null);
      })
      .catch((err) => !stopped && setError(errorText(err)));
    const timer = setTimeout(() => setTick((t) => t + 1), REFRESH_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [tick, userQuery]);

  /** A change of the pool, a user or a job, then the figures read again. */
  async function act(label: string, send: () => Promise<TypedResponse>) {
    try {
      await succeeded(send());
      setNote(label);
      setTick((t) => t + 1);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section class="console">
      <h1>Operator console</h1>
      <p class="meta" aria-live="off">
        {updatedAt ? `Updated ${updatedAt.toLocaleTimeString()}` : "Loading…"} · refreshes every{" "}
        {REFRESH_MS / 1000} s
      </p>
      {note && (
        <p role="status" class="status">
          {note}
        </p>
      )}
      <ErrorNote error={error} />
      {pool && (
        <section aria-labelledby="pool-title">
          <h2 id="pool-title">Pool</h2>
          <ul class="figures">
            <li>
              <strong>{pool.nodes.healthy}</strong> healthy
            </li>
            <li>
              <strong>{pool.nodes.draining}</strong> draining
            </li>
            <li>
              <strong>{pool.nodes.offline}</strong> offline
            </li>
            <li>
              <strong>{pool.jobs.waiting}</strong> waiting
            </li>
            <li>
              <strong>{pool.jobs.running}</strong> running
            </li>
            <li>
              <strong>{Math.round(pool.utilisation * 100)}%</strong> utilisation
            </li>
          </ul>
          {pool.kinds.length > 0 && (
            <table>
              <caption>Queue by job kind</caption>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Running</th>
                  <th scope="col">Oldest waiting</th>
                </tr>
              </thead>
              <tbody>
                {pool.kinds.map((k) => (
                  <tr key={k.kind}>
                    <th scope="row">{k.kind}</th>
                    <td>{k.waiting}</td>
                    <td>{k.running}</td>
                    <td>{Math.round(k.oldestWaitingSeconds)} s</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      <section aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        {nodes && nodes.length === 0 && <p>No nodes registered.</p>}
        {nodes && nodes.length > 0 && (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Node</th>
                  <th scope="col">Status</th>
                  <th scope="col">Device</th>
                  <th scope="col">Models</th>
                  <th scope="col">Load</th>
                  <th scope="col">Heartbeat</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {nodes.map((n) => (
                  <tr key={n.id} data-node={n.name}>
                    <th scope="row">
                      {n.name}
                      <br />
                      <small>{n.url}</small>
                    </th>
                    <td data-status={n.status}>{n.status}</td>
                    <td>
                      {n.hardware
                        ? `${n.hardware.device}${n.hardware.gpuName ? ` (${n.hardware.gpuName})` : ""}`
                        : "–"}
                    </td>
                    <td>
                      {n.models.map((m) => `${m.task} (${m.id})`).join(", ") || "–"}
                      {n.version && (
                        <>
                          <br />
                          <small>version {n.version}</small>
                        </>
                      )}
                    </td>
                    <td>
                      {n.load
                        ? `${n.load.running}/${n.load.capacity} running, ${n.load.queueDepth} queued`
                        : "–"}
                      <br />
                      <small>{n.runningJobs} handed out</small>
                    </td>
                    <td>{ago(n.lastHeartbeatAt)}</td>
                    <td>
                      <button
                        type="button"
                        class="quiet"
                        onClick={() => {
                          if (confirm(`Remove ${n.name}? Its token stops working at once.`)) {
                            void act(`${n.name} removed`, () =>
                              api.v1.admin.nodes[":id"].$delete({ param: { id: n.id } }),
                            );
                          }
                        }}
                      >
                        Remove {n.name}
                      </button>
                      {n.draining ? (
                        <button
                          type="button"
                          class="quiet"
                          onClick={() =>
                            void act(`${n.name} takes work again`, () =>
                              api.v1.admin.nodes[":id"].drain.$delete({ param: { id: n.id } }),
                            )
                          }
                        >
                          Undrain {n.name}
                        </button>
                      ) : (
                        <button
                          type="button"
                          class="quiet"
                          onClick={() =>
                            void act(`${n.name} is draining`, () =>
                              api.v1.admin.nodes[":id"].drain.$post({ param: { id: n.id } }, idempotent()),
                            )
                          }
                        >
                          Drain {n.name}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <label class="inline">
          Find by email
          <input type="search" value={userQuery} onChange={(e) => setUserQuery(e.currentTarget.value)} />
        </label>
        <ul class="jobs">
          {users.map((u) => (
            <li key={u.id}>
              <strong>{u.email}</strong> · {u.role}
              {u.disabled ? " · disabled" : ""}
              {u.lockedUntil ? " · locked after failed sign-ins" : ""} · since {formatDate(u.createdAt)}{" "}
              <button
                type="button"
                class="quiet"
                onClick={() =>
                  void act(u.disabled ? `${u.email} may sign in again` : `${u.email} is disabled`, () =>
                    u.disabled
                      ? api.v1.admin.users[":id"].enable.$post({ param: { id: u.id } }, idempotent())
                      : api.v1.admin.users[":id"].disable.$post({ param: { id: u.id } }, idempotent()),
                  )
                }
              >
                {u.disabled ? `Enable ${u.email}` : `Disable ${u.email}`}
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="failed-title">
        <h2 id="failed-title">Failed jobs</h2>
        {failed.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul class="jobs">
            {failed.map((j) => (
              <li key={j.id}>
                <strong>{j.kind}</strong> · {j.attempts} attempts · {formatDate(j.createdAt)}
                {j.error && <> · {j.error}</>}{" "}
                <button
                  type="button"
                  class="quiet"
                  onClick={() =>
                    void act(`Job ${j.id} queued again`, () =>
                      api.v1.admin.jobs[":id"].retry.$post({ param: { id: j.id } }, idempotent()),
                    )
                  }
                >
                  Retry
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
