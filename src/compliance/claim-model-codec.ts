/**
 * How the trained claim model is stored (`library/claim-model-data.ts`, written by `claim-model-train.ts`):
 * only the buckets with a weight, as base64 of packed little-endian arrays, so the file stays small and
 * the scanner rebuilds the dense Float32Arrays once per process.
 */
export interface ClaimModelData {
  hashBits: number;
  bias: number;
  /** Probability from which a sentence is reported. */
  threshold: number;
  categories: string[];
  categoryBias: number[];
  /** base64: uint32 bucket, float32 weight, … */
  weights: string;
  /** base64: uint32 bucket, then one int8 per category (× categoryScale), … */
  categoryWeights: string;
  categoryScale: number;
  /** How it was trained and how the threshold was chosen (shown in tests and the README). */
  provenance: string;
}

export function encodeClaimModel(
  weights: Float32Array | Float64Array,
  categoryWeights: Float32Array | Float64Array,
  K: number,
  prune: number,
): { weights: string; categoryWeights: string; categoryScale: number } {
  const kept: number[] = [];
  for (let i = 0; i < weights.length; i++) if (Math.abs(weights[i]!) >= prune) kept.push(i);
  const wb = Buffer.alloc(kept.length * 8);
  kept.forEach((i, n) => {
    wb.writeUInt32LE(i, n * 8);
    wb.writeFloatLE(weights[i]!, n * 8 + 4);
  });
  let max = 0;
  for (const v of categoryWeights) max = Math.max(max, Math.abs(v));
  const scale = max / 127 || 1;
  const rows: number[] = [];
  const buckets = categoryWeights.length / K;
  for (let b = 0; b < buckets; b++) {
    for (let k = 0; k < K; k++) {
      if (Math.abs(categoryWeights[b * K + k]!) >= scale) {
        rows.push(b);
        break;
      }
    }
  }
  const cb = Buffer.alloc(rows.length * (4 + K));
  rows.forEach((b, n) => {
    const o = n * (4 + K);
    cb.writeUInt32LE(b, o);
    for (let k = 0; k < K; k++) cb.writeInt8(Math.max(-127, Math.min(127, Math.round(categoryWeights[b * K + k]! / scale))), o + 4 + k);
  });
  return { weights: wb.toString('base64'), categoryWeights: cb.toString('base64'), categoryScale: scale };
}

export function decodeClaimModel(data: ClaimModelData): { weights: Float32Array; categoryWeights: Float32Array } {
  const size = 1 << data.hashBits;
  const K = data.categories.length;
  const weights = new Float32Array(size);
  const wb = Buffer.from(data.weights, 'base64');
  for (let o = 0; o + 8 <= wb.length; o += 8) weights[wb.readUInt32LE(o)] = wb.readFloatLE(o + 4);
  const categoryWeights = new Float32Array(size * K);
  const cb = Buffer.from(data.categoryWeights, 'base64');
  for (let o = 0; o + 4 + K <= cb.length; o += 4 + K) {
    const b = cb.readUInt32LE(o);
    for (let k = 0; k < K; k++) categoryWeights[b * K + k] = cb.readInt8(o + 4 + k) * data.categoryScale;
  }
  return { weights, categoryWeights };
}
