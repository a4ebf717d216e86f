import { it } from "vitest";

async function hash(iterations: number): Promise<void> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("correct horse battery"), "PBKDF2", false, ["deriveBits"]);
  await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: crypto.getRandomValues(new Uint8Array(16)), iterations }, key, 256);
}

it("measures", async () => {
  for (const it of [100_000, 100_001, 200_000, 600_000]) {
    try { await hash(it); console.log("ok", it); } catch (e) { console.log("fail", it, String(e)); }
  }
  for (const iterations of [10_000, 50_000, 100_000]) {
    await hash(iterations);
    const n = 20;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await hash(iterations);
    console.log(iterations, (performance.now() - t0) / n, "ms per hash (performance.now)");
    const d0 = Date.now();
    for (let i = 0; i < n; i++) await hash(iterations);
    console.log(iterations, (Date.now() - d0) / n, "ms per hash (Date.now)");
  }
});
