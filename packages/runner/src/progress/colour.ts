import pc from 'picocolors';

/** The picocolors functions, live or plain. */
export type Colours = ReturnType<typeof pc.createColors>;

/** Colour is for people at a terminal: only when `stream` is a TTY, and never with `NO_COLOR` set (no-color.org). */
export function useColour(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** Colours for text written to `stream`. */
export function coloursFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Colours {
  return pc.createColors(useColour(stream, env));
}
