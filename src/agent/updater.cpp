#include "agent/updater.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "format/atomic_file.hpp"
#include "format/json_fields.hpp"

namespace edgeai {
namespace {

namespace fs = std::filesystem;
using json_fields::json;

constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

std::string record_to_json(const DeviceRecord& r) {
  return json_fields::to_text(json{{"state", r.state},
                                   {"active_slot", r.active_slot},
                                   {"active_version", r.active_version},
                                   {"active_counter", r.active_counter},
                                   {"previous_slot", r.previous_slot},
                                   {"previous_version", r.previous_version},
                                   {"previous_counter", r.previous_counter},
                                   {"target",
                                    {{"name", r.target.name},
                                     {"version", r.target.version},
                                     {"sha256", r.target.sha256},
                                     {"size", r.target.size},
                                     {"device_group", r.target.device_group},
                                     {"release_counter", r.target.release_counter},
                                     {"downgrade", r.target.downgrade}}},
                                   {"target_slot", r.target_slot},
                                   {"last_error", r.last_error}});
}

Result<DeviceRecord> record_from_json(std::string_view text) {
  using json_fields::get_int;
  using json_fields::get_string;
  Result<json> parsed = json_fields::parse_object(text, "device record");
  if (!parsed.is_ok()) return data_loss(parsed.status().message());
  const json& j = *parsed;
  auto target = j.find("target");
  if (target == j.end() || !target->is_object()) return data_loss("device record: no target");
  DeviceRecord r;
  // Every field must be there with its type: a record that is not whole is damage, not a default.
  const auto fields = [&]() -> Status {
    EDGEAI_ASSIGN_OR_RETURN(r.state, get_string(j, "state"));
    EDGEAI_ASSIGN_OR_RETURN(r.active_slot, get_string(j, "active_slot"));
    EDGEAI_ASSIGN_OR_RETURN(r.active_version, get_string(j, "active_version"));
    EDGEAI_ASSIGN_OR_RETURN(r.active_counter, get_int(j, "active_counter"));
    EDGEAI_ASSIGN_OR_RETURN(r.previous_slot, get_string(j, "previous_slot"));
    EDGEAI_ASSIGN_OR_RETURN(r.previous_version, get_string(j, "previous_version"));
    EDGEAI_ASSIGN_OR_RETURN(r.previous_counter, get_int(j, "previous_counter"));
    EDGEAI_ASSIGN_OR_RETURN(r.target_slot, get_string(j, "target_slot"));
    EDGEAI_ASSIGN_OR_RETURN(r.last_error, get_string(j, "last_error"));
    EDGEAI_ASSIGN_OR_RETURN(r.target.name, get_string(*target, "name"));
    EDGEAI_ASSIGN_OR_RETURN(r.target.version, get_string(*target, "version"));
    EDGEAI_ASSIGN_OR_RETURN(r.target.sha256, get_string(*target, "sha256"));
    EDGEAI_ASSIGN_OR_RETURN(r.target.size, get_int(*target, "size"));
    EDGEAI_ASSIGN_OR_RETURN(r.target.device_group, get_string(*target, "device_group"));
    EDGEAI_ASSIGN_OR_RETURN(r.target.release_counter, get_int(*target, "release_counter"));
    return Status::ok();
  };
  if (Status s = fields(); !s.is_ok()) return data_loss("device record: ", s.message());
  r.target.downgrade = json_fields::get_bool_or_false(*target, "downgrade");
  static const char* const kStates[] = {"idle",       "downloading", "verifying",  "installing",
                                        "validating", "active",      "rolled_back"};
  if (std::find(std::begin(kStates), std::end(kStates), r.state) == std::end(kStates)) {
    return data_loss("device record: unknown state '", r.state, "'");
  }
  const auto slot_ok = [](const std::string& slot) { return slot.empty() || slot == "a" || slot == "b"; };
  if (!slot_ok(r.active_slot) || !slot_ok(r.target_slot) || !slot_ok(r.previous_slot)) {
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

Status Updater::save() {
  EDGEAI_RETURN_IF_ERROR(journal_.write(record_to_json(record_)));
  if (observer_) observer_(record_);
  return Status::ok();
}

Status Updater::fail(const Status& why) {
  if (record_.state == "active") {
    // The health window failed after the switch: the previous model serves again.
    record_.active_slot = record_.previous_slot;
    record_.active_version = record_.previous_version;
    record_.active_counter = record_.previous_counter;
  }
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
      if (!got.is_ok() && got.status().code() == StatusCode::kDataLoss) {
        ::close(fd);
        return fail(got.status());  // the source itself is bad (more bytes than asked): give up
      }
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
    EDGEAI_ASSIGN_OR_RETURN(std::string file, read_whole_file(renamed ? model : part));
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(file.data()), file.size());
    if (Status hash = check_download_hash(target, bytes); !hash.is_ok()) return fail(hash);
    record_.state = "installing";
    EDGEAI_RETURN_IF_ERROR(save());
  }
  if (record_.state == "installing") {
    std::error_code ec;
    if (fs::exists(part, ec)) {  // not renamed yet (a kill may have come after the rename)
      if (::rename(part.c_str(), model.c_str()) != 0) return io_error(model, ": rename failed: ", std::strerror(errno));
      sync_parent_directory(model);
    }
    record_.state = "validating";
    EDGEAI_RETURN_IF_ERROR(save());
  }
  if (record_.state == "validating") {
    Result<ValidationReport> report = validate_bundle(model, validation_);
    if (!report.is_ok()) return fail(report.status());
    // The switch: one journal write.
    record_.previous_slot = record_.active_slot;
    record_.previous_version = record_.active_version;
    record_.previous_counter = record_.active_counter;
    record_.active_slot = record_.target_slot;
    record_.active_version = target.version;
    record_.active_counter = target.release_counter;
    record_.state = "active";
    EDGEAI_RETURN_IF_ERROR(save());
  }
  if (record_.state == "active") {
    // The health window: the new model must serve before the update counts as done.
    if (Status health = check_health(model, validation_.health_inferences, validation_.threads); !health.is_ok()) {
      if (record_.previous_slot.empty()) return health;  // nothing to go back to: keep serving, report it
      return fail(health);
    }
    record_.state = "idle";
    EDGEAI_RETURN_IF_ERROR(save());
  }
  return Status::ok();
}

}  // namespace edgeai
