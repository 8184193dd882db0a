// Where a device's inputs come from (issue 7): the streams the inference service runs its model
// on, each turned into model inputs with the preprocessing the active bundle declares (the data
// layer's code, the same as in training and `edgeai eval`).
//
//   images:DIR        every image under DIR (PNG/JPEG, sorted, subfolders included), as a
//                     camera delivering frames at --fps
//   video:FILE.y4m    a YUV4MPEG2 video (what `ffmpeg -i in.mp4 out.y4m` writes), at its own frame
//                     rate or --fps
//   wfdb:PATH/RECORD  an ECG record (RECORD.hea + .dat) played in real time, or --speed N times
//                     faster (0: as fast as it computes); on-device R-peak detection feeds the
//                     beat classifier (data/ecg_stream.hpp)
//   csv:FILE          a sensor stream: numbers, one reading per row (a header row is skipped);
//                     a sample is the model input's element count of consecutive values, so a
//                     row may be a whole sample or one time step of [1, T, C]; at --fps samples/s
//
// Camera-like sources (images, video, csv) run on a clock: frame k arrives at k / fps, and a
// frame that arrives while the previous one is still being processed is dropped and counted,
// as on a real line. fps 0 delivers every frame as soon as the model is free (no drops). The ECG
// record is a buffered signal: no beat is dropped; samples arrive at their real time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/model_runner.hpp"
#include "core/status.hpp"
#include "core/tensor.hpp"
#include "data/image.hpp"

namespace edgeai {

struct SourceSample {
  std::vector<TensorView> inputs;   // one per model input, batch 1; valid until the next call
  std::string position;             // where in the stream: "frame 12", "beat at 125.300 s", "row 40"
  double arrival_s = 0.0;           // stream time the sample was complete (at speed 1)
  std::int64_t dropped_before = 0;  // frames that arrived while the model was busy, since the last sample
  // The raw input as the device saw it (file bytes, a frame, the beat window), for the opt-in
  // upload of uncertain samples; never sent otherwise.
  std::span<const std::uint8_t> raw;
  std::string raw_type;  // a media type: "image/png", "application/octet-stream", ...
};

struct SourceOptions {
  double fps = 0.0;    // camera-like sources: frames per second (0: as fast as the model; video: its own)
  double speed = 1.0;  // ECG records: playback speed (0: as fast as it computes)
  bool loop = false;   // images/video/csv: start again at the end
  bool shuffle = false;  // images: in a random order (fixed seed), not sorted by path
  std::string lead;    // ECG: the signal to read (default: the bundle's lead, else the first)
};

class InputSource {
 public:
  virtual ~InputSource() = default;
  // The sample the model takes next when it is free at stream time `ready_s` (seconds since the
  // stream started, at speed 1), preprocessed for `model`. Returns false at the end of the stream.
  virtual Result<bool> next(const ModelRunner& model, double ready_s, SourceSample& out) = 0;
  // "images:/data/line3 (1344 frames at 10 fps)"
  virtual std::string describe() const = 0;
  // The playback speed to convert stream time to wall time (0: no waiting).
  virtual double speed() const { return 1.0; }
};

// `image` through `model`'s declared image preprocessing (kind "image") into `values`, shaped
// [1, ...] in `shape`: what the image sources and the local endpoint feed the model.
Status prepare_image_input(const ModelRunner& model, const Image& image, std::vector<float>& values, Shape& shape);

// Opens a source from its spec (above). Errors name the spec and say what is expected.
Result<std::unique_ptr<InputSource>> open_source(const std::string& spec, const SourceOptions& options);

}  // namespace edgeai
