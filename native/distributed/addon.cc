// softnewton_mpi: the second addon, loaded only by a distributed solve (src/distributed/). It holds
// MPI — initialisation, the job's rank and size, allreduce for the TypeScript layer — and a solve
// whose Objective and options carry an MpiReduction, so that every sum over rows is a sum over the
// ranks' rows (docs/distributed.md). The main addon never links libmpi.
//
// Exports: init() → {rank, size, threadLevel, library}; finalize(); abort(code);
// allreduce(Float64Array, 'sum' | 'max') in place; solve(spec, options, rowOffset, onIteration?)
// → Promise<{result, traffic}>.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "binding/convert.h"
#include "binding/solve_io.h"
#include "core/solver/solver.h"
#include "distributed/mpi_reduction.h"

namespace softnewton::distributed {

using binding::fail;
using binding::requireField;
using binding::requireFloat64Array;

namespace {

Job& requireJob(Napi::Env env) {
  Job& j = job();
  if (!j.initialised) fail(env, "distributed: MPI is not initialised (call init() first)");
  if (j.finalised) fail(env, "distributed: MPI was already finalised");
  return j;
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    initialise();
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  Job& j = job();
  char library[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(library, &length);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", j.rank);
  o.Set("size", j.size);
  o.Set("threadLevel", j.threadLevel);
  o.Set("library", std::string(library, length));
  return o;
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  finalise();
  return info.Env().Undefined();
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  const int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 3;
  if (!job().initialised || job().finalised) std::exit(code);
  abortJob(code);
}

// allreduce(values, op): in place, on the calling (main) thread. Used between solves only.
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Job& j = requireJob(env);
  auto values = requireFloat64Array(env, info[0], "values", -1);
  const std::string op = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  if (op != "sum" && op != "max") fail(env, "op: expected 'sum' or 'max'");
  allreduce(j.comm, values.Data(), static_cast<int64_t>(values.ElementLength()), op == "sum" ? MPI_SUM : MPI_MAX);
  return values;
}

// preconditionerRows(rows, cols, nnz) → newton-pcg's default k for the whole problem (the core's
// rule, core/sketch/sketch.h), so that every rank's block sketch has the same k.
Napi::Value PreconditionerRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    fail(env, "preconditionerRows: expected (rows, cols, nnz)");
  const double rows = info[0].As<Napi::Number>().DoubleValue(), cols = info[1].As<Napi::Number>().DoubleValue();
  const double nnz = info[2].As<Napi::Number>().DoubleValue();
  if (!(rows >= 0 && cols >= 1 && nnz >= 0 && rows < 9007199254740992.0 && cols < 2147483648.0 && nnz < 9007199254740992.0))
    fail(env, "preconditionerRows: out of range");
  return Napi::Number::New(env, static_cast<double>(preconditionerRows(static_cast<int64_t>(rows), static_cast<int64_t>(cols), nnz)));
}

// One rank's share of a distributed solve, with everything copied or referenced on the main thread.
class SolveWorker : public Napi::AsyncProgressQueueWorker<TraceRow> {
 public:
  SolveWorker(Napi::Env env, Napi::Object spec, Napi::Value onIteration)
      : Napi::AsyncProgressQueueWorker<TraceRow>(env, "softnewton.distributedSolve"),
        deferred_(Napi::Promise::Deferred::New(env)) {
    spec_ = Napi::Persistent(spec);  // keeps every array the views below point into alive
    if (onIteration.IsFunction()) onIteration_ = Napi::Persistent(onIteration.As<Napi::Function>());
  }

