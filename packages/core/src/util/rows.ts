/**
 * Rows `rows` (in that order) of a row-major array of `rowLength`-value rows, copied into one new
 * array: how batches are picked out of features and activations kept in JS.
 */
export function gatherRows(values: Float32Array, rowLength: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * rowLength);
  for (const [i, row] of rows.entries())
    out.set(values.subarray(row * rowLength, (row + 1) * rowLength), i * rowLength);
  return out;
}
