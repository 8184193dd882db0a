// The arithmetic of an ECG beat's model inputs, header-only and free of allocation, status
// types and exceptions, so that training (data/ecg_beats.hpp), the host's streaming agent
// (data/ecg_stream.hpp) and the microcontroller (micro/ecg.hpp) compute the same floats from
// the same samples and R peaks: the beat window (baseline = the window's median, centred on the
// largest deflection near the peak) and the RR features of de Chazal et al. (2004).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace edgeai {

struct RrFeatures {
  float pre_rr_s = 0;            // this R peak minus the previous one
  float post_rr_s = 0;           // the next R peak minus this one (a device waits one beat)
  float local_rr_s = 0;          // mean of the `local_beats` RR intervals before pre_rr
  float record_rr_s = 0;         // mean RR interval of the record (see compute_rr_features)
  float pre_to_local_ratio = 0;  // pre_rr_s / local_rr_s: < 1 for a premature beat
  // Normalised by the patient's own rhythm, so they carry across patients (inter-patient
  // evaluation): a premature S beat has pre/record < 1; a V beat's compensatory pause gives
  // post/pre > 1.
  float pre_to_record_ratio = 0;
  float post_to_record_ratio = 0;
  float post_to_pre_ratio = 0;
};

// The features of one beat from its four intervals (seconds): the ratios, 1 where a
// denominator is 0.
inline RrFeatures rr_features_of(double pre, double post, double local, double record) {
  RrFeatures f;
  f.pre_rr_s = static_cast<float>(pre);
  f.post_rr_s = static_cast<float>(post);
  f.local_rr_s = static_cast<float>(local);
  f.record_rr_s = static_cast<float>(record);
  f.pre_to_local_ratio = static_cast<float>(local > 0.0 ? pre / local : 1.0);
  f.pre_to_record_ratio = static_cast<float>(record > 0.0 ? pre / record : 1.0);
  f.post_to_record_ratio = static_cast<float>(record > 0.0 ? post / record : 1.0);
  f.post_to_pre_ratio = static_cast<float>(pre > 0.0 ? post / pre : 1.0);
  return f;
}

// The RR features of peak `index` in a stream of `count` peaks, as a device knows them one beat
// later: `peak(i)` gives peak i's sample; the "record" is peaks record_first .. newest (newest is
// index + 1 when the next peak is known, else index). What data/ecg_stream.hpp and the
// microcontroller (micro/ecg.hpp) compute, equal to compute_rr_features with a sliding record.
template <typename PeakAt>
RrFeatures stream_rr_features(const PeakAt& peak, std::int64_t index, std::int64_t count, std::int64_t record_first,
                              std::int64_t newest, int local_beats, double fs) {
  RrFeatures f;
  if (count < 2) {
    f.pre_to_local_ratio = f.pre_to_record_ratio = f.post_to_record_ratio = f.post_to_pre_ratio = 1.0f;
    return f;
  }
  const std::int64_t p = peak(index);
  const double pre = static_cast<double>(index == 0 ? peak(1) - peak(0) : p - peak(index - 1)) / fs;
  const double post = index + 1 < count ? static_cast<double>(peak(index + 1) - p) / fs : pre;
  double local = pre;
  if (index >= 2) {
    const std::int64_t first = std::max<std::int64_t>(1, index - local_beats);
    local = static_cast<double>(peak(index - 1) - peak(first - 1)) / fs / static_cast<double>(index - first);
  }
  const std::int64_t record_beats = newest - record_first;
  const double record =
      record_beats > 0 ? static_cast<double>(peak(newest) - peak(record_first)) / fs / static_cast<double>(record_beats)
                       : pre;
  return rr_features_of(pre, post, local, record);
}

// The median of n floats (the mean of the two middle ones when n is even); `scratch` holds n.
inline float window_median(const float* begin, int n, float* scratch) {
  std::copy(begin, begin + n, scratch);
  float* middle = scratch + n / 2;
  std::nth_element(scratch, middle, scratch + n);
  float median = *middle;
  if (n % 2 == 0) median = 0.5f * (median + *std::max_element(scratch, middle));
  return median;
}

// True when the window [r_peak - before, r_peak + after) lies inside [0, size).
inline bool beat_window_fits(std::int64_t size, std::int64_t r_peak, int before, int after) {
  return r_peak >= before && r_peak <= size - after;
}

// The beat window around `r_peak` of a signal of `size` samples (physical units):
//   out[i] = signal[c - before + i] - median(those samples),  i < before + after
// where c is r_peak moved to the largest |signal - median of r_peak's window| within `align`
// samples of it (the first of equals; inside the signal only; c = r_peak when the moved window
// would leave the signal). Returns false when r_peak's window does not fit. `scratch` holds
// before + after floats; `out` must not overlap `signal`.
inline bool beat_window(const float* signal, std::int64_t size, std::int64_t r_peak, int before, int after, int align,
                        float* out, float* scratch) {
  const int n = before + after;
  if (!beat_window_fits(size, r_peak, before, after)) return false;
  const float* begin = signal + (r_peak - before);
  float median = window_median(begin, n, scratch);
  if (align > 0) {
    std::int64_t best = r_peak;
    float best_value = -1.0f;
    const std::int64_t last = std::min(size - 1, r_peak + align);
    for (std::int64_t i = std::max<std::int64_t>(0, r_peak - align); i <= last; ++i) {
      const float v = std::abs(signal[i] - median);
      if (v > best_value) {
        best_value = v;
        best = i;
      }
    }
    if (best != r_peak && beat_window_fits(size, best, before, after)) {
      begin = signal + (best - before);
      median = window_median(begin, n, scratch);
    }
  }
  for (int i = 0; i < n; ++i) out[i] = begin[i] - median;
  return true;
}

}  // namespace edgeai
