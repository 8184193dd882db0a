// The kernel contract between the runtime and every operator implementation.
// A kernel is created for one node, prepared once at plan time with concrete shapes
// (parse attributes, size scratch memory), then run many times without allocating.
// Errors are values; kernels never throw. Depends on core and graph only.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/thread_pool.hpp"
#include "core/tensor.hpp"
#include "graph/graph.hpp"

namespace edgeai {

// How an output may share memory with input 0; the runtime's planner uses it.
enum class Aliasing {
  kNone,            // output gets its own buffer
  kInPlaceAllowed,  // output may reuse input 0's buffer when that buffer dies here (elementwise)
  kViewOfInput0,    // output is input 0's bytes under another shape (Reshape, Flatten, ...): run() is not called
};

// Dtypes and static shapes of a node's inputs and outputs at plan time. An absent
// optional input has dtype kUndefined. `values` holds the data of inputs known at plan
// time (constants), else nullptr: kernels may pre-pack weights from it.
struct KernelSignature {
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<const Tensor*> input_values;
  // The session's threads; kernels that split their work keep the pointer (null: one thread).
  ThreadPool* threads = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Plan time: validate dtypes/shapes, parse attributes, compute scratch size.
  virtual Status prepare(const Node& node, const KernelSignature& signature) = 0;
  // Bytes of scratch memory run() needs; the runtime hands in a 64-byte aligned block.
  virtual std::size_t scratch_bytes() const { return 0; }
  virtual Aliasing aliasing() const { return Aliasing::kNone; }
  // After prepare: write output 0's rows (its vectors along the last axis) `stride` elements
  // apart instead of back to back, so that the output is a slice of a wider tensor (a
  // Concat along the last axis that then copies nothing). False: the kernel writes densely.
  virtual bool set_output_row_stride(std::int64_t /*stride*/) { return false; }
  // Run time: outputs are preallocated with the planned shapes. Must not allocate.
  virtual Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* scratch) = 0;
  // Multiply-accumulate count, for `edgeai inspect` and GMAC/s in benchmarks; 0 if not meaningful.
  virtual std::int64_t macs() const { return 0; }
};

using KernelFactory = std::unique_ptr<Kernel> (*)();

}  // namespace edgeai
