// Identifiers: UUIDv7 (time-ordered, so ids sort by creation) for events, orders and requests.
#pragma once

#include <string>

namespace mpli::ids {

std::string new_uuid_v7();  // "0192f0c5-8e2a-7b3c-9d4e-5f6a7b8c9d0e"
bool is_uuid(const std::string& text);

}  // namespace mpli::ids
