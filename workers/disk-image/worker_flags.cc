#include "workers/disk-image/worker_flags.h"

#include "libs/process/nats_authorization.h"

namespace mpli::diskimage {
namespace {

// The SDK's map is keyed by the flag as declared ("--store-dir"); a bare name is accepted too.
std::string flag(const worker::Flags& flags, const std::string& name) {
  for (const std::string& key : {name, name.substr(2)}) {
    auto it = flags.extra.find(key);
    if (it != flags.extra.end()) return it->second;
  }
  return "";
}

}  // namespace

const std::vector<std::string>& extra_flags() {
  static const std::vector<std::string> kFlags = {"--store-dir", "--image-format"};
  return kFlags;
}

Result<StoreConfig> config_from_flags(const worker::Flags& flags) {
  StoreConfig config;
  config.store_dir = flag(flags, "--store-dir");
  if (config.store_dir.empty()) {
    return invalid_field("--store-dir", "required: the provider's image store (a directory)");
  }
  std::string format = flag(flags, "--image-format");
  if (format.empty()) format = "qcow2";
  MPLI_ASSIGN_OR_RETURN(config.format, parse_format("--image-format", format));
  return config;
}

bus::ConnectOptions transfer_connect_options(const worker::Flags& flags) {
  bus::ConnectOptions options;
  options.url = flags.options.nats_url;
  options.name = "mpli-worker-disk-image-" + flags.options.provider_id + "-transfer";
  options.user = flags.options.nats_user;
  options.password = flags.options.nats_password;
  options.inbox_prefix = process::worker_inbox_prefix(flags.options.provider_id);
  return options;
}

}  // namespace mpli::diskimage
