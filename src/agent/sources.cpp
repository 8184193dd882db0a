#include "agent/sources.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "data/ecg_stream.hpp"
#include "data/image.hpp"
#include "data/preprocess.hpp"
#include "data/wfdb.hpp"
#include "format/atomic_file.hpp"

namespace edgeai {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Frame k of a camera-like stream arrives at k / fps. The model takes the first frame that
// arrives once it is free; those that arrived while it was busy are dropped.
class FramePacer {
 public:
  FramePacer(double fps, std::int64_t frames, bool loop) : fps_(fps), frames_(frames), loop_(loop) {}

  // The frame to take when the model is free at `ready_s`, or -1 at the end of the stream.
  std::int64_t take(double ready_s, std::int64_t* dropped, double* arrival) {
    std::int64_t k = next_;
    if (fps_ > 0.0) k = std::max(next_, static_cast<std::int64_t>(std::ceil(ready_s * fps_ - 1e-9)));
    if (!loop_ && k >= frames_) {
      *dropped = std::max<std::int64_t>(0, frames_ - next_);
      next_ = frames_;
      return -1;
    }
    *dropped = k - next_;
    *arrival = fps_ > 0.0 ? static_cast<double>(k) / fps_ : ready_s;
    next_ = k + 1;
    return frames_ > 0 ? k % frames_ : k;
  }
  double fps() const { return fps_; }

 private:
  double fps_;
  std::int64_t frames_;
  bool loop_;
  std::int64_t next_ = 0;
};

// One image into the model's input tensor, kept between calls.
class ImageInput {
 public:
  Status set(const ModelRunner& model, const Image& image, SourceSample& out) {
    EDGEAI_RETURN_IF_ERROR(prepare_image_input(model, image, values_, shape_));
    out.inputs = {TensorView{DType::kFloat32, shape_, values_.data()}};
    return Status::ok();
  }

 private:
  std::vector<float> values_;
  Shape shape_;
};

class ImageFolderSource final : public InputSource {
 public:
  ImageFolderSource(std::string dir, std::vector<std::string> files, const SourceOptions& options)
      : dir_(std::move(dir)),
        files_(std::move(files)),
        pacer_(options.fps, static_cast<std::int64_t>(files_.size()), options.loop) {}

  Result<bool> next(const ModelRunner& model, double ready_s, SourceSample& out) override {
    double arrival = 0.0;
    const std::int64_t k = pacer_.take(ready_s, &out.dropped_before, &arrival);
    if (k < 0) return false;
    const std::string& path = files_[static_cast<std::size_t>(k)];
    EDGEAI_ASSIGN_OR_RETURN(bytes_, read_whole_file(path));
    EDGEAI_ASSIGN_OR_RETURN(Image image,
                            decode_image(reinterpret_cast<const std::uint8_t*>(bytes_.data()), bytes_.size(), path));
    EDGEAI_RETURN_IF_ERROR(input_.set(model, image, out));
    out.arrival_s = arrival;
    out.position = str_cat("frame ", k, " (", fs::path(path).filename().string(), ")");
    out.raw = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes_.data()), bytes_.size());
    const std::string ext = lower(fs::path(path).extension().string());
    out.raw_type = ext == ".png" ? "image/png" : (ext == ".jpg" || ext == ".jpeg") ? "image/jpeg" : "image/unknown";
    return true;
  }

  std::string describe() const override {
    return str_cat("images:", dir_, " (", files_.size(), " frames",
                   pacer_.fps() > 0 ? str_cat(" at ", pacer_.fps(), " fps") : std::string(), ")");
  }

 private:
  std::string dir_;
  std::vector<std::string> files_;
  FramePacer pacer_;
  std::string bytes_;
  ImageInput input_;
};

