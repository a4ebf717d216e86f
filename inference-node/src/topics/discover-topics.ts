import { randomUUID } from "node:crypto";
import { kmeans } from "ml-kmeans";
import { defaultMatchOptions, type MatchOptions, matchTopics } from "./match-topics.ts";
import { classTfIdf } from "./topic-terms.ts";
import {
  cosineDistanceMatrix,
  dot,
  meanDirection,
  meanSilhouette,
  unitVector,
  type Vector,
} from "./vectors.ts";

export interface TopicInputEntry {
  id: string;
  text: string;
  embedding: Vector;
}

/** A topic from an earlier run; only what is needed to recognise it again. */
export interface PreviousTopic {
  id: string;
  centroid: Vector;
  memberIds: readonly string[];
}

export interface DiscoveredTopic {
  id: string;
  /** The top keywords, joined: short enough for a chip in a client. */
  label: string;
  keywords: string[];
  /** Unit-length mean of the members' embeddings (compare with cosine). */
  centroid: number[];
  memberIds: string[];
}

export interface DiscoverTopicsOptions {
  /** Clusters smaller than this are not topics; their entries stay without one (BERTopic's outliers). */
  minTopicSize?: number;
  /** The most topics one writer gets, whatever the silhouette says. */
  maxTopics?: number;
  /**
   * k-means runs per k with different seeds; the lowest inertia wins. One by default: greedy k-means++
   * seeding is already good, and on the evaluation set more restarts moved purity by less than the choice
   * of seed did (0.57–0.70) while tripling the time.
   */
  restarts?: number;
  /** Fixes k-means' initialisation, so the same journal always gives the same topics. */
  seed?: number;
  keywordsPerTopic?: number;
  /** Words in a label. */
  labelWords?: number;
  match?: MatchOptions;
  /** Ids for topics that continue no previous one. */
  newId?: () => string;
}

export interface DiscoverTopicsInput {
  entries: readonly TopicInputEntry[];
  previous?: readonly PreviousTopic[];
}

const defaults = {
  minTopicSize: 3,
  maxTopics: 20,
  restarts: 1,
  seed: 42,
  keywordsPerTopic: 6,
  labelWords: 3,
} as const;

interface Clustering {
  k: number;
  labels: number[];
  silhouette: number;
}

function inertia(
  points: readonly number[][],
  labels: readonly number[],
  centroids: readonly number[][],
): number {
  let sum = 0;
  points.forEach((point, i) => {
    const centroid = centroids[labels[i] as number] as number[];
    for (let d = 0; d < point.length; d++) sum += ((point[d] as number) - (centroid[d] as number)) ** 2;
  });
  return sum;
}

/** mulberry32: a tiny seeded generator, so the same journal always gets the same starting centres. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Greedy k-means++ seeding (Arthur and Vassilvitskii, 2007, with scikit-learn's 2 + ln k local trials),
 * read off the cosine distance matrix the silhouette needs anyway: on unit vectors the squared Euclidean
 * distance is 2·(1 − cos). ml-kmeans' own k-means++ recomputes every distance through a generic matrix
 * type and took most of a second per run, twenty times the Lloyd iterations that follow it.
 */
function seedCentres(distances: Float64Array, n: number, k: number, random: () => number): number[] {
  const chosen = [Math.floor(random() * n)];
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = 2 * (distances[(chosen[0] as number) * n + i] as number);
  const trials = 2 + Math.floor(Math.log(k));
  while (chosen.length < k) {
    const total = closest.reduce((a, b) => a + b, 0);
    let best: { index: number; potential: number } | undefined;
    for (let t = 0; t < trials; t++) {
      // Sample proportionally to the squared distance to the nearest centre so far.
      let target = random() * total;
      let candidate = n - 1;
      for (let i = 0; i < n; i++) {
        target -= closest[i] as number;
        if (target <= 0) {
          candidate = i;
          break;
        }
      }
      let potential = 0;
      for (let i = 0; i < n; i++) {
        potential += Math.min(closest[i] as number, 2 * (distances[candidate * n + i] as number));
      }
      if (!best || potential < best.potential) best = { index: candidate, potential };
    }
    const next = best?.index ?? 0;
    chosen.push(next);
    for (let i = 0; i < n; i++) {
      closest[i] = Math.min(closest[i] as number, 2 * (distances[next * n + i] as number));
    }
  }
  return chosen;
}

