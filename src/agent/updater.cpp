#include "agent/updater.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace edgeai {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kChunk = 64 * 1024;

Status fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return io_error(path, ": ", std::strerror(errno));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::ok() : io_error(path, ": fsync failed: ", std::strerror(errno));
}

Result<std::vector<std::uint8_t>> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path, ": cannot open");
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::string record_to_json(const DeviceRecord& r) {
  return json{{"state", r.state},
              {"active_slot", r.active_slot},
              {"active_version", r.active_version},
              {"active_counter", r.active_counter},
              {"target",
               {{"name", r.target.name},
                {"version", r.target.version},
                {"sha256", r.target.sha256},
                {"size", r.target.size},
                {"device_group", r.target.device_group},
                {"release_counter", r.target.release_counter},
                {"downgrade", r.target.downgrade}}},
              {"target_slot", r.target_slot},
              {"last_error", r.last_error}}
      .dump();
}

Result<DeviceRecord> record_from_json(std::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return data_loss("device record: not a JSON object");
  DeviceRecord r;
  const auto str = [&](const json& o, const char* key, std::string& out) -> bool {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  const auto num = [&](const json& o, const char* key, std::int64_t& out) -> bool {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer()) return false;
    out = it->get<std::int64_t>();
    return true;
  };
  auto target = j.find("target");
  const bool ok = str(j, "state", r.state) && str(j, "active_slot", r.active_slot) &&
                  str(j, "active_version", r.active_version) && num(j, "active_counter", r.active_counter) &&
                  str(j, "target_slot", r.target_slot) && str(j, "last_error", r.last_error) && target != j.end() &&
                  target->is_object() && str(*target, "name", r.target.name) &&
                  str(*target, "version", r.target.version) && str(*target, "sha256", r.target.sha256) &&
                  num(*target, "size", r.target.size) && str(*target, "device_group", r.target.device_group) &&
                  num(*target, "release_counter", r.target.release_counter);
  if (!ok) return data_loss("device record: a field is missing or of the wrong type");
  auto downgrade = target->find("downgrade");
  r.target.downgrade = downgrade != target->end() && downgrade->is_boolean() && downgrade->get<bool>();
  static const char* const kStates[] = {"idle", "downloading", "verifying", "validating", "rolled_back"};
  if (std::find(std::begin(kStates), std::end(kStates), r.state) == std::end(kStates)) {
    return data_loss("device record: unknown state '", r.state, "'");
  }
  if (!(r.active_slot.empty() || r.active_slot == "a" || r.active_slot == "b") ||
      !(r.target_slot.empty() || r.target_slot == "a" || r.target_slot == "b")) {
    return data_loss("device record: a slot is neither a nor b");
  }
  return r;
}

Updater::Updater(std::string data_dir, std::string device_group, ValidationOptions validation)
    : data_dir_(std::move(data_dir)),
      device_group_(std::move(device_group)),
      validation_(validation),
      journal_((fs::path(data_dir_) / "state").string()) {}

std::string Updater::slot_path(const std::string& slot) const {
  return (fs::path(data_dir_) / "slots" / slot / "model.eai").string();
}

std::string Updater::active_path() const { return record_.active_slot.empty() ? "" : slot_path(record_.active_slot); }

Status Updater::open() {
  std::error_code ec;
  fs::create_directories(fs::path(data_dir_) / "slots" / "a", ec);
  fs::create_directories(fs::path(data_dir_) / "slots" / "b", ec);
  if (ec) return io_error(data_dir_, ": ", ec.message());
  EDGEAI_ASSIGN_OR_RETURN(std::optional<std::string> text, journal_.read());
  if (!text.has_value()) {
    record_ = DeviceRecord{};
    return Status::ok();
  }
  EDGEAI_ASSIGN_OR_RETURN(record_, record_from_json(*text));
  return Status::ok();
}

Status Updater::save() { return journal_.write(record_to_json(record_)); }

