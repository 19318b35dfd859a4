// A switching report (portability.v1.SwitchingReport) as one self-contained HTML page: no
// script, no external resource, every value escaped, fit to hand over as the record of a Data
// Act switch (docs/migrations.md). Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "mpli/portability/v1/portability.pb.h"

namespace mpli::portability::report {

// & < > " ' as character references: safe in element content and in quoted attributes.
std::string html_escape(std::string_view text);

std::string report_html(const v1::SwitchingReport& report);

}  // namespace mpli::portability::report
