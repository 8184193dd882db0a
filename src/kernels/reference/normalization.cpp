// Reference fp32 BatchNormalization, ONNX opset 15
// (https://onnx.ai/onnx/operators/onnx__BatchNormalization.html): inference mode with the
// given statistics, and training mode (training_mode = 1), which normalises with the batch
// statistics and updates the running ones. Depends on core and graph only.
#include <cmath>
#include <memory>

#include "kernels/registry.hpp"

namespace edgeai {
namespace {

class BatchNormalizationKernel final : public Kernel {
 public:
  Status prepare(const Node& node, const KernelSignature& sig) override {
    for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
      if (sig.inputs[i].dtype != DType::kFloat32) {
        return unsupported(node.describe(), ": the reference BatchNormalization supports float32 only, input ", i,
                           " is ", dtype_name(sig.inputs[i].dtype));
      }
    }
    const Shape& x = sig.inputs[0].shape;
    if (x.size() < 2)
      return invalid_argument(node.describe(), ": input X ", shape_to_string(x), " has no channel axis");
    batch_ = x[0];
    channels_ = x[1];
    plane_ = element_count(Shape(x.begin() + 2, x.end())).value_or(0);
    epsilon_ = node.attr_float("epsilon", 1e-5f);
    momentum_ = node.attr_float("momentum", 0.9f);
    training_ = node.attr_int("training_mode", 0) != 0;
    running_outputs_ = sig.outputs.size() > 1;
    return Status::ok();
  }

  Status run(std::span<const TensorView> inputs, std::span<TensorView> outputs, void* /*scratch*/) override {
    const float* x = inputs[0].data_as<const float>();
    const float* scale = inputs[1].data_as<const float>();
    const float* bias = inputs[2].data_as<const float>();
    const float* input_mean = inputs[3].data_as<const float>();
    const float* input_var = inputs[4].data_as<const float>();
    float* y = outputs[0].data_as<float>();
    for (std::int64_t c = 0; c < channels_; ++c) {
      float mean = input_mean[c];
      float var = input_var[c];
      if (training_) {
        // Training mode: the batch's own mean and (population) variance over N and the
        // spatial axes; running_mean = input_mean * momentum + mean * (1 - momentum), same for var.
        double sum = 0.0;
        for (std::int64_t n = 0; n < batch_; ++n) {
          const float* xc = x + (n * channels_ + c) * plane_;
          for (std::int64_t i = 0; i < plane_; ++i) sum += xc[i];
        }
        const double count = static_cast<double>(batch_ * plane_);
        const double batch_mean = sum / count;
        double squares = 0.0;
        for (std::int64_t n = 0; n < batch_; ++n) {
          const float* xc = x + (n * channels_ + c) * plane_;
          for (std::int64_t i = 0; i < plane_; ++i) squares += (xc[i] - batch_mean) * (xc[i] - batch_mean);
        }
        mean = static_cast<float>(batch_mean);
        var = static_cast<float>(squares / count);
        if (running_outputs_) {
          outputs[1].data_as<float>()[c] = input_mean[c] * momentum_ + mean * (1.0f - momentum_);
          outputs[2].data_as<float>()[c] = input_var[c] * momentum_ + var * (1.0f - momentum_);
        }
      }
      // ONNX: Y = (X - mean) / sqrt(var + epsilon) * scale + B, per channel.
      const float factor = scale[c] / std::sqrt(var + epsilon_);
      const float b = bias[c];
      for (std::int64_t n = 0; n < batch_; ++n) {
        const std::int64_t offset = (n * channels_ + c) * plane_;
        for (std::int64_t i = 0; i < plane_; ++i) y[offset + i] = (x[offset + i] - mean) * factor + b;
      }
    }
    return Status::ok();
  }

 private:
  std::int64_t batch_ = 0, channels_ = 0, plane_ = 0;
  float epsilon_ = 1e-5f;
  float momentum_ = 0.9f;
  bool training_ = false;
  bool running_outputs_ = false;
};

}  // namespace

void register_normalization_kernels(KernelRegistry& registry) {
  registry.add("BatchNormalization",
               []() -> std::unique_ptr<Kernel> { return std::make_unique<BatchNormalizationKernel>(); });
}

}  // namespace edgeai
