#include "format/delta.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "format/bundle.hpp"
#include "format/json_fields.hpp"
#include "format/trust.hpp"

namespace edgeai {
namespace {

using json_fields::json;

constexpr std::string_view kMagic = "EAIDELTA1\n";
constexpr int kLiteralLevel = 19;  // the literals are small next to the model
constexpr int kPatchLevel = 12;

int window_log_for(std::size_t bytes) {
  int log = 10;
  while (log < 31 && (std::size_t{1} << log) < bytes) ++log;
  return std::max(log, 10);
}

Result<std::vector<std::uint8_t>> zstd_compress(std::span<const std::uint8_t> data, int level,
                                                std::span<const std::uint8_t> prefix = {}) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) return internal_error("zstd: out of memory");
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  if (!prefix.empty()) {
    // zstd --patch-from: the base as a raw-content dictionary, a window that spans it.
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, window_log_for(prefix.size() + data.size()));
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1);
    ZSTD_CCtx_refPrefix(cctx.get(), prefix.data(), prefix.size());
  }
  std::vector<std::uint8_t> out(ZSTD_compressBound(data.size()));
  const std::size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n)) return internal_error("zstd: ", ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::vector<std::uint8_t>> zstd_decompress(std::span<const std::uint8_t> frame, std::size_t expected,
                                                  std::span<const std::uint8_t> prefix = {}) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return internal_error("zstd: out of memory");
  if (!prefix.empty()) {
    ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, window_log_for(prefix.size() + expected));
    ZSTD_DCtx_refPrefix(dctx.get(), prefix.data(), prefix.size());
  }
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared != expected) return data_loss("delta: its payload does not decode to the recorded size");
  std::vector<std::uint8_t> out(expected);
  const std::size_t n = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != expected) {
    return data_loss("delta: the payload does not decode: ", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
  }
  return out;
}

std::vector<std::uint8_t> with_header(const json& header, std::span<const std::uint8_t> payload) {
  const std::string head = std::string(kMagic) + json_fields::to_text(header) + "\n";
  std::vector<std::uint8_t> out(head.begin(), head.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::span<const std::uint8_t> sub(std::span<const std::uint8_t> s, std::int64_t offset, std::int64_t size) {
  return s.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(size));
}

// (new XOR old) of 4-byte elements as 4 byte planes: plane p holds byte p of every element.
void append_xor_planes(std::span<const std::uint8_t> now, std::span<const std::uint8_t> old,
                       std::vector<std::uint8_t>& out) {
  const std::size_t n = now.size() / 4, at = out.size();
  out.resize(at + now.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t p = 0; p < 4; ++p) out[at + p * n + i] = now[4 * i + p] ^ old[4 * i + p];
  }
}

void undo_xor_planes(std::span<const std::uint8_t> planes, std::span<const std::uint8_t> old,
                     std::vector<std::uint8_t>& out) {
  const std::size_t n = planes.size() / 4, at = out.size();
  out.resize(at + planes.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t p = 0; p < 4; ++p) out[at + 4 * i + p] = planes[p * n + i] ^ old[4 * i + p];
  }
}

}  // namespace

