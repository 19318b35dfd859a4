#include "services/gateway/ops/correlation.h"

#include "libs/core/ids.h"

namespace mpli::gateway {

bool is_sane_request_id(std::string_view value) {
  if (value.empty() || value.size() > 128) return false;
  for (char c : value) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string correlation_id_for(std::string_view client_value) {
  if (is_sane_request_id(client_value)) return std::string(client_value);
  return ids::new_uuid_v7();
}

}  // namespace mpli::gateway
