// The helper team behind runParts (parallel.h).
//
// Why a team per calling thread, kept between passes: a std::thread started per pass cost about
// 50 µs, and, worse, Linux starts a new thread on its parent's core; on a 2-core machine the
// second part of a 3 ms pass often ran on the busy core, so lossAndGradient took the one-thread
// time for the first ten or so calls after any pause (docs/performance.md, "Threads"). Helpers that
// stay alive stay on the core the scheduler gave them.
//
// Why per calling thread rather than one per process: Node calls in from its main thread, from
// libuv's pool (asynchronous solves) and from worker threads (the piscina pool), at the same
// time. Each caller gets its own helpers, so concurrent passes never wait for each other, and a
// team dies with its thread (thread_local), joining its helpers.
//
// Waiting: a helper that finished a part spins for kSpinMicroseconds before it sleeps on the
// condition variable, because the next pass usually comes soon: the two passes of one evaluation
// (with the serial block sums between them), the next CG step, the next staged block of an exact
// Gram. 1 ms, because 200 µs let helpers fall asleep between such passes, and a woken helper costs
// tens of microseconds and sometimes lands on the busy core: lossAndGradient at n = 300k, d = 120
// took 5.5 ms instead of 4.4 for whole runs, and the exact Gram at n = 10⁶, d = 200 (dense)
// 0.67–1.26 s instead of 0.67. After that it costs nothing.
//
// Waking: on this machine kind Linux wakes a sleeping helper on the waker's core, busy with part 0,
// and leaves it there until a periodic balance moves it, milliseconds later (measured: a helper woken
// after 2 ms of sleep started its part only when the caller's part had ended). So before waking
// sleeping helpers the caller excludes its own core from their affinity, and each woken helper
// restores its full affinity at once: a hint for one placement, never a pin.
#include "core/parallel.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif

namespace softnewton {
namespace detail {
namespace {

constexpr int kSpinMicroseconds = 1000;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until ready() or kSpinMicroseconds have passed; true if ready() became true.
template <class Ready>
bool spinUntil(Ready&& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicroseconds);
  for (int i = 0;; ++i) {
    if (ready()) return true;
    cpuRelax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return ready();
  }
}

class Team {
 public:
  Team() = default;
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  ~Team() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& helper : helpers_) helper.thread.join();
  }

  void run(int parts, void (*invoke)(void*, int), void* context, std::exception_ptr* errors) {
    grow(parts - 1);
    const int helpers = static_cast<int>(helpers_.size());
    bool sleepers = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      invoke_ = invoke;
      context_ = context;
      errors_ = errors;
      parts_ = parts;
      pending_.store(helpers, std::memory_order_relaxed);
      for (auto& helper : helpers_) sleepers = sleepers || helper.asleep;
      if (sleepers) hintPlacement();
      generation_.fetch_add(1, std::memory_order_release);
    }
    if (sleepers) wake_.notify_all();
    runPart(0);
    // Parts no helper could be started for.
    for (int part = helpers + 1; part < parts; ++part) runPart(part);
    if (!spinUntil([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
  }

 private:
  struct Helper {
    std::thread thread;
    bool asleep = false;    // guarded by mutex_
    bool hinted = false;    // its affinity excludes a core: restore it when it wakes (mutex_)
  };

  void runPart(int part) {
    try {
      invoke_(context_, part);
    } catch (...) {
      errors_[part] = std::current_exception();
    }
  }

  // Called with mutex_ held, before the generation moves: the sleeping helpers may wake on the
  // caller's allowed cores except the one it runs on (if that leaves any).
  void hintPlacement() {
#ifdef __linux__
    if (pthread_getaffinity_np(pthread_self(), sizeof allowed_, &allowed_) != 0) return;
    cpu_set_t beside = allowed_;
    const int self = sched_getcpu();
    if (self >= 0 && self < CPU_SETSIZE) CPU_CLR(self, &beside);
    if (CPU_COUNT(&beside) == 0) return;
    for (auto& helper : helpers_)
      if (helper.asleep && pthread_setaffinity_np(helper.thread.native_handle(), sizeof beside, &beside) == 0)
        helper.hinted = true;
#endif
  }

  // Starts helpers until there are `wanted`; stops early (and runs the rest inline) if the system
  // refuses a thread. The list is reserved up front, so a helper's entry never moves.
  void grow(int wanted) {
    wanted = std::min(wanted, kMaxThreads);
    if (helpers_.capacity() < static_cast<size_t>(kMaxThreads)) helpers_.reserve(kMaxThreads);
    while (static_cast<int>(helpers_.size()) < wanted) {
      // The helper must wait for the generation after this one, whenever it gets to run.
      const int index = static_cast<int>(helpers_.size());
      const uint64_t now = generation_.load(std::memory_order_relaxed);
      try {
        std::lock_guard<std::mutex> lock(mutex_);
        helpers_.emplace_back();
        helpers_.back().thread = std::thread([this, index, now] { helperLoop(index, now); });
      } catch (...) {  // std::system_error
        helpers_.pop_back();
        return;
      }
    }
  }

  void helperLoop(int index, uint64_t seen) {
    inHelper() = true;
    const int part = index + 1;
    for (;;) {
      if (!spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
        std::unique_lock<std::mutex> lock(mutex_);
        helpers_[index].asleep = true;
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        helpers_[index].asleep = false;
        if (helpers_[index].hinted) {
          helpers_[index].hinted = false;
#ifdef __linux__
          pthread_setaffinity_np(pthread_self(), sizeof allowed_, &allowed_);
#endif
        }
      }
      // stop_ and the job's fields were written before the generation moved (release), and read
      // after it was seen (acquire).
      seen = generation_.load(std::memory_order_acquire);
      if (stop_) return;
      if (part < parts_) runPart(part);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

 public:
  static bool& inHelper() {
    thread_local bool flag = false;
    return flag;
  }
  bool busy = false;

 private:
  std::vector<Helper> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;
  void (*invoke_)(void*, int) = nullptr;
  void* context_ = nullptr;
  std::exception_ptr* errors_ = nullptr;
  int parts_ = 0;
#ifdef __linux__
  cpu_set_t allowed_;  // the caller's affinity at the last hint (mutex_)
#endif
};

}  // namespace

void runOnTeam(int parts, void (*invoke)(void*, int), void* context, std::exception_ptr* errors) {
  auto serial = [&] {
    for (int part = 0; part < parts; ++part) {
      try {
        invoke(context, part);
      } catch (...) {
        errors[part] = std::current_exception();
      }
    }
  };
  // A pass started from inside a part (a helper, or the caller while its team is busy) runs its
  // parts in order on this thread: the team is already using the cores.
  if (Team::inHelper()) return serial();
  thread_local Team team;
  if (team.busy) return serial();
  team.busy = true;
  struct Release {
    Team& t;
    ~Release() { t.busy = false; }
  } release{team};
  team.run(parts, invoke, context, errors);
}

}  // namespace detail
}  // namespace softnewton
