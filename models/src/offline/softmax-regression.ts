/**
 * Multinomial logistic regression (a softmax head) with an L2 penalty, fitted by L-BFGS on standardised
 * features. Targets are distributions, so a passage labelled with two emotions can teach both. Plain
 * float64 loops in a fixed order: the same data gives the same weights on every machine.
 */
export interface SoftmaxModel {
  dims: number;
  classes: number;
  /** Weights on the raw (unstandardised) features, row-major [dims, classes]: ready for a MatMul. */
  weights: Float64Array;
  bias: Float64Array;
}

export interface SoftmaxTrainingOptions {
  /** Ridge strength on the standardised weights (the bias is not penalised). */
  lambda: number;
  /** One weight per row (e.g. to balance classes); all 1 when absent. */
  sampleWeights?: readonly number[];
  maxIterations?: number;
}

interface Problem {
  x: Float64Array;
  rows: number;
  dims: number;
  classes: number;
  targets: Float64Array;
  weights: Float64Array;
  weightSum: number;
  lambda: number;
}

/** Loss and gradient at theta = [W (dims × classes) | b (classes)]. */
function evaluate(problem: Problem, theta: Float64Array, gradient: Float64Array): number {
  const { x, rows, dims, classes, targets, weights, weightSum, lambda } = problem;
  gradient.fill(0);
  const biasOffset = dims * classes;
  const logits = new Float64Array(classes);
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const rowOffset = i * dims;
    for (let k = 0; k < classes; k++) logits[k] = theta[biasOffset + k] as number;
    for (let d = 0; d < dims; d++) {
      const value = x[rowOffset + d] as number;
      if (value === 0) continue;
      const w = d * classes;
      for (let k = 0; k < classes; k++) logits[k] = (logits[k] as number) + value * (theta[w + k] as number);
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[k] as number);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp((logits[k] as number) - max);
    const logSum = max + Math.log(sum);
    const scale = (weights[i] as number) / weightSum;
    for (let k = 0; k < classes; k++) {
      const target = targets[i * classes + k] as number;
      const logP = (logits[k] as number) - logSum;
      if (target > 0) loss -= scale * target * logP;
      // Reuse the logits buffer for the residual p - t, scaled by the row's weight.
      logits[k] = scale * (Math.exp(logP) - target);
    }
    for (let d = 0; d < dims; d++) {
      const value = x[rowOffset + d] as number;
      if (value === 0) continue;
      const w = d * classes;
      for (let k = 0; k < classes; k++)
        gradient[w + k] = (gradient[w + k] as number) + value * (logits[k] as number);
    }
    for (let k = 0; k < classes; k++)
      gradient[biasOffset + k] = (gradient[biasOffset + k] as number) + (logits[k] as number);
  }
  for (let j = 0; j < biasOffset; j++) {
    const t = theta[j] as number;
    loss += 0.5 * lambda * t * t;
    gradient[j] = (gradient[j] as number) + lambda * t;
  }
  return loss;
}

const dotProduct = (a: Float64Array, b: Float64Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
};

