/** Small dense-vector helpers for topic discovery; embeddings arrive as plain arrays or Float32Arrays. */
export type Vector = ArrayLike<number>;

export function unitVector(vector: Vector): number[] {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) ** 2;
  const norm = Math.sqrt(sum) || 1;
  return Array.from(vector, (v) => v / norm);
}

export function dot(a: Vector, b: Vector): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

export function cosineSimilarity(a: Vector, b: Vector): number {
  const denominator = Math.sqrt(dot(a, a) * dot(b, b));
  return denominator === 0 ? 0 : dot(a, b) / denominator;
}

/** The normalised mean direction of some unit vectors: the centroid on the sphere that cosine search uses. */
export function meanDirection(vectors: readonly Vector[]): number[] {
  const first = vectors[0];
  if (!first) return [];
  const sum = new Array<number>(first.length).fill(0);
  for (const vector of vectors)
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (vector[i] as number);
  return unitVector(sum);
}

/** Cosine distances (1 − cos) between unit vectors, as one flat row-major n×n matrix. */
export function cosineDistanceMatrix(vectors: readonly Vector[]): Float64Array {
  const n = vectors.length;
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = 1 - dot(vectors[i] as Vector, vectors[j] as Vector);
      matrix[i * n + j] = d;
      matrix[j * n + i] = d;
    }
  }
  return matrix;
}

/**
 * Silhouette (Rousseeuw, 1987) of each point under a precomputed distance matrix: (b − a) / max(a, b),
 * a = mean distance to its own cluster, b = to the nearest other cluster. Members of one-point clusters
 * score 0, as in scikit-learn. Points labelled −1 (outliers) are skipped and count for no cluster.
 */
export function silhouetteValues(
  distances: Float64Array,
  labels: readonly number[],
  k: number,
): Float64Array {
  const n = labels.length;
  const values = new Float64Array(n);
  if (k < 2 || n === 0) return values;
  const sizes = new Array<number>(k).fill(0);
  for (const label of labels) if (label >= 0) sizes[label] = (sizes[label] ?? 0) + 1;
  const sums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const own = labels[i] as number;
    if (own < 0 || (sizes[own] ?? 0) <= 1) continue;
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      const label = labels[j] as number;
      if (j !== i && label >= 0) sums[label] = (sums[label] as number) + (distances[i * n + j] as number);
    }
    const a = (sums[own] as number) / ((sizes[own] as number) - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c !== own && (sizes[c] ?? 0) > 0) b = Math.min(b, (sums[c] as number) / (sizes[c] as number));
    }
    if (Number.isFinite(b)) values[i] = (b - a) / Math.max(a, b, Number.EPSILON);
  }
  return values;
}

/** Mean of `silhouetteValues` over all points. */
export function meanSilhouette(distances: Float64Array, labels: readonly number[], k: number): number {
  if (labels.length === 0) return 0;
  return silhouetteValues(distances, labels, k).reduce((a, b) => a + b, 0) / labels.length;
}
