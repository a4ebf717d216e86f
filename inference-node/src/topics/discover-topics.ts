import { randomUUID } from "node:crypto";
import { defaultMatchOptions, type MatchOptions, matchTopics } from "./match-topics.ts";
import { classTfIdf, topicLabel } from "./topic-terms.ts";
import {
  cosineDistanceMatrix,
  dot,
  meanDirection,
  silhouetteValues,
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
  /**
   * Clusters smaller than this are not topics; their entries stay without one (BERTopic's outliers). A
   * large journal raises it (one entry in 150), so a thousand entries do not end in topics of three.
   */
  minTopicSize?: number;
  /** The most topics one writer gets, whatever the silhouette says. */
  maxTopics?: number;
  /**
   * k-means runs per k, each from its own k-means++ seeding; the run with the best silhouette wins. On
   * the evaluation journals four runs raised purity by about 0.05 over one (models/eval, topic journals).
   */
  restarts?: number;
  /**
   * Entries whose silhouette stays below this sit between topics rather than in one (an entry about a
   * run with a friend after a row); they are left without a topic, at most `maxOutlierShare` of them.
   */
  outlierSilhouette?: number;
  maxOutlierShare?: number;
  /** Fixes k-means' initialisation, so the same journal always gives the same topics. */
  seed?: number;
  keywordsPerTopic?: number;
  /** Terms in a label (a bigram counts as one). */
  labelTerms?: number;
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
  maxTopics: 30,
  restarts: 4,
  outlierSilhouette: 0.02,
  maxOutlierShare: 0.15,
  seed: 42,
  keywordsPerTopic: 6,
  labelTerms: 3,
} as const;

type ClusterSettings = Required<
  Pick<
    DiscoverTopicsOptions,
    "minTopicSize" | "maxTopics" | "restarts" | "seed" | "outlierSilhouette" | "maxOutlierShare"
  >
>;

/**
 * The fewest topics a journal of n entries is searched with: ⌈√n / 2⌉ (4 for 50 entries, 7 for 180, 16
 * for 1,000). Silhouette alone collapses on small journals: when every theme sits close to the others in
 * an embedding, splitting the journal in two scores best and a person's fifteen subjects become two
 * topics. Above the floor the silhouette still chooses, so a journal about few things gets few topics.
 */
export function fewestTopics(n: number): number {
  return Math.max(2, Math.ceil(Math.sqrt(n) / 2));
}

/** One topic needs at least this many entries: the configured minimum, one in 150 for large journals. */
export function smallestTopic(n: number, minTopicSize: number): number {
  return Math.max(minTopicSize, Math.ceil(n / 150));
}

interface Clustering {
  k: number;
  labels: number[];
  silhouette: number;
  /** Each entry's own silhouette, for leaving the ones between topics out. */
  values: Float64Array;
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
 * distance is 2·(1 − cos). ml-kmeans' k-means++ (used before) recomputed every distance through a generic matrix
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

/** Each point's nearest centre by dot product (the first assignment of a k-means run). */
function nearestCentres(points: readonly number[][], centres: readonly number[][]): number[] {
  return points.map((point) => {
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    centres.forEach((centre, c) => {
      const score = dot(point, centre);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    });
    return best;
  });
}

/**
 * Lloyd's iterations of spherical k-means (each centre its members' normalised mean, each point joins the
 * centre it has the largest cosine with), read off the cosine distance matrix: a centre's cosine with a
 * point is Σ_members cos / ‖Σ_members‖ and ‖Σ_members‖² = Σ_pairs cos, so an iteration costs n² additions
 * instead of n·k·dims multiplications — thirty times less for a few hundred entries in 512 dimensions,
 * which matters when discovery runs k-means four times for every k.
 */
function sphericalKMeans(
  distances: Float64Array,
  start: readonly number[],
  k: number,
  maxIterations = 100,
): number[] {
  const n = start.length;
  const labels = [...start];
  // Row i, column c: the sum of point i's cosines with the members of cluster c.
  const sums = new Float64Array(n * k);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    sums.fill(0);
    const squaredNorms = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const at = i * k + (labels[j] as number);
        sums[at] = (sums[at] as number) + 1 - (distances[i * n + j] as number);
      }
      const own = labels[i] as number;
      squaredNorms[own] = (squaredNorms[own] as number) + (sums[i * k + own] as number);
    }
    const norms = Array.from(squaredNorms, (squared) => Math.sqrt(Math.max(0, squared)));
    let changed = 0;
    const next = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      let best = labels[i] as number;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        // An empty cluster draws nobody.
        const norm = norms[c] as number;
        if (norm <= 0) continue;
        const score = (sums[i * k + c] as number) / norm;
        if (score > bestScore + 1e-12) {
          bestScore = score;
          best = c;
        }
      }
      next[i] = best;
      if (best !== labels[i]) changed++;
    }
    for (let i = 0; i < n; i++) labels[i] = next[i] as number;
    if (changed === 0) break;
  }
  return labels;
}

