#include "cli/mcu_bundle.hpp"

#include <memory>

#include "graph/validate.hpp"

namespace edgeai::cli {

Result<McuBundle> make_mcu_bundle(Bundle bundle) {
  for (const ValueInfo& input : bundle.graph.inputs) {
    for (std::int64_t d : input.shape) {
      if (d < 0) {
        return unsupported("input '", input.name, "' has the dynamic shape ", shape_to_string(input.shape),
                           "; a microcontroller plan needs static shapes");
      }
    }
  }
  EDGEAI_RETURN_IF_ERROR(infer_shapes(bundle.graph));
  BundleWriteOptions options;
  options.entropy_code_constants = false;  // tensors are read in place from flash
  McuBundle out;
  EDGEAI_ASSIGN_OR_RETURN(out.bytes, serialize_bundle(bundle, options));
  // The interpreter holds fixed tables (a few tens of KiB): on the heap here, static on a device.
  auto interpreter = std::make_unique<micro::Interpreter>();
  if (interpreter->load(out.bytes.data(), out.bytes.size()) != micro::Code::kOk) {
    return unsupported("the microcontroller runtime cannot run this model: ", interpreter->error());
  }
  out.plan = interpreter->summary();
  return out;
}

}  // namespace edgeai::cli
