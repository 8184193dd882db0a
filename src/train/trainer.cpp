// The training loop. Determinism: torch::manual_seed(seed) for torch's own randomness
// (Dropout), one std::mt19937_64 for our shuffles and balanced sampling, another for the
// augmentation hook, our own integer sampling (no std:: distributions, whose outputs differ
// between standard libraries), and deterministic cuDNN on CUDA. Tools side: libtorch.
#include "train/trainer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace edgeai {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  const long total = static_cast<long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02ld:%02ld", total / 60, total % 60);
  }
  return buffer;
}

// A JSON number; NaN and infinities (a diverged loss) become null.
std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Learning rate at global iteration `step` of `total` (iterations_per_epoch per epoch).
double learning_rate_at(const TrainOptions& o, std::int64_t step, std::int64_t total, std::int64_t per_epoch) {
  const double base = o.learning_rate;
  const double pi = 3.14159265358979323846;
  if (o.lr_schedule == "onecycle") {
    // torch.optim.lr_scheduler.OneCycleLR defaults: pct_start 0.3, div_factor 25,
    // final_div_factor 1e4, cosine annealing in both phases.
    const double initial = base / 25.0;
    const double final_lr = initial / 1e4;
    const double up = std::max(1.0, 0.3 * static_cast<double>(total));
    auto anneal = [pi](double from, double to, double pct) {
      return to + (from - to) / 2.0 * (1.0 + std::cos(pi * std::min(1.0, std::max(0.0, pct))));
    };
    if (static_cast<double>(step) < up) return anneal(initial, base, static_cast<double>(step) / up);
    return anneal(base, final_lr, (static_cast<double>(step) - up) / std::max(1.0, static_cast<double>(total) - up));
  }
  const std::int64_t warmup = static_cast<std::int64_t>(o.warmup_epochs) * per_epoch;
  if (step < warmup) return base * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (o.lr_schedule == "cosine") {
    const double progress =
        static_cast<double>(step - warmup) / std::max<double>(1.0, static_cast<double>(total - warmup));
    return base * 0.5 * (1.0 + std::cos(pi * std::min(1.0, progress)));
  }
  if (o.lr_schedule == "step") {
    const std::int64_t epoch = per_epoch > 0 ? step / per_epoch : 0;
    return base * std::pow(o.lr_gamma, static_cast<double>(epoch / std::max(1, o.lr_step_epochs)));
  }
  return base;
}

Status check_options(const TrainOptions& o) {
  if (o.optimizer != "sgd" && o.optimizer != "adam" && o.optimizer != "adamw") {
    return invalid_argument("optimizer '", o.optimizer, "' is not one of sgd, adam, adamw");
  }
  if (o.lr_schedule != "none" && o.lr_schedule != "cosine" && o.lr_schedule != "step" && o.lr_schedule != "onecycle") {
    return invalid_argument("lr schedule '", o.lr_schedule, "' is not one of none, cosine, step, onecycle");
  }
  if (o.class_weighting != "none" && o.class_weighting != "inverse" && o.class_weighting != "sqrt_inverse") {
    return invalid_argument("class weighting '", o.class_weighting, "' is not one of none, inverse, sqrt_inverse");
  }
  if (o.device != "cpu" && o.device != "cuda") return invalid_argument("device '", o.device, "' is not cpu or cuda");
  if (!(o.learning_rate > 0)) return invalid_argument("learning rate must be > 0, got ", o.learning_rate);
  if (o.epochs < 1) return invalid_argument("epochs must be >= 1, got ", o.epochs);
  if (o.batch_size < 1) return invalid_argument("batch size must be >= 1, got ", o.batch_size);
  if (o.weight_decay < 0) return invalid_argument("weight decay must be >= 0, got ", o.weight_decay);
  if (o.label_smoothing < 0 || o.label_smoothing >= 1) {
    return invalid_argument("label smoothing must be in [0, 1), got ", o.label_smoothing);
  }
  if (o.nesterov && (o.optimizer != "sgd" || o.momentum <= 0)) {
    return invalid_argument("nesterov needs optimizer sgd with momentum > 0");
  }
  if (o.threads < 0) return invalid_argument("threads must be >= 0, got ", o.threads);
  return Status::ok();
}

