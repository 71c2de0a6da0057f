/**
 * The port through which the engine stores output artifacts and materialises input artifacts.
 * Two implementations: `LocalArtifactRepository` (a folder under the run, for the local executor) and
 * `S3ArtifactRepository` in src/s3 (an S3-compatible bucket, for steps that run as Pods).
 */
import type { Artifact } from "../model/types.js";
import type { LoadArtifactInput, SaveArtifactInput } from "./local-repository.js";

export type { LoadArtifactInput, SaveArtifactInput } from "./local-repository.js";

export interface ArtifactRepository {
  /**
   * Stores the file or folder at `hostPath` and returns the status artifact (the declaration plus its
   * storage location), or undefined when the source is missing and the artifact is optional.
   */
  save(input: SaveArtifactInput): Promise<Artifact | undefined>;
  /** Materialises an input artifact at `hostPath`; an optional artifact that is missing is skipped. */
  load(input: LoadArtifactInput): Promise<void>;
}
