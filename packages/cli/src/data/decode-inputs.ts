import { type DecodedFiles, decodeFiles } from '@graft/core/advanced';

/**
 * Decodes images named on the command line, with a warning on stderr for each one skipped; each
 * is shrunk to the model's input size as it is decoded, so big photos cost memory only in flight.
 */
export function decodeInputs(
  files: readonly string[],
  inputSize: readonly [number, number],
): Promise<DecodedFiles> {
  return decodeFiles(files, {
    maxSize: inputSize,
    onBad: (err) => process.stderr.write(`graft: warning: skipped ${err.message}\n`),
  });
}
