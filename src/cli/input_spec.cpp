#include "cli/input_spec.hpp"

#include <random>

#include "cli/commands.hpp"
#include "format/npy.hpp"

namespace edgeai::cli {

Tensor random_input(const ValueInfo& input, std::uint64_t seed) {
  Shape shape = input.shape;
  for (std::int64_t& d : shape) {
    if (d < 0) d = 1;
  }
  Tensor t = check(Tensor::allocate(input.dtype, shape));
  std::mt19937_64 rng(seed);
  const std::int64_t n = t.num_elements();
  switch (input.dtype) {
    case DType::kFloat32: {
      std::normal_distribution<float> dist(0.0f, 1.0f);
      for (std::int64_t i = 0; i < n; ++i) t.data<float>()[i] = dist(rng);
      break;
    }
    case DType::kUInt8: {
      std::uniform_int_distribution<int> dist(0, 255);
      for (std::int64_t i = 0; i < n; ++i) t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(dist(rng));
      break;
    }
    case DType::kInt8: {
      std::uniform_int_distribution<int> dist(-128, 127);
      for (std::int64_t i = 0; i < n; ++i) t.data<std::int8_t>()[i] = static_cast<std::int8_t>(dist(rng));
      break;
    }
    default:
      throw CommandError("input '" + input.name + "' has dtype " + std::string(dtype_name(input.dtype)) +
                         ": random values make no sense for it; give a .npy file (--input " + input.name +
                         "=FILE.npy)");
  }
  return t;
}

std::vector<Tensor> resolve_inputs(const std::vector<ValueInfo>& model_inputs, const std::vector<std::string>& specs,
                                   std::uint64_t seed) {
  std::vector<Tensor> tensors(model_inputs.size());
  std::vector<bool> given(model_inputs.size(), false);
  std::size_t next_positional = 0;
  for (const std::string& spec : specs) {
    std::string name;
    std::string source = spec;
    const std::size_t eq = spec.find('=');
    std::size_t index = model_inputs.size();
    if (eq != std::string::npos) {
      name = spec.substr(0, eq);
      source = spec.substr(eq + 1);
      for (std::size_t i = 0; i < model_inputs.size(); ++i) {
        if (model_inputs[i].name == name) index = i;
      }
      if (index == model_inputs.size()) {
        std::string names;
        for (const ValueInfo& in : model_inputs) names += (names.empty() ? "" : ", ") + in.name;
        throw CommandError("the model has no input named '" + name + "' (inputs: " + names + ")");
      }
    } else {
      while (next_positional < model_inputs.size() && given[next_positional]) ++next_positional;
      if (next_positional == model_inputs.size()) {
        throw CommandError("too many --input values: the model has " + std::to_string(model_inputs.size()) +
                           " input(s)");
      }
      index = next_positional;
    }
    if (given[index]) throw CommandError("input '" + model_inputs[index].name + "' is given twice");
    given[index] = true;
    if (source == "random") {
      tensors[index] = random_input(model_inputs[index], seed + index);
    } else {
      Result<Tensor> t = read_npy(source);
      if (!t.is_ok()) throw CommandError("input '" + model_inputs[index].name + "': " + t.status().message());
      tensors[index] = std::move(t).value();
    }
  }
  for (std::size_t i = 0; i < model_inputs.size(); ++i) {
    if (!given[i]) {
      throw CommandError("no value for input '" + model_inputs[i].name + "' " +
                         std::string(dtype_name(model_inputs[i].dtype)) + " " + shape_to_string(model_inputs[i].shape) +
                         ": add --input " + model_inputs[i].name + "=FILE.npy (or =random)");
    }
  }
  return tensors;
}

}  // namespace edgeai::cli