Status check_labels(const LabeledData& data, const char* which) {
  const std::int64_t classes = static_cast<std::int64_t>(data.class_names.size());
  for (std::int64_t i = 0; i < data.size(); ++i) {
    if (data.labels[static_cast<std::size_t>(i)] < 0 || data.labels[static_cast<std::size_t>(i)] >= classes) {
      return invalid_argument(which, " sample ", i, " has label ", data.labels[static_cast<std::size_t>(i)],
                              " outside the ", classes, " classes");
    }
  }
  return Status::ok();
}

// The data set as torch tensors in graph-input order, on the CPU.
struct TorchData {
  std::vector<torch::Tensor> inputs;
  torch::Tensor labels;  // int64 [N]
  std::int64_t size = 0;
};

Result<TorchData> to_torch_data(const Graph& graph, const LabeledData& data) {
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::size_t> order, match_data_inputs(graph, data));
  TorchData out;
  out.size = data.size();
  for (std::size_t index : order) {
    if (data.inputs[index].dtype() != DType::kFloat32) {
      return invalid_argument("data input '", graph.inputs[out.inputs.size()].name, "' is ",
                              dtype_name(data.inputs[index].dtype()), ", training needs float32");
    }
    EDGEAI_ASSIGN_OR_RETURN(torch::Tensor t, to_torch(data.inputs[index]));
    out.inputs.push_back(std::move(t));
  }
  out.labels = torch::tensor(data.labels, torch::kInt64);
  return out;
}

torch::Device device_of(GraphModule& model) {
  for (const torch::Tensor& p : model.parameters()) return p.device();
  for (const torch::Tensor& b : model.buffers()) return b.device();
  return torch::Device(torch::kCPU);
}

std::vector<torch::Tensor> gather(const std::vector<torch::Tensor>& inputs, const torch::Tensor& index) {
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& t : inputs) out.push_back(t.index_select(0, index));
  return out;
}

// Eval-mode outputs of the whole set (no grad), each concatenated over batches on the CPU.
std::vector<torch::Tensor> run_eval(GraphModule& model, const TorchData& data, int batch_size) {
  torch::NoGradGuard no_grad;
  const torch::Device device = device_of(model);
  std::vector<std::vector<torch::Tensor>> parts;
  for (std::int64_t begin = 0; begin < data.size; begin += batch_size) {
    const std::int64_t count = std::min<std::int64_t>(batch_size, data.size - begin);
    std::vector<torch::Tensor> batch;
    for (const torch::Tensor& t : data.inputs) batch.push_back(t.narrow(0, begin, count).to(device));
    std::vector<torch::Tensor> out = model.forward(batch);
    if (parts.empty()) parts.resize(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) parts[i].push_back(out[i].to(torch::kCPU));
  }
  std::vector<torch::Tensor> outputs;
  for (std::vector<torch::Tensor>& p : parts) outputs.push_back(torch::cat(p, 0));
  return outputs;
}

std::vector<std::int64_t> argmax_labels(const torch::Tensor& logits) {
  torch::Tensor pred = logits.argmax(1).to(torch::kInt64).contiguous();
  const std::int64_t* p = pred.data_ptr<std::int64_t>();
  return std::vector<std::int64_t>(p, p + pred.numel());
}

// Parameters and buffers, copied (the best epoch's state).
struct Snapshot {
  std::vector<torch::Tensor> parameters;
  std::vector<torch::Tensor> buffers;
};

Snapshot take_snapshot(GraphModule& model) {
  torch::NoGradGuard no_grad;
  Snapshot s;
  for (const torch::Tensor& p : model.parameters()) s.parameters.push_back(p.detach().clone());
  for (const torch::Tensor& b : model.buffers()) s.buffers.push_back(b.detach().clone());
  return s;
}

