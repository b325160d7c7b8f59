#include "binding/solve_binding.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "binding/addon.h"
#include "binding/convert.h"
#include "binding/problem_handle.h"
#include "binding/solve_io.h"
#include "core/limits.h"
#include "core/solver/solver.h"

namespace softnewton::binding {

namespace {

// Everything a solve needs, copied out of JavaScript on the main thread (the "baton").
struct SolveJob {
  const Objective* objective = nullptr;
  SolverOptions options;
  std::vector<double> x0, xStar;
  bool hasX0 = false;

  SolveResult run(const TraceSink& sink) {
    options.xStar = xStar.empty() ? nullptr : xStar.data();
    return solve(*objective, hasX0 ? x0.data() : nullptr, options, sink);
  }
};

SolveJob parseJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProblemHandle& handle = unwrapProblem(env, info[0], "problem");
  if (info.Length() < 2 || !info[1].IsObject()) fail(env, "options: expected an object");
  Napi::Object o = info[1].As<Napi::Object>();
  SolveJob job;
  job.objective = &handle.objective(env);
  const int64_t d = job.objective->dim();
  job.options = parseSolverOptions(env, o);
  job.x0 = optionalPoint(env, o, "x0", d);
  job.hasX0 = !job.x0.empty();
  job.xStar = optionalPoint(env, o, "xStar", d);
  return job;
}

class SolveWorker : public Napi::AsyncProgressQueueWorker<TraceRow> {
 public:
  SolveWorker(Napi::Env env, SolveJob job, Napi::Object problem, Napi::Value onIteration, Napi::Value cancel)
      : Napi::AsyncProgressQueueWorker<TraceRow>(env, "softnewton.solve"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(std::move(job)) {
    problem_ = Napi::Persistent(problem);  // keeps the problem's arrays alive while we read them
    if (onIteration.IsFunction()) onIteration_ = Napi::Persistent(onIteration.As<Napi::Function>());
    if (!cancel.IsUndefined() && !cancel.IsNull()) {
      auto flag = requireInt32Array(env, cancel, "cancel", 1);
      cancel_ = Napi::Persistent(flag.As<Napi::Object>());
      job_.options.cancelFlag = flag.Data();
    } else {
      job_.options.cancelFlag = &stopFlag_;
    }
    // Environment teardown raises this flag (addon.h): terminate() then returns within an iteration.
    running_ = Addon::of(env).solveStarted(const_cast<int32_t*>(job_.options.cancelFlag));
  }

  ~SolveWorker() override { running_->remove(const_cast<int32_t*>(job_.options.cancelFlag)); }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      result_ = job_.run([&](const TraceRow& row) {
        if (!onIteration_.IsEmpty()) progress.Send(&row, 1);
      });
    } catch (const std::invalid_argument& e) {
      usageError_ = e.what();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnProgress(const TraceRow* rows, size_t count) override {
    Napi::HandleScope scope(Env());
    for (size_t i = 0; i < count; ++i) {
      if (!callbackError_.IsEmpty()) return;  // the solve is already being stopped
      try {
        onIteration_.Value().Call({traceRowToJs(Env(), rows[i])});
      } catch (const Napi::Error& e) {
        // The callback threw: stop the solve and reject with that error, rather than let it
        // escape from a libuv callback.
        callbackError_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
        __atomic_store_n(const_cast<int32_t*>(job_.options.cancelFlag), 1, __ATOMIC_RELAXED);
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!usageError_.empty()) deferred_.Reject(Napi::TypeError::New(env, usageError_).Value());
    else if (!callbackError_.IsEmpty()) deferred_.Reject(callbackError_.Value());
    else deferred_.Resolve(resultToJs(env, result_));
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  SolveJob job_;
  SolveResult result_;
  std::string usageError_;
  Napi::ObjectReference problem_, cancel_;
  Napi::FunctionReference onIteration_;
  Napi::Reference<Napi::Value> callbackError_;
  int32_t stopFlag_ = 0;
  std::shared_ptr<RunningSolves> running_;
};

}  // namespace

Napi::Value Solve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SolveJob job = parseJob(info);
  auto* worker = new SolveWorker(env, std::move(job), info[0].As<Napi::Object>(), info[2], info[3]);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// solveSync(problem, options, onIteration?, cancel?) runs on the calling thread: a script's main
// thread, or a pool worker (src/pool/worker.ts), which must stay cancellable from another thread
// while it is busy here. So, like the asynchronous solve, it reads a cancel flag (an Int32Array,
// normally over a SharedArrayBuffer, that another thread raises with Atomics.store), and it calls
// onIteration with each trace row as the row is recorded. The callback runs inside the solver's
// loop, so nothing may unwind through it (liblbfgs is C): an exception from the callback, or a
// failure to call it at all (a worker being terminated), is held, the solve is stopped through the
// flag, and the exception is rethrown once the solver has returned.
Napi::Value SolveSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SolveJob job = parseJob(info);
  Napi::Function onIteration;
  if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) {
    if (!info[2].IsFunction()) fail(env, "onIteration: expected a function");
    onIteration = info[2].As<Napi::Function>();
  }
  int32_t localFlag = 0;
  int32_t* flag = &localFlag;
  if (info.Length() > 3 && !info[3].IsUndefined() && !info[3].IsNull()) {
    auto cancel = requireInt32Array(env, info[3], "cancel", -1);
    if (cancel.ElementLength() < 1) fail(env, "cancel: expected an Int32Array of length at least 1");
    flag = cancel.Data();  // alive for the whole call: info[3] holds it
  }
  job.options.cancelFlag = flag;

