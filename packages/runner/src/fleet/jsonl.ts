import { InputError } from '@viommu/core';

/** One line of a JSON-lines file: its parsed value and where it stands (`file:line`). */
export interface JsonLine {
  readonly value: unknown;
  readonly where: string;
}

/**
 * The non-blank lines of a JSON-lines text, each parsed as it is reached (so a caller's
 * error on an earlier line comes before a parse error on a later one).
 * @param file the file name, for `where`
 * @throws InputError `not JSON: …` at `file:line` for a line that does not parse.
 */
export function* jsonLines(text: string, file: string): Generator<JsonLine> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new InputError(`not JSON: ${(e as Error).message}`, where);
    }
    yield { value, where };
  }
}
