/**
 * Progress while a large data file loads, on a terminal only (a pipe or a log gets nothing: a
 * percentage redrawn in place is noise there). Reading can take most of a run (1.7 s of 2.1 s on a
 * 180 MB LIBSVM file), and silence looks like a hang.
 *
 * The readers stream the file through one descriptor; how far they are is that descriptor's
 * offset, which Linux shows in /proc/self/fdinfo/<fd> ("pos:"). Polling it needs no hook in the
 * readers. Where /proc is missing (other systems), the line shows the bytes' total and the elapsed
 * time instead of a percentage. For `.gz` the offset counts compressed bytes, as does the total.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Files smaller than this load in well under a second: no progress line. */
export const LOADING_PROGRESS_MIN_BYTES = 32 * 2 ** 20;
const INTERVAL_MS = 200;

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MB`;
}

/** The read offset of the process's descriptor open on `file`, or undefined (not open yet, or no /proc). */
export function readOffset(file: string): number | undefined {
  const target = path.resolve(file);
  let descriptors: string[];
  try {
    descriptors = fs.readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  for (const fd of descriptors) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== target) continue;
      const pos = /^pos:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (pos) return Number(pos[1]);
    } catch {
      // The descriptor closed while we looked: try the next.
    }
  }
  return undefined;
}

/**
 * Shows `reading FILE: 42% of 180 MB, 0.7 s` on `stream` while `work` runs, when the stream is a
 * terminal, `enabled` holds and the file is large; the line is cleared when the work ends.
 */
export async function withLoadingProgress<T>(
  file: string,
  stream: NodeJS.WriteStream,
  enabled: boolean,
  work: () => Promise<T>,
  { minBytes = LOADING_PROGRESS_MIN_BYTES }: { minBytes?: number } = {},
): Promise<T> {
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    // The reader reports a missing file with its own message.
  }
  if (!enabled || !stream.isTTY || size < minBytes) return work();
  const started = Date.now();
  const draw = () => {
    const offset = readOffset(file);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const done = offset === undefined ? `${megabytes(size)}` : `${Math.min(100, Math.floor((100 * offset) / size))}% of ${megabytes(size)}`;
    stream.write(`\r\x1b[2Kreading ${file}: ${done}, ${seconds} s`);
  };
  const timer = setInterval(draw, INTERVAL_MS);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    stream.write('\r\x1b[2K');
  }
}
