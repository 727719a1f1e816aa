import { type DecodedFiles, decodeFiles } from '@graft/core/advanced';

/** Decodes images named on the command line, with a warning on stderr for each one skipped. */
export function decodeInputs(files: readonly string[]): Promise<DecodedFiles> {
  return decodeFiles(files, {
    onBad: (err) => process.stderr.write(`graft: warning: skipped ${err.message}\n`),
  });
}
