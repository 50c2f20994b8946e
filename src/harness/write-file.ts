// Writing an output file so that a failure (a full disk) leaves what was
// there before, and no half-written or temporary file behind.
import * as fs from "node:fs";

/** Writes `text` to a temporary file beside `file`, then renames it into place; on failure removes the temporary file. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
