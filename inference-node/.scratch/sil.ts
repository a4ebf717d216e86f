import { kmeans } from "ml-kmeans";
import { loadManifest } from "../../models/src/manifest.ts";
import { defaultModelsDir } from "../../models/src/paths.ts";
import { availableEmbeddingModels, loadEvalEmbedder } from "../../models/eval/embedding-models.ts";
import { embeddingText, loadEvalSet } from "../../models/eval/eval-set.ts";
import { cosineDistanceMatrix, meanSilhouette, unitVector } from "../../inference-node/src/topics/vectors.ts";
import { topicPurity } from "../../inference-node/src/topics/discover-topics.ts";

async function go() {
  const set = await loadEvalSet();
  const models = await availableEmbeddingModels(loadManifest(), defaultModelsDir());
  for (const m of models) {
    const e = await loadEvalEmbedder(m, defaultModelsDir(), console.log);
    let t = performance.now();
    const vecs = await e.embed(set.entries.map(embeddingText));
    console.log(m.id, "embed s", (performance.now() - t) / 1000);
    const u = vecs.map((v) => unitVector(v));
    const mean = new Array(u[0]!.length).fill(0); for (const v of u) v.forEach((x, i) => (mean[i] += x / u.length));
    const pts = u.map((v) => unitVector(v.map((x, i) => x - mean[i])));
    const D = cosineDistanceMatrix(pts);
    const row: string[] = [];
    t = performance.now();
    for (let k = 2; k <= 24; k += 2) {
      const r = kmeans(pts, k, { initialization: "kmeans++", seed: 42 });
      const s = meanSilhouette(D, r.clusters, k);
      const groups: Record<number, string[]> = {};
      r.clusters.forEach((c, i) => { (groups[c] ??= []).push(set.entries[i]!.id); });
      const p = topicPurity(Object.values(groups).map((memberIds) => ({ memberIds })), (id) => set.entries.find((x) => x.id === id)?.theme);
      row.push(`k${k}:s=${s.toFixed(3)} p=${p.toFixed(2)}`);
    }
    console.log(m.id, "kmeans s", (performance.now() - t) / 1000);
    console.log(row.join("  "));
    await e.close();
  }
}
go();