void restore_snapshot(GraphModule& model, const Snapshot& s) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parameters = model.parameters();
  std::vector<torch::Tensor> buffers = model.buffers();
  for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(s.parameters[i]);
  for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(s.buffers[i]);
}

class ProgressBar {
 public:
  ProgressBar(bool enabled, int epochs) : enabled_(enabled && isatty(fileno(stderr)) != 0), epochs_(epochs) {}

  void update(int epoch, std::int64_t done, std::int64_t total, double loss, Clock::time_point epoch_start,
              double previous_epochs_seconds) {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - epoch_start).count();
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    const double epoch_eta = fraction > 0 ? elapsed / fraction - elapsed : 0.0;
    const double per_epoch = fraction > 0 ? elapsed / fraction : 0.0;
    const double average = epoch > 1 ? (previous_epochs_seconds + per_epoch) / epoch : per_epoch;
    const double total_eta = epoch_eta + average * (epochs_ - epoch);
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %lld/%lld loss %.4f  ETA epoch %s, total %s", epoch, epochs_,
                 bar.c_str(), static_cast<long long>(done), static_cast<long long>(total), loss,
                 format_duration(epoch_eta).c_str(), format_duration(total_eta).c_str());
    std::fflush(stderr);
  }

  void clear() {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  int epochs_;
  Clock::time_point last_draw_{};
};

std::vector<double> class_weights_for(const LabeledData& train, const std::string& mode) {
  const std::vector<std::int64_t> counts = train.class_counts();
  const double n = static_cast<double>(train.size());
  const double c = static_cast<double>(counts.size());
  std::vector<double> weights(counts.size(), 0.0);
  if (mode == "none") return {};
  double weighted_total = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    weights[i] = mode == "inverse" ? n / (c * static_cast<double>(counts[i]))
                                   : 1.0 / std::sqrt(static_cast<double>(counts[i]));
    weighted_total += weights[i] * static_cast<double>(counts[i]);
  }
  if (mode == "sqrt_inverse" && weighted_total > 0) {
    for (double& w : weights) w *= n / weighted_total;
  }
  return weights;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(GraphModule& model, const TrainOptions& o) {
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> not_decayed;
  for (const torch::Tensor& p : model.parameters()) (p.dim() >= 2 ? decayed : not_decayed).push_back(p);
  auto options_for = [&o](double weight_decay) -> std::unique_ptr<torch::optim::OptimizerOptions> {
    if (o.optimizer == "sgd") {
      return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(o.learning_rate)
                                                            .momentum(o.momentum)
                                                            .nesterov(o.nesterov)
                                                            .weight_decay(weight_decay));
    }
    if (o.optimizer == "adamw") {
      return std::make_unique<torch::optim::AdamWOptions>(
          torch::optim::AdamWOptions(o.learning_rate).weight_decay(weight_decay));
    }
    return std::make_unique<torch::optim::AdamOptions>(
        torch::optim::AdamOptions(o.learning_rate).weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decayed.empty()) groups.emplace_back(decayed, options_for(o.weight_decay));
  if (!not_decayed.empty()) groups.emplace_back(not_decayed, options_for(0.0));
  if (o.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        groups, torch::optim::SGDOptions(o.learning_rate).momentum(o.momentum).nesterov(o.nesterov));
  }
  if (o.optimizer == "adamw") {
    // AdamW's own default decay is 1e-2; the groups carry ours.
    return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(o.learning_rate).weight_decay(0));
  }
  return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(o.learning_rate));
}

