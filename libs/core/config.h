// Service configuration: declared settings with defaults, read from an optional file and then
// from the environment (MPLI_<KEY>), every value checked before the process does anything else.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"

namespace mpli::config {

// Checks one value; returns an error message, or "" when the value is acceptable.
using Check = std::function<std::string(std::string_view value)>;

struct Setting {
  std::string key;            // dotted, lower case: "nats.url" (environment: MPLI_NATS_URL)
  std::string default_value;  // "" with required=true means the operator must set it
  std::string description;
  Check check;  // may be empty
  bool required = false;
  bool secret = false;  // never printed: describe() shows "<redacted>"
};

// Looks a variable up in the process environment; tests pass their own.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment process_environment();

// "nats.url" -> "MPLI_NATS_URL"
std::string environment_name(std::string_view key);

class Config {
 public:
  // Layers: defaults < file (if file_path is not empty) < environment. Fails on the first
  // unreadable file, unknown key in the file ("path:line: unknown setting 'x'"), missing
  // required value or rejected value ("MPLI_NATS_URL (nats.url): must start with nats://").
  static Result<Config> load(const std::vector<Setting>& settings, const std::string& file_path,
                             const Environment& environment);

  const std::string& get(const std::string& key) const;
  int get_int(const std::string& key) const;
  std::chrono::milliseconds get_duration(const std::string& key) const;
  bool get_bool(const std::string& key) const;

  // "key=value" for every setting, secrets redacted; for the start-up log line.
  std::map<std::string, std::string> describe() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> secret_;
};

// Reusable checks.
Check one_of(std::vector<std::string> allowed);
Check int_between(long min, long max);
Check url_with_scheme(std::vector<std::string> schemes);
// One URL or several separated by commas (a cluster's servers), each one url_with_scheme's.
Check url_list_with_scheme(std::vector<std::string> schemes);
Check duration();  // "250ms", "5s", "2m", "1h"
Check boolean();   // true/false/1/0/yes/no

// Parses a duration as accepted by duration(); nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<bool> parse_bool(std::string_view text);

}  // namespace mpli::config
