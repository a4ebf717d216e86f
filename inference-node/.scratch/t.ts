import { kmeans } from "ml-kmeans";
const n = 336, d = 512;
let s = 1;
const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
const pts = Array.from({ length: n }, () => Array.from({ length: d }, rnd));
for (const k of [4, 14, 24]) {
  let t = performance.now();
  const r = kmeans(pts, k, { initialization: "kmeans++", seed: 42 });
  const a = performance.now() - t;
  t = performance.now();
  const init = r.centroids.map((c) => [...c]);
  const r2 = kmeans(pts, k, { initialization: pts.slice(0, k).map((p) => [...p]), seed: 42 });
  console.log(k, "pp ms", a.toFixed(0), "iters", r.iterations, "given-init ms", (performance.now() - t).toFixed(0), r2.iterations);
}