Result<TrainReport> train_impl(GraphModule& model, const LabeledData& train, const LabeledData& val,
                               const TrainOptions& o) {
  const Clock::time_point run_start = Clock::now();
  EDGEAI_RETURN_IF_ERROR(check_options(o));
  if (train.size() < 2) return invalid_argument("training set has ", train.size(), " samples; need at least 2");
  if (train.class_names.size() < 2) {
    return invalid_argument("training set has ", train.class_names.size(), " classes; need at least 2");
  }
  if (val.size() > 0 && val.class_names.size() != train.class_names.size()) {
    return invalid_argument("validation set has ", val.class_names.size(), " classes, training set ",
                            train.class_names.size());
  }
  EDGEAI_RETURN_IF_ERROR(check_labels(train, "training"));
  EDGEAI_RETURN_IF_ERROR(check_labels(val, "validation"));
  const std::int64_t classes = static_cast<std::int64_t>(train.class_names.size());

  TrainReport report;
  report.metric_name = o.selection_metric ? o.selection_metric_name : "accuracy";
  report.threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(report.threads);
  torch::manual_seed(o.seed);

  torch::Device device(torch::kCPU);
  if (o.device == "cuda") {
    if (!torch::cuda::is_available()) {
      return unsupported("device cuda requested, but this libtorch has no CUDA or no GPU is visible");
    }
    // Deterministic cuBLAS needs a fixed workspace (CUDA docs, "Results reproducibility");
    // it must be set before the first cuBLAS call.
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
    at::globalContext().setDeterministicCuDNN(true);
    at::globalContext().setBenchmarkCuDNN(false);
    torch::cuda::manual_seed_all(o.seed);
    device = torch::Device(torch::kCUDA);
  }
  report.device = o.device;
  model.to(device);

  EDGEAI_ASSIGN_OR_RETURN(TorchData train_data, to_torch_data(model.graph(), train));
  TorchData val_data;
  if (val.size() > 0) {
    EDGEAI_ASSIGN_OR_RETURN(val_data, to_torch_data(model.graph(), val));
  }

  report.class_weights = class_weights_for(train, o.class_weighting);
  auto loss_options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing);
  if (!report.class_weights.empty()) {
    loss_options.weight(torch::tensor(report.class_weights, torch::kFloat64).to(torch::kFloat32).to(device));
  }

  std::unique_ptr<torch::optim::Optimizer> optimizer = make_optimizer(model, o);

  // Members of each class, for balanced sampling.
  std::vector<std::vector<std::int64_t>> members(static_cast<std::size_t>(classes));
  for (std::int64_t i = 0; i < train.size(); ++i) {
    members[static_cast<std::size_t>(train.labels[static_cast<std::size_t>(i)])].push_back(i);
  }
  std::vector<std::size_t> present_classes;
  for (std::size_t c = 0; c < members.size(); ++c) {
    if (!members[c].empty()) present_classes.push_back(c);
  }

  std::mt19937_64 order_rng(o.seed);
  std::mt19937_64 augment_rng(o.seed ^ 0x9E3779B97F4A7C15ULL);
  const std::int64_t n = train.size();
  // A last batch of one sample is skipped: BatchNormalization cannot train on one value per channel.
  const std::int64_t batches_per_epoch = n / o.batch_size + (n % o.batch_size > 1 ? 1 : 0);
  const std::int64_t total_steps = batches_per_epoch * o.epochs;
  std::int64_t step = 0;

  ProgressBar bar(o.progress, o.epochs);
  std::optional<Snapshot> best;
  double best_score = -std::numeric_limits<double>::infinity();
  double previous_epochs_seconds = 0.0;
  double lr = o.learning_rate;

  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    if (o.balanced_sampling) {
      for (std::int64_t& index : order) {
        const std::vector<std::int64_t>& pool = members[present_classes[uniform_index(order_rng, present_classes.size())]];
        index = pool[uniform_index(order_rng, pool.size())];
      }
    } else {
      for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
      shuffle_indices(order, order_rng);
    }
    const torch::Tensor order_tensor = torch::tensor(order, torch::kInt64);

    model.train();
    double loss_sum = 0.0;
    std::int64_t correct = 0;
    std::int64_t seen = 0;
    std::int64_t batch_index = 0;
    for (std::int64_t begin = 0; begin < n; begin += o.batch_size) {
      const std::int64_t count = std::min<std::int64_t>(o.batch_size, n - begin);
      if (count < 2) break;
      const torch::Tensor index = order_tensor.narrow(0, begin, count);
      std::vector<torch::Tensor> batch = gather(train_data.inputs, index);
      if (o.augment) o.augment(batch, augment_rng);
      for (torch::Tensor& t : batch) t = t.to(device);
      const torch::Tensor target = train_data.labels.index_select(0, index).to(device);

      lr = learning_rate_at(o, step, total_steps, batches_per_epoch);
      for (torch::optim::OptimizerParamGroup& group : optimizer->param_groups()) group.options().set_lr(lr);

      optimizer->zero_grad();
      std::vector<torch::Tensor> outputs = model.forward(batch);
      const torch::Tensor& logits = outputs.at(0);
      if (logits.dim() != 2 || logits.size(1) != classes) {
        return invalid_argument("model output '", model.graph().outputs[0].name, "' has shape ", logits.sizes(),
                                ", training needs logits [N, ", classes, "]");
      }
      torch::Tensor loss = torch::nn::functional::cross_entropy(logits, target, loss_options);
      loss.backward();
      optimizer->step();

      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        return failed_precondition("training diverged: loss is ", loss_value, " at epoch ", epoch, ", batch ",
                                   batch_index + 1, " (lower the learning rate)");
      }
      loss_sum += loss_value;
      correct += logits.detach().argmax(1).eq(target).sum().item<std::int64_t>();
      seen += count;
      ++batch_index;
      ++step;
      bar.update(epoch, batch_index, batches_per_epoch, loss_sum / static_cast<double>(batch_index), epoch_start,
                 previous_epochs_seconds);
    }
    bar.clear();

    EpochStats stats;
    stats.epoch = epoch;
    stats.learning_rate = lr;
    stats.train_loss = batch_index > 0 ? loss_sum / static_cast<double>(batch_index) : 0.0;
    stats.train_accuracy = seen > 0 ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
    bool is_best = false;
    if (val_data.size > 0) {
      model.eval();
      const torch::Tensor logits = run_eval(model, val_data, std::max(o.batch_size, 256)).at(0);
      stats.val_loss = torch::nn::functional::cross_entropy(logits, val_data.labels).item<double>();
      const std::vector<std::int64_t> predicted = argmax_labels(logits);
      stats.val_accuracy = accuracy_score(predicted, val.labels);
      stats.val_score = o.selection_metric ? o.selection_metric(predicted, val.labels) : stats.val_accuracy;
      if (stats.val_score > best_score || !best) {
        best_score = stats.val_score;
        best = take_snapshot(model);
        report.best_epoch = epoch;
        is_best = true;
      }
    } else {
      report.best_epoch = epoch;
      is_best = true;
    }
    stats.seconds = seconds_since(epoch_start);
    previous_epochs_seconds += stats.seconds;
    report.epochs.push_back(stats);

    if (o.log_epochs) {
      std::ostringstream line;
      char buffer[256];
      std::snprintf(buffer, sizeof buffer, "epoch %d/%d  lr %.3g  train loss %.4f acc %.4f", epoch, o.epochs,
                    stats.learning_rate, stats.train_loss, stats.train_accuracy);
      line << buffer;
      if (val_data.size > 0) {
        std::snprintf(buffer, sizeof buffer, "  |  val loss %.4f acc %.4f %s %.4f%s", stats.val_loss,
                      stats.val_accuracy, report.metric_name.c_str(), stats.val_score, is_best ? " *" : "");
        line << buffer;
      }
      std::snprintf(buffer, sizeof buffer, "  |  %.1f s", stats.seconds);
      line << buffer;
      std::fprintf(stderr, "%s\n", line.str().c_str());
      std::fflush(stderr);
    }
    if (o.json) {
      std::cout << "{\"epoch\":" << epoch << ",\"epochs\":" << o.epochs
                << ",\"lr\":" << json_number(stats.learning_rate) << ",\"train_loss\":" << json_number(stats.train_loss)
                << ",\"train_accuracy\":" << json_number(stats.train_accuracy);
      if (val_data.size > 0) {
        std::cout << ",\"val_loss\":" << json_number(stats.val_loss)
                  << ",\"val_accuracy\":" << json_number(stats.val_accuracy)
                  << ",\"metric\":" << json_string(report.metric_name) << ",\"val_score\":" << json_number(stats.val_score);
      }
      std::cout << ",\"is_best\":" << (is_best ? "true" : "false") << ",\"seconds\":" << json_number(stats.seconds)
                << "}\n"
                << std::flush;
    }
  }

  if (best) {
    restore_snapshot(model, *best);
    report.best_score = best_score;
  } else if (!report.epochs.empty()) {
    report.best_score = report.epochs.back().val_score;
  }
  model.eval();
  report.total_seconds = seconds_since(run_start);
  if (o.log_epochs && val_data.size > 0) {
    std::fprintf(stderr, "best epoch %d: %s %.4f (%.1f s in all)\n", report.best_epoch, report.metric_name.c_str(),
                 report.best_score, report.total_seconds);
  }
  return report;
}

}  // namespace

