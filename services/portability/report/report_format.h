// The switching report's shared pieces: numbers as a person reads them (durations, bytes) and
// the report's facts in the order both renderings show them. Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mpli/portability/v1/portability.pb.h"

namespace mpli::portability::report {

// 850 -> "850 ms", 2345 -> "2.345 s", 3723000 -> "1h 02m 03s"; a negative value (the contract's
// "unknown") -> "unknown".
std::string format_duration_ms(int64_t milliseconds);

// 0 -> "0 bytes", 1536 -> "1.5 KiB (1536 bytes)"; negative -> "unknown".
std::string format_bytes(int64_t bytes);

// The outcome as a sentence: "completed: the service now runs at <target>", ...
std::string outcome_sentence(const v1::SwitchingReport& report);

// How the checksums were computed, as a sentence (report.checksum_method; "" for a report of
// a migration that recorded none).
std::string checksum_method_sentence(const v1::SwitchingReport& report);

// The report's summary rows (label, value), the same in the HTML page and the text.
std::vector<std::pair<std::string, std::string>> summary_rows(const v1::SwitchingReport& report);

// The terms carried over, sorted by name (a proto map has no order).
std::vector<std::pair<std::string, std::string>> sorted_terms(const v1::SwitchingReport& report);

}  // namespace mpli::portability::report
