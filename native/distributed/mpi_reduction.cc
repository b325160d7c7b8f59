#include "distributed/mpi_reduction.h"

#include <climits>
#include <stdexcept>
#include <string>

namespace softnewton::distributed {

namespace {
std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, length);
}
}  // namespace

Job& job() {
  static Job state;
  return state;
}

void initialise() {
  Job& j = job();
  if (j.initialised) return;
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    // Node owns argv; MPI needs none of it (the launcher passes what it needs in the environment).
    const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &j.threadLevel);
    if (code != MPI_SUCCESS) throw std::runtime_error("MPI_Init_thread failed: " + mpiError(code));
  } else {
    MPI_Query_thread(&j.threadLevel);
  }
  if (j.threadLevel < MPI_THREAD_SERIALIZED)
    throw std::runtime_error("this MPI library gives thread level " + std::to_string(j.threadLevel) +
                             ", below MPI_THREAD_SERIALIZED, which a solve off the main thread needs");
  // Errors return codes (turned into exceptions) rather than MPI's default of aborting silently.
  MPI_Comm_dup(MPI_COMM_WORLD, &j.comm);
  MPI_Comm_set_errhandler(j.comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(j.comm, &j.rank);
  MPI_Comm_size(j.comm, &j.size);
  j.initialised = true;
}

void finalise() {
  Job& j = job();
  if (!j.initialised || j.finalised) return;
  MPI_Comm_free(&j.comm);
  MPI_Finalize();
  j.finalised = true;
}

void abortJob(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this only tells the compiler so
}

void allreduce(MPI_Comm comm, double* values, int64_t count, MPI_Op op) {
  // MPI counts are int: a d × d Gram past 2³¹ − 1 entries (d > 46340) goes in pieces.
  while (count > 0) {
    const int piece = static_cast<int>(count < INT_MAX ? count : INT_MAX);
    const int code = MPI_Allreduce(MPI_IN_PLACE, values, piece, MPI_DOUBLE, op, comm);
    // A failed collective leaves the ranks out of step: no way to go on but to end the job.
    if (code != MPI_SUCCESS) abortJob(3);
    values += piece;
    count -= piece;
  }
}

void MpiReduction::reduce(double* values, int64_t count, MPI_Op op) const {
  calls_.fetch_add(1, std::memory_order_relaxed);
  values_.fetch_add(count, std::memory_order_relaxed);
  allreduce(comm_, values, count, op);
}

}  // namespace softnewton::distributed
