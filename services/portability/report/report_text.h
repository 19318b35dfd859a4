// A switching report (portability.v1.SwitchingReport) as plain text for a terminal
// (`mpli migrations report ID`): the same facts as the HTML page. Control characters in values
// are replaced so a hostile name cannot move the cursor or clear the screen. Pure: no I/O.
#pragma once

#include <string>

#include "mpli/portability/v1/portability.pb.h"

namespace mpli::portability::report {

std::string report_text(const v1::SwitchingReport& report);

}  // namespace mpli::portability::report