Result<std::vector<TensorRegion>> tensor_regions(std::span<const std::uint8_t> file) {
  // A 64-byte aligned copy: the reader then maps tensors in place, and their addresses give
  // their offsets in the file.
  std::shared_ptr<std::uint8_t[]> copy(new (std::align_val_t{64}) std::uint8_t[file.size() + 1],
                                       [](std::uint8_t* p) { ::operator delete[](p, std::align_val_t{64}); });
  std::memcpy(copy.get(), file.data(), file.size());
  EDGEAI_ASSIGN_OR_RETURN(Bundle bundle, read_bundle_from_memory(copy.get(), file.size(), copy, "<delta input>"));
  std::vector<TensorRegion> regions;
  const std::uint8_t* begin = copy.get();
  for (const auto& [name, tensor] : bundle.graph.constants) {
    const auto* data = static_cast<const std::uint8_t*>(tensor.raw_data());
    const std::int64_t size = static_cast<std::int64_t>(tensor.size_bytes());
    if (size == 0 || data < begin || data + size > begin + file.size()) continue;
    TensorRegion r;
    r.name = name;
    r.offset = data - begin;
    r.size = size;
    r.sha256 = sha256_hex(std::span<const std::uint8_t>(data, static_cast<std::size_t>(size)));
    regions.push_back(std::move(r));
  }
  std::sort(regions.begin(), regions.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  return regions;
}

Result<std::vector<std::uint8_t>> make_delta(std::span<const std::uint8_t> base, std::span<const std::uint8_t> target,
                                             DeltaStats* stats, std::string_view kind) {
  if (!kind.empty() && kind != "tensors" && kind != "patch") return invalid_argument("delta kind '", kind, "'");
  EDGEAI_ASSIGN_OR_RETURN(std::vector<TensorRegion> old_regions, tensor_regions(base));
  EDGEAI_ASSIGN_OR_RETURN(std::vector<TensorRegion> new_regions, tensor_regions(target));
  std::map<std::string, const TensorRegion*> by_hash, by_name;
  for (const TensorRegion& r : old_regions) {
    by_hash.emplace(r.sha256, &r);
    by_name.emplace(r.name, &r);
  }

  // The target as copies of base tensors and literal runs.
  json segments = json::array();
  std::vector<std::uint8_t> literals;
  std::int64_t at = 0, pending = 0, reused = 0, xored = 0;
  const auto literal = [&](std::int64_t offset, std::int64_t size) {
    if (size <= 0) return;
    auto bytes = sub(target, offset, size);
    literals.insert(literals.end(), bytes.begin(), bytes.end());
    pending += size;
  };
  const auto flush = [&] {
    if (pending > 0) segments.push_back(json::array({1, pending}));
    pending = 0;
  };
  for (const TensorRegion& r : new_regions) {
    if (r.offset < at) continue;  // (tensors never overlap; a shared one is counted once)
    auto same = by_hash.find(r.sha256);
    if (same != by_hash.end()) {
      literal(at, r.offset - at);
      flush();
      segments.push_back(json::array({0, same->second->offset, r.size}));
      at = r.offset + r.size;
      ++reused;
      continue;
    }
    auto named = by_name.find(r.name);
    if (named != by_name.end() && named->second->size == r.size && r.size % 4 == 0) {
      literal(at, r.offset - at);
      flush();
      append_xor_planes(sub(target, r.offset, r.size), sub(base, named->second->offset, r.size), literals);
      segments.push_back(json::array({2, named->second->offset, r.size}));
      at = r.offset + r.size;
      ++xored;
    }
  }
  literal(at, static_cast<std::int64_t>(target.size()) - at);
  flush();
  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> packed, zstd_compress(literals, kLiteralLevel));
  json head{{"kind", "tensors"},
            {"base_sha256", sha256_hex(base)},
            {"target_sha256", sha256_hex(target)},
            {"target_size", target.size()},
            {"literal_size", literals.size()},
            {"segments", segments}};
  std::vector<std::uint8_t> tensors_delta = with_header(head, packed);

  EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> patch, zstd_compress(target, kPatchLevel, base));
  json patch_head{{"kind", "patch"},
                  {"base_sha256", head["base_sha256"]},
                  {"target_sha256", head["target_sha256"]},
                  {"target_size", target.size()}};
  std::vector<std::uint8_t> patch_delta = with_header(patch_head, patch);

  const bool tensors_win = kind.empty() ? tensors_delta.size() <= patch_delta.size() : kind == "tensors";
  if (stats != nullptr) {
    stats->target_bytes = static_cast<std::int64_t>(target.size());
    stats->tensor_delta_bytes = static_cast<std::int64_t>(tensors_delta.size());
    stats->patch_bytes = static_cast<std::int64_t>(patch_delta.size());
    stats->tensors = static_cast<std::int64_t>(new_regions.size());
    stats->tensors_reused = reused;
    stats->tensors_xored = xored;
    stats->chosen = tensors_win ? "tensors" : "patch";
  }
  return tensors_win ? tensors_delta : patch_delta;
}

