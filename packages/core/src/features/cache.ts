/**
 * Where backbone features are kept between fits: an interface so that the CLI can keep them on
 * disk; in memory by default (the widget too, for the page's life).
 */
export interface FeatureCache {
  get(key: string): Promise<Float32Array | undefined>;
  set(key: string, features: Float32Array): Promise<void>;
}

/** A feature cache in a Map; bounded by entries, oldest first out. */
export class InMemoryFeatureCache implements FeatureCache {
  private readonly map = new Map<string, Float32Array>();

  constructor(private readonly maxEntries = 1_000_000) {}

  async get(key: string): Promise<Float32Array | undefined> {
    return this.map.get(key);
  }

  async set(key: string, features: Float32Array): Promise<void> {
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, features);
  }

  get size(): number {
    return this.map.size;
  }
}

/** What identifies one cached feature vector (DESIGN: content, backbone, weights, preprocessing, size). */
export interface FeatureKeyParts {
  contentHash: string;
  backbone: string;
  weights: string;
  preprocessing: string;
  inputSize: readonly [number, number];
  layer: string;
  /** `original`, or the augmentation's description and view index. */
  view: string;
}

export function featureKey(p: FeatureKeyParts): string {
  return [
    p.backbone,
    p.weights,
    p.preprocessing,
    `${p.inputSize[0]}x${p.inputSize[1]}`,
    p.layer,
    p.view,
    p.contentHash,
  ].join('|');
}
