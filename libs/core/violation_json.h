// The one JSON form of a shape violation, for every face that shows one: the gateway's 422
// problem bodies, discovery's stored rejections and `mpli manifest check --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "libs/core/status.h"

namespace mpli {

// {focus_node, path, constraint, value, message, severity}, plus line and column when the
// focus node's position is known and owner when it belongs to a provider or offering.
nlohmann::json violation_json(const Violation& violation);

}  // namespace mpli