Result<std::vector<std::uint8_t>> apply_delta(std::span<const std::uint8_t> base, std::span<const std::uint8_t> delta,
                                              std::int64_t max_target_size) {
  if (delta.size() < kMagic.size() || std::memcmp(delta.data(), kMagic.data(), kMagic.size()) != 0) {
    return data_loss("not an edgeai delta (bad magic)");
  }
  const auto* line_begin = delta.data() + kMagic.size();
  const auto* line_end = static_cast<const std::uint8_t*>(std::memchr(line_begin, '\n', delta.size() - kMagic.size()));
  if (line_end == nullptr) return data_loss("delta: no header line");
  const json head = json::parse(line_begin, line_end, nullptr, false);
  if (head.is_discarded() || !head.is_object()) return data_loss("delta: the header is not a JSON object");
  const auto text = [&](const char* key) -> std::string {
    auto it = head.find(key);
    return it != head.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto number = [&](const char* key) -> std::int64_t {
    auto it = head.find(key);
    return it != head.end() && it->is_number_unsigned() ? it->get<std::int64_t>() : -1;
  };
  const std::string kind = text("kind");
  const std::int64_t target_size = number("target_size");
  if (kind != "tensors" && kind != "patch") return data_loss("delta: unknown kind '", kind, "'");
  if (target_size < 0) return data_loss("delta: no target size");
  if (target_size > max_target_size) {
    return out_of_range("delta: the target would be ", target_size, " bytes, more than the allowed ", max_target_size);
  }
  if (text("base_sha256") != sha256_hex(base)) return failed_precondition("delta: made for another base bundle");
  const std::span<const std::uint8_t> payload = delta.subspan(static_cast<std::size_t>(line_end + 1 - delta.data()));
  std::vector<std::uint8_t> out;
  if (kind == "patch") {
    EDGEAI_ASSIGN_OR_RETURN(out, zstd_decompress(payload, static_cast<std::size_t>(target_size), base));
  } else {
    const std::int64_t literal_size = number("literal_size");
    if (literal_size < 0 || literal_size > target_size) return data_loss("delta: bad literal size");
    EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> literals,
                            zstd_decompress(payload, static_cast<std::size_t>(literal_size)));
    auto segments = head.find("segments");
    if (segments == head.end() || !segments->is_array()) return data_loss("delta: no segments");
    out.reserve(static_cast<std::size_t>(target_size));
    std::int64_t used = 0;
    for (const json& s : *segments) {
      const bool three = s.is_array() && s.size() == 3 && s[1].is_number_unsigned() && s[2].is_number_unsigned();
      const bool copy = three && s[0] == 0, xored = three && s[0] == 2;
      const bool lit = s.is_array() && s.size() == 2 && s[0] == 1 && s[1].is_number_unsigned();
      if (!copy && !lit && !xored) return data_loss("delta: a malformed segment");
      const std::int64_t size = (lit ? s[1] : s[2]).get<std::int64_t>();
      if (size > target_size - static_cast<std::int64_t>(out.size()))
        return data_loss("delta: segments past the target size");
      if (copy || xored) {
        const std::int64_t offset = s[1].get<std::int64_t>();
        if (offset > static_cast<std::int64_t>(base.size()) || size > static_cast<std::int64_t>(base.size()) - offset) {
          return data_loss("delta: a copy past the end of the base");
        }
        if (copy) {
          auto bytes = sub(base, offset, size);
          out.insert(out.end(), bytes.begin(), bytes.end());
          continue;
        }
        if (size % 4 != 0 || size > literal_size - used) return data_loss("delta: a bad XOR segment");
        undo_xor_planes(std::span<const std::uint8_t>(literals).subspan(static_cast<std::size_t>(used),
                                                                        static_cast<std::size_t>(size)),
                        sub(base, offset, size), out);
        used += size;
      } else {
        if (size > literal_size - used) return data_loss("delta: literals run out");
        out.insert(out.end(), literals.begin() + used, literals.begin() + used + size);
        used += size;
      }
    }
  }
  if (static_cast<std::int64_t>(out.size()) != target_size || sha256_hex(out) != text("target_sha256")) {
    return data_loss("delta: the rebuilt bundle does not match the recorded size and sha256");
  }
  return out;
}

}  // namespace edgeai