Result<std::unique_ptr<InputSource>> open_image_folder(const std::string& dir, const SourceOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found("images:", dir, ": not a directory");
  std::vector<std::string> files;
  std::set<std::string> photo_stems;  // "<parent>/<stem>" of every JPEG: a PNG beside one is its mask
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = lower(it->path().extension().string());
    if (ext == ".jpg" || ext == ".jpeg") photo_stems.insert((it->path().parent_path() / it->path().stem()).string());
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") files.push_back(it->path().string());
  }
  if (ec) return io_error("images:", dir, ": cannot list: ", ec.message());
  std::erase_if(files, [&](const std::string& f) {
    const fs::path p(f);
    return lower(p.extension().string()) == ".png" && photo_stems.count((p.parent_path() / p.stem()).string()) > 0;
  });
  if (files.empty()) return not_found("images:", dir, ": no PNG or JPEG files");
  std::sort(files.begin(), files.end());
  // A folder sorted by class would show a camera one class after another: shuffled, the stream
  // mixes them as a line does (and the fleet's class mix is not a drift artefact).
  if (options.shuffle) std::shuffle(files.begin(), files.end(), std::mt19937(20261126));
  return std::unique_ptr<InputSource>(new ImageFolderSource(dir, std::move(files), options));
}

// YUV4MPEG2: a text header line, then per frame "FRAME[ params]\n" and the planes.
class Y4mSource final : public InputSource {
 public:
  static Result<std::unique_ptr<InputSource>> open(const std::string& path, const SourceOptions& options) {
    std::unique_ptr<Y4mSource> s(new Y4mSource());
    s->path_ = path;
    s->in_.open(path, std::ios::binary);
    if (!s->in_) return not_found("video:", path, ": cannot open");
    std::string header;
    if (!std::getline(s->in_, header) || header.rfind("YUV4MPEG2 ", 0) != 0) {
      return invalid_argument("video:", path,
                              ": not a YUV4MPEG2 (.y4m) file; convert with `ffmpeg -i IN -pix_fmt yuv420p OUT.y4m`");
    }
    std::string colorspace = "420";
    double fps = 0.0;
    std::size_t at = 10;
    while (at < header.size()) {
      const std::size_t end = std::min(header.find(' ', at), header.size());
      const std::string token = header.substr(at, end - at);
      at = end + 1;
      if (token.empty()) continue;
      if (token[0] == 'W') s->width_ = std::atoi(token.c_str() + 1);
      if (token[0] == 'H') s->height_ = std::atoi(token.c_str() + 1);
      if (token[0] == 'C') colorspace = token.substr(1);
      if (token[0] == 'F') {
        const std::size_t colon = token.find(':');
        const double num = std::atof(token.c_str() + 1);
        const double den = colon == std::string::npos ? 1.0 : std::atof(token.c_str() + colon + 1);
        if (den > 0) fps = num / den;
      }
      if (token[0] == 'I' && token != "Ip" && token != "I?") {
        return unsupported("video:", path, ": interlaced video (", token, ") is not supported");
      }
    }
    if (s->width_ <= 0 || s->height_ <= 0 || s->width_ > 16384 || s->height_ > 16384) {
      return invalid_argument("video:", path, ": bad frame size ", s->width_, "x", s->height_);
    }
    const std::size_t w = static_cast<std::size_t>(s->width_), h = static_cast<std::size_t>(s->height_);
    const std::size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (colorspace.rfind("420", 0) == 0) {
      s->chroma_w_ = cw, s->chroma_h_ = ch;
    } else if (colorspace.rfind("422", 0) == 0) {
      s->chroma_w_ = cw, s->chroma_h_ = h;
    } else if (colorspace.rfind("444", 0) == 0 && colorspace.find("alpha") == std::string::npos) {
      s->chroma_w_ = w, s->chroma_h_ = h;
    } else if (colorspace == "mono") {
      s->chroma_w_ = s->chroma_h_ = 0;
    } else {
      return unsupported("video:", path, ": colour space C", colorspace, " (420, 422, 444 and mono are read)");
    }
    s->frame_bytes_ = w * h + 2 * s->chroma_w_ * s->chroma_h_;
    s->data_start_ = s->in_.tellg();
    // Frames: from the file size when every FRAME header is bare (the common case).
    std::error_code ec;
    const auto size = static_cast<std::int64_t>(fs::file_size(path, ec));
    const auto per_frame = static_cast<std::int64_t>(s->frame_bytes_ + 6);
    const std::int64_t frames = (size - static_cast<std::int64_t>(s->data_start_)) / per_frame;
    if (frames <= 0) return invalid_argument("video:", path, ": no frames");
    s->frames_ = frames;
    const double rate = options.fps > 0.0 ? options.fps : fps;
    s->pacer_ = std::make_unique<FramePacer>(rate, frames, options.loop);
    s->planes_.resize(s->frame_bytes_);
    return std::unique_ptr<InputSource>(std::move(s));
  }

