// Verification: the `verification` outputs of the source's and the target's checksum tasks
// (JSON arrays of {name, rows, checksum}) compared table by table.
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"
#include "mpli/portability/v1/portability.pb.h"

namespace mpli::portability {

struct VerificationResult {
  std::vector<v1::TableVerification> tables;  // by name; a table on one side only is unequal
  bool equal = false;  // every table equal (and at least one, unless empty ones may verify)
  std::vector<std::string> differences;  // one sentence per unequal table
};

// What two sides that report no table at all mean. A database can be empty (a consumer moves a
// database it has not filled yet: both sides listing no table is the evidence that nothing was
// lost); a disk image always reports itself, so nothing reported is a worker's fault.
enum class EmptySides { kEqual, kNeverEqual };

// INVALID_ARGUMENT when a side's output is not such a JSON array.
Result<VerificationResult> compare_verification(const std::string& source_json,
                                                const std::string& target_json,
                                                EmptySides empty = EmptySides::kNeverEqual);

}  // namespace mpli::portability