std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n) {
  if (n <= 1) return 0;
  // Reject the top partial block so every residue is equally likely.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
  std::uint64_t draw = rng();
  while (draw >= limit) draw = rng();
  return draw % n;
}

void shuffle_indices(std::vector<std::int64_t>& indices, std::mt19937_64& rng) {
  for (std::size_t i = indices.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(uniform_index(rng, i));
    std::swap(indices[i - 1], indices[j]);
  }
}

double accuracy_score(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth) {
  const std::size_t n = std::min(predicted.size(), truth.size());
  if (n == 0) return 0.0;
  std::size_t equal = 0;
  for (std::size_t i = 0; i < n; ++i) equal += predicted[i] == truth[i] ? 1 : 0;
  return static_cast<double>(equal) / static_cast<double>(n);
}

Result<std::vector<std::size_t>> match_data_inputs(const Graph& graph, const LabeledData& data) {
  if (data.inputs.size() != graph.inputs.size()) {
    return invalid_argument("the data set has ", data.inputs.size(), " inputs, graph '", graph.name, "' has ",
                            graph.inputs.size());
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    if (data.input_names.empty()) {
      order.push_back(i);
      continue;
    }
    auto it = std::find(data.input_names.begin(), data.input_names.end(), graph.inputs[i].name);
    if (it == data.input_names.end()) {
      std::string names;
      for (const std::string& name : data.input_names) names += (names.empty() ? "" : ", ") + name;
      return invalid_argument("graph input '", graph.inputs[i].name, "' is not among the data set's inputs (", names,
                              ")");
    }
    order.push_back(static_cast<std::size_t>(it - data.input_names.begin()));
  }
  for (std::size_t i = 0; i < data.inputs.size(); ++i) {
    const Shape& shape = data.inputs[i].shape();
    if (shape.empty() || shape[0] != data.size()) {
      return invalid_argument("data input ", i, " has shape ", shape_to_string(shape), " but there are ", data.size(),
                              " labels");
    }
  }
  return order;
}