  Result<bool> next(const ModelRunner& model, double ready_s, SourceSample& out) override {
    double arrival = 0.0;
    const std::int64_t k = pacer_->take(ready_s, &out.dropped_before, &arrival);
    if (k < 0) return false;
    if (k != position_) {  // a dropped frame or the loop: seek to frame k
      in_.clear();
      in_.seekg(static_cast<std::streamoff>(data_start_) +
                static_cast<std::streamoff>(k) * static_cast<std::streamoff>(frame_bytes_ + 6));
    }
    std::string marker;
    if (!std::getline(in_, marker) || marker.rfind("FRAME", 0) != 0) {
      return data_loss("video:", path_, ": frame ", k, " has no FRAME marker (per-frame parameters are not supported)");
    }
    if (!in_.read(reinterpret_cast<char*>(planes_.data()), static_cast<std::streamsize>(frame_bytes_))) {
      return data_loss("video:", path_, ": frame ", k, " is cut short");
    }
    position_ = k + 1;
    to_rgb(image_);
    EDGEAI_RETURN_IF_ERROR(input_.set(model, image_, out));
    out.arrival_s = arrival;
    out.position = str_cat("frame ", k);
    out.raw = std::span<const std::uint8_t>(image_.pixels.data(), image_.pixels.size());
    out.raw_type = str_cat("image/x-rgb24;width=", image_.width, ";height=", image_.height);
    return true;
  }

  std::string describe() const override {
    return str_cat("video:", path_, " (", frames_, " frames of ", width_, "x", height_, " at ", pacer_->fps(), " fps)");
  }

 private:
  // BT.601 limited range, as ffmpeg writes yuv420p; chroma sampled at the pixel's position.
  void to_rgb(Image& image) const {
    const std::size_t w = static_cast<std::size_t>(width_), h = static_cast<std::size_t>(height_);
    image.width = width_, image.height = height_, image.channels = 3;
    image.pixels.resize(w * h * 3);
    const std::uint8_t* Y = planes_.data();
    const std::uint8_t* U = Y + w * h;
    const std::uint8_t* V = U + chroma_w_ * chroma_h_;
    for (std::size_t y = 0; y < h; ++y) {
      for (std::size_t x = 0; x < w; ++x) {
        const double luma = 1.164 * (Y[y * w + x] - 16.0);
        double u = 0.0, v = 0.0;
        if (chroma_w_ > 0) {
          const std::size_t c = (y * chroma_h_ / h) * chroma_w_ + x * chroma_w_ / w;
          u = U[c] - 128.0, v = V[c] - 128.0;
        }
        const double rgb[3] = {luma + 1.596 * v, luma - 0.392 * u - 0.813 * v, luma + 2.017 * u};
        for (int i = 0; i < 3; ++i) {
          image.pixels[(y * w + x) * 3 + static_cast<std::size_t>(i)] =
              static_cast<std::uint8_t>(std::clamp(std::lround(rgb[i]), 0L, 255L));
        }
      }
    }
  }

  std::string path_;
  std::ifstream in_;
  std::int32_t width_ = 0, height_ = 0;
  std::size_t chroma_w_ = 0, chroma_h_ = 0, frame_bytes_ = 0;
  std::streampos data_start_;
  std::int64_t frames_ = 0, position_ = 0;
  std::unique_ptr<FramePacer> pacer_;
  std::vector<std::uint8_t> planes_;
  Image image_;
  ImageInput input_;
};

