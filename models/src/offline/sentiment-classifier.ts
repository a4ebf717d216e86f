import { writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeModel } from "../onnx/graph.ts";
import { seededShuffle } from "../seeded-random.ts";
import { hashInputs, SHARED_BUILD_SOURCES } from "./inputs-hash.ts";
import { accuracy, trainLogisticRegression } from "./logistic-regression.ts";
import { runTextModel } from "./onnx-run.ts";
import type { OfflineBuilder } from "./registry.ts";
import { HELD_OUT_FRACTION, loadUciSentences, SPLIT_SEED, splitUci } from "./sentiment-data.ts";
import { STATIC_EMBED_ID, STATIC_MAX_LENGTH, staticEmbeddingBuilder } from "./static-embedding.ts";
import { STATIC_EMBEDDING, staticClassifierGraph } from "./static-embedding-graph.ts";
import { readStaticEmbeddingBuild } from "./static-model-files.ts";

export const SENTIMENT_ID = "inkwell-sentiment-uci";
export const SENTIMENT_LABELS = ["negative", "positive"] as const;
/** Ridge strengths tried on a validation slice of the training set (never on the held-out set). */
export const LAMBDA_GRID = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2] as const;

export const sentimentClassifierBuilder: OfflineBuilder = {
  id: SENTIMENT_ID,
  dependsOn: [STATIC_EMBED_ID],
  async inputsHash() {
    return await hashInputs(
      [
        ...SHARED_BUILD_SOURCES,
        new URL(import.meta.url),
        new URL("./logistic-regression.ts", import.meta.url),
        new URL("./sentiment-data.ts", import.meta.url),
        new URL("../seeded-random.ts", import.meta.url),
        new URL("./static-model-files.ts", import.meta.url),
      ],
      [
        await staticEmbeddingBuilder.inputsHash(),
        SPLIT_SEED,
        HELD_OUT_FRACTION,
        LAMBDA_GRID,
        "sentiment@5.0.2",
      ],
    );
  },
  async build(ctx) {
    const embedding = await readStaticEmbeddingBuild(ctx.modelDir(STATIC_EMBED_ID), STATIC_MAX_LENGTH);
    ctx.progress.update(0, 4, "embedding the UCI sentences");
    const { train, heldOut } = splitUci(await loadUciSentences());
    const embed = (texts: string[]) =>
      runTextModel(embedding.modelBytes, embedding.encoder, texts, STATIC_EMBEDDING.sentenceEmbedding);
    const trainX = await embed(train.map((s) => s.text));
    const trainY = train.map((s) => s.label);

    ctx.progress.update(1, 4, "choosing the ridge strength");
    // A fixed validation slice of the training sentences picks lambda; the held-out set stays unseen.
    const order = seededShuffle(
      train.map((_, i) => i),
      SPLIT_SEED + 1,
    );
    const validationSize = Math.round(order.length * 0.2);
    const validation = order.slice(0, validationSize);
    const fit = order.slice(validationSize);
    let bestLambda: number = LAMBDA_GRID[0];
    let bestAccuracy = -1;
    for (const lambda of LAMBDA_GRID) {
      const model = trainLogisticRegression(
        fit.map((i) => trainX[i] as Float32Array),
        fit.map((i) => trainY[i] as 0 | 1),
        lambda,
      );
      const score = accuracy(
        model,
        validation.map((i) => trainX[i] as Float32Array),
        validation.map((i) => trainY[i] as 0 | 1),
      );
      if (score > bestAccuracy) {
        bestAccuracy = score;
        bestLambda = lambda;
      }
    }

    ctx.progress.update(2, 4, "training");
    const model = trainLogisticRegression(trainX, trainY, bestLambda);
    const dims = embedding.params.dims;
    // softmax([0, z]) = [1 - σ(z), σ(z)]: two columns so the output is a distribution over both labels.
    const headWeights = new Float32Array(dims * 2);
    for (let d = 0; d < dims; d++) headWeights[d * 2 + 1] = model.weights[d] as number;
    const graph = staticClassifierGraph(
      SENTIMENT_ID,
      embedding.params,
      {
        labels: SENTIMENT_LABELS,
        nodes: [
          {
            op: "MatMul",
            inputs: [STATIC_EMBEDDING.sentenceEmbedding, "sentiment_weights"],
            outputs: ["sentiment_scaled"],
          },
          { op: "Add", inputs: ["sentiment_scaled", "sentiment_bias"], outputs: ["sentiment_logits"] },
          {
            op: "Softmax",
            inputs: ["sentiment_logits"],
            outputs: ["probabilities"],
            attributes: { axis: 1 },
          },
        ],
        initializers: [
          { name: "sentiment_weights", dims: [dims, 2], data: headWeights },
          { name: "sentiment_bias", dims: [2], data: new Float32Array([0, model.bias]) },
        ],
      },
      { model_id: SENTIMENT_ID, lambda: String(bestLambda) },
    );
    const bytes = encodeModel({
      ...graph,
      docString:
        "Logistic regression on Inkwell static embeddings, trained on UCI Sentiment Labelled Sentences (CC BY 4.0).",
    });
    await writeFile(path.join(ctx.outDir, "model.onnx"), bytes);
    await embedding.copyTokenizer(ctx.outDir);

    ctx.progress.update(3, 4, "scoring the held-out set with the exported model");
    // Judged through the written ONNX file, so the figure is what the node will actually deliver.
    const probabilities = await runTextModel(
      bytes,
      embedding.encoder,
      heldOut.map((s) => s.text),
      "probabilities",
    );
    const correct = probabilities.filter(
      (p, i) => ((p[1] as number) >= 0.5 ? 1 : 0) === heldOut[i]?.label,
    ).length;
    const heldOutAccuracy = correct / heldOut.length;
    ctx.log(
      `held-out accuracy ${(heldOutAccuracy * 100).toFixed(1)}% on ${heldOut.length} sentences (lambda ${bestLambda})`,
    );
    ctx.progress.update(4, 4, "done");
    return {
      metrics: {
        heldOutAccuracy,
        trainAccuracy: accuracy(model, trainX, trainY),
        validationAccuracy: bestAccuracy,
        lambda: bestLambda,
        trainSize: train.length,
        heldOutSize: heldOut.length,
      },
    };
  },
};
