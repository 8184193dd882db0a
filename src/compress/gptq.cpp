#include "compress/gptq.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/float16.hpp"
#include "kernels/quantization.hpp"
#include "kernels/reference/window_3d.hpp"

namespace edgeai {

namespace {

// What one layer needs to turn an input tensor into the vectors its output channels see.
struct LayerInputs {
  const Node* node = nullptr;
  std::size_t value = 0;            // index into the observed values
  std::vector<std::int64_t> kernel; // Conv: the kernel's spatial shape
  bool trans_a = false;             // Gemm
  double limit = 0.0;               // max |x| of the input's calibrated range: the fixed-point unit
  InputCovariance covariance;
  std::vector<double> sample_sum;   // this sample's sum of x x^T (upper triangle), in double
  // The sums over all samples, in fixed point (2^30 per limit^2): integers add in any order to
  // the same total, so the covariance does not depend on the order of the samples.
  std::vector<__int128> total;
};

constexpr double kFixedOne = 1073741824.0;

// Adds v v^T (upper triangle) of group g to the sample's sum.
void add_outer(LayerInputs& layer, std::int64_t g, const std::vector<double>& v) {
  const std::int64_t k = layer.covariance.size;
  double* sum = layer.sample_sum.data() + g * k * k;
  for (std::int64_t i = 0; i < k; ++i) {
    const double vi = v[static_cast<std::size_t>(i)];
    if (vi == 0.0) continue;  // ReLU outputs and padding are mostly zeros
    double* row = sum + i * k;
    for (std::int64_t j = i; j < k; ++j) row[j] += vi * v[static_cast<std::size_t>(j)];
  }
}

Status accumulate_conv(LayerInputs& layer, const TensorView& x) {
  const Shape shape(x.shape.begin(), x.shape.end());
  EDGEAI_ASSIGN_OR_RETURN(Window3d geo, make_window_3d(*layer.node, shape, layer.kernel, true, false));
  const std::int64_t groups = layer.covariance.groups;
  const std::int64_t channels = shape[1];
  const std::int64_t per_group = channels / groups;
  const std::int64_t taps = geo.kernel_size();
  const float* data = x.data_as<const float>();
  std::vector<double> patch(static_cast<std::size_t>(layer.covariance.size));
  for (std::int64_t n = 0; n < shape[0]; ++n) {
    for (std::int64_t g = 0; g < groups; ++g) {
      const float* group_data = data + (n * channels + g * per_group) * geo.in_plane();
      for (std::int64_t oz = 0; oz < geo.out[0]; ++oz) {
        for (std::int64_t oy = 0; oy < geo.out[1]; ++oy) {
          for (std::int64_t ox = 0; ox < geo.out[2]; ++ox) {
            std::fill(patch.begin(), patch.end(), 0.0);
            for_each_window_tap(geo, oz, oy, ox, [&](const WindowTap& t) {
              const std::int64_t in_offset = (t.iz * geo.in[1] + t.iy) * geo.in[2] + t.ix;
              const std::int64_t tap = (t.kz * geo.k[1] + t.ky) * geo.k[2] + t.kx;
              for (std::int64_t c = 0; c < per_group; ++c) {
                patch[static_cast<std::size_t>(c * taps + tap)] = group_data[c * geo.in_plane() + in_offset];
              }
            });
            add_outer(layer, g, patch);
          }
        }
      }
    }
    layer.covariance.vectors += geo.out_plane();
  }
  return Status::ok();
}

Status accumulate_rows(LayerInputs& layer, const TensorView& x) {
  const std::int64_t k = layer.covariance.size;
  const std::int64_t n = x.num_elements();
  if (x.shape.empty() || n % k != 0) {
    return invalid_argument(layer.node->describe(), ": input of ", n, " values does not hold rows of ", k);
  }
  const float* data = x.data_as<const float>();
  const std::int64_t rows = n / k;
  std::vector<double> v(static_cast<std::size_t>(k));
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t i = 0; i < k; ++i) {
      // transA: A is [K, M] and row r of the product reads column r of A.
      v[static_cast<std::size_t>(i)] = layer.trans_a ? data[i * rows + r] : data[r * k + i];
    }
    add_outer(layer, 0, v);
  }
  layer.covariance.vectors += rows;
  return Status::ok();
}

// Folds the sample's double sums into the fixed-point totals and clears them.
void end_sample(LayerInputs& layer) {
  const double unit = kFixedOne / (layer.limit * layer.limit);
  for (std::size_t i = 0; i < layer.sample_sum.size(); ++i) {
    if (layer.sample_sum[i] == 0.0) continue;
    layer.total[i] += static_cast<__int128>(std::nearbyint(static_cast<long double>(layer.sample_sum[i]) * unit));
    layer.sample_sum[i] = 0.0;
  }
}

// Lower Cholesky factor of the symmetric n x n matrix a (row-major) in place; false when a is
// not positive definite.
bool cholesky_lower(std::vector<double>& a, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (std::int64_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0.0)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (std::int64_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (std::int64_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
    for (std::int64_t i = 0; i < j; ++i) a[i * n + j] = 0.0;
  }
  return true;
}

}  // namespace