  Napi::Reference<Napi::Value> callbackError;
  bool callbackFailed = false;
  TraceSink sink;
  if (onIteration.IsEmpty()) {
    // Without a callback, a worker being torn down (worker.terminate(), process.exit) would wait
    // for the whole solve: this thread never returns to its event loop, where the teardown watch
    // (addon.h) runs. So each row calls a native no-op through V8, which fails once the worker's
    // isolate is terminating; the solve then stops at that iteration (a JS call per iteration:
    // microseconds against an iteration's passes over C).
    Napi::Function probe = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
    bool stopping = false;
    sink = [env, probe, flag, stopping](const TraceRow&) mutable {
      if (stopping) return;
      napi_handle_scope scope;
      if (napi_open_handle_scope(env, &scope) != napi_ok) {
        stopping = true;
      } else {
        napi_value result;
        stopping = napi_call_function(env, env.Undefined(), probe, 0, nullptr, &result) != napi_ok;
        if (stopping) {
          bool pending = false;
          if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
            napi_value ignored;
            napi_get_and_clear_last_exception(env, &ignored);
          }
        }
        napi_close_handle_scope(env, scope);
      }
      if (stopping) __atomic_store_n(flag, 1, __ATOMIC_RELAXED);
    };
  } else {
    sink = [&](const TraceRow& row) {
      if (callbackFailed) return;
      try {
        Napi::HandleScope scope(env);  // one scope per row: a long solve must not pile up handles
        onIteration.Call({traceRowToJs(env, row)});
      } catch (const Napi::Error& e) {
        callbackFailed = true;
        try {
          callbackError = Napi::Reference<Napi::Value>::New(e.Value(), 1);
        } catch (...) {
          // Keeping the error failed too (the worker is being terminated): stop all the same.
        }
      } catch (...) {
        callbackFailed = true;
      }
      if (callbackFailed) __atomic_store_n(flag, 1, __ATOMIC_RELAXED);
    };
  }
  SolveResult result;
  try {
    result = job.run(sink);
  } catch (const std::invalid_argument& e) {
    throw Napi::TypeError::New(env, e.what());
  }
  if (callbackFailed) {
    if (!callbackError.IsEmpty()) throw Napi::Error(env, callbackError.Value());
    throw Napi::Error::New(env, "onIteration: the callback could not be called");
  }
  return resultToJs(env, result);
}

}  // namespace softnewton::binding