/**
 * Spherical k-means (k-means on unit vectors, where squared distance is 2 − 2·cos) for every k from
 * `fewestTopics(n)` to what the journal can hold, keeping the run with the best mean silhouette under
 * cosine distance. k-means rather than HDBSCAN: on a few hundred entries in 100–768 dimensions density
 * estimates are unstable and would leave much of a small journal as noise, while seeded k-means is
 * deterministic and its centroids are exactly what topic matching needs; the floor on k and the outlier
 * rule below give what density clustering would (no collapse, entries between themes left out).
 */
function* cluster(
  points: number[][],
  options: ClusterSettings,
  warmStart: number[][] = [],
): Generator<void, Clustering | undefined> {
  const n = points.length;
  const kMax = Math.min(options.maxTopics, Math.floor(n / smallestTopic(n, options.minTopicSize)));
  if (kMax < 2) return undefined;
  const kMin = Math.min(kMax, fewestTopics(n));
  const distances = cosineDistanceMatrix(points);
  const random = seededRandom(options.seed);
  let best: Clustering | undefined;
  for (let k = kMin; k <= kMax; k++) {
    for (let r = 0; r < options.restarts; r++) {
      const centres = seedCentres(distances, n, k, random).map((i) => points[i] as number[]);
      const labels = sphericalKMeans(distances, nearestCentres(points, centres), k);
      const values = silhouetteValues(distances, labels, k);
      const silhouette = values.reduce((a, b) => a + b, 0) / n;
      // Strictly better only: on a tie the smaller k (and the earlier run) wins.
      if (!best || silhouette > best.silhouette + 1e-9) best = { k, labels, silhouette, values };
    }
    yield;
  }
  if (best && warmStart.length >= 2 && warmStart.length <= kMax) {
    // Started from last run's centres, k-means keeps last run's topics unless the journal really moved;
    // a few new entries can nudge the silhouette towards another k and reshuffle every topic for a gain
    // nobody would notice, so last run's k wins while it is within 10% of the best.
    const warm = sphericalKMeans(distances, nearestCentres(points, warmStart), warmStart.length);
    const values = silhouetteValues(distances, warm, warmStart.length);
    const silhouette = values.reduce((a, b) => a + b, 0) / n;
    if (silhouette >= 0.9 * best.silhouette) best = { k: warmStart.length, labels: warm, silhouette, values };
  }
  return best && withoutOutliers(best, options);
}

/**
 * Marks the entries that sit between topics (lowest silhouettes, under the threshold) as −1. The cap counts
 * the entries of clusters too small to be topics as well, so at least 1 − `maxOutlierShare` of a journal
 * keeps a topic.
 */
function withoutOutliers(clustering: Clustering, options: ClusterSettings): Clustering {
  const n = clustering.labels.length;
  const sizes = new Map<number, number>();
  for (const label of clustering.labels) sizes.set(label, (sizes.get(label) ?? 0) + 1);
  const minSize = smallestTopic(n, options.minTopicSize);
  const inSmall = [...sizes.values()].filter((size) => size < minSize).reduce((a, b) => a + b, 0);
  const cap = Math.max(0, Math.floor(options.maxOutlierShare * n) - inSmall);
  const labels = [...clustering.labels];
  const order = [...clustering.values.keys()]
    .filter((i) => (sizes.get(labels[i] as number) ?? 0) >= minSize)
    .filter((i) => (clustering.values[i] as number) < options.outlierSilhouette)
    .sort((a, b) => (clustering.values[a] as number) - (clustering.values[b] as number) || a - b)
    .slice(0, cap);
  for (const i of order) labels[i] = -1;
  return { ...clustering, labels };
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
    if (label < 0) return;
    const members = groups.get(label);
    if (members) members.push(i);
    else groups.set(label, [i]);
  });
  const kept = [...groups.values()]
    .filter((members) => members.length >= smallestTopic(entries.length, settings.minTopicSize))
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
      label: topicLabel(draft.keywords, settings.labelTerms),
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
