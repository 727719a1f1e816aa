/**
 * Process-wide settings, like transformers.js's `env`. Unset fields fall back to the platform's
 * defaults: in Node the environment variables `GRAFT_HOME`, `GRAFT_OFFLINE=1` and `GRAFT_MIRROR`.
 */
export interface GraftEnv {
  /** Cache folder (Node). Default `$GRAFT_HOME`, else `$XDG_CACHE_HOME/graft`, else `~/.cache/graft`. */
  cacheDir?: string;
  /** Never touch the network; fail with what is missing and how to import it. */
  offline?: boolean;
  /** A base URL that replaces the base of every weight URL (an air-gapped mirror). */
  mirror?: string;
  /** The `fetch` to use (tests, proxies). Default the global one. */
  fetch?: typeof fetch;
}

/** The one settings object of @graft/zoo. */
export const env: GraftEnv = {};

/** The URLs to try for a file, with the mirror (if any) replacing their base. */
export function candidateUrls(
  urls: readonly string[],
  fileName: string,
  mirror: string | undefined,
): string[] {
  if (mirror) return [`${mirror.replace(/\/+$/, '')}/${fileName}`];
  return [...urls];
}
