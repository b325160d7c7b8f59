// Row-pass parallelism for every O(nnz) pass (the objective's passes, the Gram, the sketches), and
// the cancel check inside long passes.
//
// Every parallel pass here is arranged so that the result does not depend on the number of
// threads, bit for bit: the work is cut into pieces fixed by the data, never by the thread count,
// and every output value gets the same additions in the same order as on one thread. How each pass
// achieves that is written where the pass is (countsketch.cc: each output row gathered by one
// thread, or fixed row blocks whose partial sums are added in block order; leverage.cc: fixed row
// segments, each scored on its own).
//
// The threads are a team of helpers kept per calling thread (parallel.cc): started once, they wait
// between passes, spinning briefly first, so a pass of a few milliseconds neither pays a thread's
// start-up nor runs on a thread the kernel has not yet moved to the idle core
// (docs/performance.md, "Threads"). The caller's thread takes part, and a pass too small to pay
// for a second thread runs on the caller's thread alone.
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace softnewton {

// Thrown out of a long pass (a sketch, the Gram) when its cancel flag was raised. The solver
// catches it and stops with StopReason::Cancelled; it never reaches JavaScript as an error.
class PassCancelled : public std::runtime_error {
 public:
  PassCancelled() : std::runtime_error("cancelled: the pass was stopped by its cancel flag") {}
};

// The most threads a solve or a pass may be given (the API's `threads` range ends here).
constexpr int kMaxThreads = 256;

// How one pass may run: threads for its row blocks, and the flag that stops it.
struct Parallel {
  int threads = 1;
  const int32_t* cancel = nullptr;  // non-zero (read atomically) ⇒ throw PassCancelled

  bool cancelled() const { return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0; }
  void checkCancel() const {
    if (cancelled()) throw PassCancelled();
  }
  // Threads worth starting for `work` multiply-adds: one per kMinWork, at most `threads`.
  int threadsFor(double work) const {
    constexpr double kMinWork = 1 << 19;  // ~0.5 ms of scalar work: ten times waking a sleeping helper
    const double useful = std::max(1.0, std::floor(work / kMinWork));
    return static_cast<int>(std::max(1.0, std::min(static_cast<double>(threads), useful)));
  }
};

// Rows between two cancel checks in a scalar pass: frequent enough to stop within a millisecond or
// so, rare enough to cost nothing measurable.
constexpr int64_t kCancelCheckRows = 4096;

namespace detail {
// Runs invoke(context, part) for part = 0 … parts − 1 on the calling thread's helper team
// (parallel.cc), part 0 on the calling thread. Each part's exception is stored in errors[part].
void runOnTeam(int parts, void (*invoke)(void*, int), void* context, std::exception_ptr* errors);
}  // namespace detail

// Runs body(part) for part = 0 … parts − 1, part 0 on the calling thread and each other part on a
// helper thread, and returns when all are done. An exception thrown by any part is rethrown here
// (the lowest part's first), after every part has ended: nothing escapes a helper. If a helper
// cannot be started, or the caller is itself inside a pass, the parts run on the calling thread.
template <class Body>
void runParts(int parts, Body&& body) {
  if (parts <= 1) {
    body(0);
    return;
  }
  std::vector<std::exception_ptr> errors(parts);
  using BodyType = std::remove_reference_t<Body>;
  detail::runOnTeam(
      parts, [](void* context, int part) { (*static_cast<BodyType*>(context))(part); }, &body, errors.data());
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Runs body(item) for item = 0 … items − 1 on `parts` threads, handing out items in order from a
// shared counter (for items of uneven cost). The result must not depend on which thread ran an item.
template <class Body>
void forEachItem(int parts, int64_t items, Body&& body) {
  std::atomic<int64_t> next{0};
  runParts(static_cast<int>(std::min<int64_t>(parts, std::max<int64_t>(items, 1))), [&](int) {
    for (int64_t item = next.fetch_add(1); item < items; item = next.fetch_add(1)) body(item);
  });
}

}  // namespace softnewton
