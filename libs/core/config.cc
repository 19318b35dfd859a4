#include "libs/core/config.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mpli::config {
namespace {

std::string trim(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return std::string(s.substr(begin, end - begin));
}

std::optional<long> parse_long(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(copy.c_str(), &end, 10);
  if (errno != 0 || end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string environment_name(std::string_view key) {
  std::string name = "MPLI_";
  for (char c : key) {
    name += (c == '.' || c == '-') ? '_'
                                   : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

Result<Config> Config::load(const std::vector<Setting>& settings, const std::string& file_path,
                            const Environment& environment) {
  Config config;
  std::map<std::string, std::string> origin;  // where each value came from, for messages
  std::map<std::string, const Setting*> by_key;
  for (const auto& setting : settings) {
    by_key[setting.key] = &setting;
    config.values_[setting.key] = setting.default_value;
    config.secret_[setting.key] = setting.secret;
    origin[setting.key] = "default for " + setting.key;
  }

  if (!file_path.empty()) {
    std::ifstream in(file_path);
    if (!in) return invalid_argument("cannot read configuration file " + file_path);
    std::string line;
    int line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      std::string text = trim(line);
      if (text.empty() || text[0] == '#') continue;
      auto eq = text.find('=');
      std::string where = file_path + ":" + std::to_string(line_number);
      if (eq == std::string::npos) {
        return invalid_argument(where + ": expected 'key = value', got '" + text + "'");
      }
      std::string key = trim(text.substr(0, eq));
      std::string value = trim(text.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (by_key.count(key) == 0)
        return invalid_argument(where + ": unknown setting '" + key + "'");
      config.values_[key] = value;
      origin[key] = where + " (" + key + ")";
    }
  }

  for (const auto& setting : settings) {
    std::string name = environment_name(setting.key);
    if (auto value = environment(name)) {
      config.values_[setting.key] = *value;
      origin[setting.key] = name + " (" + setting.key + ")";
    }
  }

  for (const auto& setting : settings) {
    const std::string& value = config.values_[setting.key];
    if (setting.required && value.empty()) {
      return invalid_argument(environment_name(setting.key) + " (" + setting.key +
                              "): required setting is not set (" + setting.description + ")");
    }
    if (setting.check && !(value.empty() && !setting.required)) {
      std::string problem = setting.check(value);
      if (!problem.empty()) {
        std::string shown = setting.secret ? "<redacted>" : "'" + value + "'";
        return invalid_argument(origin[setting.key] + ": " + problem + " (got " + shown + ")");
      }
    }
  }
  return config;
}

const std::string& Config::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    // A programming error (reading a setting that was never declared), not operator input.
    throw std::logic_error("undeclared configuration setting '" + key + "'");
  }
  return it->second;
}

int Config::get_int(const std::string& key) const {
  return static_cast<int>(parse_long(get(key)).value_or(0));
}

std::chrono::milliseconds Config::get_duration(const std::string& key) const {
  return parse_duration(get(key)).value_or(std::chrono::milliseconds(0));
}

bool Config::get_bool(const std::string& key) const { return parse_bool(get(key)).value_or(false); }

std::map<std::string, std::string> Config::describe() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : values_) {
    out[key] = secret_.at(key) && !value.empty() ? "<redacted>" : value;
  }
  return out;
}

Check one_of(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](std::string_view value) -> std::string {
    std::string list;
    for (const auto& option : allowed) {
      if (value == option) return "";
      list += (list.empty() ? "" : ", ") + option;
    }
    return "must be one of " + list;
  };
}

Check int_between(long min, long max) {
  return [min, max](std::string_view value) -> std::string {
    auto parsed = parse_long(value);
    if (!parsed || *parsed < min || *parsed > max) {
      return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    }
    return "";
  };
}

Check url_with_scheme(std::vector<std::string> schemes) {
  return [schemes = std::move(schemes)](std::string_view value) -> std::string {
    std::string list;
    for (const auto& scheme : schemes) {
      std::string prefix = scheme + "://";
      if (value.substr(0, prefix.size()) == prefix && value.size() > prefix.size()) return "";
      list += (list.empty() ? "" : " or ") + prefix;
    }
    return "must be a URL starting with " + list;
  };
}

Check url_list_with_scheme(std::vector<std::string> schemes) {
  return [one = url_with_scheme(std::move(schemes))](std::string_view value) -> std::string {
    if (value.find(',') == std::string_view::npos) return one(value);
    size_t start = 0;
    for (int position = 1;; ++position) {
      size_t comma = value.find(',', start);
      std::string problem = one(value.substr(start, comma - start));
      if (!problem.empty()) return "URL " + std::to_string(position) + " of the list " + problem;
      if (comma == std::string_view::npos) return "";
      start = comma + 1;
    }
  };
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  auto number = parse_long(text.substr(0, digits));
  if (!number || *number < 0) return std::nullopt;
  std::string_view unit = text.substr(digits);
  long factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60L * 1000;
  else if (unit == "h")
    factor = 60L * 60 * 1000;
  else
    return std::nullopt;
  return std::chrono::milliseconds(*number * factor);
}

Check duration() {
  return [](std::string_view value) -> std::string {
    return parse_duration(value) ? "" : "must be a duration such as 250ms, 5s, 2m or 1h";
  };
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return std::nullopt;
}

Check boolean() {
  return [](std::string_view value) -> std::string {
    return parse_bool(value) ? "" : "must be true or false";
  };
}

}  // namespace mpli::config