  // Parses spec (the problem's arrays and model) and options; throws a TypeError naming the field.
  void parse(const Napi::Object& o, const Napi::Object& options, int64_t rowOffset) {
    Napi::Env env = o.Env();
    Job& j = requireJob(env);
    matrix_ = binding::parseMatrix(env, o, [](Napi::TypedArray) {});  // spec_ keeps the arrays alive
    MatrixView& c = matrix_;
    binding::parseModelFields(env, o, c.rows, true, model_, [](Napi::TypedArray) {});
    auto target = requireFloat64Array(env, requireField(o, "target"), "b", c.rows);
    for (size_t i = 0; i < target.ElementLength(); ++i)
      if (!std::isfinite(target.Data()[i])) fail(env, "b: must be finite (row " + std::to_string(i) + ")");
    model_.target = target.Data();

    options_ = binding::parseSolverOptions(env, options);
    SolverOptions& s = options_;
    x0_ = binding::optionalPoint(env, options, "x0", c.cols);
    xStar_ = binding::optionalPoint(env, options, "xStar", c.cols);
    s.xStar = xStar_.empty() ? nullptr : xStar_.data();
    s.cancelFlag = &stopFlag_;
    reduction_ = std::make_unique<MpiReduction>(j.comm, rowOffset);
    objective_ = std::make_unique<Objective>(c, model_);
    // The seam (core/reduce.h): the solve runs every sum over rows through the reduction.
    s.reduction = reduction_.get();
  }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      result_ = solve(*objective_, x0_.empty() ? nullptr : x0_.data(), options_, [&](const TraceRow& row) {
        if (!onIteration_.IsEmpty()) progress.Send(&row, 1);
      });
    } catch (const std::exception& e) {
      // Other ranks are inside the same collective sequence: this rank cannot leave it alone.
      std::fprintf(stderr, "softnewton: rank %d: the solve failed: %s\n", job().rank, e.what());
      abortJob(3);
    }
  }

  void OnProgress(const TraceRow* rows, size_t count) override {
    Napi::HandleScope scope(Env());
    for (size_t i = 0; i < count; ++i) {
      try {
        onIteration_.Value().Call({binding::traceRowToJs(Env(), rows[i])});
      } catch (const Napi::Error& e) {
        // A progress callback is local: stopping this rank alone would leave the others waiting,
        // so the failure ends the job.
        std::fprintf(stderr, "softnewton: rank %d: onIteration threw: %s\n", job().rank, e.Message().c_str());
        abortJob(3);
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object r = binding::resultToJs(env, result_);
    const Traffic t = reduction_->traffic();
    Napi::Object traffic = Napi::Object::New(env);
    traffic.Set("allreduces", static_cast<double>(t.calls));
    traffic.Set("values", static_cast<double>(t.values));
    traffic.Set("bytes", static_cast<double>(t.values) * sizeof(double));
    Napi::Object out = Napi::Object::New(env);
    out.Set("result", r);
    out.Set("traffic", traffic);
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference spec_;
  Napi::FunctionReference onIteration_;
  MatrixView matrix_;
  ModelSpec model_;
  SolverOptions options_;
  std::vector<double> x0_, xStar_;
  std::unique_ptr<MpiReduction> reduction_;
  std::unique_ptr<Objective> objective_;
  SolveResult result_;
  int32_t stopFlag_ = 0;
};

Napi::Value Solve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsNumber())
    fail(env, "solve: expected (spec, options, rowOffset, onIteration?)");
  const double offset = info[2].As<Napi::Number>().DoubleValue();
  if (!(offset >= 0 && offset == std::floor(offset) && offset < 9007199254740992.0))
    fail(env, "rowOffset: expected a non-negative integer");
  auto* worker = new SolveWorker(env, info[0].As<Napi::Object>(), info.Length() > 3 ? info[3] : env.Undefined());
  try {
    worker->parse(info[0].As<Napi::Object>(), info[1].As<Napi::Object>(), static_cast<int64_t>(offset));
  } catch (...) {
    delete worker;
    throw;
  }
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("finalize", Napi::Function::New(env, Finalize, "finalize"));
  exports.Set("abort", Napi::Function::New(env, Abort, "abort"));
  exports.Set("allreduce", Napi::Function::New(env, Allreduce, "allreduce"));
  exports.Set("solve", Napi::Function::New(env, Solve, "solve"));
  exports.Set("preconditionerRows", Napi::Function::New(env, PreconditionerRows, "preconditionerRows"));
  return exports;
}

}  // namespace softnewton::distributed

static Napi::Object InitSoftnewtonMpi(Napi::Env env, Napi::Object exports) {
  return softnewton::distributed::Register(env, exports);
}
NODE_API_MODULE(softnewton_mpi, InitSoftnewtonMpi)
