#include "libs/core/log.h"

#include <iostream>
#include <mutex>

#include "libs/core/clock.h"

namespace mpli::log {
namespace {
struct Sink {
  std::string service = "mpli";
  Level min_level = Level::kInfo;
  std::ostream* out = &std::cerr;
  std::mutex mutex;
};
Sink& sink() {
  static Sink instance;
  return instance;
}
thread_local std::string t_correlation_id;

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}
}  // namespace

void init(std::string service, Level min_level, std::ostream* out) {
  Sink& s = sink();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.service = std::move(service);
  s.min_level = min_level;
  s.out = out;
}

Level parse_level(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "warn") return Level::kWarn;
  if (text == "error") return Level::kError;
  return Level::kInfo;
}

void write(Level level, std::string_view message, const nlohmann::json& fields) {
  Sink& s = sink();
  if (level < s.min_level) return;
  nlohmann::json line = {{"ts", clock::now_rfc3339()},
                         {"level", level_name(level)},
                         {"service", s.service},
                         {"msg", message}};
  if (!t_correlation_id.empty()) line["correlation_id"] = t_correlation_id;
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  // Invalid UTF-8 from outside (a bad manifest, say) must not make logging throw.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(s.mutex);
  *s.out << text << '\n';
  s.out->flush();
}

CorrelationScope::CorrelationScope(std::string correlation_id)
    : previous_(std::move(t_correlation_id)) {
  t_correlation_id = std::move(correlation_id);
}

CorrelationScope::~CorrelationScope() { t_correlation_id = std::move(previous_); }

const std::string& correlation_id() { return t_correlation_id; }

}  // namespace mpli::log
