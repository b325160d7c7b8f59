/**
 * Distributed solves over MPI (docs/distributed.md): a script launched under `mpirun`, `srun` or
 * the MPI Operator calls, on every rank,
 *
 *     const comm = await distributed.init();
 *     const shard = await distributed.readShard(comm, 'train.svm', { cols: 50, scale: 'n' });
 *     const result = await distributed.solve(shard, { method: 'newton' });
 *     if (comm.rank === 0) console.log(result.loss);
 *     comm.finalize();
 *
 * Only this module loads the MPI addon; nothing else in softnewton needs libmpi.
 */
export { init, communicator, Communicator } from './comm';
export { readShard, blockOf } from './shard';
export type { Shard, ShardOptions } from './shard';
export { solveDistributed as solve } from './solve';
export type { DistributedSolveOptions, DistributedSolveResult } from './solve';
export type { MpiTraffic } from './addon';
