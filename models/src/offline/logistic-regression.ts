/**
 * Binary logistic regression with an L2 penalty, fitted by Newton's method on standardised features:
 * exact and deterministic in a dozen iterations for a hundred features, no learning rate to tune.
 */
export interface LogisticModel {
  /** Weights on the raw (unstandardised) features. */
  weights: Float64Array;
  bias: number;
}

function solve(matrix: Float64Array, rhs: Float64Array, n: number): Float64Array {
  // Gaussian elimination with partial pivoting; the Hessian plus the ridge term is positive definite.
  const a = Float64Array.from(matrix);
  const b = Float64Array.from(rhs);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) {
      if (Math.abs(a[row * n + col] as number) > Math.abs(a[pivot * n + col] as number)) pivot = row;
    }
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k] as number;
        a[col * n + k] = a[pivot * n + k] as number;
        a[pivot * n + k] = t;
      }
      const t = b[col] as number;
      b[col] = b[pivot] as number;
      b[pivot] = t;
    }
    const diag = a[col * n + col] as number;
    for (let row = col + 1; row < n; row++) {
      const factor = (a[row * n + col] as number) / diag;
      if (factor === 0) continue;
      for (let k = col; k < n; k++)
        a[row * n + k] = (a[row * n + k] as number) - factor * (a[col * n + k] as number);
      b[row] = (b[row] as number) - factor * (b[col] as number);
    }
  }
  const x = new Float64Array(n);
  for (let row = n - 1; row >= 0; row--) {
    let sum = b[row] as number;
    for (let k = row + 1; k < n; k++) sum -= (a[row * n + k] as number) * (x[k] as number);
    x[row] = sum / (a[row * n + row] as number);
  }
  return x;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function trainLogisticRegression(
  features: readonly Float32Array[],
  labels: readonly (0 | 1)[],
  lambda: number,
  iterations = 25,
): LogisticModel {
  const dims = features[0]?.length ?? 0;
  const count = features.length;
  const mean = new Float64Array(dims);
  const std = new Float64Array(dims);
  for (const row of features)
    for (let d = 0; d < dims; d++) mean[d] = (mean[d] as number) + (row[d] as number) / count;
  for (const row of features) {
    for (let d = 0; d < dims; d++)
      std[d] = (std[d] as number) + ((row[d] as number) - (mean[d] as number)) ** 2 / count;
  }
  for (let d = 0; d < dims; d++) std[d] = Math.sqrt(std[d] as number) || 1;
  const x = features.map((row) => {
    const out = new Float64Array(dims + 1);
    for (let d = 0; d < dims; d++) out[d] = ((row[d] as number) - (mean[d] as number)) / (std[d] as number);
    out[dims] = 1;
    return out;
  });

  const n = dims + 1;
  let theta = new Float64Array(n);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const gradient = new Float64Array(n);
    const hessian = new Float64Array(n * n);
    for (let i = 0; i < count; i++) {
      const xi = x[i] as Float64Array;
      let z = 0;
      for (let k = 0; k < n; k++) z += (theta[k] as number) * (xi[k] as number);
      const p = sigmoid(z);
      const residual = p - (labels[i] as number);
      const w = p * (1 - p);
      for (let k = 0; k < n; k++) {
        gradient[k] = (gradient[k] as number) + residual * (xi[k] as number);
        const wk = w * (xi[k] as number);
        for (let l = k; l < n; l++)
          hessian[k * n + l] = (hessian[k * n + l] as number) + wk * (xi[l] as number);
      }
    }
    for (let k = 0; k < n; k++) for (let l = 0; l < k; l++) hessian[k * n + l] = hessian[l * n + k] as number;
    // The bias is not penalised: it only absorbs the class balance.
    for (let k = 0; k < dims; k++) {
      gradient[k] = (gradient[k] as number) + lambda * count * (theta[k] as number);
      hessian[k * n + k] = (hessian[k * n + k] as number) + lambda * count;
    }
    hessian[dims * n + dims] = (hessian[dims * n + dims] as number) + 1e-9;
    const step = solve(hessian, gradient, n);
    let change = 0;
    const next = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      next[k] = (theta[k] as number) - (step[k] as number);
      change = Math.max(change, Math.abs(step[k] as number));
    }
    theta = next;
    if (change < 1e-8) break;
  }

  // Fold the standardisation into the weights, so the exported head takes the raw embedding.
  const weights = new Float64Array(dims);
  let bias = theta[dims] as number;
  for (let d = 0; d < dims; d++) {
    weights[d] = (theta[d] as number) / (std[d] as number);
    bias -= ((theta[d] as number) * (mean[d] as number)) / (std[d] as number);
  }
  return { weights, bias };
}

export function predictProbability(model: LogisticModel, row: Float32Array): number {
  let z = model.bias;
  for (let d = 0; d < model.weights.length; d++) z += (model.weights[d] as number) * (row[d] as number);
  return sigmoid(z);
}

export function accuracy(
  model: LogisticModel,
  features: readonly Float32Array[],
  labels: readonly (0 | 1)[],
): number {
  let correct = 0;
  features.forEach((row, i) => {
    if ((predictProbability(model, row) >= 0.5 ? 1 : 0) === labels[i]) correct++;
  });
  return correct / Math.max(1, features.length);
}