/**
 * Spherical k-means (k-means on unit vectors, where squared distance is 2 − 2·cos) for every k the journal
 * can support, keeping the k with the best mean silhouette under cosine distance. k-means rather than
 * HDBSCAN: on a few hundred entries in 100–768 dimensions density estimates are unstable and would leave
 * much of a small journal as noise, while seeded k-means is deterministic and its centroids are exactly
 * what topic matching needs.
 */
function* cluster(
  points: number[][],
  options: Required<Pick<DiscoverTopicsOptions, "minTopicSize" | "maxTopics" | "restarts" | "seed">>,
  warmStart: number[][] = [],
): Generator<void, Clustering | undefined> {
  const n = points.length;
  const kMax = Math.min(options.maxTopics, Math.floor(n / options.minTopicSize));
  if (kMax < 2) return undefined;
  const distances = cosineDistanceMatrix(points);
  const random = seededRandom(options.seed);
  let best: Clustering | undefined;
  for (let k = 2; k <= kMax; k++) {
    let chosen: { labels: number[]; inertia: number } | undefined;
    for (let r = 0; r < options.restarts; r++) {
      const initialization = seedCentres(distances, n, k, random).map((i) => [...(points[i] as number[])]);
      const result = kmeans(points, k, { initialization, maxIterations: 100 });
      const score = inertia(points, result.clusters, result.centroids);
      if (!chosen || score < chosen.inertia) chosen = { labels: result.clusters, inertia: score };
    }
    if (!chosen) continue;
    const silhouette = meanSilhouette(distances, chosen.labels, k);
    // Strictly better only: on a tie the smaller k wins, fewer topics being easier to read.
    if (!best || silhouette > best.silhouette + 1e-9) best = { k, labels: chosen.labels, silhouette };
    yield;
  }
  if (!best || warmStart.length < 2 || warmStart.length > kMax) return best;
  // Started from last run's centres, k-means keeps last run's topics unless the journal really moved;
  // a few new entries can nudge the silhouette towards another k and reshuffle every topic for a gain
  // nobody would notice, so last run's k wins while it is within 10% of the best.
  const warm = kmeans(points, warmStart.length, { initialization: warmStart, maxIterations: 100 });
  const silhouette = meanSilhouette(distances, warm.clusters, warmStart.length);
  return silhouette >= 0.9 * best.silhouette
    ? { k: warmStart.length, labels: warm.clusters, silhouette }
    : best;
}

/**
 * Removes the direction every entry shares. Sentence embeddings are anisotropic (all of one writer's
 * entries point roughly the same way: first person, past tense, diary register), which squeezes the
 * differences between themes into a thin cone; clustering the centred directions measured purer topics on
 * the evaluation set (models/eval). Centroids are still reported in the model's own space.
 */
function centring(points: readonly number[][]): (vector: Vector) => number[] {
  const direction = meanDirection(points);
  const scale = points.reduce((sum, point) => sum + dot(point, direction), 0) / Math.max(1, points.length);
  return (vector) => unitVector(Array.from(vector, (v, d) => v - scale * (direction[d] as number)));
}

