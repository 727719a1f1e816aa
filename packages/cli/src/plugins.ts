import { delimiter, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Loads the modules named in `GRAFT_PLUGINS` (separated like PATH). A plugin registers its own
 * backbones with `registerModel` from @graft/zoo, like timm's `register_model`, so that
 * `--model my-net` works in every command.
 */
export async function loadPlugins(value = process.env.GRAFT_PLUGINS): Promise<string[]> {
  const paths = (value ?? '').split(delimiter).filter((p) => p.trim() !== '');
  for (const path of paths) {
    try {
      await import(pathToFileURL(resolve(path)).href);
    } catch (err) {
      throw new Error(
        `cannot load plugin ${path} (from GRAFT_PLUGINS): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return paths;
}