namespace {

// A Conv, Gemm or MatMul with a float32 constant weight and a computed input: what GPTQ rounds.
bool has_weight_to_round(const Graph& graph, const Node& node) {
  if (node.op_type != "Conv" && node.op_type != "Gemm" && node.op_type != "MatMul") return false;
  if (node.inputs.size() < 2 || graph.is_constant(node.inputs[0])) return false;
  const Tensor* w = graph.find_constant(node.inputs[1]);
  return w != nullptr && w->dtype() == DType::kFloat32;
}

}  // namespace

Result<std::map<std::string, InputCovariance>> collect_input_covariances(
    const Graph& graph, const LabeledData& data, const std::map<std::string, std::pair<float, float>>* ranges,
    const ProgressFn& progress) {
  std::map<std::string, std::pair<float, float>> observed;
  if (ranges == nullptr) {
    // No calibrated ranges (weight-only compression): observe the inputs' min and max first.
    std::vector<std::string> inputs;
    for (const Node& node : graph.nodes) {
      if (has_weight_to_round(graph, node) &&
          std::find(inputs.begin(), inputs.end(), node.inputs[0]) == inputs.end()) {
        inputs.push_back(node.inputs[0]);
      }
    }
    if (!inputs.empty()) {
      EDGEAI_ASSIGN_OR_RETURN(auto stats, collect_statistics(graph, inputs, data, CalibrationOptions{}, progress));
      for (const auto& [name, st] : stats) observed[name] = {st.min, st.max};
    }
    ranges = &observed;
  }
  std::vector<LayerInputs> layers;
  std::vector<std::string> values;
  for (const Node& node : graph.nodes) {
    if (!has_weight_to_round(graph, node)) continue;
    const Tensor* w = graph.find_constant(node.inputs[1]);
    auto range = ranges->find(node.inputs[0]);
    if (range == ranges->end()) continue;
    LayerInputs layer;
    layer.node = &node;
    layer.limit = std::max(std::fabs(range->second.first), std::fabs(range->second.second));
    if (!(layer.limit > 0.0) || !std::isfinite(layer.limit)) continue;
    const Shape& ws = w->shape();
    if (node.op_type == "Conv") {
      if (ws.size() < 3) continue;
      layer.covariance.groups = node.attr_int("group", 1);
      layer.kernel.assign(ws.begin() + 2, ws.end());
      layer.covariance.size = ws[1];
      for (std::int64_t k : layer.kernel) layer.covariance.size *= k;
    } else {
      if (ws.size() != 2) continue;
      const bool trans_b = node.op_type == "Gemm" && node.attr_int("transB", 0) != 0;
      layer.trans_a = node.op_type == "Gemm" && node.attr_int("transA", 0) != 0;
      layer.covariance.size = trans_b ? ws[1] : ws[0];
    }
    const std::int64_t k = layer.covariance.size;
    const std::size_t cells = static_cast<std::size_t>(layer.covariance.groups * k * k);
    layer.sample_sum.assign(cells, 0.0);
    layer.total.assign(cells, 0);
    auto known = std::find(values.begin(), values.end(), node.inputs[0]);
    layer.value = static_cast<std::size_t>(known - values.begin());
    if (known == values.end()) values.push_back(node.inputs[0]);
    layers.push_back(std::move(layer));
  }
  std::map<std::string, InputCovariance> out;
  if (layers.empty()) return out;

  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<ValueObserver> observer, ValueObserver::create(graph, values, data));
  Status failure = Status::ok();
  EDGEAI_RETURN_IF_ERROR(observer->run("calibrating (input covariances)", progress,
                                       [&](std::size_t v, const TensorView& view) {
                                         for (LayerInputs& layer : layers) {
                                           if (layer.value != v || !failure.is_ok()) continue;
                                           failure = layer.node->op_type == "Conv" ? accumulate_conv(layer, view)
                                                                                   : accumulate_rows(layer, view);
                                           end_sample(layer);
                                         }
                                       }));
  EDGEAI_RETURN_IF_ERROR(failure);
  for (LayerInputs& layer : layers) {
    InputCovariance c = std::move(layer.covariance);
    if (c.vectors == 0) continue;
    const std::int64_t k = c.size;
    c.moment.assign(layer.total.size(), 0.0);
    const double scale = layer.limit * layer.limit / kFixedOne / static_cast<double>(c.vectors);
    for (std::int64_t g = 0; g < c.groups; ++g) {
      const std::int64_t base = g * k * k;
      for (std::int64_t i = 0; i < k; ++i) {
        for (std::int64_t j = i; j < k; ++j) {
          const double m = static_cast<double>(static_cast<long double>(layer.total[base + i * k + j])) * scale;
          c.moment[base + i * k + j] = m;
          c.moment[base + j * k + i] = m;
        }
      }
    }
    out[layer.node->name] = std::move(c);
  }
  return out;
}

