import { loadManifest } from "@inkwell/models/manifest";
import { defaultModelsDir } from "@inkwell/models/paths";
import { availableEmbeddingModels, loadEvalEmbedder } from "../../models/eval/embedding-models.ts";
import { embeddingText, loadEvalSet } from "../../models/eval/eval-set.ts";
import { discoverTopics, topicPurity } from "../src/topics/discover-topics.ts";
async function go() {
  const set = await loadEvalSet();
  const dir = defaultModelsDir({});
  const model = (await availableEmbeddingModels(loadManifest(), dir)).find((m) => m.id === "use-lite")!;
  const e = await loadEvalEmbedder(model, dir, () => {});
  const v = await e.embed(set.entries.map(embeddingText));
  const entries = set.entries.map((x, i) => ({ id: x.id, text: embeddingText(x), embedding: v[i]! }));
  const theme = (id: string) => set.entries.find((x) => x.id === id)?.theme;
  let t = performance.now();
  let n = 0;
  const first = discoverTopics({ entries: entries.filter((_, i) => i % 30 !== 7) }, { newId: () => `old-${++n}` });
  console.log("first ms", performance.now() - t, first.length, topicPurity(first, theme));
  t = performance.now();
  const second = discoverTopics({ entries, previous: first }, { newId: () => `new-${++n}` });
  console.log("second ms", performance.now() - t, second.length, topicPurity(second, theme));
  for (const s of second) console.log(s.id, s.label, s.memberIds.length);
  await e.close();
}
go();