// Numbers, one reading per row; a sample is the model input's element count of values.
class CsvSource final : public InputSource {
 public:
  static Result<std::unique_ptr<InputSource>> open(const std::string& path, const SourceOptions& options) {
    EDGEAI_ASSIGN_OR_RETURN(std::string text, read_whole_file(path));
    std::unique_ptr<CsvSource> s(new CsvSource());
    s->path_ = path;
    s->options_ = options;
    std::size_t line_start = 0;
    std::int64_t line = 0;
    while (line_start < text.size()) {
      std::size_t line_end = text.find('\n', line_start);
      if (line_end == std::string::npos) line_end = text.size();
      std::string_view row(text.data() + line_start, line_end - line_start);
      line_start = line_end + 1;
      ++line;
      if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
      if (row.find_first_not_of(" \t") == std::string_view::npos) continue;
      std::vector<float> values;
      bool numeric = true;
      std::size_t at = 0;
      while (at <= row.size()) {
        std::size_t end = row.find(',', at);
        if (end == std::string_view::npos) end = row.size();
        std::string_view cell = row.substr(at, end - at);
        while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
        while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t')) cell.remove_suffix(1);
        float v = 0.0f;
        const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
        if (ec != std::errc() || ptr != cell.data() + cell.size() || !std::isfinite(v)) numeric = false;
        values.push_back(v);
        at = end + 1;
      }
      if (!numeric) {
        if (s->columns_ == 0 && s->values_.empty()) continue;  // a header row
        return invalid_argument("csv:", path, ": line ", line, ": not all numbers");
      }
      if (s->columns_ == 0) s->columns_ = values.size();
      if (values.size() != s->columns_) {
        return invalid_argument("csv:", path, ": line ", line, " has ", values.size(), " values, the first row ",
                                s->columns_);
      }
      s->values_.insert(s->values_.end(), values.begin(), values.end());
    }
    if (s->values_.empty()) return invalid_argument("csv:", path, ": no rows of numbers");
    return std::unique_ptr<InputSource>(std::move(s));
  }

  Result<bool> next(const ModelRunner& model, double ready_s, SourceSample& out) override {
    if (model.inputs().size() != 1) {
      return invalid_argument(model.path(), ": a csv source feeds one input, the model has ", model.inputs().size());
    }
    Shape shape = model.inputs()[0].shape;
    for (std::int64_t& d : shape) d = d < 0 ? 1 : d;
    const auto per_sample = static_cast<std::size_t>(*element_count(shape));
    if (per_sample == 0 || per_sample % columns_ != 0) {
      return invalid_argument("csv:", path_, ": rows of ", columns_, " values do not make samples of ",
                              shape_to_string(shape), " (", per_sample, " values: a whole number of rows)");
    }
    if (!pacer_) {
      pacer_ = std::make_unique<FramePacer>(options_.fps, static_cast<std::int64_t>(values_.size() / per_sample),
                                            options_.loop);
    }
    double arrival = 0.0;
    const std::int64_t k = pacer_->take(ready_s, &out.dropped_before, &arrival);
    if (k < 0) return false;
    shape_ = shape;
    const float* begin = values_.data() + static_cast<std::size_t>(k) * per_sample;
    out.inputs = {TensorView{DType::kFloat32, shape_, const_cast<float*>(begin)}};
    out.arrival_s = arrival;
    out.position = str_cat("row ", static_cast<std::size_t>(k) * per_sample / columns_ + 1);
    out.raw = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(begin), per_sample * sizeof(float));
    out.raw_type = "application/x-float32";
    return true;
  }

  std::string describe() const override {
    return str_cat("csv:", path_, " (", values_.size() / columns_, " rows of ", columns_, " values",
                   options_.fps > 0 ? str_cat(", ", options_.fps, " samples/s") : std::string(), ")");
  }

 private:
  std::string path_;
  SourceOptions options_;
  std::size_t columns_ = 0;
  std::vector<float> values_;
  std::unique_ptr<FramePacer> pacer_;
  Shape shape_;
};

