/**
 * Running solves stop when the process exits. `process.exit()` on the main thread waits for
 * libuv's thread pool to finish its work before the process ends, so a solve with maxIter 1e6
 * would hold the exit up until it ends by itself. On 'exit' every running solve's cancel flag is
 * raised, and each stops at its next iteration. (In a worker, terminate() and process.exit are
 * covered natively: the teardown watch in native/binding/addon.h.) docs/reliability.md, "Stops".
 */
const running = new Set<Int32Array>();
let listening = false;

function cancelAll(): void {
  for (const flag of running) Atomics.store(flag, 0, 1);
}

/** Tracks a solve's cancel flag until the returned function is called. */
export function trackRunning(flag: Int32Array): () => void {
  if (!listening) {
    process.once('exit', cancelAll);
    listening = true;
  }
  running.add(flag);
  return () => running.delete(flag);
}