Status Updater::fail(const Status& why) {
  record_.state = "rolled_back";
  record_.last_error = why.to_string();
  std::error_code ec;
  fs::remove(slot_path(record_.target_slot) + ".part", ec);
  EDGEAI_RETURN_IF_ERROR(save());
  return why;
}

Status Updater::update(const TargetInfo& target, const ByteSource& source) {
  if (record_.state != "idle" && record_.state != "rolled_back") {
    return failed_precondition("an update to ", record_.target.version, " is in progress (", record_.state,
                               "): resume it first");
  }
  EDGEAI_RETURN_IF_ERROR(check_install(target, device_group_, record_.active_version, record_.active_counter));
  record_.target = target;
  record_.target_slot = record_.active_slot == "a" ? "b" : "a";
  record_.last_error.clear();
  record_.state = "downloading";
  std::error_code ec;
  fs::remove(slot_path(record_.target_slot) + ".part", ec);  // a rolled-back attempt's leftovers
  EDGEAI_RETURN_IF_ERROR(save());
  return run(source);
}

Status Updater::resume(const ByteSource& source) {
  if (record_.state == "idle" || record_.state == "rolled_back") return Status::ok();
  return run(source);
}

Status Updater::run(const ByteSource& source) {
  const std::string model = slot_path(record_.target_slot);
  const std::string part = model + ".part";
  const TargetInfo& target = record_.target;
  if (record_.state == "downloading") {
    // The bytes on disk are a prefix of the download (written in order): go on from there.
    std::error_code ec;
    std::int64_t have = fs::exists(part, ec) ? static_cast<std::int64_t>(fs::file_size(part, ec)) : 0;
    if (have > target.size) {
      fs::remove(part, ec);
      have = 0;
    }
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(part, ": ", std::strerror(errno));
    std::vector<std::uint8_t> chunk(kChunk);
    Status status;
    for (;;) {
      Result<std::size_t> got = source(have, chunk.data(), chunk.size());
      if (!got.is_ok()) {
        status = got.status();  // the network: stays downloading, to resume later
        break;
      }
      if (*got == 0) break;
      if (Status size = check_download_size(target, have + static_cast<std::int64_t>(*got)); !size.is_ok()) {
        ::close(fd);
        return fail(size);
      }
      if (::write(fd, chunk.data(), *got) != static_cast<ssize_t>(*got)) {
        status = io_error(part, ": write failed: ", std::strerror(errno));
        break;
      }
      have += static_cast<std::int64_t>(*got);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    EDGEAI_RETURN_IF_ERROR(status);
    if (!synced) return io_error(part, ": fsync failed");
    if (have != target.size) {
      return io_error("'", target.name, "' download ended at ", have, " of ", target.size, " bytes: resume later");
    }
    record_.state = "verifying";
    EDGEAI_RETURN_IF_ERROR(save());
  }
  if (record_.state == "verifying") {
    // After the rename the part is gone and the slot holds the download: verify whichever is there.
    std::error_code ec;
    const bool renamed = !fs::exists(part, ec);
    EDGEAI_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, read_all(renamed ? model : part));
    if (Status hash = check_download_hash(target, bytes); !hash.is_ok()) return fail(hash);
    if (!renamed) {
      if (::rename(part.c_str(), model.c_str()) != 0) return io_error(model, ": rename failed: ", std::strerror(errno));
      EDGEAI_RETURN_IF_ERROR(fsync_path(fs::path(model).parent_path().string(), true));
    }
    record_.state = "validating";
    EDGEAI_RETURN_IF_ERROR(save());
  }
  if (record_.state == "validating") {
    Result<ValidationReport> report = validate_bundle(model, validation_);
    if (!report.is_ok()) return fail(report.status());
    // The switch: one journal write.
    record_.active_slot = record_.target_slot;
    record_.active_version = target.version;
    record_.active_counter = target.release_counter;
    record_.state = "idle";
    EDGEAI_RETURN_IF_ERROR(save());
  }
  return Status::ok();
}

}  // namespace edgeai