// An ECG record played as a live lead: beats come out of the streaming detector and beat
// preprocessing (data/ecg_stream.hpp) when their window and the next R peak have arrived.
class WfdbSource final : public InputSource {
 public:
  static Result<std::unique_ptr<InputSource>> open(const std::string& record_path, const SourceOptions& options) {
    std::unique_ptr<WfdbSource> s(new WfdbSource());
    s->record_ = record_path;
    s->speed_ = options.speed;
    s->lead_option_ = options.lead;
    Result<WfdbHeader> header = read_wfdb_header(record_path + ".hea");
    if (!header.is_ok()) return header.status().with_context("wfdb:" + record_path);
    s->header_ = std::move(*header);
    EDGEAI_ASSIGN_OR_RETURN(s->signals_, read_wfdb_signals(s->header_, fs::path(record_path).parent_path().string()));
    if (s->header_.signals.empty()) return invalid_argument("wfdb:", record_path, ": the record has no signals");
    s->samples_ = static_cast<std::int64_t>(s->signals_.channels[0].size());
    return std::unique_ptr<InputSource>(std::move(s));
  }

  Result<bool> next(const ModelRunner& model, double, SourceSample& out) override {
    EDGEAI_RETURN_IF_ERROR(bind(model));
    while (pending_.empty()) {
      if (position_ >= samples_) {
        if (flushed_) return false;
        flushed_ = true;
        keep(stream_->flush());
        continue;
      }
      const float v = info_->to_physical(signals_.channels[lead_][static_cast<std::size_t>(position_)]);
      ++position_;
      keep(stream_->push(v));
    }
    Beat& b = pending_.front();
    beat_ = b.window;
    rr_ = {b.rr.pre_rr_s,           b.rr.post_rr_s,           b.rr.local_rr_s,           b.rr.record_rr_s,
           b.rr.pre_to_local_ratio, b.rr.pre_to_record_ratio, b.rr.post_to_record_ratio, b.rr.post_to_pre_ratio};
    out.inputs.assign(2, TensorView{});
    out.inputs[beat_input_] = TensorView{DType::kFloat32, beat_shape_, beat_.data()};
    out.inputs[1 - beat_input_] = TensorView{DType::kFloat32, rr_shape_, rr_.data()};
    out.arrival_s = b.complete_s;
    out.dropped_before = 0;
    out.position = str_cat("beat at ", fixed3(b.time_s), " s");
    out.raw = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(beat_.data()),
                                            beat_.size() * sizeof(float));
    out.raw_type = "application/x-float32";
    pending_.erase(pending_.begin());
    return true;
  }

  std::string describe() const override {
    return str_cat("wfdb:", record_, " (", header_.signals.empty() ? "" : header_.signals[lead_].description, ", ",
                   header_.sample_rate_hz, " Hz, ", fixed3(static_cast<double>(samples_) / header_.sample_rate_hz),
                   " s", speed_ == 0 ? ", as fast as it computes" : str_cat(" at ", speed_, "x"), ")");
  }
  double speed() const override { return speed_; }

 private:
  struct Beat {
    std::vector<float> window;
    RrFeatures rr;
    double time_s = 0.0;      // the R peak
    double complete_s = 0.0;  // when the beat could be classified
  };

  static std::string fixed3(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", v);
    return buffer;
  }

  // The stream is made for the model's beat parameters (again when a new model's differ).
  Status bind(const ModelRunner& model) {
    const Preprocessing& pre = model.manifest().preprocessing;
    if (stream_ && bound_ == pre.params) return Status::ok();
    Result<EcgBeatParams> params = parse_ecg_beat_params(pre);
    if (!params.is_ok()) {
      return params.status().with_context(str_cat(model.path(), ": an ECG source needs an ecg_beat model"));
    }
    const std::vector<ValueInfo>& inputs = model.inputs();
    if (inputs.size() != 2) return invalid_argument(model.path(), ": an ECG beat model has inputs beat and rr");
    beat_input_ = inputs[0].name == "rr" ? 1 : 0;
    beat_shape_ = {1, 1, params->window_samples()};
    rr_shape_ = {1, kNumRrFeatures};
    // The lead: --lead, else the bundle's, else the first signal.
    const std::string wanted = !lead_option_.empty() ? lead_option_ : params->lead;
    lead_ = 0;
    bool found = false;
    for (std::size_t i = 0; i < header_.signals.size(); ++i) {
      if (header_.signals[i].description == wanted) lead_ = i, found = true;
    }
    if (!found && !lead_option_.empty()) {
      return not_found("wfdb:", record_, ": no signal named ", lead_option_);
    }
    info_ = &header_.signals[lead_];
    samples_ = static_cast<std::int64_t>(signals_.channels[lead_].size());
    Result<std::unique_ptr<EcgBeatStream>> stream = EcgBeatStream::create(*params, header_.sample_rate_hz);
    if (!stream.is_ok()) return stream.status();
    // A new model mid-stream: beats restart from here (the detector learns the signal again).
    stream_ = std::move(*stream);
    offset_ = position_;
    bound_ = pre.params;
    pending_.clear();
    return Status::ok();
  }

  void keep(std::span<const StreamedBeat> beats) {
    const double fs = header_.sample_rate_hz;
    for (const StreamedBeat& b : beats) {
      Beat beat;
      beat.window.assign(b.window.begin(), b.window.end());
      beat.rr = b.rr;
      beat.time_s = static_cast<double>(offset_) / fs + b.time_s;
      beat.complete_s = static_cast<double>(position_) / fs;
      pending_.push_back(std::move(beat));
    }
  }

  std::string record_, lead_option_;
  double speed_ = 1.0;
  WfdbHeader header_;
  WfdbSignals signals_;
  std::size_t lead_ = 0;
  const WfdbSignalInfo* info_ = nullptr;
  std::int64_t samples_ = 0, position_ = 0, offset_ = 0;
  bool flushed_ = false;
  std::map<std::string, std::string> bound_;
  std::unique_ptr<EcgBeatStream> stream_;
  std::vector<Beat> pending_;
  std::size_t beat_input_ = 0;
  Shape beat_shape_, rr_shape_;
  std::vector<float> beat_;
  std::vector<float> rr_;
};

}  // namespace

