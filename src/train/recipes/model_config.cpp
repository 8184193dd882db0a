// `edgeai train config.yaml`: a user's own model and data as a YAML (or JSON) file.
//
//   name: my-classifier
//   data:
//     train: fashion-mnist:train       # any `edgeai eval --data` spec, or a folder of images
//     test: fashion-mnist:test
//     val_fraction: 0.1                # stratified, seeded, taken from train
//   preprocessing:                     # for folders of images (built-in data sets bring theirs)
//     color: gray                      # gray | rgb
//     resize: [64, 64]                 # height, width
//     scale: 0.00392156862745098       # 1/255
//     mean: [0.5]
//     std: [0.25]
//   model:
//     input: [1, 28, 28]               # one sample's shape (the batch dimension is added)
//     layers:                          # applied in order
//       - conv2d: {out: 32, kernel: 3, padding: 1}   # also stride, groups, dilation
//       - batch_norm: {}
//       - relu: {}                     # relu6, leaky_relu {alpha}, sigmoid, tanh, hardswish
//       - max_pool2d: {kernel: 2}      # max_pool1d, avg_pool {kernel: [k, k]}, global_avg_pool
//       - flatten: {}
//       - linear: {out: 128}
//       - dropout: {ratio: 0.3}
//       - linear: {out: 10}            # the last layer's outputs are the class scores
//   train:
//     optimizer: adamw                 # sgd | adam | adamw
//     lr: 0.003
//     epochs: 10
//     batch_size: 128
//     lr_schedule: onecycle            # none | cosine | step | onecycle
//     weight_decay: 0.0005
//     class_weighting: none            # none | inverse | sqrt_inverse
//     balanced_sampling: false
//     label_smoothing: 0.0
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "data/dataset_spec.hpp"
#include "data/image_datasets.hpp"
#include "data/mitdb.hpp"
#include "data/split.hpp"
#include "train/graph_builder.hpp"
#include "train/recipes/recipes.hpp"

