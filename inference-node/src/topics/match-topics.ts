import { munkres } from "munkres";
import { cosineSimilarity, type Vector } from "./vectors.ts";

export interface TopicIdentity {
  id: string;
  centroid: Vector;
  memberIds: readonly string[];
}

export interface MatchOptions {
  /** A new cluster keeps an old topic's id when they share at least this share of members (Jaccard)… */
  minJaccard: number;
  /** …or, when membership says little (entries deleted, a rebuilt index), their centroids are this close. */
  minCentroidCosine: number;
}

export const defaultMatchOptions: MatchOptions = { minJaccard: 0.3, minCentroidCosine: 0.85 };

function jaccard(a: ReadonlySet<string>, b: readonly string[]): number {
  if (a.size === 0 && b.length === 0) return 0;
  let shared = 0;
  const unique = new Set(b);
  for (const id of unique) if (a.has(id)) shared++;
  return shared / (a.size + unique.size - shared);
}

/**
 * Which old topic each new cluster continues, as indices into `previous` (undefined: a new topic). A
 * one-to-one assignment maximising total similarity (Hungarian algorithm), so two new clusters can never
 * both claim one old id, and a slightly better greedy pick cannot steal the id its neighbour needed more.
 * Similarity mixes member overlap (what the writer sees: "the same entries") with centroid closeness.
 */
export function matchTopics(
  clusters: readonly TopicIdentity[],
  previous: readonly TopicIdentity[],
  options: MatchOptions = defaultMatchOptions,
): (number | undefined)[] {
  const matches = new Array<number | undefined>(clusters.length).fill(undefined);
  if (clusters.length === 0 || previous.length === 0) return matches;
  const previousMembers = previous.map((topic) => new Set(topic.memberIds));
  const similarity = clusters.map((cluster) =>
    previous.map((old, j) => {
      const overlap = jaccard(previousMembers[j] as Set<string>, cluster.memberIds);
      const cosine =
        old.centroid.length === cluster.centroid.length
          ? cosineSimilarity(cluster.centroid, old.centroid)
          : 0;
      const eligible = overlap >= options.minJaccard || cosine >= options.minCentroidCosine;
      return eligible ? 0.7 * overlap + 0.3 * Math.max(0, cosine) : 0;
    }),
  );
  // munkres minimises cost; 1 − similarity keeps every cost in [0, 1].
  const cost = similarity.map((row) => row.map((s) => 1 - s));
  for (const [row, column] of munkres(cost)) {
    if ((similarity[row]?.[column] ?? 0) > 0) matches[row] = column;
  }
  return matches;
}
