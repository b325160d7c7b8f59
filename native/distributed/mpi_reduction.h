// The Reduction of one problem shared by the ranks of an MPI job: each call is one MPI_Allreduce
// on a private duplicate of MPI_COMM_WORLD (so that no user message can interleave with ours).
// It counts what it sends, for the benchmark's bytes-per-iteration figure (docs/distributed.md).
#pragma once
#include <mpi.h>

#include <atomic>
#include <cstdint>

#include "core/reduce.h"

namespace softnewton::distributed {

struct Traffic {
  int64_t calls = 0;    // allreduce calls
  int64_t values = 0;   // doubles reduced, summed over calls (bytes = 8 × values per rank)
};

class MpiReduction : public Reduction {
 public:
  MpiReduction(MPI_Comm comm, int64_t rowOffset) : comm_(comm), rowOffset_(rowOffset) {}

  void sum(double* values, int64_t count) const override { reduce(values, count, MPI_SUM); }
  void max(double* values, int64_t count) const override { reduce(values, count, MPI_MAX); }
  int64_t rowOffset() const override { return rowOffset_; }

  Traffic traffic() const { return {calls_.load(), values_.load()}; }

 private:
  void reduce(double* values, int64_t count, MPI_Op op) const;

  MPI_Comm comm_;
  int64_t rowOffset_;
  // The solver calls from one thread at a time, but counters read from the main thread afterwards.
  mutable std::atomic<int64_t> calls_{0}, values_{0};
};

// The job's state in this process: MPI initialised once, the duplicated communicator, rank and size.
struct Job {
  bool initialised = false;
  bool finalised = false;
  int rank = 0, size = 1;
  int threadLevel = 0;
  MPI_Comm comm = MPI_COMM_NULL;
};

Job& job();
// MPI_Init_thread (MPI_THREAD_SERIALIZED: the solve runs on one libuv thread while the main thread
// waits) and MPI_Comm_dup. Throws std::runtime_error with MPI's message on failure.
void initialise();
// Collective: every rank must call it, after its last collective.
void finalise();
// Ends every rank of the job now with `code` (MPI_Abort): for a failure only this rank knows of.
[[noreturn]] void abortJob(int code);

// count doubles in place, elementwise over ranks; op MPI_SUM or MPI_MAX. Ends the job on failure.
void allreduce(MPI_Comm comm, double* values, int64_t count, MPI_Op op);

}  // namespace softnewton::distributed