namespace {

// U, the upper Cholesky factor of H^-1 (H^-1 = U^T U), as the lower factor L' of H^-1 = L' L'^T
// (U(i, j) = L'(j, i)), of the damped moment matrix; empty when it cannot be factored. Row j of U
// says how the error of rounding weight j spreads over the weights after it (GPTQ's update in
// closed form).
std::vector<double> inverse_factor(const double* moment, std::int64_t n) {
  std::vector<double> h(moment, moment + n * n);
  double diagonal = 0.0;
  std::int64_t live = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (h[i * n + i] > 0.0) diagonal += h[i * n + i], ++live;
  }
  if (live == 0) return {};
  const double damping = 0.01 * diagonal / static_cast<double>(live);
  for (std::int64_t i = 0; i < n; ++i) {
    // An input that is always 0 has no effect on the output: its row and column are 0, and a
    // unit diagonal leaves its weights to nearest rounding without touching the others.
    if (!(h[i * n + i] > 0.0)) {
      for (std::int64_t j = 0; j < n; ++j) h[i * n + j] = h[j * n + i] = 0.0;
      h[i * n + i] = 1.0;
    }
    h[i * n + i] += damping;
  }
  if (!cholesky_lower(h, n)) return {};
  std::vector<double> inv_l(static_cast<std::size_t>(n * n), 0.0);  // L^-1, lower triangular
  for (std::int64_t j = 0; j < n; ++j) {
    inv_l[j * n + j] = 1.0 / h[j * n + j];
    for (std::int64_t i = j + 1; i < n; ++i) {
      double s = 0.0;
      for (std::int64_t k = j; k < i; ++k) s += h[i * n + k] * inv_l[k * n + j];
      inv_l[i * n + j] = -s / h[i * n + i];
    }
  }
  std::vector<double> inverse(static_cast<std::size_t>(n * n), 0.0);  // H^-1 = L^-T L^-1
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j <= i; ++j) {
      double s = 0.0;
      for (std::int64_t k = i; k < n; ++k) s += inv_l[k * n + i] * inv_l[k * n + j];
      inverse[i * n + j] = inverse[j * n + i] = s;
    }
  }
  if (!cholesky_lower(inverse, n)) return {};
  return inverse;
}

// GPTQ over the rows: weight j of a row is rounded with scale_of(row, j, values) (the row as
// updated so far) and its error spread over the weights after it.
template <typename ScaleOf>
void round_rows(const float* w, std::int64_t rows, std::int64_t n, const std::vector<double>& factor, int qmax,
                ScaleOf scale_of, std::int8_t* out) {
  const auto u = [&](std::int64_t i, std::int64_t j) { return factor[j * n + i]; };
  std::vector<double> row(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t j = 0; j < n; ++j) row[static_cast<std::size_t>(j)] = w[r * n + j];
    for (std::int64_t j = 0; j < n; ++j) {
      const float scale = scale_of(r, j, row);
      const std::int32_t q = scale > 0.0f ? quant::quantize_value(static_cast<float>(row[j]), scale, 0, -qmax, qmax) : 0;
      out[r * n + j] = static_cast<std::int8_t>(q);
      const double error = (row[j] - static_cast<double>(q) * static_cast<double>(scale)) / u(j, j);
      for (std::int64_t k = j + 1; k < n; ++k) row[k] -= error * u(j, k);
    }
  }
}

}  // namespace

bool gptq_round(const float* w, std::int64_t rows, std::int64_t size, const double* moment, const float* scales,
                int qmax, std::int8_t* out) {
  const std::vector<double> factor = inverse_factor(moment, size);
  if (factor.empty()) return false;
  round_rows(w, rows, size, factor, qmax, [&](std::int64_t r, std::int64_t, const std::vector<double>&) { return scales[r]; },
             out);
  return true;
}

bool gptq_round_int4(const float* w, std::int64_t rows, std::int64_t size, const double* moment, int block_size,
                     std::int8_t* out, std::uint16_t* scale_bits) {
  const std::vector<double> factor = inverse_factor(moment, size);
  if (factor.empty()) return false;
  const std::int64_t blocks = (size + block_size - 1) / block_size;
  float scale = 0.0f;
  round_rows(w, rows, size, factor, 7,
             [&](std::int64_t r, std::int64_t j, const std::vector<double>& row) {
               if (j % block_size == 0) {
                 // The block's scale from its weights as GPTQ has moved them, stored as float16.
                 double max_abs = 0.0;
                 for (std::int64_t k = j; k < std::min<std::int64_t>(size, j + block_size); ++k) {
                   max_abs = std::max(max_abs, std::fabs(row[static_cast<std::size_t>(k)]));
                 }
                 const std::uint16_t bits = float_to_float16_bits(static_cast<float>(max_abs) / 7.0f);
                 scale_bits[r * blocks + j / block_size] = bits;
                 scale = float16_bits_to_float(bits);
               }
               return scale;
             },
             out);
  return true;
}

}  // namespace edgeai
