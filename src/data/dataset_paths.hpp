// Where the shared data sets live: `../shared/datasets` next to the project's root on every
// developer machine and CI run, or wherever EDGEAI_DATASETS points. Depends on core only.
#pragma once

#include <string>
#include <string_view>

#include "core/status.hpp"

namespace edgeai {

// The directory of data set `name` (e.g. "magnetic-tile", "mitdb"):
//   1 $EDGEAI_DATASETS/<name> when EDGEAI_DATASETS is set (an error if it is not a directory);
//   2 otherwise the first <ancestor>/shared/datasets/<name> that is a directory, for the
//     ancestors of the current directory and then of the running executable's directory
//     (so a test binary in build/tests/data finds ../shared/datasets from the project root).
// not_found lists where it looked.
Result<std::string> find_shared_dataset(std::string_view name);

}  // namespace edgeai