Status prepare_image_input(const ModelRunner& model, const Image& image, std::vector<float>& values, Shape& shape) {
  const Preprocessing& pre = model.manifest().preprocessing;
  if (pre.kind != "image") {
    return invalid_argument(model.path(), ": the model declares '", pre.kind,
                            "' preprocessing; image input needs a bundle whose preprocessing is 'image' (as "
                            "`edgeai train` writes for image recipes)");
  }
  if (model.inputs().size() != 1) {
    return invalid_argument(model.path(), ": an image model takes one input, this one ", model.inputs().size());
  }
  EDGEAI_ASSIGN_OR_RETURN(shape, preprocessed_shape(pre, image.width, image.height));
  shape.insert(shape.begin(), 1);
  const auto elements = static_cast<std::size_t>(*element_count(shape));
  values.resize(elements);
  return preprocess_image_into(image, pre, values.data(), elements);
}

Result<std::unique_ptr<InputSource>> open_source(const std::string& spec, const SourceOptions& options) {
  if (!(options.fps >= 0.0) || !std::isfinite(options.fps)) return invalid_argument("--fps must be >= 0");
  if (!(options.speed >= 0.0) || !std::isfinite(options.speed)) return invalid_argument("--speed must be >= 0");
  const std::size_t colon = spec.find(':');
  const std::string kind = colon == std::string::npos ? "" : spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (rest.empty() || (kind != "images" && kind != "video" && kind != "wfdb" && kind != "csv")) {
    return invalid_argument("source '", spec,
                            "': expected images:DIR, video:FILE.y4m, wfdb:PATH/RECORD (without .hea) or csv:FILE");
  }
  if (kind == "images") return open_image_folder(rest, options);
  if (kind == "video") return Y4mSource::open(rest, options);
  if (kind == "csv") return CsvSource::open(rest, options);
  std::string record = rest;
  if (record.size() > 4 && record.substr(record.size() - 4) == ".hea") record.resize(record.size() - 4);
  return WfdbSource::open(record, options);
}

}  // namespace edgeai
