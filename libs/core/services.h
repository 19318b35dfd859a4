// The one list of MPLI's services: the launcher starts them, the gateway's readiness asks
// them, the tests expect them. A new service is added here and nowhere else.
#pragma once

#include <array>
#include <string_view>

namespace mpli {

// In start order; the gateway is not a service of the bus and is not listed.
inline constexpr std::array<std::string_view, 5> kServiceNames = {"discovery", "resolver", "trust",
                                                                  "delivery", "portability"};

}  // namespace mpli
