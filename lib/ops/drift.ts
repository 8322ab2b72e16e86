/** Input drift as lib/ops reads it: engine.featureDrift()'s rows. */
import type { Engine } from '../gnn/engine';

/** One node feature's drift of the live books from the model's training set. */
export interface FeatureDrift {
  feature: number;
  psi: number;
  ks: number;
  windowBooks: number;
}

/** engine.featureDrift, bound. */
export function featureDriftOf(engine: Engine): () => FeatureDrift[] {
  const source = engine as unknown as { featureDrift(): FeatureDrift[] };
  return () => source.featureDrift();
}