/** The whole computation, paused after each expensive step (one k of the search). */
function* discoverSteps(
  input: DiscoverTopicsInput,
  options: DiscoverTopicsOptions,
): Generator<void, DiscoveredTopic[]> {
  const settings = { ...defaults, ...options };
  const entries = input.entries;
  if (entries.length === 0) return [];
  const dims = entries[0]?.embedding.length ?? 0;
  for (const entry of entries) {
    if (entry.embedding.length !== dims || dims === 0) {
      throw new RangeError(`every embedding must have the same non-zero length (entry ${entry.id})`);
    }
  }
  const points = entries.map((entry) => unitVector(entry.embedding));
  const centre = centring(points);
  const warmStart = (input.previous ?? [])
    .filter((topic) => topic.centroid.length === dims)
    .map((topic) => centre(unitVector(topic.centroid)));
  const clustering = yield* cluster(points.map(centre), settings, warmStart);
  if (!clustering) return [];

  const groups = new Map<number, number[]>();
  clustering.labels.forEach((label, i) => {
    const members = groups.get(label);
    if (members) members.push(i);
    else groups.set(label, [i]);
  });
  const kept = [...groups.values()]
    .filter((members) => members.length >= settings.minTopicSize)
    .sort((a, b) => b.length - a.length || (a[0] as number) - (b[0] as number));
  if (kept.length === 0) return [];

  const keywords = classTfIdf(
    kept.map((members) => members.map((i) => entries[i]?.text ?? "")),
    settings.keywordsPerTopic,
  );
  const drafts = kept.map((members, c) => ({
    keywords: keywords[c] ?? [],
    centroid: meanDirection(members.map((i) => points[i] as number[])),
    memberIds: members.map((i) => entries[i]?.id ?? ""),
  }));
  const matches = matchTopics(
    drafts.map((draft) => ({ id: "", ...draft })),
    input.previous ?? [],
    settings.match ?? defaultMatchOptions,
  );
  const newId = settings.newId ?? randomUUID;
  return drafts.map((draft, c) => {
    const match = matches[c];
    const previous = match === undefined ? undefined : input.previous?.[match];
    return {
      id: previous?.id ?? newId(),
      label: draft.keywords.slice(0, settings.labelWords).join(", "),
      keywords: draft.keywords,
      centroid: draft.centroid,
      memberIds: draft.memberIds,
    };
  });
}

/**
 * Topics of one writer's journal: clusters of entry embeddings, each labelled by its most distinctive words
 * (class-based TF-IDF) and given the id of the previous topic it continues, so a topic a client shows keeps
 * its id while entries are added. Pure apart from `newId` (inject one for reproducible ids). Entries are
 * read in the order given; returns topics largest first, each with members in input order.
 */
export function discoverTopics(
  input: DiscoverTopicsInput,
  options: DiscoverTopicsOptions = {},
): DiscoveredTopic[] {
  const steps = discoverSteps(input, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `discoverTopics` for a server: the same steps, handing the event loop back after each k. A large journal
 * takes seconds of CPU; run in one piece it would stall every embed request on the node and trip load
 * shedding (which watches event-loop utilisation), so after each step it sleeps for a tenth of the time
 * the step took: interactive requests are served in between, and the loop is never busy more than ~90%.
 */
export async function discoverTopicsInBackground(
  input: DiscoverTopicsInput,
  options: DiscoverTopicsOptions = {},
): Promise<DiscoveredTopic[]> {
  const steps = discoverSteps(input, options);
  for (;;) {
    const started = performance.now();
    const step = steps.next();
    if (step.done) return step.value;
    const pause = Math.ceil((performance.now() - started) / 10);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Share of entries whose topic's most common label is their own (1 = every topic holds one label only). */
export function topicPurity(
  topics: readonly Pick<DiscoveredTopic, "memberIds">[],
  labelOf: (id: string) => string | undefined,
): number {
  let assigned = 0;
  let majority = 0;
  for (const topic of topics) {
    const counts = new Map<string, number>();
    for (const id of topic.memberIds) {
      const label = labelOf(id);
      if (label === undefined) continue;
      assigned++;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    majority += Math.max(0, ...counts.values());
  }
  return assigned === 0 ? 0 : majority / assigned;
}
