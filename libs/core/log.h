// JSON-lines logging: one object per line with time, level, service, correlation id and message.
// Callers pass structured fields; secrets must never be passed (see docs/development.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

namespace mpli::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Call once from main before any other thread starts. `out` must outlive all logging.
void init(std::string service, Level min_level, std::ostream* out);
Level parse_level(std::string_view text);  // "debug" | "info" | "warn" | "error"

void write(Level level, std::string_view message, const nlohmann::json& fields = nullptr);
inline void debug(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::kDebug, m, f);
}
inline void info(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::kInfo, m, f);
}
inline void warn(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::kWarn, m, f);
}
inline void error(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::kError, m, f);
}

// Sets the correlation id of every line logged on this thread while the scope lives; a request
// handler opens one with the id carried by the incoming message.
class CorrelationScope {
 public:
  explicit CorrelationScope(std::string correlation_id);
  ~CorrelationScope();
  CorrelationScope(const CorrelationScope&) = delete;
  CorrelationScope& operator=(const CorrelationScope&) = delete;

 private:
  std::string previous_;
};

const std::string& correlation_id();

}  // namespace mpli::log
