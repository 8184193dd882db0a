// Sliding-window geometry shared by Conv, MaxPool and AveragePool: how the auto_pad,
// pads, strides, dilations and ceil_mode attributes of ONNX (opset 13) turn an input's
// spatial size into begin/end padding and an output size. Shape inference and the
// reference kernels both use it, so the two can never disagree. Depends on graph only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "graph/graph.hpp"

namespace edgeai {

struct WindowGeometry {
  // One entry per spatial axis. An unknown input size gives an unknown (-1) output size.
  std::vector<std::int64_t> input;
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;
  std::vector<std::int64_t> output;
};

// Reads auto_pad/pads/strides/dilations of `node` (dilations only when `has_dilations`)
// and computes the output size of each spatial axis in `input`.
//   NOTSET:      out = floor_or_ceil((in + pad_begin + pad_end - ((k - 1) * d + 1)) / s) + 1
//   VALID:       no padding, out = floor((in - ((k - 1) * d + 1)) / s) + 1
//   SAME_UPPER/  out = ceil(in / s); total = max(0, (out - 1) * s + (k - 1) * d + 1 - in),
//   SAME_LOWER:  split with the odd element at the end (UPPER) or the beginning (LOWER).
// With ceil_mode, a last window that would start inside the end padding is dropped, as
// PyTorch and ONNX Runtime do (and the ONNX spec since opset 19 says).
inline Result<WindowGeometry> resolve_window_geometry(const Node& node, const std::vector<std::int64_t>& input,
                                                      const std::vector<std::int64_t>& kernel, bool has_dilations,
                                                      bool ceil_mode) {
  const std::size_t rank = input.size();
  WindowGeometry g;
  g.input = input;
  g.kernel = kernel;
  if (kernel.size() != rank) {
    return invalid_argument(node.describe(), ": kernel_shape has ", kernel.size(), " entries for ", rank,
                            " spatial axes");
  }
  g.strides = node.attr_ints("strides", std::vector<std::int64_t>(rank, 1));
  g.dilations = has_dilations ? node.attr_ints("dilations", std::vector<std::int64_t>(rank, 1))
                              : std::vector<std::int64_t>(rank, 1);
  std::vector<std::int64_t> pads = node.attr_ints("pads", std::vector<std::int64_t>(2 * rank, 0));
  if (g.strides.size() != rank) {
    return invalid_argument(node.describe(), ": strides has ", g.strides.size(), " entries for ", rank,
                            " spatial axes");
  }
  if (g.dilations.size() != rank) {
    return invalid_argument(node.describe(), ": dilations has ", g.dilations.size(), " entries for ", rank,
                            " spatial axes");
  }
  if (pads.size() != 2 * rank) {
    return invalid_argument(node.describe(), ": pads has ", pads.size(), " entries; ", rank, " spatial axes need ",
                            2 * rank);
  }
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    return invalid_argument(node.describe(), ": auto_pad '", auto_pad,
                            "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
  }
  g.pads_begin.assign(rank, 0);
  g.pads_end.assign(rank, 0);
  g.output.assign(rank, kUnknownDim);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t k = kernel[i];
    const std::int64_t s = g.strides[i];
    const std::int64_t d = g.dilations[i];
    if (k < 1 || s < 1 || d < 1) {
      return invalid_argument(node.describe(), ": kernel size, stride and dilation must be >= 1 on spatial axis ", i,
                              ", got kernel ", k, ", stride ", s, ", dilation ", d);
    }
    if (auto_pad == "NOTSET") {
      g.pads_begin[i] = pads[i];
      g.pads_end[i] = pads[i + rank];
      if (g.pads_begin[i] < 0 || g.pads_end[i] < 0) {
        return invalid_argument(node.describe(), ": pads must be >= 0, got ", g.pads_begin[i], " and ", g.pads_end[i],
                                " on spatial axis ", i);
      }
    }
    const std::int64_t in = input[i];
    if (in < 0) continue;  // unknown size: unknown output, pads resolved once it is known
    const std::int64_t window = (k - 1) * d + 1;
    std::int64_t out = 0;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * s + window - in);
      const std::int64_t small_half = total / 2;
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? small_half : total - small_half;
      g.pads_end[i] = total - g.pads_begin[i];
    } else {
      const std::int64_t span = in + g.pads_begin[i] + g.pads_end[i] - window;
      if (span < 0) {
        return invalid_argument(node.describe(), ": window of ", window, " (kernel ", k, ", dilation ", d,
                                ") is larger than the padded input (", in, " + ", g.pads_begin[i], " + ", g.pads_end[i],
                                ") on spatial axis ", i);
      }
      out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
      if (ceil_mode && (out - 1) * s >= in + g.pads_begin[i]) --out;
    }
    g.output[i] = out;
  }
  return g;
}

}  // namespace edgeai
