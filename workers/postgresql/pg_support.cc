#include "workers/postgresql/pg_support.h"

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace mpli::pgworker {

namespace fs = std::filesystem;

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0) {
    line.pop_back();
  }
  return line;
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  return last;
}

std::string parameter(const Work& work, const std::string& key) {
  auto it = work.parameters().find(key);
  return it == work.parameters().end() ? "" : it->second;
}

std::string with_notes(std::string message, const std::vector<std::string>& notes) {
  for (const auto& note : notes) message += "; " + note;
  return message;
}

std::chrono::milliseconds time_left(const Work& work, std::chrono::milliseconds fallback) {
  if (work.deadline_unix_ms() <= 0) return fallback;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return std::chrono::milliseconds(work.deadline_unix_ms()) - now;
}

Outcome failure_from(const Status& status) {
  bool retryable = status.code() == StatusCode::kUnavailable ||
                   status.code() == StatusCode::kDeadlineExceeded ||
                   status.code() == StatusCode::kBusy;
  return Outcome::failure(status.message(), retryable);
}

void scrub_secrets(const Work& work, std::string& message) {
  for (const auto& [key, value] : work.secrets()) {
    if (value.size() < 4) continue;
    for (auto at = message.find(value); at != std::string::npos; at = message.find(value, at)) {
      message.replace(at, value.size(), "[secret]");
    }
  }
}

Result<std::vector<DsnSetting>> parse_dsn(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? first_line(error) : "out of memory";
    PQfreemem(error);
    return invalid_argument("the server DSN does not parse: " + why);
  }
  std::vector<DsnSetting> settings;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    settings.push_back({o->keyword, o->envvar != nullptr ? o->envvar : "", o->val});
  }
  PQconninfoFree(options);
  return settings;
}

Result<std::map<std::string, std::string>> libpq_environment(const std::string& dsn,
                                                             const std::string& database) {
  MPLI_ASSIGN_OR_RETURN(std::vector<DsnSetting> settings, parse_dsn(dsn));
  std::map<std::string, std::string> env;
  for (const auto& setting : settings) {
    if (!setting.envvar.empty()) env[setting.envvar] = setting.value;
  }
  env["PGDATABASE"] = database;
  env.emplace("PGCONNECT_TIMEOUT", "10");
  env["PGAPPNAME"] = "mpli-worker-postgresql";
  return env;
}

std::string tool_path(const ProvisionerConfig& config, int server_version,
                      const std::string& tool) {
  std::string dir = config.pg_bin_dir;
  if (dir.empty()) {
    const char* env = std::getenv("MPLI_PG_BIN");
    if (env != nullptr && *env != '\0') dir = env;
  }
  if (dir.empty()) {
    // A dump made by an older pg_dump than the server is refused, so use the server's major.
    std::string versioned =
        "/usr/lib/postgresql/" + std::to_string(server_version / 10000) + "/bin";
    if (fs::exists(versioned + "/" + tool)) dir = versioned;
  }
  return dir.empty() ? tool : dir + "/" + tool;
}

Outcome tool_failure(const std::string& tool, const std::string& output) {
  std::string line = last_line(output);
  bool unreachable = output.find("connection to server") != std::string::npos ||
                     output.find("could not connect") != std::string::npos ||
                     output.find("server closed the connection") != std::string::npos ||
                     output.find("the database system is") != std::string::npos;
  return Outcome::failure(tool + " failed: " + (line.empty() ? "no output" : line), unreachable);
}

}  // namespace mpli::pgworker
