// The device's A/B model slots and the update state machine (issue 6), without the network:
// a bundle arrives through a ByteSource (the HTTP download plugs in here). States, each
// recorded in the journal before the work it names begins:
//
//   idle -> downloading -> verifying -> installing -> validating -> active -> idle
//                 any failure before the switch -> rolled_back (the old slot stays active)
//                 a failed health window (active) -> rolled_back (the old slot active again)
//
// downloading fills `model.eai.part` in the inactive slot (resumable, never past the signed
// size); verifying checks the signed size and sha256; installing renames it into the slot;
// validating loads it and checks the capabilities, golden vectors and latency budget; the
// switch to `active` is one journal write, keeping the previous slot; `active` is the health
// window (the new model must serve inferences), after which the device is idle on the new
// model. Every step is idempotent, so after a kill at any instant `resume()` carries the update
// through from what the journal says, and a failed or partial update never touches the model
// that serves.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "agent/journal.hpp"
#include "agent/validate.hpp"
#include "format/trust.hpp"

namespace edgeai {

// Where the bytes of a target come from: reads up to `size` bytes at `offset` into `out`,
// returns how many (0 at the end). A download resumes at the bytes already on disk.
using ByteSource = std::function<Result<std::size_t>(std::int64_t offset, std::uint8_t* out, std::size_t size)>;

struct DeviceRecord {
  std::string state = "idle";  // idle, downloading, verifying, installing, validating, active, rolled_back
  std::string active_slot;     // "a", "b", or "" before the first model
  std::string active_version;
  std::int64_t active_counter = 0;
  // What was active before the last switch: where a failed health window goes back to.
  std::string previous_slot, previous_version;
  std::int64_t previous_counter = 0;
  TargetInfo target;  // the update in progress, or the last one
  std::string target_slot;
  std::string last_error;  // why the last update was rolled back
};

std::string record_to_json(const DeviceRecord& record);
Result<DeviceRecord> record_from_json(std::string_view json);

class Updater {
 public:
  // `data_dir` holds `state` (the journal) and `slots/a`, `slots/b`.
  Updater(std::string data_dir, std::string device_group, ValidationOptions validation = {});

  // Reads the journal (a fresh device starts idle with no model).
  Status open();
  const DeviceRecord& record() const { return record_; }
  // The active bundle's path, or "" when there is none.
  std::string active_path() const;

  // Starts an update to `target` (verified metadata): check_install, then carries it through.
  Status update(const TargetInfo& target, const ByteSource& source);
  // After a restart: carries an interrupted update through (a no-op when idle).
  Status resume(const ByteSource& source);
  // Called after each journal write with the record just made durable (the agent reports it).
  void set_observer(std::function<void(const DeviceRecord&)> observer) { observer_ = std::move(observer); }

 private:
  Status run(const ByteSource& source);
  Status save();
  Status fail(const Status& why);
  std::string slot_path(const std::string& slot) const;

  std::string data_dir_, device_group_;
  ValidationOptions validation_;
  Journal journal_;
  DeviceRecord record_;
  std::function<void(const DeviceRecord&)> observer_;
};

}  // namespace edgeai
