/**
 * The port through which the artifact repository clones `git` input artifacts. The adapter is
 * `src/repo/git.ts` (the one module that imports simple-git); the composition root passes it in.
 */
export interface GitAuth {
  username: string;
  password: string;
}

export interface CloneOptions {
  /** Repository URL or path. */
  repo: string;
  /** Directory to clone into; it must not exist or be empty. Its parent is created. */
  dest: string;
  /** Commit sha, tag or branch to check out (detached, as Argo does). Default: the remote HEAD (or `branch`). */
  revision?: string;
  /** Shallow clone/fetch depth; 0 or undefined clones the full history. */
  depth?: number;
  /** Branch to clone (and the only one fetched when `singleBranch`). */
  branch?: string;
  singleBranch?: boolean;
  disableSubmodules?: boolean;
  /** Extra refspecs fetched from origin before the checkout. */
  fetch?: string[];
  /** For ssh remotes: skip host key checking. */
  insecureIgnoreHostKey?: boolean;
  auth?: GitAuth;
  signal?: AbortSignal;
  /** Kill a git process that prints nothing for this long. Default 5 minutes. */
  stallTimeoutMs?: number;
}

export type GitCloner = (opts: CloneOptions) => Promise<{ commit: string }>;