/** L-BFGS (memory 10) with a backtracking Armijo line search; the problem is convex, so this converges. */
function minimise(problem: Problem, size: number, maxIterations: number): Float64Array {
  const memory = 10;
  let theta = new Float64Array(size);
  let gradient = new Float64Array(size);
  let loss = evaluate(problem, theta, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  const trialGradient = new Float64Array(size);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let gradientMax = 0;
    for (const g of gradient) gradientMax = Math.max(gradientMax, Math.abs(g));
    if (gradientMax < 1e-6) break;
    // Two-loop recursion: direction = -H·g.
    const direction = Float64Array.from(gradient, (g) => -g);
    const alphas: number[] = [];
    for (let m = steps.length - 1; m >= 0; m--) {
      const alpha = (rhos[m] as number) * dotProduct(steps[m] as Float64Array, direction);
      alphas[m] = alpha;
      const y = changes[m] as Float64Array;
      for (let j = 0; j < size; j++) direction[j] = (direction[j] as number) - alpha * (y[j] as number);
    }
    if (steps.length > 0) {
      const last = steps.length - 1;
      const y = changes[last] as Float64Array;
      const gamma = dotProduct(steps[last] as Float64Array, y) / dotProduct(y, y);
      for (let j = 0; j < size; j++) direction[j] = (direction[j] as number) * gamma;
    } else {
      const norm = Math.sqrt(dotProduct(gradient, gradient));
      for (let j = 0; j < size; j++) direction[j] = (direction[j] as number) / Math.max(1, norm);
    }
    for (let m = 0; m < steps.length; m++) {
      const beta = (rhos[m] as number) * dotProduct(changes[m] as Float64Array, direction);
      const s = steps[m] as Float64Array;
      for (let j = 0; j < size; j++)
        direction[j] = (direction[j] as number) + ((alphas[m] as number) - beta) * (s[j] as number);
    }
    let slope = dotProduct(gradient, direction);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      steps.length = 0;
      changes.length = 0;
      rhos.length = 0;
      for (let j = 0; j < size; j++) direction[j] = -(gradient[j] as number);
      slope = dotProduct(gradient, direction);
    }
    let stepSize = 1;
    let trial = new Float64Array(size);
    let trialLoss = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 40; attempt++) {
      for (let j = 0; j < size; j++) trial[j] = (theta[j] as number) + stepSize * (direction[j] as number);
      trialLoss = evaluate(problem, trial, trialGradient);
      if (trialLoss <= loss + 1e-4 * stepSize * slope) break;
      stepSize *= 0.5;
    }
    if (!(trialLoss < loss)) break;
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      s[j] = (trial[j] as number) - (theta[j] as number);
      y[j] = (trialGradient[j] as number) - (gradient[j] as number);
    }
    const sy = dotProduct(s, y);
    if (sy > 1e-12) {
      steps.push(s);
      changes.push(y);
      rhos.push(1 / sy);
      if (steps.length > memory) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
    }
    const improvement = loss - trialLoss;
    [theta, trial] = [trial, theta];
    gradient = Float64Array.from(trialGradient);
    loss = trialLoss;
    if (improvement < 1e-10 * Math.max(1, Math.abs(loss))) break;
  }
  return theta;
}

/**
 * Fits the head. `targets[i]` is a distribution over the classes (one-hot for a single label). Features
 * are standardised for the fit and the scaling is folded back into the weights, so the exported head
 * takes the raw embedding.
 */
export function trainSoftmaxRegression(
  features: readonly Float32Array[],
  targets: readonly (readonly number[])[],
  options: SoftmaxTrainingOptions,
): SoftmaxModel {
  const rows = features.length;
  const dims = features[0]?.length ?? 0;
  const classes = targets[0]?.length ?? 0;
  if (rows === 0 || classes < 2) throw new Error("softmax regression needs rows and at least two classes");
  const mean = new Float64Array(dims);
  const std = new Float64Array(dims);
  for (const row of features)
    for (let d = 0; d < dims; d++) mean[d] = (mean[d] as number) + (row[d] as number) / rows;
  for (const row of features) {
    for (let d = 0; d < dims; d++)
      std[d] = (std[d] as number) + ((row[d] as number) - (mean[d] as number)) ** 2 / rows;
  }
  for (let d = 0; d < dims; d++) std[d] = Math.sqrt(std[d] as number) || 1;
  const x = new Float64Array(rows * dims);
  features.forEach((row, i) => {
    for (let d = 0; d < dims; d++)
      x[i * dims + d] = ((row[d] as number) - (mean[d] as number)) / (std[d] as number);
  });
  const flatTargets = new Float64Array(rows * classes);
  targets.forEach((target, i) => {
    target.forEach((value, k) => {
      flatTargets[i * classes + k] = value;
    });
  });
  const weights = Float64Array.from(options.sampleWeights ?? new Array<number>(rows).fill(1));
  const problem: Problem = {
    x,
    rows,
    dims,
    classes,
    targets: flatTargets,
    weights,
    weightSum: weights.reduce((a, b) => a + b, 0),
    lambda: options.lambda,
  };
  const theta = minimise(problem, dims * classes + classes, options.maxIterations ?? 400);

  const out: SoftmaxModel = {
    dims,
    classes,
    weights: new Float64Array(dims * classes),
    bias: theta.slice(dims * classes),
  };
  for (let d = 0; d < dims; d++) {
    for (let k = 0; k < classes; k++) {
      const w = (theta[d * classes + k] as number) / (std[d] as number);
      out.weights[d * classes + k] = w;
      out.bias[k] = (out.bias[k] as number) - w * (mean[d] as number);
    }
  }
  return out;
}

/** The head's output for one embedding, as the exported graph computes it (MatMul, Add, Softmax). */
export function softmaxProbabilities(model: SoftmaxModel, row: Float32Array): number[] {
  const logits = Array.from(model.bias);
  for (let d = 0; d < model.dims; d++) {
    const value = row[d] as number;
    for (let k = 0; k < model.classes; k++)
      logits[k] = (logits[k] as number) + value * (model.weights[d * model.classes + k] as number);
  }
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
