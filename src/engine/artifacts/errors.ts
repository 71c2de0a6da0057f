/**
 * A failure to save or load an artifact. Argo reports these from the init/wait containers, so the node
 * ends in phase **Error** (not Failed). Messages follow Argo's wording and never carry credentials.
 */
export class ArtifactError extends Error {
  override name = "ArtifactError";
  constructor(
    message: string,
    /** The artifact's name, when the failure concerns one artifact. */
    readonly artifact?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Argo's CodeNotFound: the source is missing. An `optional` artifact is then skipped. */
export class ArtifactNotFoundError extends ArtifactError {
  override name = "ArtifactNotFoundError";
}