Result<TrainReport> train_model(GraphModule& model, const LabeledData& train, const LabeledData& val,
                                const TrainOptions& options) {
  try {
    return train_impl(model, train, val, options);
  } catch (const c10::Error& e) {
    return internal_error("training graph '", model.graph().name, "': ", e.what_without_backtrace());
  } catch (const std::exception& e) {
    return invalid_argument("training graph '", model.graph().name, "': ", e.what());
  }
}

Result<std::vector<torch::Tensor>> predict(GraphModule& model, const LabeledData& data, int batch_size) {
  if (batch_size < 1) return invalid_argument("batch size must be >= 1, got ", batch_size);
  const bool was_training = model.is_training();
  try {
    EDGEAI_ASSIGN_OR_RETURN(TorchData torch_data, to_torch_data(model.graph(), data));
    model.eval();
    std::vector<torch::Tensor> outputs = run_eval(model, torch_data, batch_size);
    model.train(was_training);
    return outputs;
  } catch (const c10::Error& e) {
    model.train(was_training);
    return internal_error("predict with graph '", model.graph().name, "': ", e.what_without_backtrace());
  } catch (const std::exception& e) {
    model.train(was_training);
    return invalid_argument("predict with graph '", model.graph().name, "': ", e.what());
  }
}

}  // namespace edgeai