namespace edgeai {
namespace {

// The preprocessing a data spec brings with it, or the config's for a folder of images.
Preprocessing preprocessing_for(const std::string& spec, const YAML::Node& config) {
  if (spec.rfind("fashion-mnist", 0) == 0) return fashion_mnist_preprocessing();
  if (spec.rfind("mitdb", 0) == 0) return mitdb_preprocessing();
  if (spec.rfind("magnetic-tile", 0) == 0) return magnetic_tile_preprocessing();
  Preprocessing pre;
  pre.kind = "image";
  pre.layout = "NCHW";
  pre.color = config["color"].as<std::string>("gray");
  if (config["resize"]) {
    pre.resize_height = config["resize"][0].as<std::int32_t>();
    pre.resize_width = config["resize"][1].as<std::int32_t>();
  }
  pre.scale = config["scale"].as<float>(1.0f / 255.0f);
  if (config["mean"]) pre.mean = config["mean"].as<std::vector<float>>();
  if (config["std"]) pre.std = config["std"].as<std::vector<float>>();
  return pre;
}

Result<Graph> build_sequential(const YAML::Node& model, const std::string& name, std::int64_t classes,
                               std::uint64_t seed) {
  GraphBuilder b(name, seed);
  Shape shape = {-1};
  for (std::int64_t d : model["input"].as<std::vector<std::int64_t>>()) shape.push_back(d);
  std::string x = b.input(model["input_name"].as<std::string>("input"), shape);
  for (const YAML::Node& layer : model["layers"]) {
    if (!layer.IsMap() || layer.size() != 1) {
      return invalid_argument("each model layer is a map with one key, the layer type (e.g. `- relu: {}`)");
    }
    const std::string op = layer.begin()->first.as<std::string>();
    const YAML::Node p = layer.begin()->second;
    auto get = [&](const char* key, std::int64_t fallback) { return p[key] ? p[key].as<std::int64_t>() : fallback; };
    if (op == "conv2d" || op == "conv1d") {
      const std::int64_t out = get("out", 0);
      if (out <= 0) return invalid_argument(op, " needs `out` (output channels)");
      x = op == "conv2d" ? b.conv2d(x, out, get("kernel", 3), get("stride", 1), get("padding", 0), get("groups", 1),
                                    get("dilation", 1))
                         : b.conv1d(x, out, get("kernel", 3), get("stride", 1), get("padding", 0), get("groups", 1),
                                    get("dilation", 1));
    } else if (op == "batch_norm") {
      x = b.batch_norm(x);
    } else if (op == "relu") {
      x = b.relu(x);
    } else if (op == "relu6") {
      x = b.relu6(x);
    } else if (op == "leaky_relu") {
      x = b.leaky_relu(x, p["alpha"] ? p["alpha"].as<float>() : 0.01f);
    } else if (op == "sigmoid") {
      x = b.sigmoid(x);
    } else if (op == "tanh") {
      x = b.tanh(x);
    } else if (op == "hardswish") {
      x = b.hardswish(x);
    } else if (op == "max_pool2d") {
      x = b.max_pool2d(x, get("kernel", 2), get("stride", 0), get("padding", 0));
    } else if (op == "max_pool1d") {
      x = b.max_pool1d(x, get("kernel", 2), get("stride", 0), get("padding", 0));
    } else if (op == "avg_pool") {
      x = b.avg_pool(x, p["kernel"].as<std::vector<std::int64_t>>());
    } else if (op == "global_avg_pool") {
      x = b.global_avg_pool(x);
    } else if (op == "flatten") {
      x = b.flatten(x);
    } else if (op == "linear") {
      const std::int64_t out = get("out", 0);
      if (out <= 0) return invalid_argument("linear needs `out` (output features)");
      x = b.linear(x, out);
    } else if (op == "dropout") {
      x = b.dropout(x, p["ratio"] ? p["ratio"].as<float>() : 0.5f);
    } else {
      return invalid_argument("unknown layer type '", op,
                              "' (conv1d, conv2d, batch_norm, relu, relu6, leaky_relu, sigmoid, tanh, hardswish, "
                              "max_pool1d, max_pool2d, avg_pool, global_avg_pool, flatten, linear, dropout)");
    }
  }
  const ValueInfo last = b.info(x);
  if (b.status().is_ok() && (last.shape.size() != 2 || last.shape[1] != classes)) {
    return invalid_argument("the last layer gives ", shape_to_string(last.shape), "; the data has ", classes,
                            " classes, so it must give [N,", classes, "] (end with `- linear: {out: ", classes, "}`)");
  }
  b.output(x, "logits");
  return b.build();
}

Result<TrainingPlan> plan_from_yaml(const YAML::Node& root, const std::string& path, const RecipeOptions& options) {
  TrainingPlan plan;
  const YAML::Node data = root["data"];
  if (!data || !data["train"]) return invalid_argument("`data: train:` is missing");
  const std::string train_spec = data["train"].as<std::string>();
  const std::string test_spec = data["test"].as<std::string>("");
  Manifest spec_manifest;
  spec_manifest.preprocessing = preprocessing_for(train_spec, root["preprocessing"]);
  std::string described;
  EDGEAI_ASSIGN_OR_RETURN(LabeledData train_all, load_dataset_spec(train_spec, spec_manifest, &described));
  plan.data_summary.push_back(train_spec + ": " + described);
  const double val_fraction = data["val_fraction"].as<double>(0.1);
  const StratifiedSplit split =
      stratified_split(train_all, 1.0 - val_fraction, val_fraction, options.seed);
  EDGEAI_ASSIGN_OR_RETURN(LabeledData train, train_all.subset(split.train));
  EDGEAI_ASSIGN_OR_RETURN(LabeledData val, train_all.subset(split.val));
  EDGEAI_ASSIGN_OR_RETURN(plan.train, first_samples(std::move(train), options.limit));
  EDGEAI_ASSIGN_OR_RETURN(plan.val, first_samples(std::move(val), options.limit < 0 ? -1 : options.limit / 4));
  if (!test_spec.empty()) {
    described.clear();
    EDGEAI_ASSIGN_OR_RETURN(LabeledData test, load_dataset_spec(test_spec, spec_manifest, &described));
    EDGEAI_ASSIGN_OR_RETURN(plan.test, first_samples(std::move(test), options.limit));
    plan.data_summary.push_back(test_spec + ": " + described);
  } else {
    plan.test = plan.val;
  }
  plan.test_spec = test_spec.empty() ? "(validation split)" : test_spec;

  const std::string name = root["name"].as<std::string>("model");
  if (!root["model"] || !root["model"]["input"] || !root["model"]["layers"]) {
    return invalid_argument("`model:` needs `input:` (one sample's shape) and `layers:`");
  }
  EDGEAI_ASSIGN_OR_RETURN(plan.model, build_sequential(root["model"], name,
                                                       static_cast<std::int64_t>(train_all.class_names.size()),
                                                       options.seed));
  const YAML::Node t = root["train"];
  TrainOptions& o = plan.options;
  if (t) {
    o.optimizer = t["optimizer"].as<std::string>(o.optimizer);
    o.learning_rate = t["lr"].as<double>(o.learning_rate);
    o.momentum = t["momentum"].as<double>(o.momentum);
    o.weight_decay = t["weight_decay"].as<double>(o.weight_decay);
    o.epochs = t["epochs"].as<int>(o.epochs);
    o.batch_size = t["batch_size"].as<int>(o.batch_size);
    o.lr_schedule = t["lr_schedule"].as<std::string>(o.lr_schedule);
    o.class_weighting = t["class_weighting"].as<std::string>(o.class_weighting);
    o.balanced_sampling = t["balanced_sampling"].as<bool>(o.balanced_sampling);
    o.label_smoothing = t["label_smoothing"].as<double>(o.label_smoothing);
  }
  if (options.epochs > 0) o.epochs = options.epochs;
  o.seed = options.seed;

  plan.manifest.name = name;
  plan.manifest.description = root["description"].as<std::string>("trained by edgeai from " + path);
  plan.manifest.labels = train_all.class_names;
  plan.manifest.preprocessing = spec_manifest.preprocessing;
  plan.manifest.metadata["config"] = path;
  return plan;
}

}  // namespace

Result<TrainingPlan> plan_from_config(const std::string& path, const RecipeOptions& options) {
  std::ifstream in(path);
  if (!in) return not_found("cannot read config file ", path);
  try {
    const YAML::Node root = YAML::Load(in);
    Result<TrainingPlan> plan = plan_from_yaml(root, path, options);
    if (!plan.is_ok()) return plan.status().with_context(path);
    return plan;
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports line and column in its message.
    return invalid_argument(path, ": ", e.what());
  }
}

}  // namespace edgeai
