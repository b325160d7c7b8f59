/**
 * Human-readable solve reports: a summary line and the trace as an aligned table.
 */
import type { SolveResult, TraceRow } from '../solve';

function sci(v: number | null, digits = 2): string {
  if (v === null || v === undefined) return '-';
  return v === 0 ? '0' : v.toExponential(digits);
}

export function summaryLine(r: SolveResult, method: string): string {
  const state = r.converged ? `converged (${r.stopReason})` : `did not converge (${r.stopReason}${r.message ? `: ${r.message}` : ''})`;
  return `${method}: ${state} in ${r.iterations} iterations, ${r.seconds.toFixed(3)} s; loss ${sci(r.loss, 6)}, ‖∇L‖ ${sci(r.gradNorm)}`;
}

export function traceTable(trace: readonly TraceRow[]): string {
  const header = ['iter', 'loss', '‖∇L‖', 'step', 'μ', 'decrement', 'sketch (k)', 'CG', '‖x−x*‖', 'sparse s', 'sketch s', 'd×d s'];
  const rows = trace.map((t) => [
    String(t.iteration), sci(t.loss, 6), sci(t.gradNorm), t.iteration === 0 ? '-' : t.step.toPrecision(3), sci(t.mu, 1),
    sci(t.decrement), t.iteration === 0 ? '-' : t.sketchRows ? `${t.sketch} (${t.sketchRows})` : t.sketch,
    t.innerIterations ? String(t.innerIterations) : '-', sci(t.distance), t.secondsSparse.toFixed(4),
    t.secondsSketch.toFixed(4), t.secondsDense.toFixed(4),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => cells.map((c, k) => c.padStart(widths[k])).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** The --table modes of `solve`: every row, the first and last rows of a long trace, or none. */
export const TABLE_MODES = ['auto', 'full', 'none'] as const;
/** Rows `auto` shows at most: L-BFGS and gd can run hundreds of iterations (904 rows once). */
export const SAMPLED_TABLE_ROWS = 40;

/**
 * The trace table with at most `maxRows` iterate rows: a longer trace shows its first and last
 * maxRows/2 rows around one line that says how many were left out (and where to find them).
 */
export function sampledTraceTable(trace: readonly TraceRow[], maxRows: number): string {
  if (trace.length <= maxRows) return traceTable(trace);
  const half = Math.floor(maxRows / 2);
  const lines = traceTable([...trace.slice(0, half), ...trace.slice(trace.length - half)]).split('\n');
  const omitted = trace.length - 2 * half;
  lines.splice(1 + half, 0, `… ${omitted} rows left out (--table full shows every row; --out-trace saves them)`);
  return lines.join('\n');
}
