#include "workers/postgresql/worker_flags.h"

#include <charconv>

namespace mpli::pgworker {

namespace {

// The SDK's map is keyed by the flag as declared ("--public-host"); a bare name is accepted too.
std::string flag(const worker::Flags& flags, const std::string& name) {
  for (const std::string& key : {name, name.substr(2)}) {
    auto it = flags.extra.find(key);
    if (it != flags.extra.end()) return it->second;
  }
  return "";
}

}  // namespace

const std::vector<std::string>& extra_flags() {
  static const std::vector<std::string> kFlags = {"--server-dsn-file", "--public-host",
                                                  "--public-port"};
  return kFlags;
}

Result<ProvisionerConfig> config_from_flags(const worker::Flags& flags) {
  ProvisionerConfig config;
  std::string dsn_file = flag(flags, "--server-dsn-file");
  if (dsn_file.empty()) {
    return invalid_field("--server-dsn-file", "required: the provider's PostgreSQL server");
  }
  MPLI_ASSIGN_OR_RETURN(config.server_dsn, read_server_dsn(dsn_file));
  config.public_host = flag(flags, "--public-host");
  if (config.public_host.empty()) {
    return invalid_field("--public-host", "required: the host consumers connect to");
  }
  std::string port = flag(flags, "--public-port");
  if (port.empty()) port = "5432";
  const char* end = port.data() + port.size();
  auto [ptr, ec] = std::from_chars(port.data(), end, config.public_port);
  if (ec != std::errc() || ptr != end || config.public_port < 1 || config.public_port > 65535) {
    return invalid_field("--public-port", "must be a port number, not '" + port + "'");
  }
  if (!flags.options.state_dir.empty()) config.dump_dir = flags.options.state_dir + "/dumps";
  return config;
}

}  // namespace mpli::pgworker
